"""The pleth wave, drawn as a bedside monitor draws it: a sweep that writes left to right over
the previous pass, with a short erased gap ahead of it.

Fed from the Room's wave hook (:meth:`Room.subscribe_wave`, as each chunk is stored), never
from a device. Monitors send the wave in bursts (the Ivy 450C a second of it once a second),
so samples are played out at their own rate about a second behind, the way a monitor's own
screen sweeps, instead of jumping a second at a time.

Painted with QPainter rather than pyqtgraph (which draws the 30-minute trends): a tick only
repaints the strip the sweep crossed, a few dozen pixels wide, and draws a polyline of the
samples in it. The same sweep in pyqtgraph cost 4 % of a core at 10 Hz in software rendering,
its scene machinery for every strip; this widget costs a fraction of that (decision 0019,
bench_live_room).
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QWidget

from roomctl.room import Room
from roomctl.timeline.events import WaveChunk
from ui.room_link import Stoppable
from ui.theme import MUTED
from ui.trends import FRAME, PLOT_BACKGROUND, Ring, StableRange

PLETH_COLOUR = "#5f9aa6"
PLETH_REPAINT_MS = 100  # 10 Hz: a smooth sweep, a strip of ~17 px a tick at 1000 px
#: The erased gap ahead of the sweep (seconds): where the old pass ends and the new begins.
PLETH_ERASE_S = 0.25
#: A pleth with no new samples for this long (real seconds) is shown as lost.
PLETH_STALE_REAL_S = 3.0
#: A break longer than this (real seconds) between two chunks is drawn as a gap.
PLETH_GAP_REAL_S = 0.5
#: The wave is played out this far (real seconds) behind its newest sample...
PLETH_LAG_S = 1.0
#: ...and never further behind than this: a backlog beyond it is skipped.
PLETH_MAX_LAG_S = 2.0
#: The gutter on the left, as wide as the trends' axes below, holding the "Pleth" label.
GUTTER_PX = 48
MARGIN_PX = 6


class PlethView(Stoppable, QWidget):
    """The last ``seconds`` of the pleth, sweeping left to right at the wave's own rate."""

    def __init__(self, room: Room, *, channel: str = "pleth", seconds: float = 6.0) -> None:
        super().__init__()
        self.room = room
        self.channel = channel
        self.seconds = seconds
        self.rate_hz: float | None = None
        self.ring = Ring(1)
        self.range: StableRange | None = None
        self.last_end_t: float | None = None
        self.lost = True
        self.repaints = 0  # ticks that drew something
        self.painted_rects: list[QRect] = []  # what the last ticks asked to repaint (tests)
        self._received = 0  # samples taken in (gap markers included)
        self._revealed = 0.0  # samples played out so far
        self._drawn = 0  # samples written onto the sweep so far
        self._tick_t: float | None = None
        self._low_use_s = 0.0
        self._screen = np.full(1, np.nan)  # the sweep: one value per sample position
        self._pen = QPen(QColor(PLETH_COLOUR), 2)
        self._label_font = QFont("DejaVu Sans")
        self._label_font.setPixelSize(13)
        # Opaque: the widget fills what it repaints, so nothing beneath it is painted too.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumHeight(80)

        self._unsubscribe = room.subscribe_wave(self.on_chunk)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.repaint_if_due)
        self.timer.start(PLETH_REPAINT_MS)

    def stop(self) -> None:
        super().stop()
        self.timer.stop()
        self._unsubscribe()

    # ------------------------------------------------------------------ the wave

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
            self._drawn = 0
            self._screen = np.full(round(self.seconds * chunk.rate_hz), np.nan)
            self.update()
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

    @property
    def sweep_position(self) -> int:
        """Where the next sample is written, as an index into :meth:`screen`."""
        return self._drawn % len(self._screen)

    def screen(self) -> tuple[np.ndarray, np.ndarray]:
        """The whole sweep as drawn: seconds from the left edge, and the values (NaN where
        nothing is drawn: not yet written, a break in the wave, the gap ahead of the sweep)."""
        n = len(self._screen)
        return np.arange(n, dtype=float) / (self.rate_hz or 1.0), self._screen.copy()

    def repaint_if_due(self) -> None:
        lost = self.stale()
        if lost != self.lost:
            self.lost = lost
            self.update()  # the whole wave dims, or comes back
        if self.rate_hz is None:
            return
        due = self._play_out()
        if due <= self._drawn:
            return
        positions = self._write(due)
        if not self.isVisible():
            return
        if self._fit_range():
            self.update()
        else:
            self.painted_rects = self._strips(positions)
            for rect in self.painted_rects:
                self.update(rect)
        self.repaints += 1

    def _write(self, due: int) -> np.ndarray:
        """Samples ``_drawn`` up to ``due`` onto the sweep, and the erased gap ahead of them;
        returns the positions changed."""
        n = len(self._screen)
        _, values = self.ring.arrays()
        oldest = self._received - len(values)  # received index of values[0]
        first = max(self._drawn, oldest, due - n)  # what is no longer held, or no longer fits
        positions = np.arange(first, due) % n
        self._screen[positions] = values[first - oldest : due - oldest]
        gap = np.arange(due, due + max(1, round(PLETH_ERASE_S * (self.rate_hz or 0)))) % n
        self._screen[gap] = np.nan
        self._drawn = due
        return np.concatenate([positions, gap])

    def _fit_range(self) -> bool:
        """Widen at once for a bigger wave; re-fit only after the wave used under a third of the
        range for a whole window (a probe moved), so the trace never jumps while it is read.
        True when the range changed (the whole wave is redrawn)."""
        values = self._screen
        if not np.isfinite(values).any():
            return False
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        span = max(hi - lo, 1e-6)
        if self.range is not None:
            used = span / (self.range.high - self.range.low)
            self._low_use_s = self._low_use_s + PLETH_REPAINT_MS / 1000 if used < 1 / 3 else 0.0
        if self.range is None or self._low_use_s >= self.seconds:
            self.range = StableRange(lo - 0.1 * span, hi + 0.1 * span)
            self._low_use_s = 0.0
            return True
        return self.range.include(lo, hi)

    # ------------------------------------------------------------------ drawing

    def _plot_rect(self) -> QRectF:
        return QRectF(self.rect()).adjusted(GUTTER_PX, MARGIN_PX, -MARGIN_PX, -MARGIN_PX)

    def _x(self, position: float) -> float:
        area = self._plot_rect()
        return area.left() + position * area.width() / len(self._screen)

    def _strips(self, positions: np.ndarray) -> list[QRect]:
        """The widget areas to repaint for these sweep positions: one strip, or two when the
        sweep wrapped round to the left edge; a sample's line reaches back to the one before."""
        if len(positions) == 0:
            return []
        n = len(self._screen)
        order = np.sort(positions)
        breaks = np.flatnonzero(np.diff(order) > 1)
        runs = np.split(order, breaks + 1)
        rects = []
        for run in runs:
            x0 = math.floor(self._x(max(0, int(run[0]) - 1))) - 2
            x1 = math.ceil(self._x(min(n - 1, int(run[-1]) + 1))) + 2
            rects.append(QRect(x0, 0, x1 - x0, self.height()))
        return rects

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        exposed = event.rect()
        painter.fillRect(exposed, QColor(PLOT_BACKGROUND))
        area = self._plot_rect()
        painter.setPen(QPen(QColor(FRAME), 1))
        painter.drawRect(area)
        if exposed.left() < GUTTER_PX:
            painter.save()
            painter.setPen(QColor(MUTED))
            painter.setFont(self._label_font)
            painter.translate(18, area.center().y())
            painter.rotate(-90)
            painter.drawText(QRectF(-40, -10, 80, 20), Qt.AlignmentFlag.AlignCenter, "Pleth")
            painter.restore()
        if self.range is not None and self.rate_hz is not None:
            self._draw_wave(painter, area, exposed)
        if self.lost:
            painter.setPen(QColor(MUTED))
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "No pleth")
        painter.end()

    def _draw_wave(self, painter: QPainter, area: QRectF, exposed: QRect) -> None:
        """The samples under the exposed strip (one beyond each side, so lines join), as
        polylines broken wherever there is no value."""
        assert self.range is not None
        n = len(self._screen)
        per_px = n / area.width()
        first = max(0, math.floor((exposed.left() - area.left()) * per_px) - 1)
        last = min(n, math.ceil((exposed.right() - area.left()) * per_px) + 2)
        if last <= first:
            return
        values = self._screen[first:last]
        xs = area.left() + np.arange(first, last) * (area.width() / n)
        scale = area.height() / (self.range.high - self.range.low)
        ys = area.bottom() - (values - self.range.low) * scale
        colour = QColor(PLETH_COLOUR)
        colour.setAlphaF(0.35 if self.lost else 1.0)
        self._pen.setColor(colour)
        painter.setPen(self._pen)
        painter.setClipRect(area)
        finite = np.isfinite(ys)
        edges = np.flatnonzero(np.diff(np.r_[False, finite, False].astype(np.int8)))
        for start, stop in zip(edges[::2], edges[1::2], strict=True):
            if stop - start >= 2:
                run = zip(xs[start:stop], ys[start:stop], strict=True)
                painter.drawPolyline(QPolygonF([QPointF(x, y) for x, y in run]))
