"""The alarm banner: the most urgent advisory alarm, in its priority's colour with its
``***``/``**``/``*`` prefix, how many others are showing, Acknowledge, and Pause audio with its
countdown. Hidden when nothing is showing. Reads the Room's alarm engine; acts through the Room.
"""

from __future__ import annotations

import contextlib

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton

from roomctl.alarms import Priority
from roomctl.room import Room
from roomctl.session import TransitionError
from ui.theme import DANGER, SURFACE, WARNING

COLOURS = {Priority.HIGH: DANGER, Priority.MEDIUM: WARNING, Priority.LOW: "#4f7d8a"}


class AlarmBanner(QFrame):
    def __init__(self, room: Room) -> None:
        super().__init__()
        self.room = room
        self.setObjectName("alarmBanner")
        row = QHBoxLayout(self)
        row.setContentsMargins(14, 6, 8, 6)
        self.text = QLabel()
        self.text.setObjectName("alarmText")
        self.others = QLabel()
        self.acknowledge_button = QPushButton("Acknowledge")
        self.acknowledge_button.clicked.connect(self.acknowledge)
        self.pause_button = QPushButton("Pause audio")
        self.pause_button.clicked.connect(self.pause_audio)
        row.addWidget(self.text, 1)
        row.addWidget(self.others)
        row.addWidget(self.acknowledge_button)
        row.addWidget(self.pause_button)
        self.top_id: str | None = None
        self.refresh()

    def acknowledge(self) -> None:
        if self.top_id is not None:
            # It may have cleared between the paint and the press: nothing to do then.
            with contextlib.suppress(TransitionError):
                self.room.acknowledge_alarm(self.top_id)
        self.refresh()

    def pause_audio(self) -> None:
        self.room.pause_alarm_audio()
        self.refresh()

    def refresh(self) -> None:
        alarms = self.room.monitoring.alarms
        showing = alarms.showing()
        self.setVisible(bool(showing))
        if not showing:
            self.top_id = None
            return
        top = showing[0]
        self.top_id = top.rule_id
        prefix = {3: "***", 2: "**", 1: "*"}[int(top.priority)]
        state = (
            " (acknowledged)"
            if top.acknowledged
            else " (ended, acknowledge)"
            if top.latched
            else ""
        )
        value = f": {top.last_value:g}" if top.last_value is not None else ""
        self.text.setText(f"{prefix} {top.text}{value}{state}   · advisory")
        colour = COLOURS[top.priority]
        self.setStyleSheet(
            f"QFrame#alarmBanner {{ background: {SURFACE}; border: 2px solid {colour};"
            f" border-radius: 10px; }} QLabel#alarmText {{ color: {colour}; font-size: 20px;"
            " font-weight: bold; }"
        )
        self.others.setText(f"+{len(showing) - 1} more" if len(showing) > 1 else "")
        self.acknowledge_button.setEnabled(not top.acknowledged)
        remaining = alarms.paused_remaining(self.room.clock.now())
        self.pause_button.setText(
            f"Audio paused {int(remaining) // 60}:{int(remaining) % 60:02d}"
            if remaining
            else "Pause audio"
        )
