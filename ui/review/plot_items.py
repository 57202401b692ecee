"""Drawing pieces of the review timeline that pyqtgraph has no cheap item for.

A session's timeline has dozens of labels, bands and marker lines. As pyqtgraph items (a
TextItem, an InfiniteLine, a LinearRegionItem each) they cost over a millisecond apiece to make
and repaint, which matters when a three-hour session must open in half a second. Here each kind
is one item per plot that paints all of its pieces itself; the labels are also decluttered at
paint time for the current zoom, which per-label items cannot do without a signal per label.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QPicture

from roomctl.review import clock_text

LABEL_FONT = QFont("DejaVu Sans", 9)


def pen(colour: str | QColor, width: float = 1.0, style: Qt.PenStyle = Qt.PenStyle.SolidLine):
    """A cosmetic pen (its width in pixels whatever the zoom). Width 1 takes Qt's fast path,
    which matters for curves of thousands of points."""
    p = QPen(QColor(colour))
    p.setWidthF(width)
    p.setCosmetic(True)
    p.setStyle(style)
    return p


def kelvin_colour(kelvin: float | None, level: float | None) -> QColor:
    """A light scene's colour as a band: warm to cool white, dimmed with its brightness (never
    quite black, so an almost-dark scene still shows)."""
    k = 2700.0 if kelvin is None else kelvin
    warmth = min(1.0, max(0.0, (k - 2000.0) / 4500.0))
    r, g, b = 255, 140 + 105 * warmth, 40 + 200 * warmth
    scale = 0.22 + 0.6 * (1.0 if level is None else level)
    return QColor(int(r * scale), int(g * scale), int(b * scale))


class SessionTimeAxis(pg.AxisItem):
    """Session time as h:mm:ss, with ticks on round seconds, minutes and hours."""

    STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400)

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[tuple[float, float]]:
        span = max(1e-6, maxVal - minVal)
        wanted = span / max(1.0, size / 110.0)
        major = next((s for s in self.STEPS if s >= wanted), self.STEPS[-1])
        minor = next((s for s in reversed(self.STEPS) if s <= major / 4), major)
        return [(float(major), 0.0), (float(minor), 0.0)]

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        return [clock_text(v) for v in values]


class BandsItem(pg.GraphicsObject):
    """Rectangles in data coordinates, recorded once into a picture (cheap to repaint)."""

    def __init__(self, rects: Sequence[tuple[QRectF, QColor]]) -> None:
        super().__init__()
        self.rects = list(rects)
        self._bounds = QRectF()
        self._picture = QPicture()
        painter = QPainter(self._picture)
        painter.setPen(Qt.PenStyle.NoPen)
        for rect, colour in self.rects:
            painter.setBrush(QBrush(colour))
            painter.drawRect(rect)
            self._bounds = self._bounds.united(rect)
        painter.end()

    def paint(self, painter: QPainter, *_args: Any) -> None:
        painter.drawPicture(0, 0, self._picture)

    def boundingRect(self) -> QRectF:
        return QRectF(self._bounds)


class _ScreenItem(pg.GraphicsObject):
    """An item that paints in screen pixels over the whole visible view (and so never takes
    part in auto-range: add it with ``ignoreBounds=True``)."""

    def boundingRect(self) -> QRectF:
        rect = self.viewRect()
        return QRectF() if rect is None else rect

    def viewRangeChanged(self) -> None:  # pyqtgraph calls it when the view moves
        self.prepareGeometryChange()
        self.update()

    def _screen(self, painter: QPainter) -> tuple[Any, QRectF] | None:
        rect = self.viewRect()
        if rect is None:
            return None
        transform = painter.transform()
        painter.resetTransform()
        return transform, transform.mapRect(rect)


@dataclass(frozen=True, slots=True)
class BandLabel:
    """Text for a band: the first of ``texts`` that fits the band's width on screen."""

    start_t: float
    end_t: float
    y: float
    texts: tuple[str, ...]
    colour: str


@dataclass(frozen=True, slots=True)
class PointLabel:
    """Text beside a marker at ``t``; hidden where it would run into an earlier label of its
    row."""

    t: float
    y: float
    text: str
    colour: str
    dx: float = 8.0


