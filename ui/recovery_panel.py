"""The recovery screen: time since the infusion ended, the next check due, the check form
(MOAA/S, the five modified Aldrete items with their points, BP and HR from the monitor beside the
baseline, nausea and dizziness), the checks done, discharge-readiness with what still blocks it,
the discharge checklist, Discharge, and the intervals from infusion end.

The panel suggests what the feed implies (circulation from BP against baseline, the SpO2 item
from the saturation) but never scores for the nurse: every Aldrete item and MOAA/S must be
chosen by hand before a check can be recorded. What the Room decides (the total, passed,
discharge-ready) is shown from the Room's state and events, never recomputed here.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roomctl.recovery import ALDRETE_ITEMS, CheckError
from roomctl.roles import Action, Role, allowed
from roomctl.room import Room
from roomctl.session import Phase, TransitionError, discharge_blockers
from roomctl.timeline.events import Event, Kind
from ui.room_link import Stoppable, listen
from ui.theme import ACCENT, MUTED, OK, SURFACE, TEXT, WARNING
from ui.touch import TouchCheckBox

Confirm = Callable[[str, str], bool]

#: Each Aldrete item's levels, best first: (points, what the nurse sees).
ALDRETE_LEVELS: dict[str, tuple[tuple[int, str], ...]] = {
    "activity": ((2, "Moves 4 limbs"), (1, "Moves 2 limbs"), (0, "Moves none")),
    "respiration": ((2, "Deep breath, coughs"), (1, "Shallow / dyspnoea"), (0, "Apnoeic")),
    "circulation": ((2, "BP within 20 %"), (1, "BP off 20–49 %"), (0, "BP off ≥50 %")),
    "consciousness": ((2, "Fully awake"), (1, "Rousable on calling"), (0, "Not responding")),
    "spo2": ((2, ">92 % on air"), (1, "Needs O2 for >90 %"), (0, "<90 % even on O2")),
}
ALDRETE_NAMES = {
    "activity": "Activity",
    "respiration": "Respiration",
    "circulation": "Circulation",
    "consciousness": "Consciousness",
    "spo2": "O2 saturation",
}
MOAAS_LEVELS = (
    (5, "Responds readily to name"),
    (4, "Lethargic response to name"),
    (3, "Only to loud name"),
    (2, "Only to prodding or shaking"),
    (1, "Only to trapezius squeeze"),
    (0, "No response to squeeze"),
)
SYMPTOM_LEVELS = ("none", "mild", "moderate", "severe")
CHECKLIST = (
    ("escort_present", "Escort present to take the patient home"),
    ("no_driving", "Told: no driving or machinery today"),
)
#: A chosen level must be unmistakable in a dim room; a disabled one still readable.
CHOICE_CSS = f"""
QPushButton {{ min-width: 0px; min-height: 48px; padding: 2px 6px; font-size: 13px; }}
QPushButton:checked {{
    background: #4a3a1e; border: 2px solid {ACCENT}; color: #f0dcb8;
}}
QPushButton:checked:disabled {{ background: #262118; border-color: #4f4330; color: #8a7a5a; }}
"""
#: A BP or HR reading older than this (session minutes) is not offered as the check's value.
PREFILL_MAX_AGE_MIN = 15.0


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def suggest_circulation(bp_sys: float | None, baseline_sys: float | None) -> int | None:
    """The Aldrete circulation item from systolic BP against baseline: within 20 % → 2,
    20-49 % → 1, 50 % or more → 0; None when either number is missing."""
    if bp_sys is None or not baseline_sys:
        return None
    change = abs(bp_sys - baseline_sys) / baseline_sys
    if change <= 0.20:
        return 2
    return 1 if change < 0.50 else 0


def suggest_spo2(spo2: float | None, on_oxygen: bool) -> int | None:
    """The Aldrete saturation item: >92 % on air → 2; kept above 90 % (with O2, or 90-92 on
    air, which needs it) → 1; under 90 % → 0. None without a reading."""
    if spo2 is None:
        return None
    if spo2 < 90:
        return 0
    return 2 if spo2 > 92 and not on_oxygen else 1


def next_check_due(ended_t: float, check_times: list[float], every_s: float) -> float:
    """When the next check is due: ``every_s`` after the last one (or after infusion end)."""
    return max([ended_t, *check_times]) + every_s


def restyle(widget: QWidget, css: str) -> None:
    """Set a style sheet only when it changes: re-polishing every second costs the GUI."""
    if widget.styleSheet() != css:
        widget.setStyleSheet(css)


def ask(parent: QWidget) -> Confirm:
    def confirm(title: str, text: str) -> bool:
        answer = QMessageBox.question(parent, title, text)
        return answer == QMessageBox.StandardButton.Yes

    return confirm


class Choice(QWidget):
    """A row (or grid) of large toggle buttons, one per level; nothing chosen until tapped."""

    def __init__(
        self,
        levels: tuple[tuple[Any, str], ...],
        *,
        columns: int | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self.setStyleSheet(CHOICE_CSS)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(6)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: dict[Any, QPushButton] = {}
        columns = columns or len(levels)
        for i, (value, text) in enumerate(levels):
            # Level texts are long ("Responds readily to name spoken in normal tone"): wrapped
            # onto lines so a gloved nurse reads the whole level, not its middle.
            button = QPushButton(textwrap.fill(text.replace(" · ", " "), width=14))
            button.setToolTip(text)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.group.addButton(button, i)
            self.buttons[value] = button
            grid.addWidget(button, i // columns, i % columns)
        for column in range(columns):
            grid.setColumnStretch(column, 1)  # equal widths: the levels line up row under row
        if on_change is not None:
            self.group.buttonToggled.connect(lambda *_: on_change())
        self.suggested: Any = None

    def value(self) -> Any:
        for value, button in self.buttons.items():
            if button.isChecked():
                return value
        return None

    def choose(self, value: Any) -> None:
        self.buttons[value].setChecked(True)

    def clear(self) -> None:
        self.group.setExclusive(False)
        for button in self.buttons.values():
            button.setChecked(False)
        self.group.setExclusive(True)

    def suggest(self, value: Any) -> None:
        """Outline the level the feed implies (the nurse still taps it)."""
        if value == self.suggested:
            return
        self.suggested = value
        for level, button in self.buttons.items():
            button.setStyleSheet(
                f"QPushButton {{ border: 2px dashed {ACCENT}; }}"
                f" QPushButton:checked {{ border: 2px solid {ACCENT}; }}"
                if level == value
                else ""
            )


@dataclass
class CheckRow:
    """One check as the table shows it (details only for checks seen as events)."""

    n: int
    t: float
    aldrete: int | None
    passed: bool
    data: dict[str, Any]


def _card(parent_layout: QVBoxLayout, stretch: int = 0) -> QVBoxLayout:
    """A themed card added to ``parent_layout``; returns the card's own layout."""
    frame = QFrame()
    frame.setObjectName("card")
    box = QVBoxLayout(frame)
    box.setContentsMargins(16, 12, 16, 12)
    box.setSpacing(8)
    parent_layout.addWidget(frame, stretch)
    return box


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("subtle")
    label.setStyleSheet(f"color: {MUTED}; font-size: 15px; letter-spacing: 1px;")
    return label


class RecoveryPanel(Stoppable, QWidget):
    """Recovery for the nurse; read-only for every other role (``set_role`` changes it)."""

    def __init__(self, room: Room, role: Role | None, *, confirm: Confirm | None = None) -> None:
        super().__init__()
        self.room = room
        self.role = role
        self._confirm = confirm or ask(self)
        self.details: dict[int, dict[str, Any]] = {}
        self.discharged_t: float | None = None
        self._prefilled: dict[str, float] = {}
        self._typed: set[str] = set()
        self._filling = False
        self._built = False
        self.can_check = self.can_discharge = False
        self._build()
        self._built = True
        listen(room, self, self._on_event)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(1000)
        self.set_role(role)

    # ------------------------------------------------------------------ layout

    def _build(self) -> None:
        outer = QHBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(14)
        left = QVBoxLayout()
        right = QVBoxLayout()
        outer.addLayout(left, 2)
        outer.addLayout(right, 1)
        self._build_form(_card(left, 0))
        self._build_checks(_card(left, 1))
        self._build_clock(_card(right, 0))
        self._build_discharge(_card(right, 1))
        self.submit_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        self.submit_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.submit_shortcut.activated.connect(self.submit)
        self.discharge_shortcut = QShortcut(QKeySequence("Ctrl+Shift+D"), self)
        self.discharge_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.discharge_shortcut.activated.connect(self.discharge)

    def _build_clock(self, box: QVBoxLayout) -> None:
        box.addWidget(_heading("SINCE INFUSION END"))
        self.since_label = QLabel("--:--")
        self.since_label.setObjectName("timer")
        self.since_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.minimum_label = QLabel()
        self.minimum_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.next_check_label = QLabel()
        self.next_check_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        restyle(self.next_check_label, "font-size: 20px;")
        for label in (self.since_label, self.minimum_label, self.next_check_label):
            box.addWidget(label)

    def _build_form(self, box: QVBoxLayout) -> None:
        top = QHBoxLayout()
        top.addWidget(_heading("RECOVERY CHECK"))
        top.addStretch(1)
        self.readonly_label = QLabel("Read-only: a nurse records checks and discharges")
        self.readonly_label.setStyleSheet(f"color: {WARNING};")
        top.addWidget(self.readonly_label)
        box.addLayout(top)

        grid = QGridLayout()
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(6)
        grid.setColumnStretch(1, 1)
        row = 0
        grid.addWidget(self._name("MOAA/S"), row, 0, Qt.AlignmentFlag.AlignTop)
        moaas_levels = tuple((v, f"{v} · {text}") for v, text in MOAAS_LEVELS)
        self.moaas = Choice(moaas_levels, columns=3, on_change=self._form_changed)
        grid.addWidget(self.moaas, row, 1, 1, 2)
        row += 1
        self.aldrete: dict[str, Choice] = {}
        self.hints: dict[str, QLabel] = {}
        # Whether the patient breathes oxygen decides the SpO2 item: asked right beside it.
        self.on_oxygen = TouchCheckBox("On O2")
        self.on_oxygen.toggled.connect(self._form_changed)
        for name in ALDRETE_ITEMS:
            levels = tuple((p, f"{p} · {text}") for p, text in ALDRETE_LEVELS[name])
            choice = Choice(levels, on_change=self._form_changed)
            self.aldrete[name] = choice
            hint = QLabel()
            hint.setObjectName("subtle")
            hint.setWordWrap(True)
            self.hints[name] = hint
            cell = QWidget()
            cell.setObjectName("hintCell")
            cell.setStyleSheet("QWidget#hintCell { background: transparent; }")
            cell.setMinimumWidth(170)
            cell_box = QVBoxLayout(cell)
            cell_box.setContentsMargins(0, 0, 0, 0)
            cell_box.setSpacing(0)
            if name == "spo2":
                cell_box.addWidget(self.on_oxygen)
            cell_box.addWidget(hint)
            grid.addWidget(self._name(ALDRETE_NAMES[name]), row, 0)
            grid.addWidget(choice, row, 1)
            grid.addWidget(cell, row, 2)
            row += 1

        vitals = QHBoxLayout()
        vitals.setSpacing(10)
        self.bp_sys = self._spin(0, 300)
        self.bp_dia = self._spin(0, 200)
        self.hr = self._spin(0, 250)
        vitals.addWidget(QLabel("BP"))
        vitals.addWidget(self.bp_sys)
        vitals.addWidget(QLabel("/"))
        vitals.addWidget(self.bp_dia)
        vitals.addSpacing(16)
        vitals.addWidget(QLabel("HR"))
        vitals.addWidget(self.hr)
        self.vitals_note = QLabel()
        self.vitals_note.setObjectName("subtle")
        self.vitals_note.setWordWrap(True)
        vitals.addWidget(self.vitals_note, 1)
        grid.addWidget(self._name("Vitals"), row, 0)
        grid.addLayout(vitals, row, 1, 1, 2)
        row += 1
        self.nausea = Choice(tuple((s, s) for s in SYMPTOM_LEVELS), on_change=self._form_changed)
        self.dizziness = Choice(tuple((s, s) for s in SYMPTOM_LEVELS), on_change=self._form_changed)
        for label, choice in (("Nausea", self.nausea), ("Dizziness", self.dizziness)):
            choice.choose("none")
            grid.addWidget(self._name(label), row, 0)
            grid.addWidget(choice, row, 1)
            row += 1
        box.addLayout(grid)

        bottom = QHBoxLayout()
        self.total_label = QLabel()
        restyle(self.total_label, "font-size: 24px; font-weight: bold;")
        self.submit_button = QPushButton("Record check  (Ctrl+Enter)")
        self.submit_button.setObjectName("primary")
        self.submit_button.clicked.connect(self.submit)
        bottom.addWidget(self.total_label, 1)
        bottom.addWidget(self.submit_button)
        box.addLayout(bottom)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        self.problem_label.setWordWrap(True)
        box.addWidget(self.problem_label)

    def _build_checks(self, box: QVBoxLayout) -> None:
        box.addWidget(_heading("CHECKS DONE"))
        columns = ["#", "After end", "Aldrete", "MOAA/S", "BP", "HR", "Nausea", "Dizzy", ""]
        self.table = QTableWidget(0, len(columns))
        self.table.setHorizontalHeaderLabels(columns)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setStyleSheet(
            f"QTableWidget {{ background: {SURFACE}; border: none; gridline-color: #2a2e34;"
            f" font-size: 17px; }}"
            f" QHeaderView::section {{ background: {SURFACE}; color: {MUTED}; border: none;"
            f" padding: 4px; font-size: 14px; }}"
        )
        self.table.setMinimumHeight(140)
        box.addWidget(self.table)

    def _build_discharge(self, box: QVBoxLayout) -> None:
        box.addWidget(_heading("DISCHARGE"))
        self.ready_label = QLabel()
        self.ready_label.setWordWrap(True)
        self.blockers_label = QLabel()
        self.blockers_label.setWordWrap(True)
        box.addWidget(self.ready_label)
        box.addWidget(self.blockers_label)
        self.checklist: dict[str, QCheckBox] = {}
        for key, text in CHECKLIST:
            tick = TouchCheckBox(text)
            tick.toggled.connect(self.refresh)
            self.checklist[key] = tick
            box.addWidget(tick)
        self.discharge_button = QPushButton("Discharge  (Ctrl+Shift+D)")
        self.discharge_button.setObjectName("primary")
        self.discharge_button.clicked.connect(self.discharge)
        box.addWidget(self.discharge_button)
        box.addSpacing(8)
        box.addWidget(_heading("INTERVALS FROM INFUSION END"))
        self.ready_interval = QLabel()
        self.discharged_interval = QLabel()
        for label in (self.ready_interval, self.discharged_interval):
            label.setStyleSheet("font-size: 20px;")
            box.addWidget(label)
        box.addStretch(1)

    def _name(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setStyleSheet("font-size: 17px; font-weight: bold;")
        label.setMinimumWidth(130)
        return label

    def _spin(self, low: int, high: int) -> QSpinBox:
        spin = QSpinBox()
        spin.setRange(low, high)
        spin.setSpecialValueText("—")  # the minimum (0) means "not measured"
        spin.setMinimumWidth(90)
        spin.setMinimumHeight(48)
        spin.setAlignment(Qt.AlignmentFlag.AlignRight)
        spin.setStyleSheet("font-size: 20px;")
        spin.valueChanged.connect(lambda _v, s=spin: self._typed_into(s))
        return spin

    # ------------------------------------------------------------------ role

    def set_role(self, role: Role | None) -> None:
        self.role = role
        self.can_check = allowed(role, Action.RECOVERY_CHECK)
        self.can_discharge = allowed(role, Action.DISCHARGE)
        self.readonly_label.setVisible(not (self.can_check and self.can_discharge))
        self.refresh()

    def stop(self) -> None:
        super().stop()
        self.timer.stop()

    # ------------------------------------------------------------------ the form

    def _typed_into(self, spin: QSpinBox) -> None:
        if not self._filling:
            self._typed.add(self._spin_key(spin))
        self._form_changed()

    def _spin_key(self, spin: QSpinBox) -> str:
        return {id(self.bp_sys): "nibp_sys", id(self.bp_dia): "nibp_dia", id(self.hr): "hr"}[
            id(spin)
        ]

    def items(self) -> dict[str, int | None]:
        return {name: choice.value() for name, choice in self.aldrete.items()}

    def _form_changed(self) -> None:
        if not self._built:
            return
        items = self.items()
        total = sum(v for v in items.values() if v is not None)
        missing = [ALDRETE_NAMES[k] for k, v in items.items() if v is None]
        threshold = self.room.config.recovery.discharge_aldrete
        if missing or self.moaas.value() is None:
            left = len(missing) + (self.moaas.value() is None)
            self.total_label.setText(f"Aldrete {total} so far · {left} to choose")
            restyle(self.total_label, f"font-size: 24px; font-weight: bold; color: {MUTED};")
        else:
            passing = total >= threshold
            verdict = "passes" if passing else f"below {threshold}"
            self.total_label.setText(f"Aldrete {total} / 10 · {verdict}")
            colour = OK if passing else WARNING
            restyle(self.total_label, f"font-size: 24px; font-weight: bold; color: {colour};")
        self._suggest()
        self._enable()

    def _reading(self, channel: str) -> tuple[float, float] | None:
        """(value, age in session seconds) of a recent reading, else None."""
        reading = self.room.monitoring.latest.get(channel)
        if reading is None:
            return None
        age = self.room.clock.now() - reading[0]
        return (reading[1], age) if age <= PREFILL_MAX_AGE_MIN * 60 else None

    def prefill(self) -> None:
        """BP and HR from the monitor's latest readings, unless the nurse typed over them."""
        self._filling = True
        try:
            for key, spin in (
                ("nibp_sys", self.bp_sys),
                ("nibp_dia", self.bp_dia),
                ("hr", self.hr),
            ):
                reading = self._reading(key)
                if key in self._typed or reading is None:
                    continue
                if self._prefilled.get(key) != reading[0]:
                    spin.setValue(round(reading[0]))
                    self._prefilled[key] = reading[0]
        finally:
            self._filling = False
        self._vitals_note()

    def _vitals_note(self) -> None:
        baseline = self.room.state.baseline
        parts = []
        if "nibp_sys" in baseline:
            base = f"{baseline['nibp_sys']:.0f}/{baseline.get('nibp_dia', 0):.0f}"
            sys_now = self.bp_sys.value()
            change = (
                f" ({(sys_now - baseline['nibp_sys']) / baseline['nibp_sys']:+.0%})"
                if sys_now
                else ""
            )
            parts.append(f"baseline BP {base}{change}")
        if "hr" in baseline:
            parts.append(f"HR {baseline['hr']:.0f}")
        cuff = self._reading("nibp_sys")
        if cuff is not None and "nibp_sys" not in self._typed:
            parts.append(f"cuff {int(cuff[1]) // 60} min ago")
        self.vitals_note.setText(" · ".join(parts) or "no baseline recorded")

    def _suggest(self) -> None:
        baseline = self.room.state.baseline.get("nibp_sys")
        sys_now = self.bp_sys.value() or None
        circulation = suggest_circulation(sys_now, baseline)
        self.aldrete["circulation"].suggest(circulation)
        self.hints["circulation"].setText(
            f"suggested {circulation}: {sys_now} vs baseline {baseline:.0f}"
            if circulation is not None and baseline
            else "no BP or baseline to compare"
        )
        spo2 = self._reading("spo2")
        suggestion = suggest_spo2(None if spo2 is None else spo2[0], self.on_oxygen.isChecked())
        self.aldrete["spo2"].suggest(suggestion)
        self.hints["spo2"].setText(
            f"suggested {suggestion}: SpO2 {spo2[0]:.0f} %"
            if spo2 is not None and suggestion is not None
            else "no SpO2 reading"
        )

    def reset_form(self) -> None:
        for choice in (*self.aldrete.values(), self.moaas):
            choice.clear()
        self.nausea.choose("none")
        self.dizziness.choose("none")  # oxygen stays as it was: the patient is still on it
        self._typed.clear()
        self._prefilled.clear()
        self.prefill()
        self._form_changed()

    def observations(self) -> dict[str, Any]:
        """What the check records beside the scores (left out when not measured)."""
        data: dict[str, Any] = {
            "nausea": self.nausea.value() or "none",
            "dizziness": self.dizziness.value() or "none",
            "on_oxygen": self.on_oxygen.isChecked(),
        }
        for key, spin in (("bp_sys", self.bp_sys), ("bp_dia", self.bp_dia), ("hr", self.hr)):
            if spin.value():
                data[key] = spin.value()
        spo2 = self._reading("spo2")
        if spo2 is not None:
            data["spo2"] = round(spo2[0], 1)
        return data

    def submit(self) -> None:
        if not self.submit_button.isEnabled():
            return
        items = self.items()
        moaas = self.moaas.value()
        if moaas is None or any(v is None for v in items.values()):
            self.problem_label.setText("Choose MOAA/S and every Aldrete item first")
            return
        scores = {k: int(v) for k, v in items.items() if v is not None}
        try:
            self.room.recovery_check(
                aldrete=scores, moaas=moaas, by=str(self.role), **self.observations()
            )
        except (TransitionError, CheckError) as exc:
            self.problem_label.setText(str(exc))
            return
        self.problem_label.clear()
        self.reset_form()
        self.refresh()

    # ------------------------------------------------------------------ discharge

    def blockers(self) -> list[str]:
        """Why Discharge is not offered: the Room's reasons, then the checklist's."""
        state = self.room.state
        reasons = discharge_blockers(
            state, self.room.clock.now(), self.room.config.recovery.minimum_minutes
        )
        if state.phase == Phase.RECOVERING:
            reasons += [
                f"tick: {text}" for key, text in CHECKLIST if not self.checklist[key].isChecked()
            ]
        return reasons

    def discharge(self) -> None:
        if not self.discharge_button.isEnabled():
            return
        if not self._confirm("Discharge", "Discharge the patient now? The session ends."):
            return
        try:
            self.room.note(
                "Discharge checklist: " + "; ".join(text for _, text in CHECKLIST),
                tags=("discharge_checklist",),
                by=str(self.role),
            )
            self.room.discharge(by=str(self.role))
        except TransitionError as exc:
            self.problem_label.setText(str(exc))
        self.refresh()

    # ------------------------------------------------------------------ display

    def replay(self, events: list[Event]) -> None:
        """Catch up on a resumed session's past checks and discharge (the store's events)."""
        for event in events:
            if event.kind == Kind.RECOVERY and event.data.get("milestone") == "check":
                self.details[int(event.data.get("n", 0))] = dict(event.data)
            elif event.kind == Kind.RECOVERY and event.data.get("milestone") == "discharged":
                self.discharged_t = event.t
        self.table.setRowCount(0)  # redrawn with the details now known
        self.refresh()

    def _on_event(self, event: Event) -> None:
        if event.kind == Kind.RECOVERY:
            milestone = event.data.get("milestone")
            if milestone == "check":
                self.details[int(event.data.get("n", 0))] = dict(event.data)
            elif milestone == "discharged":
                self.discharged_t = event.t
            elif milestone == "recovery_start":
                self.reset_form()
            self.refresh()
        elif event.kind == Kind.PHASE:
            self.refresh()

    def rows(self) -> list[CheckRow]:
        return [
            CheckRow(n, check.t, check.aldrete, check.passed, self.details.get(n, {}))
            for n, check in enumerate(self.room.state.recovery_checks, start=1)
        ]

    def _show_checks(self) -> None:
        rows = self.rows()
        ended = self.room.state.infusion_ended_t or 0.0
        if self.table.rowCount() == len(rows):
            return  # checks only ever add up; nothing new to draw
        self.table.setRowCount(len(rows))
        for i, row in enumerate(reversed(rows)):
            d = row.data
            bp = f"{d['bp_sys']}/{d.get('bp_dia', '—')}" if "bp_sys" in d else "—"
            cells = [
                str(row.n),
                mmss(row.t - ended),
                "—" if row.aldrete is None else f"{row.aldrete}",
                str(d.get("moaas", "—")) if d.get("moaas") is not None else "—",
                bp,
                str(d.get("hr", "—")),
                str(d.get("nausea", "—")),
                str(d.get("dizziness", "—")),
                "passed" if row.passed else "not passed",
            ]
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if col == len(cells) - 1:
                    item.setForeground(QColor(OK if row.passed else WARNING))
                self.table.setItem(i, col, item)
            self.table.setRowHeight(i, 40)

    def refresh(self) -> None:
        state = self.room.state
        now = self.room.clock.now()
        recovery = self.room.config.recovery
        recovering = state.phase == Phase.RECOVERING
        ended = state.infusion_ended_t
        if ended is None:
            self.since_label.setText("--:--")
            self.minimum_label.setText("Recovery starts when the infusion ends")
            self.next_check_label.setText("")
        else:
            until = self.discharged_t if self.discharged_t is not None else now
            if state.phase == Phase.DISCHARGED and self.discharged_t is None:
                until = state.phase_started_t
            since = until - ended
            self.since_label.setText(mmss(since))
            minimum_s = recovery.minimum_minutes * 60.0
            if since >= minimum_s:
                self.minimum_label.setText(f"Minimum {mmss(minimum_s)} reached")
                restyle(self.minimum_label, f"color: {OK}; font-size: 17px;")
            else:
                self.minimum_label.setText(
                    f"Minimum {mmss(minimum_s)} · {mmss(minimum_s - since)} to go"
                )
                restyle(self.minimum_label, f"color: {MUTED}; font-size: 17px;")
            self._next_check(now, ended)
        self._show_checks()
        self._show_discharge(now)
        if recovering:
            self.prefill()
        self._enable()

    def _next_check(self, now: float, ended: float) -> None:
        if self.room.state.phase != Phase.RECOVERING:
            self.next_check_label.setText("")
            return
        every_s = self.room.config.recovery.check_every_minutes * 60.0
        due = next_check_due(ended, [c.t for c in self.room.state.recovery_checks], every_s)
        if now >= due:
            self.next_check_label.setText(f"Check due · {mmss(now - due)} overdue")
            restyle(self.next_check_label, f"font-size: 20px; color: {ACCENT};")
        else:
            self.next_check_label.setText(f"Next check in {mmss(due - now)}")
            restyle(self.next_check_label, f"font-size: 20px; color: {TEXT};")

    def _show_discharge(self, now: float) -> None:
        state = self.room.state
        ended = state.infusion_ended_t
        if state.phase == Phase.DISCHARGED:
            self.ready_label.setText("Discharged")
            restyle(self.ready_label, f"font-size: 26px; font-weight: bold; color: {OK};")
        elif state.discharge_ready_t is not None:
            self.ready_label.setText("Discharge-ready")
            restyle(self.ready_label, f"font-size: 26px; font-weight: bold; color: {OK};")
        else:
            self.ready_label.setText("Not yet discharge-ready")
            restyle(self.ready_label, f"font-size: 26px; font-weight: bold; color: {MUTED};")
        blockers = self.blockers() if state.phase == Phase.RECOVERING else []
        self.blockers_label.setText("\n".join(f"• {b}" for b in blockers))
        restyle(self.blockers_label, f"color: {MUTED}; font-size: 16px;")
        ready_s = (
            None
            if ended is None or state.discharge_ready_t is None
            else (state.discharge_ready_t - ended)
        )
        discharged_t = self.discharged_t
        if discharged_t is None and state.phase == Phase.DISCHARGED:
            discharged_t = state.phase_started_t
        out_s = None if ended is None or discharged_t is None else discharged_t - ended
        self.ready_interval.setText(
            f"→ discharge-ready  {mmss(ready_s) if ready_s is not None else '—'}"
        )
        self.discharged_interval.setText(
            f"→ discharged  {mmss(out_s) if out_s is not None else '—'}"
        )

    def _enable(self) -> None:
        state = self.room.state
        recovering = state.phase == Phase.RECOVERING
        form_on = recovering and self.can_check
        for choice in (*self.aldrete.values(), self.moaas, self.nausea, self.dizziness):
            choice.setEnabled(form_on)
        for widget in (self.on_oxygen, self.bp_sys, self.bp_dia, self.hr):
            widget.setEnabled(form_on)
        complete = self.moaas.value() is not None and all(
            v is not None for v in self.items().values()
        )
        self.submit_button.setEnabled(form_on and complete)
        self.total_label.setVisible(form_on)  # a running total only while one is being scored
        for tick in self.checklist.values():
            tick.setEnabled(recovering and self.can_discharge)
        self.discharge_button.setEnabled(recovering and self.can_discharge and not self.blockers())
