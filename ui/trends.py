"""30-minute trends of the vital signs for the nurse, with the patient's baseline marked (the
pleth wave is ``ui/pleth.py``).

Fed from the Room, never from a device: the latest readings the Room keeps
(``room.monitoring.latest``), sampled at every tick (a second). Data goes into fixed numpy
rings, so a long session costs no more than a short one; drawing is throttled (a row a second)
and skipped while the view is hidden.

Dark-room rules: a near-black plot, dim colours, no antialiasing, and y ranges that never jump:
each channel starts on a sensible fixed span and only widens when a value falls outside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from numpy.typing import ArrayLike
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QVBoxLayout, QWidget

from roomctl.room import Room
from ui.room_link import Stoppable
from ui.theme import MUTED, TEXT

PLOT_BACKGROUND = "#0b0c0e"
FRAME = "#262a30"
AXIS_FONT_PX = 13
#: Rows are redrawn one at a time, round all of them every five seconds (a row a second, which
#: is also when the readings are sampled). On 30 minutes across ~1000 px a pixel is ~2 s, so
#: a row moves ~3 px at a redraw; redrawing every row every second cost 2 % of a core. One row
#: a tick also means no single tick costs the GUI a whole view's software paint.
TRENDS_ROUND_MS = 5000
TREND_MINUTES = 30.0
TREND_CAPACITY = 4096  # > 30 min at one sample a second, whatever the readings' rate


def configure_plots() -> None:
    """pyqtgraph's global look for the room: near-black, no antialiasing (cheaper, crisper)."""
    pg.setConfigOptions(antialias=False, background=PLOT_BACKGROUND, foreground=MUTED)


class Ring:
    """A fixed-size ring of (t, value) samples, oldest first on read: appending never
    allocates, so hours of data cost what the capacity costs."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._t = np.zeros(capacity)
        self._v = np.zeros(capacity)
        self._next = 0
        self.count = 0

    def extend(self, t: ArrayLike, v: ArrayLike) -> None:
        t, v = np.asarray(t, dtype=float), np.asarray(v, dtype=float)
        n = len(v)
        if n >= self.capacity:
            t, v, n = t[-self.capacity :], v[-self.capacity :], self.capacity
        first = min(n, self.capacity - self._next)
        self._t[self._next : self._next + first] = t[:first]
        self._v[self._next : self._next + first] = v[:first]
        self._t[: n - first] = t[first:]
        self._v[: n - first] = v[first:]
        self._next = (self._next + n) % self.capacity
        self.count = min(self.capacity, self.count + n)

    def append(self, t: float, v: float) -> None:
        self.extend(np.array([t]), np.array([v]))

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the times and values held, oldest first."""
        if self.count < self.capacity:
            return self._t[: self.count].copy(), self._v[: self.count].copy()
        order = np.r_[self._next : self.capacity, 0 : self._next]
        return self._t[order], self._v[order]

    @property
    def last_t(self) -> float | None:
        return None if self.count == 0 else float(self._t[self._next - 1])

    def clear(self) -> None:
        self._next = 0
        self.count = 0


@dataclass
class StableRange:
    """A y range that does not jump: a fixed span that widens (with a margin) to take in a value
    outside it, and never narrows by itself."""

    low: float
    high: float
    margin: float = 0.1

    def include(self, lo: float, hi: float) -> bool:
        """Widen to take in [lo, hi] (NaN ignored); True when the range changed."""
        if not (math.isfinite(lo) and math.isfinite(hi)):
            return False
        pad = (self.high - self.low) * self.margin
        changed = False
        if lo < self.low:
            self.low, changed = lo - pad, True
        if hi > self.high:
            self.high, changed = hi + pad, True
        return changed