class LabelsItem(_ScreenItem):
    """Band and point labels of the track plot, decluttered for the current zoom at paint."""

    def __init__(self, bands: Sequence[BandLabel], points: Sequence[PointLabel]) -> None:
        super().__init__()
        self.bands = list(bands)
        self.points = sorted(points, key=lambda p: p.t)
        self.setZValue(20)
        self._metrics = QFontMetricsF(LABEL_FONT)
        self.shown: list[str] = []

    def paint(self, painter: QPainter, *_args: Any) -> None:
        screen = self._screen(painter)
        if screen is None:
            return
        transform, view = screen
        painter.setFont(LABEL_FONT)
        metrics = self._metrics
        half = metrics.ascent() / 2 - 1
        shown = []
        for label in self.bands:
            left = transform.map(QPointF(label.start_t, label.y))
            right = transform.map(QPointF(label.end_t, label.y))
            x0 = max(left.x(), view.left())
            room = min(right.x(), view.right()) - x0 - 8
            text = next((t for t in label.texts if metrics.horizontalAdvance(t) <= room), None)
            if text is None:
                continue
            painter.setPen(QColor(label.colour))
            painter.drawText(QPointF(x0 + 4, left.y() + half), text)
            shown.append(text)

        def screen_y(label: PointLabel) -> float:
            return transform.map(QPointF(label.t, label.y)).y()

        last_end: dict[float, float] = {}
        screen_x = [transform.map(QPointF(p.t, p.y)).x() for p in self.points]
        for i, label in enumerate(self.points):
            x = screen_x[i] + label.dx
            # Room up to the next marker of the row (its own label may start there).
            following = (
                screen_x[j] for j in range(i + 1, len(self.points)) if self.points[j].y == label.y
            )
            limit = min(next(following, view.right()), view.right()) - 6
            if x > view.right() or x < last_end.get(label.y, -1e9):
                continue
            text = label.text
            if metrics.horizontalAdvance(text) > limit - x:
                text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, limit - x)
                if len(text) < 4:  # "…" or a letter and "…": nothing worth reading
                    continue
            if x + metrics.horizontalAdvance(text) < view.left():
                continue
            painter.setPen(QColor(label.colour))
            painter.drawText(QPointF(x, screen_y(label) + half), text)
            last_end[label.y] = x + metrics.horizontalAdvance(text) + 10
            shown.append(text)
        self.shown = shown


@dataclass(frozen=True, slots=True)
class Span:
    start_t: float
    end_t: float
    colour: QColor


@dataclass(frozen=True, slots=True)
class Line:
    t: float
    label: str = ""


class XMarksItem(_ScreenItem):
    """Full-height shaded spans (an alarm's time) and dashed lines (milestones) in a plot,
    whatever its Y range; lines may carry a label at the top."""

    def __init__(self, spans: Sequence[Span], lines: Sequence[Line], colour: str) -> None:
        super().__init__()
        self.spans = list(spans)
        self.lines = list(lines)
        self._pen = pen(colour, 1.0, Qt.PenStyle.DashLine)
        self._text = QColor(colour)
        self.setZValue(-5)

    def paint(self, painter: QPainter, *_args: Any) -> None:
        screen = self._screen(painter)
        if screen is None:
            return
        transform, view = screen
        painter.setPen(Qt.PenStyle.NoPen)
        for span in self.spans:
            x0 = transform.map(QPointF(span.start_t, 0)).x()
            x1 = transform.map(QPointF(span.end_t, 0)).x()
            painter.setBrush(QBrush(span.colour))
            painter.drawRect(QRectF(x0, view.top(), max(2.0, x1 - x0), view.height()))
        painter.setFont(LABEL_FONT)
        taken: list[tuple[float, float]] = []  # labels drawn so far, as x extents
        for line in self.lines:
            x = transform.map(QPointF(line.t, 0)).x()
            if not view.left() <= x <= view.right():
                continue
            painter.setPen(self._pen)
            painter.drawLine(QPointF(x, view.top()), QPointF(x, view.bottom()))
            if not line.label:
                continue
            width = painter.fontMetrics().horizontalAdvance(line.label)
            left = x + 4 if x + 4 + width <= view.right() else x - 4 - width
            if any(left < end + 8 and start < left + width + 8 for start, end in taken):
                continue
            taken.append((left, left + width))
            painter.setPen(self._text)
            painter.drawText(QPointF(left, view.top() + 12), line.label)
