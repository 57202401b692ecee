"""The nurse console: the phase and a large infusion timer, the vital tiles, pleth and
30-minute trends, the room's devices (pump, lights, music, soundscape, reminders), the
pre-session checklist, and the buttons that run a session: Start, Pause/Resume, Extend, End
infusion, Discharge, Exam light, Emergency. In recovery the trends give way to the recovery
log (checks, discharge-readiness, the discharge checklist).

It only talks to the Room. What it shows as done comes from *committed* events, so a device
confirmation or a phase change is never shown before it is on the durable timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from roomctl.config import MAX_INFUSION_MINUTES
from roomctl.roles import Action, Role, allowed
from roomctl.room import Room
from roomctl.session import Phase, TransitionError
from roomctl.timeline.events import Event, Kind
from ui.alarm_banner import AlarmBanner
from ui.recovery_panel import RecoveryPanel
from ui.status_panels import StatusCards
from ui.touch import TouchCheckBox
from ui.vital_tiles import VitalTiles

Confirm = Callable[[str, str], bool]

#: The pre-session checklist; every item is ticked before the infusion starts.
CHECKLIST = (
    ("consent", "Consent confirmed"),
    ("baseline", "Baseline vitals taken"),
    ("equipment", "Emergency equipment checked"),
    ("intention", "Intention noted"),
    ("comfort", "Headphones and eye mask on"),
)


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def ask(parent: QWidget) -> Confirm:
    def confirm(title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    return confirm


def describe(event: Event) -> str:
    """One readable line per event for the console's log."""
    data = event.data
    if event.kind == Kind.PHASE:
        return f"Phase → {data['to']}"
    if event.kind == Kind.REMINDER:
        return f"Reminder: {data.get('text', '')}"
    if event.kind == Kind.LIGHTS:
        return f"Lights: {data.get('scene')} ({data.get('outcome', '?')})"
    if event.kind in (Kind.MUSIC, Kind.SOUNDSCAPE):
        what = data.get("playlist") or data.get("preset") or ""
        return f"{str(event.kind).capitalize()}: {data.get('action')} {what}".rstrip()
    if event.kind == Kind.RECOVERY:
        text = str(data.get("milestone", "")).replace("_", " ")
        if data.get("milestone") == "check":
            text += f" {data.get('n')}: Aldrete {data.get('aldrete')}"
        return f"Recovery: {text}"
    if event.kind == Kind.NOTE:
        return f"Note: {data.get('text', '')}"
    if event.kind == Kind.FEED:
        if "link" in data:
            return f"Feed {data.get('feed')}: {data['link']}"
        shown = ", ".join(f"{k.removeprefix('pump_')} {v}" for k, v in data.items() if k != "feed")
        return f"Feed {data.get('feed')}: {shown}"
    if event.kind == Kind.ALARM:
        return f"Alarm {data.get('action')}: {data.get('text', '')}"
    if event.kind == Kind.SYSTEM:
        return f"System: {str(data.get('action', '')).replace('_', ' ')}"
    return f"{event.kind}: {data.get('action', '')}"


