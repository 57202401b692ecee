"""The nurse console (minimal): the phase, a large infusion timer, and the buttons that run a
session: Start, Pause/Resume, Extend, End infusion, Recovery check, Discharge, Emergency.

It only talks to the Room. What it shows as done comes from *committed* events, so a device
confirmation or a phase change is never shown before it is on the durable timeline.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from roomctl.config import MAX_INFUSION_MINUTES
from roomctl.recovery import ALDRETE_ITEMS
from roomctl.roles import Action, Role, allowed
from roomctl.room import Room
from roomctl.session import Phase, TransitionError
from roomctl.timeline.events import Event, Kind
from ui.alarm_banner import AlarmBanner
from ui.vital_tiles import VitalTiles

Confirm = Callable[[str, str], bool]


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


class RecoveryCheckDialog(QDialog):
    """Modified Aldrete items (0-2 each) and MOAA/S (0-5)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recovery check")
        form = QFormLayout(self)
        self.items: dict[str, QComboBox] = {}
        for name in ALDRETE_ITEMS:
            box = QComboBox()
            box.addItems(["0", "1", "2"])
            box.setCurrentIndex(2)
            self.items[name] = box
            form.addRow(f"Aldrete · {name}", box)
        self.moaas = QComboBox()
        self.moaas.addItems([str(i) for i in range(6)])
        self.moaas.setCurrentIndex(5)
        form.addRow("MOAA/S", self.moaas)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[dict[str, int], int]:
        return (
            {name: box.currentIndex() for name, box in self.items.items()},
            self.moaas.currentIndex(),
        )


class NurseConsole(QWidget):
    def __init__(self, room: Room, *, confirm: Confirm | None = None) -> None:
        super().__init__()
        self.room = room
        self.role: Role | None = Role.NURSE
        self._confirm = confirm or ask(self)
        self.committed_phase = room.state.phase
        self._build()
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
        outer.setContentsMargins(24, 20, 24, 20)
        outer.setSpacing(16)

        header = QHBoxLayout()
        self.phase_label = QLabel()
        self.phase_label.setObjectName("phase")
        self.emergency_label = QLabel("EMERGENCY — bedside monitor alarms are primary")
        self.emergency_label.setObjectName("emergency")
        self.emergency_label.hide()
        header.addWidget(self.phase_label)
        header.addStretch(1)
        header.addWidget(self.emergency_label)
        outer.addLayout(header)
        self.alarm_banner = AlarmBanner(self.room)
        outer.addWidget(self.alarm_banner)

        card = QFrame()
        card.setObjectName("card")
        timer_box = QVBoxLayout(card)
        self.timer_label = QLabel()
        self.timer_label.setObjectName("timer")
        self.timer_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.timer_sub = QLabel()
        self.timer_sub.setObjectName("subtle")
        self.timer_sub.setAlignment(Qt.AlignmentFlag.AlignCenter)
        timer_box.addWidget(self.timer_label)
        timer_box.addWidget(self.timer_sub)
        outer.addWidget(card)

        self.vitals = VitalTiles(self.room)
        outer.addWidget(self.vitals)

        self.devices_label = QLabel()
        self.devices_label.setObjectName("subtle")
        outer.addWidget(self.devices_label)

        grid = QGridLayout()
        grid.setSpacing(12)
        self.start_button = self._button("Start session", self.start, "primary")
        self.pause_button = self._button("Pause", self.toggle_pause)
        self.extend5_button = self._button("Extend +5", lambda: self.extend(5))
        self.extend10_button = self._button("Extend +10", lambda: self.extend(10))
        self.end_button = self._button("End infusion", self.end_infusion)
        self.check_button = self._button("Recovery check…", self.open_check)
        self.discharge_button = self._button("Discharge", self.discharge)
        self.emergency_button = self._button("Emergency", self.toggle_emergency, "danger")
        self.exam_button = self._button("Exam light", lambda: None)
        self.exam_button.pressed.connect(lambda: self._do(lambda: self.room.exam_light(True)))
        self.exam_button.released.connect(lambda: self._do(lambda: self.room.exam_light(False)))
        buttons = [
            self.start_button,
            self.pause_button,
            self.extend5_button,
            self.extend10_button,
            self.end_button,
            self.check_button,
            self.discharge_button,
            self.exam_button,
            self.emergency_button,
        ]
        for i, button in enumerate(buttons):
            grid.addWidget(button, i // 5, i % 5)
        outer.addLayout(grid)

        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        outer.addWidget(self.problem_label)

        self.log = QListWidget()
        outer.addWidget(self.log, 1)
        footer = QLabel(
            "Advisory only: roomctl never controls the pump or the monitor; "
            "the bedside monitor's alarms are primary."
        )
        footer.setObjectName("subtle")
        outer.addWidget(footer)
        self._devices: dict[str, str] = {}

    def set_role(self, role: Role | None) -> None:
        """Offer only what ``role`` may do (roomctl/roles.py); the rest stays visible, disabled."""
        self.role = role
        self.refresh()

    def close(self) -> bool:
        self._tick.stop()
        self.room.unsubscribe(self._on_committed)
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
        else:
            self._do(self.room.start_infusion)

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
        dialog = RecoveryCheckDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            items, moaas = dialog.values()
            self.submit_check(items, moaas)

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
            self.timer_label.setText(mmss(t - (state.preparing_started_t or t)))
            self.timer_sub.setText(f"preparing · planned infusion {state.planned_minutes:g} min")
        else:
            self.timer_label.setText("--:--")
            self.timer_sub.setText(f"planned infusion {state.planned_minutes:g} min")
        devices = [f"{k.capitalize()}: {v}" for k, v in sorted(self._devices.items())]
        self.devices_label.setText("   ".join(devices) or "Devices: waiting for the session")
        live = state.live
        self.start_button.setText("Start infusion" if phase == Phase.PREPARING else "Start session")
        self.start_button.setEnabled(phase in (Phase.READY, Phase.PREPARING))
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