def _style_axes(plot: pg.PlotItem) -> None:
    font = QFont("DejaVu Sans")
    font.setPixelSize(AXIS_FONT_PX)
    for name in ("left", "bottom"):
        axis = plot.getAxis(name)
        axis.setStyle(tickFont=font)
        axis.setPen(pg.mkPen(MUTED))
        axis.setTextPen(pg.mkPen(TEXT))
    # No grid: translucent grid lines across the plot tripled the software-rendered paint of
    # the trends (45 ms → 11 ms a frame at 1600 px), and the GUI must never stall 16 ms.
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)  # nothing pans or zooms under a resting hand
    plot.hideButtons()


# --------------------------------------------------------------------------- trends


@dataclass(frozen=True)
class TrendSpec:
    title: str
    unit: str
    channels: tuple[str, ...]
    colours: tuple[str, ...]
    span: tuple[float, float]  # the fixed range a healthy session stays inside
    #: Shown once a reading arrives (not every monitor has capnography).
    optional: bool = False
    #: Discrete measurements (a cuff): drawn as points joined by a line.
    points: bool = False


TRENDS = (
    TrendSpec("HR", "/min", ("hr",), ("#8fb87a",), (40, 140)),
    TrendSpec("SpO2", "%", ("spo2",), ("#6fb0bd",), (85, 100)),
    TrendSpec(
        "NIBP", "mmHg", ("nibp_sys", "nibp_dia"), ("#d09a66", "#a8845f"), (40, 200), points=True
    ),
    TrendSpec("RR", "/min", ("rr",), ("#c9b473",), (0, 30)),
    TrendSpec("EtCO2", "mmHg", ("etco2",), ("#a39ac4",), (20, 60), optional=True),
)  # fmt: skip

#: Channels whose baseline is drawn as a dashed line on their trend.
BASELINE_CHANNELS = ("hr", "nibp_sys", "nibp_dia")


class TrendRow:
    """One channel's plot: its rings, curves, range and baseline lines."""

    def __init__(self, spec: TrendSpec, plot: pg.PlotItem) -> None:
        self.spec = spec
        self.plot = plot
        self.rings = {channel: Ring(TREND_CAPACITY) for channel in spec.channels}
        self.range = StableRange(*spec.span)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.baselines: dict[str, pg.InfiniteLine] = {}
        _style_axes(plot)
        plot.getAxis("left").setWidth(64)
        plot.getViewBox().setBorder(pg.mkPen(FRAME))  # one rectangle tells the rows apart
        plot.setLabel("left", f"{spec.title} {spec.unit}")
        plot.setYRange(*spec.span, padding=0)
        for channel, colour in zip(spec.channels, spec.colours, strict=True):
            # One-pixel lines: software painting of 2 px lines over 30 minutes of data doubled
            # the frame time; the colours are a step brighter to make up for it.
            pen = pg.mkPen(colour, width=1)
            if spec.points:
                self.curves[channel] = plot.plot(
                    pen=pen,
                    symbol="o",
                    symbolSize=7,
                    symbolBrush=colour,
                    symbolPen=None,
                    skipFiniteCheck=True,
                )
            else:
                self.curves[channel] = plot.plot(pen=pen, skipFiniteCheck=True)

    def draw(self, now: float) -> None:
        widened = False
        for channel, ring in self.rings.items():
            t, v = ring.arrays()
            if len(v):
                widened |= self.range.include(float(v.min()), float(v.max()))
            self.curves[channel].setData((t - now) / 60.0, v)
        if widened:
            self.plot.setYRange(self.range.low, self.range.high, padding=0)

    def show_baseline(self, baseline: dict[str, float]) -> None:
        for channel in self.spec.channels:
            if channel not in BASELINE_CHANNELS or channel not in baseline:
                continue
            value = float(baseline[channel])
            line = self.baselines.get(channel)
            if line is None:
                line = pg.InfiniteLine(
                    angle=0,
                    pen=pg.mkPen(MUTED, width=1, style=Qt.PenStyle.DashLine),
                    label="baseline {value:.0f}",
                    labelOpts={"color": MUTED, "position": 0.04, "anchors": [(0, 1), (0, 1)]},
                )
                self.plot.addItem(line, ignoreBounds=True)
                self.baselines[channel] = line
            line.setValue(value)
            if self.range.include(value, value):
                self.plot.setYRange(self.range.low, self.range.high, padding=0)