class NurseConsole(QWidget):
    def __init__(
        self,
        room: Room,
        *,
        confirm: Confirm | None = None,
        history: list[Event] | None = None,
    ) -> None:
        super().__init__()
        self.room = room
        self.role: Role | None = Role.NURSE
        self._confirm = confirm or ask(self)
        self.committed_phase = room.state.phase
        self._build()
        history = history if history is not None else room.resumed_from
        if history:
            self.cards.replay(history)
            self.recovery.replay(history)
            self._on_committed(history)
        room.subscribe_committed(self._on_committed)
        self._tick = QTimer(self)
        self._tick.timeout.connect(self.refresh)
        self._tick.start(250)
        self.refresh()

    # ------------------------------------------------------------------ layout

    def _button(self, text: str, slot: Callable[[], None], name: str = "") -> QPushButton:
        button = QPushButton(text)
        if name:
            button.setObjectName(name)
        button.clicked.connect(slot)
        return button

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 6, 16, 6)
        outer.setSpacing(6)

        header = QHBoxLayout()
        self.phase_label = QLabel()
        self.phase_label.setObjectName("phase")
        self.timer_label = QLabel()
        self.timer_label.setObjectName("timer")
        self.timer_sub = QLabel()
        self.timer_sub.setObjectName("subtle")
        self.emergency_label = QLabel("EMERGENCY — bedside monitor alarms are primary")
        self.emergency_label.setObjectName("emergency")
        self.emergency_label.hide()
        header.addWidget(self.phase_label)
        header.addSpacing(24)
        header.addWidget(self.timer_label)
        header.addSpacing(12)
        header.addWidget(self.timer_sub, 1)
        header.addWidget(self.emergency_label)
        outer.addLayout(header)
        self.alarm_banner = AlarmBanner(self.room)
        outer.addWidget(self.alarm_banner)

        body = QHBoxLayout()
        body.setSpacing(14)
        left = QVBoxLayout()
        left.setSpacing(10)
        self.vitals = VitalTiles(self.room)
        left.addWidget(self.vitals)
        self.middle = QStackedWidget()
        live = QWidget()
        live_box = QVBoxLayout(live)
        live_box.setContentsMargins(0, 0, 0, 0)
        live_box.setSpacing(8)
        # pyqtgraph (0.3 s to import) loads with the first console, not at the window's cold
        # start: the lock screen and start page come up without it.
        from ui.pleth import PlethView
        from ui.trends import TrendsView

        self.pleth = PlethView(self.room)
        self.pleth.setMinimumHeight(120)
        self.trends = TrendsView(self.room)
        live_box.addWidget(self.pleth, 1)
        live_box.addWidget(self.trends, 3)
        self.recovery = RecoveryPanel(self.room, self.role, confirm=self._confirm)
        recovery_scroll = QScrollArea()  # the full form is taller than a 1000 px screen
        recovery_scroll.setWidget(self.recovery)
        recovery_scroll.setWidgetResizable(True)
        recovery_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self._recovery_page = recovery_scroll
        self.middle.addWidget(live)
        self.middle.addWidget(recovery_scroll)
        self._live_page = live
        left.addWidget(self.middle, 1)
        body.addLayout(left, 3)

        right = QVBoxLayout()
        right.setSpacing(6)
        self.cards = StatusCards(self.room, vertical=False)
        self.cards.reminders.check_due.connect(lambda _text: self.open_check())
        self.cards.setMaximumHeight(150)
        left.addWidget(self.cards)
        self.checklist_card = QFrame()
        self.checklist_card.setObjectName("card")
        checks = QGridLayout(self.checklist_card)
        title = QLabel("Before the infusion")
        title.setObjectName("subtle")
        checks.addWidget(title, 0, 0, 1, 3)
        self.checklist: dict[str, QCheckBox] = {}
        for i, (key, text) in enumerate(CHECKLIST):
            box = TouchCheckBox(text)
            box.toggled.connect(lambda _on: self.refresh())
            self.checklist[key] = box
            checks.addWidget(box, 1 + i // 3, i % 3)
        left.insertWidget(1, self.checklist_card)  # above the trends, before the infusion

        self.devices_label = QLabel()
        self.devices_label.setObjectName("subtle")
        self.devices_label.setWordWrap(True)
        right.addWidget(self.devices_label)
        grid = QGridLayout()
        grid.setSpacing(6)
        self.start_button = self._button("Start session", self.start, "primary")
        self.pause_button = self._button("Pause", self.toggle_pause)
        self.extend5_button = self._button("Extend +5", lambda: self.extend(5))
        self.extend10_button = self._button("Extend +10", lambda: self.extend(10))
        self.end_button = self._button("End infusion", self.end_infusion)
        self.check_button = self._button("Recovery check", self.open_check)
        self.discharge_button = self._button("Discharge", self.discharge)
        self.emergency_button = self._button("Emergency", self.toggle_emergency, "danger")
        self.exam_button = self._button("Exam light", lambda: None)
        self.exam_button.setToolTip("Full light while held")
        self.exam_button.pressed.connect(lambda: self._do(lambda: self.room.exam_light(True)))
        self.exam_button.released.connect(lambda: self._do(lambda: self.room.exam_light(False)))
        grid.addWidget(self.start_button, 0, 0, 1, 2)
        grid.addWidget(self.pause_button, 1, 0)
        grid.addWidget(self.end_button, 1, 1)
        grid.addWidget(self.extend5_button, 2, 0)
        grid.addWidget(self.extend10_button, 2, 1)
        grid.addWidget(self.check_button, 3, 0)
        grid.addWidget(self.discharge_button, 3, 1)
        grid.addWidget(self.exam_button, 4, 0)
        grid.addWidget(self.emergency_button, 4, 1)
        right.addLayout(grid)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        self.problem_label.setWordWrap(True)
        right.addWidget(self.problem_label)
        right.addWidget(self.cards.reminders)  # what is due, beside the buttons that do it
        right.addStretch(1)
        self.log = QListWidget()  # the recent events, for the tests and a glance; review has all
        self.log.setMaximumHeight(90)
        self.log.hide()
        body.addLayout(right, 1)
        outer.addLayout(body, 1)

        footer = QLabel(
            "Advisory only: roomctl never controls the pump or the monitor; "
            "the bedside monitor's alarms are primary."
        )
        footer.setObjectName("subtle")
        outer.addWidget(footer)
        self._devices: dict[str, str] = {}
        for keys, slot in (
            ("Ctrl+Space", self.start),
            ("Ctrl+P", self.toggle_pause),
            ("Ctrl+E", self.end_infusion),
            ("Ctrl+Shift+E", self.toggle_emergency),
        ):
            QShortcut(QKeySequence(keys), self, activated=slot)

    def checklist_done(self) -> bool:
        return all(box.isChecked() for box in self.checklist.values())

    def set_role(self, role: Role | None) -> None:
        """Offer only what ``role`` may do (roomctl/roles.py); the rest stays visible, disabled."""
        self.role = role
        self.recovery.set_role(role)
        self.refresh()

    def close(self) -> bool:
        self._tick.stop()
        self.room.unsubscribe(self._on_committed)
        self.vitals.stop()
        for widget in (self.pleth, self.trends, self.cards, self.recovery):
            widget.stop()
        return super().close()

    # ------------------------------------------------------------------ commands

    def _do(self, action: Callable[[], None]) -> None:
        try:
            action()
        except (TransitionError, ValueError) as exc:
            self.problem_label.setText(str(exc))
        else:
            self.problem_label.clear()
        self.refresh()

    def start(self) -> None:
        if self.room.state.phase == Phase.READY:
            self._do(self.room.prepare)
        elif not self.checklist_done():
            missing = [box.text() for box in self.checklist.values() if not box.isChecked()]
            self.problem_label.setText("Checklist first: " + ", ".join(missing))
        else:
            ticked = {key: True for key in self.checklist}
            self._do(lambda: self._start_infusion(ticked))

    def _start_infusion(self, ticked: dict[str, bool]) -> None:
        self.room.record_checklist(ticked)
        self.room.start_infusion()

    def toggle_pause(self) -> None:
        if self.room.state.phase == Phase.PAUSED:
            self._do(self.room.resume_infusion)
        else:
            self._do(self.room.pause)

    def extend(self, minutes: int) -> None:
        self._do(lambda: self.room.extend(minutes))

    def end_infusion(self) -> None:
        if self._confirm("End infusion", "End the infusion now and start recovery?"):
            self._do(self.room.end_infusion)

    def open_check(self) -> None:
        """The recovery form is the middle of the console during recovery: bring it up."""
        if self.room.state.phase == Phase.RECOVERING:
            self.middle.setCurrentWidget(self._recovery_page)

    def submit_check(self, items: dict[str, int], moaas: int) -> None:
        self._do(lambda: self.room.recovery_check(aldrete=items, moaas=moaas))

    def discharge(self) -> None:
        self._do(self.room.discharge)

    def toggle_emergency(self) -> None:
        if self.room.state.emergency:
            self._do(lambda: self.room.emergency(False))
        elif self._confirm("Emergency", "Lights full and music off now?"):
            self._do(lambda: self.room.emergency(True))

    # ------------------------------------------------------------------ display

    def _on_committed(self, events: list[Event]) -> None:
        for event in events:
            if event.kind == Kind.PHASE:
                self.committed_phase = Phase(event.data["to"])
            elif (
                event.kind == Kind.LIGHTS
                and event.data.get("outcome") == "ok"
                and (event.data.get("action") not in ("apply", "reapply"))
            ):
                pass  # a bridge health check: nothing about the scene changed
            elif event.kind in (Kind.LIGHTS, Kind.MUSIC, Kind.SOUNDSCAPE):
                what = (
                    event.data.get("scene")
                    or event.data.get("playlist")
                    or event.data.get("preset")
                    or event.data.get("action")
                )
                ok = event.data.get("outcome", "ok") == "ok"
                self._devices[str(event.kind)] = f"{what} {'✓' if ok else '✗'}"
            if event.kind != Kind.CUE:
                self.log.insertItem(0, f"{mmss(event.t)}  {describe(event)}")
        while self.log.count() > 300:
            self.log.takeItem(self.log.count() - 1)
        self.refresh()

    def refresh(self) -> None:
        state = self.room.state
        t = self.room.clock.now()
        phase = state.phase
        self.phase_label.setText(str(self.committed_phase).capitalize())
        self.emergency_label.setVisible(state.emergency)
        self.alarm_banner.refresh()
        self.vitals.refresh()
        if phase in (Phase.INFUSING, Phase.PAUSED):
            self.timer_label.setText(mmss(state.infusion_elapsed(t)))
            paused = " · PAUSED" if phase == Phase.PAUSED else ""
            self.timer_sub.setText(
                f"of {mmss(state.planned_s)} planned · {mmss(state.infusion_remaining(t))} "
                f"remaining{paused}"
            )
        elif phase == Phase.RECOVERING:
            self.timer_label.setText(mmss(state.recovery_elapsed(t)))
            minimum = self.room.config.recovery.minimum_minutes * 60
            ready = " · discharge-ready" if state.discharge_ready_t is not None else ""
            self.timer_sub.setText(
                f"since infusion end · minimum {mmss(minimum)} · "
                f"{len(state.recovery_checks)} checks{ready}"
            )
        elif phase == Phase.PREPARING:
            started = state.preparing_started_t
            self.timer_label.setText(mmss(t - (started if started is not None else t)))
            self.timer_sub.setText(f"preparing · planned infusion {state.planned_minutes:g} min")
        else:
            self.timer_label.setText("--:--")
            self.timer_sub.setText(f"planned infusion {state.planned_minutes:g} min")
        devices = [f"{k.capitalize()}: {v}" for k, v in sorted(self._devices.items())]
        self.devices_label.setText("   ".join(devices) or "Devices: waiting for the session")
        live = state.live
        self.start_button.setText("Start infusion" if phase == Phase.PREPARING else "Start session")
        self.start_button.setEnabled(
            phase == Phase.READY or (phase == Phase.PREPARING and self.checklist_done())
        )
        self.checklist_card.setVisible(phase in (Phase.READY, Phase.PREPARING))
        recovering = phase in (Phase.RECOVERING, Phase.DISCHARGED)
        wanted = self._recovery_page if recovering else self._live_page
        self.cards.setVisible(not recovering)  # the recovery form needs the height
        if self.middle.currentWidget() is not wanted:
            self.middle.setCurrentWidget(wanted)
        self.pause_button.setText("Resume" if phase == Phase.PAUSED else "Pause")
        self.pause_button.setEnabled(phase in (Phase.INFUSING, Phase.PAUSED))
        can_extend = phase in (Phase.INFUSING, Phase.PAUSED)
        room_left = MAX_INFUSION_MINUTES - state.planned_minutes
        self.extend5_button.setEnabled(can_extend and room_left >= 5)
        self.extend10_button.setEnabled(can_extend and room_left >= 10)
        self.end_button.setEnabled(phase in (Phase.INFUSING, Phase.PAUSED))
        self.check_button.setEnabled(phase == Phase.RECOVERING)
        self.discharge_button.setEnabled(
            phase == Phase.RECOVERING and state.discharge_ready_t is not None
        )
        self.emergency_button.setEnabled(live)
        self.exam_button.setEnabled(live)
        self.emergency_button.setText("End emergency" if state.emergency else "Emergency")
        gates = {
            Action.START_SESSION: [self.start_button],
            Action.PAUSE_EXTEND: [self.pause_button, self.extend5_button, self.extend10_button],
            Action.END_INFUSION: [self.end_button],
            Action.RECOVERY_CHECK: [self.check_button],
            Action.DISCHARGE: [self.discharge_button],
            Action.EMERGENCY: [self.emergency_button],
            Action.EXAM_LIGHT: [self.exam_button],
        }
        for action, buttons in gates.items():
            if not allowed(self.role, action):
                for button in buttons:
                    button.setEnabled(False)
