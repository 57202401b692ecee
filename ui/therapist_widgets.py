"""The therapist panel's small parts: time labels, the throttle for live sliders, and the rows
and sliders it is built of. Kept apart so the panel itself reads as what the therapist does."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from ui.theme import ACCENT, MUTED, SURFACE, TEXT

PANEL_STYLE = f"""
QLabel#section {{ font-size: 20px; font-weight: bold; color: {ACCENT}; }}
QLabel#big {{ font-size: 18px; }}
QLabel#presetName {{ font-size: 18px; font-weight: bold; }}
QLabel#presetPlaying {{ font-size: 18px; font-weight: bold; color: {ACCENT}; }}
QLabel#presetText {{ color: {MUTED}; font-size: 14px; }}
QLabel#presetName:disabled, QLabel#presetText:disabled {{ color: #5c584f; }}
QSlider {{ min-height: 48px; background: transparent; }}
QSlider::groove:horizontal {{ height: 8px; background: #2b3036; border-radius: 4px; }}
QSlider::sub-page:horizontal {{ background: #6b5632; border-radius: 4px; }}
QSlider::handle:horizontal {{
    background: {ACCENT}; width: 28px; margin: -11px 0; border-radius: 14px;
}}
QSlider::handle:horizontal:disabled {{ background: #3a3833; }}
QSlider::sub-page:horizontal:disabled {{ background: #2b3036; }}
QPushButton:checked {{ background: #3a2f1c; border: 2px solid {ACCENT}; }}
QPushButton#tag {{ min-width: 90px; }}
QPushButton#recording {{ background: #3a2f1c; border: 2px solid {ACCENT}; font-weight: bold; }}
QListWidget::item {{ border-bottom: 1px solid #24282d; }}
QListWidget#notes {{ font-size: 17px; }}
QListWidget#notes::item {{ padding: 8px 6px; }}
QListWidget::item:selected {{ background: #33291a; color: {TEXT}; }}
QTreeWidget {{ background: {SURFACE}; border: none; border-radius: 10px; }}
QTreeWidget::item {{ min-height: 30px; }}
QHeaderView::section {{
    background: {SURFACE}; color: {MUTED}; border: none; padding: 4px 6px;
}}
QPlainTextEdit {{ background: {SURFACE}; border: 1px solid #343a42; border-radius: 6px; }}
"""


def mmss(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def note_time(t: float, infusion_started_t: float | None) -> str:
    """How a note's time is shown: ``T+12:30`` from the infusion start, else session time."""
    if infusion_started_t is None:
        return mmss(t)
    offset = t - infusion_started_t
    sign = "+" if offset >= -0.5 else "−"
    return f"T{sign}{mmss(abs(offset))}"


def plan_rows(items: Iterable[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """``(start, track, length)`` for each plan item, as the plan list shows them."""
    return [
        (mmss(item["start_s"]), PurePath(str(item["path"])).stem, mmss(item["duration_s"]))
        for item in items
    ]


class Throttle(QObject):
    """Coalesces a slider's changes: ``poke`` sends once ``interval_ms`` later (however many
    pokes came in between), ``flush`` sends now (on release)."""

    def __init__(self, send: Callable[[], None], parent: QObject, interval_ms: int) -> None:
        super().__init__(parent)
        self._send = send
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(send)

    @property
    def pending(self) -> bool:
        return self.timer.isActive()

    def poke(self) -> None:
        if not self.timer.isActive():
            self.timer.start()

    def flush(self) -> None:
        self.timer.stop()
        self._send()

    def cancel(self) -> None:
        self.timer.stop()


class LevelSlider(QWidget):
    """A 0-1 control with its name and value above a large slider."""

    def __init__(self, title: str, unit: str = "%", maximum: int = 100) -> None:
        super().__init__()
        self.unit = unit
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        row = QHBoxLayout()
        self.title = QLabel(title)
        self.value_label = QLabel()
        self.value_label.setObjectName("big")
        row.addWidget(self.title)
        row.addStretch(1)
        row.addWidget(self.value_label)
        box.addLayout(row)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, maximum)
        self.slider.setPageStep(max(1, maximum // 10))
        self.slider.valueChanged.connect(self._show)
        box.addWidget(self.slider)
        self._show(self.slider.value())

    def _show(self, value: int) -> None:
        self.value_label.setText(f"{value} {self.unit}" if self.unit == "s" else f"{value} %")

    def value(self) -> float:
        """0-1 for a level; seconds for a slider whose unit is ``s``."""
        raw = self.slider.value()
        return float(raw) if self.unit == "s" else raw / 100.0

    def set_quietly(self, value: float) -> None:
        """Follow the room without sending anything back (no valueChanged to the throttle)."""
        raw = round(value) if self.unit == "s" else round(value * 100)
        self.slider.blockSignals(True)
        self.slider.setValue(raw)
        self.slider.blockSignals(False)
        self._show(self.slider.value())


class PresetRow(QWidget):
    def __init__(self, name: str, description: str) -> None:
        super().__init__()
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 6, 12, 6)
        box.setSpacing(2)
        self.name = name
        self.title = QLabel(name)
        self.title.setObjectName("presetName")
        self.text = QLabel(description)
        self.text.setObjectName("presetText")
        self.text.setWordWrap(True)
        box.addWidget(self.title)
        box.addWidget(self.text)

    def mark_playing(self, playing: bool) -> None:
        self.title.setText(f"{self.name}   · in the room" if playing else self.name)
        self.title.setObjectName("presetPlaying" if playing else "presetName")
        self.title.style().unpolish(self.title)
        self.title.style().polish(self.title)


class VoiceRow(QWidget):
    def __init__(self, when: str, path: str, seconds: float, play: Callable[[], None]) -> None:
        super().__init__()
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 4, 6, 4)
        self.path = path
        self.label = QLabel(f"{when}   {PurePath(path).stem}   {mmss(seconds)}")
        self.label.setObjectName("big")
        self.play_button = QPushButton("▶ Play")
        self.play_button.clicked.connect(play)
        row.addWidget(self.label, 1)
        row.addWidget(self.play_button)


def card(title: str) -> tuple[QFrame, QVBoxLayout]:
    """A titled dark card (theme object name ``card``) and the layout to fill it."""
    frame = QFrame()
    frame.setObjectName("card")
    box = QVBoxLayout(frame)
    box.setContentsMargins(16, 12, 16, 14)
    box.setSpacing(10)
    label = QLabel(title)
    label.setObjectName("section")
    box.addWidget(label)
    return frame, box
