"""Vital-sign tiles: the latest HR, SpO2, NIBP (with the cuff reading's age), RR, EtCO2 and the
pump, each coloured by the most urgent alarm showing on its channel. Large digits, readable
across a dim room; a dash when a value is absent or too old to trust."""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout, QWidget

from roomctl.alarms import Priority
from roomctl.room import Room
from ui.theme import DANGER, MUTED, SURFACE, TEXT, WARNING

STALE_REAL_S = 10.0  # a monitor number older than this (real seconds) is shown as a dash
COLOURS = {Priority.HIGH: DANGER, Priority.MEDIUM: WARNING, Priority.LOW: "#4f7d8a"}


@dataclass(frozen=True)
class TileSpec:
    title: str
    channels: tuple[str, ...]
    unit: str
    decimals: int = 0
    #: Session seconds a reading stays trustworthy; None: STALE_REAL_S of real time (the
    #: device's own rate does not speed up with a demo's clock).
    max_age_s: float | None = None


TILES = (
    TileSpec("HR", ("hr",), "/min"),
    TileSpec("SpO2", ("spo2",), "%"),
    TileSpec("NIBP", ("nibp_sys", "nibp_dia"), "mmHg", max_age_s=3600.0),
    TileSpec("RR", ("rr",), "/min"),
    TileSpec("EtCO2", ("etco2",), "mmHg"),
    TileSpec("Pump", ("pump_rate_ml_h", "pump_vi_ml"), "mL/h · mL", decimals=1),
)


class VitalTile(QFrame):
    def __init__(self, spec: TileSpec) -> None:
        super().__init__()
        self.spec = spec
        self.setObjectName("card")
        box = QVBoxLayout(self)
        box.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel(spec.title)
        self.title.setObjectName("subtle")
        self.value = QLabel("--")
        self.value.setStyleSheet("font-size: 34px; font-weight: bold;")
        self.detail = QLabel(spec.unit)
        self.detail.setObjectName("subtle")
        for label in (self.title, self.value, self.detail):
            box.addWidget(label)
        self._style: tuple[str, str] | None = None

    def show_reading(self, room: Room, now: float) -> None:
        latest = room.monitoring.latest
        parts, ages = [], []
        max_age = self.spec.max_age_s or STALE_REAL_S * room.clock.speed
        for channel in self.spec.channels:
            reading = latest.get(channel)
            if reading is None or now - reading[0] > max_age:
                parts.append("--")
                continue
            parts.append(f"{reading[1]:.{self.spec.decimals}f}")
            ages.append(now - reading[0])
        self.value.setText("/".join(parts) if self.spec.title == "NIBP" else " · ".join(parts))
        detail = self.spec.unit
        if self.spec.title == "NIBP" and ages:
            detail += f" · cuff {int(max(ages)) // 60} min ago"
        self.detail.setText(detail)
        priority = max(
            (
                c.priority
                for c in room.monitoring.alarms.showing()
                if c.channel in self.spec.channels
            ),
            default=None,
        )
        colour = COLOURS.get(priority, TEXT) if priority is not None else TEXT
        border = COLOURS.get(priority, SURFACE) if priority is not None else SURFACE
        if all(part == "--" for part in parts):
            colour = MUTED
        # Style sheets re-polish the widget: set them only when the colour really changes.
        if (colour, border) != self._style:
            self._style = (colour, border)
            self.value.setStyleSheet(f"font-size: 34px; font-weight: bold; color: {colour};")
            self.setStyleSheet(f"QFrame#card {{ border: 2px solid {border}; }}")


class VitalTiles(QWidget):
    def __init__(self, room: Room) -> None:
        super().__init__()
        self.room = room
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setSpacing(10)
        self.tiles = [VitalTile(spec) for spec in TILES]
        for i, tile in enumerate(self.tiles):
            grid.addWidget(tile, 0, i)
        self._pending = False
        self._unsubscribe = room.subscribe_readings(self._reading)

    def _reading(self, values: dict[str, float]) -> None:
        """Repaint as soon as a reading arrives, once per burst (several feeds in one turn of
        the event loop make one repaint)."""
        if not self._pending:
            self._pending = True
            QTimer.singleShot(0, self._repaint_now)

    def _repaint_now(self) -> None:
        self._pending = False
        if shiboken6.isValid(self):
            self.refresh()

    def stop(self) -> None:
        self._unsubscribe()

    def refresh(self) -> None:
        now = self.room.clock.now()
        for tile in self.tiles:
            tile.show_reading(self.room, now)
