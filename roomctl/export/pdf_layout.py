"""A4 pages of text and tables on matplotlib figures, placed in inches from the top left.

matplotlib draws plots well and text adequately; it has no notion of a page that fills up. This
is the little that a report needs on top: a cursor going down the page, headings, key-value
blocks and tables whose rows wrap and continue on a new page (headers repeated). Only the
non-GUI API is used (:class:`matplotlib.figure.Figure`): no pyplot, no window system, safe off
the GUI thread.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

A4 = (8.27, 11.69)
MARGIN = 0.55
FOOTER = 0.55
BODY = 8.0  # points
LINE = 0.175  # inches per line of body text
INK = "#1a1a1a"
MUTED = "#666666"
RULE = "#bbbbbb"
SHADE = "#f0f0f0"


# ------------------------------------------------------------------------------ time texts
def hms(seconds: float | None) -> str:
    """Session seconds as h:mm:ss."""
    if seconds is None:
        return "-"
    s = max(0, round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def duration(seconds: float) -> str:
    """A short duration: m:ss, or h:mm:ss from an hour on."""
    s = max(0, round(seconds))
    if s < 3600:
        return f"{s // 60}:{s % 60:02d}"
    return hms(s)


def minutes_text(minutes: float | None) -> str:
    return "-" if minutes is None else f"{minutes:.0f} min"


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # inches
    align: str = "left"
    wrap: bool = False


class Pages:
    """Figures of one document, a cursor ``y`` (inches from the top) on the last one."""

    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.y = 0.0
        self.new_page()

    @property
    def figure(self) -> Figure:
        return self.figures[-1]

    @property
    def width(self) -> float:
        return A4[0] - 2 * MARGIN

    @property
    def bottom(self) -> float:
        return A4[1] - FOOTER

    def new_page(self) -> None:
        self.figures.append(Figure(figsize=A4))
        self.y = MARGIN

    def need(self, height: float) -> None:
        """Start a new page unless ``height`` inches still fit on this one."""
        if self.y + height > self.bottom:
            self.new_page()

    def text(self, x: float, y: float, text: str, **style: Any) -> None:
        """Text with its top left at (``x``, ``y``) inches on the current page."""
        style.setdefault("fontsize", BODY)
        style.setdefault("color", INK)
        style.setdefault("va", "top")
        self.figure.text(x / A4[0], 1 - y / A4[1], text, **style)

    def axes(self, top: float, height: float, left: float = MARGIN + 0.55) -> Axes:
        """Axes spanning the page's width from ``top`` inches, ``height`` inches tall."""
        width = A4[0] - MARGIN - 0.5 - left
        return self.figure.add_axes(
            (left / A4[0], 1 - (top + height) / A4[1], width / A4[0], height / A4[1])
        )

    def rule(
        self, y: float, color: str = RULE, x0: float = MARGIN, x1: float | None = None
    ) -> None:
        x1 = A4[0] - MARGIN if x1 is None else x1
        self.figure.add_artist(
            Rectangle(
                (x0 / A4[0], 1 - y / A4[1]),
                (x1 - x0) / A4[0],
                0.0,
                transform=self.figure.transFigure,
                edgecolor=color,
                linewidth=0.6,
            )
        )

    def heading(self, text: str, note: str = "") -> None:
        self.need(0.7)
        self.y += 0.12
        self.text(MARGIN, self.y, text, fontsize=11.5, fontweight="bold")
        if note:
            self.text(A4[0] - MARGIN, self.y + 0.03, note, fontsize=7, color=MUTED, ha="right")
        self.y += 0.25
        self.rule(self.y)
        self.y += 0.08

    def paragraph(self, text: str, *, size: float = BODY, color: str = INK) -> None:
        chars = int(self.width * 72 / (size * 0.5))
        for line in textwrap.wrap(text, chars) or [""]:
            self.need(LINE)
            self.text(MARGIN, self.y, line, fontsize=size, color=color)
            self.y += LINE * size / BODY

    def fields(
        self, rows: Sequence[tuple[str, str]], *, columns: int = 2, key_width: float = 1.3
    ) -> None:
        """Label: value pairs in ``columns`` columns."""
        col_width = self.width / columns
        chars = int((col_width - key_width - 0.1) * 72 / (BODY * 0.52))
        for start in range(0, len(rows), columns):
            row = rows[start : start + columns]
            wrapped = [textwrap.wrap(value, chars) or [""] for _, value in row]
            lines = max(len(w) for w in wrapped)
            self.need(LINE * lines)
            for i, ((key, _), value_lines) in enumerate(zip(row, wrapped, strict=True)):
                x = MARGIN + i * col_width
                self.text(x, self.y, key, color=MUTED)
                self.text(x + key_width, self.y, "\n".join(value_lines), linespacing=1.25)
            self.y += LINE * lines + 0.02

    def table(
        self, columns: Sequence[Column], rows: Sequence[Sequence[str]], *, empty: str = "none"
    ) -> None:
        """Rows under a header; long cells wrap; a page break repeats the header."""
        if not rows:
            self.need(LINE)
            self.text(MARGIN, self.y, empty, color=MUTED, style="italic")
            self.y += LINE + 0.05
            return
        self._table_header(columns, room_for_rows=1)
        for index, row in enumerate(rows):
            cells = []
            for column, cell in zip(columns, row, strict=True):
                chars = max(4, int((column.width - 0.08) * 72 / (BODY * 0.5)))
                cells.append(textwrap.wrap(cell, chars) or [""] if column.wrap else [cell])
            lines = max(len(c) for c in cells)
            height = LINE * lines + 0.03
            if self.y + height > self.bottom:
                self.new_page()
                self._table_header(columns, room_for_rows=lines)
            if index % 2:
                self.figure.add_artist(
                    Rectangle(
                        (MARGIN / A4[0], 1 - (self.y + height - 0.04) / A4[1]),
                        sum(c.width for c in columns) / A4[0],
                        height / A4[1],
                        transform=self.figure.transFigure,
                        facecolor=SHADE,
                        edgecolor="none",
                        zorder=-1,
                    )
                )
            x = MARGIN
            for column, cell in zip(columns, cells, strict=True):
                left = x + (column.width - 0.06 if column.align == "right" else 0.0)
                self.text(left, self.y, "\n".join(cell), ha=column.align, linespacing=1.25)
                x += column.width
            self.y += height
        self.y += 0.1

    def _table_header(self, columns: Sequence[Column], room_for_rows: int) -> None:
        self.need(LINE * (1 + room_for_rows) + 0.1)
        x = MARGIN
        for column in columns:
            left = x + (column.width - 0.06 if column.align == "right" else 0.0)
            self.text(left, self.y, column.title, ha=column.align, fontweight="bold", fontsize=7.5)
            x += column.width
        self.y += LINE
        self.rule(self.y - 0.03, x1=MARGIN + sum(c.width for c in columns))
        self.y += 0.02

    def footers(self, lines: Sequence[str]) -> None:
        """The same footer lines on every page, and "page i of n" at the right."""
        total = len(self.figures)
        y = 1 - (A4[1] - FOOTER + 0.18) / A4[1]
        for number, figure in enumerate(self.figures, start=1):
            figure.text(
                MARGIN / A4[0],
                y,
                "\n".join(lines),
                fontsize=6.5,
                color=MUTED,
                va="top",
                linespacing=1.4,
            )
            figure.text(
                1 - MARGIN / A4[0],
                y,
                f"page {number} of {total}",
                fontsize=6.5,
                color=MUTED,
                va="top",
                ha="right",
            )