class TrendsView(Stoppable, QWidget):
    """30-minute trends, one row per channel on a shared "minutes ago" axis, sampled from the
    Room's latest readings (a new reading is one with a newer time) and redrawn every 5 s,
    one row per tick.

    Every row is built at once; an optional one (EtCO2) stays collapsed until its first
    reading. Building a plot when capnography first appears would stall the GUI for ~100 ms.
    """

    def __init__(self, room: Room, *, minutes: float = TREND_MINUTES) -> None:
        super().__init__()
        configure_plots()
        self.room = room
        self.minutes = minutes
        self.repaints = 0
        self._baseline: dict[str, float] = {}
        self._next_row = 0
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setBackground(PLOT_BACKGROUND)
        self.layout_widget.ci.setSpacing(12)  # room for each row's top and bottom tick labels
        box.addWidget(self.layout_widget)
        # The same fixed x range and axis width on every row rather than an x link: a pyqtgraph
        # link maps ranges by pixel geometry, and rows laid out later end up minutes off.
        self.rows = {
            spec.title: TrendRow(spec, self.layout_widget.addPlot(row=i, col=0))
            for i, spec in enumerate(TRENDS)
        }
        for i, row in enumerate(self.rows.values()):
            row.plot.setXRange(-minutes, 0, padding=0)
            row.plot.setLabel("bottom", "minutes ago")
            if row.spec.optional:
                row.plot.hide()
                self._grid().setRowMaximumHeight(i, 0)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.tick)
        self._place_time_axis()
        self.timer.start()
        self.refresh()

    def stop(self) -> None:
        super().stop()
        self.timer.stop()

    def _grid(self) -> Any:
        return self.layout_widget.ci.layout  # the QGraphicsGridLayout under the plots

    def visible_rows(self) -> list[str]:
        return [title for title, row in self.rows.items() if row.plot.isVisible()]

    def _place_time_axis(self) -> None:
        """One time axis, under the last row shown; one tick per row shown."""
        shown = [row for row in self.rows.values() if row.plot.isVisible()]
        self.timer.setInterval(TRENDS_ROUND_MS // len(shown))
        for row in shown:
            if row is shown[-1]:
                row.plot.showAxis("bottom")
            else:
                row.plot.hideAxis("bottom")

    def _reveal(self, row: TrendRow) -> None:
        self._grid().setRowMaximumHeight(list(self.rows.values()).index(row), 1e6)
        row.plot.show()
        self._place_time_axis()

    def sample(self) -> None:
        """Take every reading newer than the last one kept, from ``room.monitoring.latest``."""
        latest = self.room.monitoring.latest
        for row in self.rows.values():
            for channel, ring in row.rings.items():
                reading = latest.get(channel)
                if reading is None:
                    continue
                last = ring.last_t
                if last is None or reading[0] > last:
                    ring.append(reading[0], float(reading[1]))
                    if not row.plot.isVisible():
                        self._reveal(row)

    def _follow(self) -> list[TrendRow]:
        """New readings and baseline in; the rows to draw (none while hidden)."""
        self.sample()
        baseline = self.room.state.baseline
        if baseline != self._baseline:
            self._baseline = dict(baseline)
            for row in self.rows.values():
                row.show_baseline(baseline)
        if not self.isVisible():
            return []
        return [row for row in self.rows.values() if row.plot.isVisible()]

    def tick(self) -> None:
        """The next row in turn: every row is redrawn once per TRENDS_ROUND_MS."""
        rows = self._follow()
        if not rows:
            return
        self._next_row %= len(rows)
        rows[self._next_row].draw(self.room.clock.now())
        self._next_row += 1
        if self._next_row == len(rows):
            self.repaints += 1

    def refresh(self) -> None:
        """Every row at once (on demand: opening the view, a test)."""
        rows = self._follow()
        now = self.room.clock.now()
        for row in rows:
            row.draw(now)
        if rows:
            self.repaints += 1
