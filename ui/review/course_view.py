"""A patient's course: their sessions side by side, one row each, and small trend charts of the
figures a team compares across a course (infusion length, infusion end to discharge-ready, the
blood pressure peak against its baseline, alarms).

The rows come from :func:`roomctl.review.load_course`; a double-click (or Enter) on a row asks
the page to open that session's timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roomctl.review import BloodPressure, CourseRow, minutes_text
from ui.review.plot_items import pen
from ui.review.session_list import TABLE_STYLE
from ui.theme import ACCENT, BACKGROUND, DANGER, MUTED, OK, TEXT, WARNING

LOW_CYAN = "#4fa3b8"
HEADERS = (
    "Course",
    "Date",
    "Status",
    "Infusion",
    "Paused",
    "End → ready",
    "BP baseline",
    "BP peak",
    "Rise",
    "Alarms",
    "Notes",
    "Volume",
)
#: (key, title) of the trend charts, left to right.
TRENDS = (
    ("infusion", "Infusion (min)"),
    ("ready", "Infusion end → ready (min)"),
    ("bp", "Systolic: baseline · peak (mmHg)"),
    ("alarms", "Alarms (high · medium · low)"),
)


def _bp(reading: BloodPressure | None) -> str:
    return "–" if reading is None else reading.text()


def alarm_text(row: CourseRow) -> str:
    parts = [f"{n} {p}" for p, n in row.alarms.items() if n]
    text = ", ".join(parts) if parts else "none"
    return text + (f" (+{row.technical_alarms} tech.)" if row.technical_alarms else "")


def row_cells(row: CourseRow) -> tuple[str, ...]:
    """The table's texts for one session of the course."""
    rise = row.peak_rise_mmhg
    notes = f"{row.notes}" + (f" + {row.voice_notes} voice" if row.voice_notes else "")
    return (
        f"#{row.course}",
        row.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        row.status,
        minutes_text(row.infusion_minutes),
        minutes_text(row.paused_minutes),
        minutes_text(row.end_to_ready_minutes),
        _bp(row.baseline),
        _bp(row.peak),
        "–" if rise is None else f"{rise:+.0f}",
        alarm_text(row),
        notes,
        "–" if row.volume_ml is None else f"{row.volume_ml:.1f} mL",
    )


class CourseView(QWidget):
    """One patient's sessions in a table, trends below."""

    #: A session id to open in the timeline.
    open_session = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[CourseRow] = []
        self.patient = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        self.title = QLabel("No course open")
        self.title.setObjectName("phase")
        self.title.setStyleSheet("font-size: 22px;")
        outer.addWidget(self.title)
        self.subtitle = QLabel("")
        self.subtitle.setObjectName("subtle")
        outer.addWidget(self.subtitle)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setStyleSheet(TABLE_STYLE)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a few rows only
        header.setStretchLastSection(True)
        self.table.setWordWrap(False)
        self.table.cellDoubleClicked.connect(lambda row, _column: self._open(row))
        self.table.activated.connect(lambda index: self._open(index.row()))
        outer.addWidget(self.table, 2)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.trends: dict[str, pg.PlotItem] = {}
        for column, (key, title) in enumerate(TRENDS):
            plot = self.graphics.addPlot(row=0, col=column)
            plot.setTitle(title, color=MUTED, size="10pt")
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.setMouseEnabled(x=False, y=False)
            plot.showGrid(x=False, y=True, alpha=0.15)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pen("#262a30"))
                axis.setTextPen(QColor(MUTED))
                axis.setStyle(tickFont=QFont("DejaVu Sans", 10))
            self.trends[key] = plot
        outer.addWidget(self.graphics, 3)

    # ---------------------------------------------------------------------------- filling
    def show_course(self, patient: str, rows: Sequence[CourseRow]) -> None:
        """Show ``patient``'s sessions (oldest first) and their trends."""
        self.patient = patient
        self.rows = list(rows)
        self.title.setText(f"Course of {patient}")
        done = sum(1 for r in self.rows if r.status == "discharged")
        self.subtitle.setText(
            f"{len(self.rows)} session{'s' if len(self.rows) != 1 else ''}, {done} discharged · "
            "double-click a session to open its timeline"
        )
        self.table.setRowCount(len(self.rows))
        for i, row in enumerate(self.rows):
            for j, text in enumerate(row_cells(row)):
                item = QTableWidgetItem(text)
                if j == 2:
                    colour = {"discharged": OK, "aborted": DANGER}.get(row.status, WARNING)
                    item.setForeground(QColor(colour))
                elif j == 9 and row.alarms.get("high"):
                    item.setForeground(QColor(DANGER))
                elif j == 8 and (row.peak_rise_mmhg or 0) >= 40:
                    item.setForeground(QColor(WARNING))
                if j in (3, 4, 5, 8):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(i, j, item)
        self._trends()

    def _trends(self) -> None:
        for plot in self.trends.values():
            plot.clear()
        if not self.rows:
            return
        x = np.array([r.course for r in self.rows], dtype=float)
        ticks = [[(float(r.course), f"#{r.course}") for r in self.rows]]
        for plot in self.trends.values():
            plot.getAxis("bottom").setTicks(ticks)
            plot.setXRange(x.min() - 0.6, x.max() + 0.6, padding=0)

        def values(get: Callable[[CourseRow], float | None]) -> np.ndarray:
            return np.array([np.nan if get(r) is None else float(get(r)) for r in self.rows])

        self._line(self.trends["infusion"], x, values(lambda r: r.infusion_minutes), ACCENT)
        self._line(self.trends["ready"], x, values(lambda r: r.end_to_ready_minutes), OK)
        bp = self.trends["bp"]
        base = values(lambda r: r.baseline.sys if r.baseline else None)
        peak = values(lambda r: r.peak.sys if r.peak else None)
        finite = np.isfinite(base) & np.isfinite(peak)
        if finite.any():
            bp.addItem(
                pg.ErrorBarItem(
                    x=x[finite],
                    y=base[finite],
                    top=peak[finite] - base[finite],
                    bottom=0 * x[finite],
                    beam=0,
                    pen=pen(MUTED, 2),
                )
            )
        self._line(bp, x, base, MUTED)
        self._line(bp, x, peak, "#e08a5c")
        alarms = self.trends["alarms"]
        bottom = np.zeros(len(x))
        for priority, colour in (("low", LOW_CYAN), ("medium", WARNING), ("high", DANGER)):
            height = np.array([r.alarms.get(priority, 0) for r in self.rows], dtype=float)
            if height.any():
                alarms.addItem(
                    pg.BarGraphItem(
                        x=x, height=height, y0=bottom, width=0.5, brush=colour, pen=None
                    )
                )
            bottom = bottom + height
        top = max(1, int(bottom.max()))
        alarms.setYRange(0, top + 0.5, padding=0)
        step = max(1, top // 5)
        alarms.getAxis("left").setTicks([[(float(n), str(n)) for n in range(0, top + 1, step)]])

    @staticmethod
    def _line(plot: pg.PlotItem, x: np.ndarray, y: np.ndarray, colour: str) -> None:
        if not np.isfinite(y).any():
            return
        plot.addItem(pg.PlotDataItem(x, y, pen=pen(colour, 2), connect="finite"))
        plot.addItem(
            pg.ScatterPlotItem(x=x, y=y, size=9, brush=pg.mkBrush(colour), pen=pg.mkPen(TEXT))
        )

    def _open(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.open_session.emit(self.rows[row].session_id)
