"""Live plots for the nurse: the pleth wave of the last few seconds and 30-minute trends of the
vital signs, with the patient's baseline marked.

Both are fed from the Room, never from a device: the pleth from the Room's wave hook
(:meth:`Room.subscribe_wave`, as each chunk is stored), the trends from the latest readings the
Room keeps (``room.monitoring.latest``), sampled once a second. Data goes into fixed numpy
rings, so a long session costs no more than a short one; drawing is throttled (10 Hz for the
wave, 1 Hz for trends) and skipped while the view is hidden.

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
from roomctl.timeline.events import WaveChunk
from ui.room_link import Stoppable
from ui.theme import MUTED, TEXT

PLOT_BACKGROUND = "#0b0c0e"
FRAME = "#262a30"
AXIS_FONT_PX = 13
PLETH_COLOUR = "#5f9aa6"
PLETH_REPAINT_MS = 100  # at most 10 Hz: smooth enough to read a wave, cheap for the GUI
#: Rows are redrawn one at a time, round all of them once a second: each tick repaints one
#: row's area, so no single tick costs the GUI a whole view's software paint.
TRENDS_ROUND_MS = 1000
#: A pleth with no new samples for this long (real seconds) is shown as lost.
PLETH_STALE_REAL_S = 3.0
#: A break longer than this (real seconds) between two chunks is drawn as a gap.
PLETH_GAP_REAL_S = 0.5
#: The wave is played out this far (real seconds) behind its newest sample...
PLETH_LAG_S = 1.0
#: ...and never further behind than this: a backlog beyond it is skipped.
PLETH_MAX_LAG_S = 2.0
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


# --------------------------------------------------------------------------- pleth


class PlethView(Stoppable, QWidget):
    """The last ``seconds`` of the pleth wave, scrolling right to left, drawn at most 10 Hz.

    Monitors send the wave in bursts (the Ivy 450C a second of it once a second), so samples
    are played out at their own rate about a second behind, the way a monitor's own screen
    scrolls, instead of jumping a second at a time.
    """

    def __init__(self, room: Room, *, channel: str = "pleth", seconds: float = 6.0) -> None:
        super().__init__()
        configure_plots()
        self.room = room
        self.channel = channel
        self.seconds = seconds
        self.rate_hz: float | None = None
        self.ring = Ring(1)
        self.range: StableRange | None = None
        self.last_end_t: float | None = None
        self.repaints = 0
        self._received = 0  # samples taken in (gap markers included)
        self._revealed = 0.0  # samples played out so far
        self._drawn = 0
        self._tick_t: float | None = None
        self._low_use_s = 0.0

        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        self.plot_widget = pg.PlotWidget()
        self.plot = self.plot_widget.getPlotItem()
        _style_axes(self.plot)
        self.plot.getAxis("left").setWidth(48)
        self.plot.setLabel("left", "Pleth")
        for name in ("left", "bottom"):  # its units are the device's own, its time is "now"
            self.plot.getAxis(name).setStyle(showValues=False)
        self.plot.getAxis("bottom").setHeight(6)
        self.plot.setXRange(-seconds, 0, padding=0)
        self.curve = self.plot.plot(pen=pg.mkPen(PLETH_COLOUR, width=2), connect="finite")
        self.status = pg.TextItem("No pleth", color=MUTED, anchor=(0.5, 0.5))
        self.plot.addItem(self.status, ignoreBounds=True)
        self.status.setPos(-seconds / 2, 0.5)
        self.plot.setYRange(0, 1, padding=0)
        box.addWidget(self.plot_widget)

        self._unsubscribe = room.subscribe_wave(self.on_chunk)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.repaint_if_due)
        self.timer.start(PLETH_REPAINT_MS)

    def stop(self) -> None:
        super().stop()
        self.timer.stop()
        self._unsubscribe()

    def on_chunk(self, chunk: WaveChunk) -> None:
        """A chunk as the Room stored it: into the ring, with a gap marked if one came first."""
        if chunk.channel != self.channel or not chunk.values:
            return
        n = len(chunk.values)
        if self.rate_hz != chunk.rate_hz:
            self.rate_hz = chunk.rate_hz
            room_for = self.seconds + PLETH_MAX_LAG_S + 1.0
            self.ring = Ring(math.ceil(room_for * chunk.rate_hz))
            self.range = None
            self.last_end_t = None
            self._received = 0
            self._revealed = 0.0  # play out from this chunk's first sample
            self._drawn = -1
        end_t = chunk.t0 + n / chunk.rate_hz
        speed = self.room.clock.speed
        if self.last_end_t is not None and (chunk.t0 - self.last_end_t) / speed > PLETH_GAP_REAL_S:
            self.ring.append(chunk.t0, math.nan)
            self._received += 1
        self.ring.extend(np.full(n, end_t), chunk.values)
        self._received += n
        self.last_end_t = end_t

    def stale(self) -> bool:
        if self.last_end_t is None:
            return True
        return (self.room.clock.now() - self.last_end_t) / self.room.clock.speed > (
            PLETH_STALE_REAL_S
        )

    def _play_out(self) -> int:
        """How many samples are due on screen now: the wave's own rate, a second or so behind
        the newest sample (a backlog beyond PLETH_MAX_LAG_S is skipped, not replayed)."""
        now = self.room.clock.now()
        rate = self.rate_hz or 0.0
        if self._tick_t is not None:
            self._revealed += (now - self._tick_t) / self.room.clock.speed * rate
        self._tick_t = now
        if self._received - self._revealed > PLETH_MAX_LAG_S * rate:
            self._revealed = self._received - PLETH_LAG_S * rate
        self._revealed = min(self._revealed, float(self._received))
        return int(self._revealed)

    def repaint_if_due(self) -> None:
        lost = self.stale()
        if lost != self.status.isVisible():
            self.status.setVisible(lost)
            self.curve.setOpacity(0.35 if lost else 1.0)
        if self.rate_hz is None:
            return
        due = self._play_out()
        if due == self._drawn or not self.isVisible():
            return
        self._drawn = due
        _, values = self.ring.arrays()
        end = max(0, len(values) - (self._received - due))
        values = values[max(0, end - round(self.seconds * self.rate_hz) - 1) : end]
        x = (np.arange(len(values), dtype=float) - (len(values) - 1)) / self.rate_hz
        self._fit_range(values)
        self.curve.setData(x, values)
        self.repaints += 1

    def _fit_range(self, values: np.ndarray) -> None:
        """Widen at once for a bigger wave; re-fit only after the wave used under a third of the
        range for a whole window (a probe moved), so the trace never jumps while it is read."""
        if not np.isfinite(values).any():
            return
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        span = max(hi - lo, 1e-6)
        if self.range is not None:
            used = span / (self.range.high - self.range.low)
            self._low_use_s = self._low_use_s + PLETH_REPAINT_MS / 1000 if used < 1 / 3 else 0.0
        if self.range is None or self._low_use_s >= self.seconds:
            self.range = StableRange(lo - 0.1 * span, hi + 0.1 * span)
            self._low_use_s = 0.0
        elif not self.range.include(lo, hi):
            return
        self.plot.setYRange(self.range.low, self.range.high, padding=0)
        self.status.setPos(-self.seconds / 2, (self.range.low + self.range.high) / 2)


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
    Room's latest readings (a new reading is one with a newer time) and redrawn once a second,
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
        """The next row in turn: with one tick per row, every row is redrawn once a second."""
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
