"""One session on one time axis: phase, music, soundscape and light bands, alarms by priority,
notes, recovery; vitals, pleth and pump below; an event list and the recovery figures beside.

Every plot shares the X axis (``setXLink``): zooming or panning one moves them all. Mouse wheel
and drag act on time only (keys: + and - zoom, Ctrl+Left/Right pan, Home shows it all); each
plot's Y follows what is visible. Clicking an event in the
list centres the plots on it and shows its details; clicking a note marker shows the note, with
Play for a voice note when the role may play them and the app gave a player.

Speed: three hours of 75 Hz pleth is 800 000 points. The curve is given all of them once, with
pyqtgraph's clip-to-view and peak downsampling, so each paint draws about two points per pixel
column of what is visible (the envelope when zoomed out, every beat when zoomed in). The plots
are built once with the widget; opening a session only adds its items, and labels, bands and
marker lines are one item per plot (see :mod:`ui.review.plot_items`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import (
    QAbstractTableModel,
    QKeyCombination,
    QModelIndex,
    QPersistentModelIndex,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from roomctl.review import (
    PRIORITY_MARKS,
    Band,
    EventRow,
    NoteMark,
    ReviewSession,
    baseline_pressure,
    clock_text,
    minutes_text,
    peak_pressure,
    wave_line,
    with_gaps,
)
from roomctl.roles import Action, Role, allowed
from ui.review.plot_items import (
    BandLabel,
    BandsItem,
    LabelsItem,
    Line,
    PointLabel,
    SessionTimeAxis,
    Span,
    XMarksItem,
    kelvin_colour,
    pen,
)
from ui.review.session_list import TABLE_STYLE
from ui.theme import ACCENT, BACKGROUND, DANGER, MUTED, OK, SURFACE, TEXT, WARNING

PlayVoice = Callable[[str], None]
Index = QModelIndex | QPersistentModelIndex

# --------------------------------------------------------------------------------- colours
LOW_CYAN = "#4fa3b8"
PRIORITY_COLOURS = {"high": DANGER, "medium": WARNING, "low": LOW_CYAN}
PHASE_COLOURS = {
    "ready": "#2b3038",
    "preparing": "#2f4a63",
    "infusing": "#7a4f1c",
    "paused": "#6b5a22",
    "recovering": "#2e5538",
}
MUSIC_COLOUR = "#4b3f6e"
SOUND_COLOUR = "#2f5560"
GRID = "#262a30"
CURVES = {
    "hr": "#e08a5c",
    "spo2": "#6fb8cf",
    "nibp": "#d9cbb0",
    "rr": "#9bbf7a",
    "etco2": "#b995d1",
    "pleth": "#6fb8cf",
    "pump_rate_ml_h": "#d9cbb0",
    "pump_vi_ml": ACCENT,
}

#: Rows of the track plot, top to bottom: (key, label).
TRACK_ROWS = (
    ("phase", "Phase"),
    ("music", "Music"),
    ("soundscape", "Sound"),
    ("lights", "Lights"),
    ("high", "Alarm ***"),
    ("medium", "Alarm **"),
    ("low", "Alarm *"),
    ("notes", "Notes"),
    ("recovery", "Recovery"),
)
ROW_Y = {key: float(len(TRACK_ROWS) - 1 - i) for i, (key, _) in enumerate(TRACK_ROWS)}
BAND_HALF = 0.38


def _coloured(*parts: tuple[str, str]) -> str:
    return " · ".join(f'<span style="color:{colour}">{text}</span>' for text, colour in parts)


#: Plots under the tracks, with their Y axis titles (coloured like their curves: no legends).
PLOTS = (
    ("vitals", _coloured(("HR /min", CURVES["hr"]), ("NIBP mmHg", CURVES["nibp"]))),
    ("spo2", _coloured(("SpO2 %", CURVES["spo2"]))),
    ("resp", _coloured(("RR /min", CURVES["rr"]), ("EtCO2 mmHg", CURVES["etco2"]))),
    ("pleth", _coloured(("Pleth", CURVES["pleth"]))),
    ("pump", _coloured(("rate mL/h", CURVES["pump_rate_ml_h"]), ("volume mL", ACCENT))),
)
PLOT_STRETCH = (5, 4, 3, 3, 3, 3)
#: Which plot shades an alarm on a channel.
ALARM_PLOT = {
    "hr": "vitals",
    "pr": "vitals",
    "nibp_sys": "vitals",
    "nibp_dia": "vitals",
    "nibp_map": "vitals",
    "spo2": "spo2",
    "rr": "resp",
    "etco2": "resp",
}
#: Milestones drawn as lines through every plot (by the start of their label).
LINE_MILESTONES = ("Dosing started", "Infusion ended", "Discharge-ready", "Discharged")
#: Shorter names for the recovery row.
SHORT_MILESTONES = {
    "Preparation started": "Prep",
    "Dosing started": "Dosing",
    "Infusion paused": "Paused",
    "Infusion resumed": "Resumed",
    "Minimum recovery time reached": "Min. time",
    "Discharge-ready": "Ready",
    "Discharged": "Discharged",
}
#: When the view is wider than this, centring on an event zooms to CENTRE_WIDTH_S around it.
CENTRE_MAX_WIDTH_S = 45 * 60.0
CENTRE_WIDTH_S = 20 * 60.0
#: Readings further apart than this leave a gap in their line (the monitor said nothing).
MAX_READING_GAP_S = 15.0


# ------------------------------------------------------------------------------ event list
class EventTableModel(QAbstractTableModel):
    HEADERS = ("Time", "Clock", "Kind", "What")

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[EventRow] = []

    def set_rows(self, rows: Sequence[EventRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, i: int) -> EventRow:
        return self._rows[i]

    def rows(self) -> list[EventRow]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return clock_text(r.t)
            if column == 1:
                return r.wall.astimezone().strftime("%H:%M:%S")
            return r.kind if column == 2 else r.text
        if role == Qt.ItemDataRole.ToolTipRole and column == 3:
            return r.text
        if role == Qt.ItemDataRole.ForegroundRole:
            if r.kind == "alarm":
                return QColor(PRIORITY_COLOURS[_priority_of(r.text)])
            if column < 3:
                return QColor(MUTED)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


def _priority_of(text: str) -> str:
    """An alarm line's priority from its marker (``***`` high, ``**`` medium, ``*`` low)."""
    said = text.split(": ", 1)[-1]
    for priority in ("high", "medium", "low"):
        if said.startswith(PRIORITY_MARKS[priority]):
            return priority
    return "low"


#: The event list's kind filter: label → kinds (None: all).
EVENT_FILTERS: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("All events", None),
    ("Alarms", frozenset({"alarm"})),
    ("Notes", frozenset({"note"})),
    ("Phases and recovery", frozenset({"phase", "recovery", "system"})),
    ("Music, sound, lights", frozenset({"music", "soundscape", "lights", "cue"})),
    ("Feeds and reminders", frozenset({"feed", "reminder"})),
)


# ----------------------------------------------------------------------------- the widget
class TimelineView(QWidget):
    """A session's timeline; :meth:`show_session` fills it, :meth:`clear` empties it.

    ``tracks`` names what the open session has drawn: phase, music, soundscape, lights,
    alarms, notes (voice, if any), recovery, vitals, spo2, resp, pleth, pump.
    """

    #: Emitted with the session time the view was centred on.
    centred = Signal(float)

    def __init__(self, *, play_voice: PlayVoice | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.play_voice = play_voice
        self.role: Role | None = None
        self.review: ReviewSession | None = None
        self.plots: dict[str, pg.PlotItem] = {}
        self.tracks: set[str] = set()
        self.labels: LabelsItem | None = None
        #: Per plot: alarm spans and milestone lines of the open session.
        self.marks: dict[str, XMarksItem] = {}
        self.note_markers: pg.ScatterPlotItem | None = None
        self._items: list[tuple[pg.PlotItem, Any]] = []
        self._cursors: list[pg.InfiniteLine] = []
        self._empty: dict[str, pg.TextItem] = {}
        self._selected_note: NoteMark | None = None
        self._build()
        self._build_plots()
        keys = (
            (Qt.Key.Key_Home, self.show_all),
            (Qt.Key.Key_Plus, lambda: self.zoom(0.5)),
            (Qt.Key.Key_Equal, lambda: self.zoom(0.5)),
            (Qt.Key.Key_Minus, lambda: self.zoom(2.0)),
            (
                QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Left),
                lambda: self.pan(-0.25),
            ),
            (
                QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_Right),
                lambda: self.pan(0.25),
            ),
        )
        for key, action in keys:
            QShortcut(QKeySequence(key), self, activated=action)

    # ------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(12, 8, 12, 8)
        self.header = QLabel("No session open")
        self.header.setObjectName("phase")
        self.header.setStyleSheet("font-size: 22px;")
        outer.addWidget(self.header)
        split = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(split, 1)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground(BACKGROUND)
        self.graphics.ci.layout.setSpacing(2)
        self.graphics.ci.setContentsMargins(4, 4, 12, 4)
        split.addWidget(self.graphics)

        side = QWidget()
        side.setMinimumWidth(420)
        side.setMaximumWidth(560)
        box = QVBoxLayout(side)
        box.setContentsMargins(8, 0, 0, 0)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.summary.setStyleSheet(f"background: {SURFACE}; border-radius: 10px; padding: 10px;")
        box.addWidget(self.summary)

        detail = QFrame()
        detail.setObjectName("card")
        dbox = QVBoxLayout(detail)
        dbox.setContentsMargins(10, 8, 10, 8)
        self.detail_title = QLabel("Click an event or a marker")
        self.detail_title.setWordWrap(True)
        self.detail_title.setStyleSheet("font-weight: bold;")
        self.detail_text = QPlainTextEdit()
        self.detail_text.setReadOnly(True)
        self.detail_text.setMaximumHeight(130)
        self.detail_text.setStyleSheet(f"background: {BACKGROUND}; border: none;")
        row = QHBoxLayout()
        self.play_button = QPushButton("Play voice note")
        self.play_button.clicked.connect(self._play)
        self.play_problem = QLabel()
        self.play_problem.setObjectName("subtle")
        self.play_problem.setWordWrap(True)
        row.addWidget(self.play_button)
        row.addWidget(self.play_problem, 1)
        dbox.addWidget(self.detail_title)
        dbox.addWidget(self.detail_text)
        dbox.addLayout(row)
        box.addWidget(detail)

        self.event_filter = QComboBox()
        for label, kinds in EVENT_FILTERS:
            self.event_filter.addItem(label, kinds)
        self.event_filter.currentIndexChanged.connect(lambda _i: self._fill_events())
        box.addWidget(self.event_filter)
        self.events_model = EventTableModel()
        self.events = QTableView()
        self.events.setModel(self.events_model)
        self.events.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.events.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.events.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.events.verticalHeader().setVisible(False)
        self.events.verticalHeader().setDefaultSectionSize(30)
        self.events.setWordWrap(False)
        self.events.setStyleSheet(TABLE_STYLE)
        self.events.setShowGrid(False)
        header = self.events.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((68, 78, 92)):
            self.events.setColumnWidth(column, width)
        self.events.clicked.connect(lambda index: self.select_event(index.row()))
        self.events.activated.connect(lambda index: self.select_event(index.row()))
        box.addWidget(self.events, 1)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([1150, 450])
        self._update_play()

    def _build_plots(self) -> None:
        """The plots, built once: opening a session only adds its items (a PlotItem with its
        axes and view box costs tens of milliseconds to make)."""
        names = ["tracks", *(name for name, _ in PLOTS)]
        titles = dict(PLOTS)
        top: pg.PlotItem | None = None
        for row, name in enumerate(names):
            axis = SessionTimeAxis(orientation="bottom")
            plot = self.graphics.addPlot(row=row, col=0, axisItems={"bottom": axis})
            self._style(plot, titles.get(name, ""), last=row == len(names) - 1)
            if top is None:
                top = plot
            else:
                plot.setXLink(top)
            cursor = pg.InfiniteLine(angle=90, movable=False, pen=pen(ACCENT, 1.5))
            cursor.setZValue(50)
            cursor.hide()
            plot.addItem(cursor, ignoreBounds=True)
            self._cursors.append(cursor)
            empty = pg.TextItem("", color=MUTED, anchor=(0.5, 0.5))
            empty.setParentItem(plot.getViewBox())
            plot.getViewBox().sigResized.connect(
                lambda vb, label=empty: label.setPos(vb.width() / 2, vb.height() / 2)
            )
            self._empty[name] = empty
            self.plots[name] = plot
        grid = self.graphics.ci.layout
        for row, stretch in enumerate(PLOT_STRETCH):
            grid.setRowStretchFactor(row, stretch)
        tracks = self.plots["tracks"]
        tracks.getAxis("left").setTicks([[(ROW_Y[k], label) for k, label in TRACK_ROWS], []])
        tracks.setYRange(-0.6, len(TRACK_ROWS) - 0.4, padding=0)
        tracks.getViewBox().setLimits(yMin=-0.6, yMax=len(TRACK_ROWS) - 0.4)
        for name, _ in PLOTS:
            plot = self.plots[name]
            plot.enableAutoRange(axis="y")
            plot.setAutoVisible(y=True)
        self.plots["spo2"].getViewBox().setLimits(minYRange=8)
        self.plots["pleth"].getAxis("left").setStyle(showValues=False)

    def _style(self, plot: pg.PlotItem, title: str, *, last: bool) -> None:
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=True, y=False)
        plot.showGrid(x=True, y=False, alpha=0.15)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pen(GRID))
            axis.setTextPen(QColor(MUTED))
            axis.setStyle(tickFont=QFont("DejaVu Sans", 10))
        plot.getAxis("left").setWidth(86)
        if title:
            plot.setLabel("left", title, color=MUTED, **{"font-size": "10pt"})
        plot.getAxis("bottom").setStyle(showValues=last)
        if not last:
            plot.getAxis("bottom").setHeight(4)

    # -------------------------------------------------------------------------------- role
    def set_role(self, role: Role | None) -> None:
        self.role = role
        self._update_play()

    def _update_play(self) -> None:
        note = self._selected_note
        voice = note is not None and note.voice
        may = allowed(self.role, Action.VOICE_NOTE)
        self.play_button.setVisible(voice)
        self.play_button.setEnabled(voice and may and self.play_voice is not None)
        if not voice:
            self.play_problem.setText("")
        elif not may:
            self.play_problem.setText("Voice notes are played in the therapist's role.")
        elif self.play_voice is None:
            self.play_problem.setText("No audio output for voice notes on this computer.")
        else:
            self.play_problem.setText("")

    def _play(self) -> None:
        note = self._selected_note
        if note is None or not note.voice or self.play_voice is None:
            return
        if not allowed(self.role, Action.VOICE_NOTE):
            return
        try:
            self.play_voice(note.path)
        except OSError as exc:
            self.play_problem.setText(f"Cannot play it: {exc}")

    # --------------------------------------------------------------------------- filling
    def _add(self, plot: pg.PlotItem, item: Any, *, bounds: bool = True) -> Any:
        """Add a session's item to ``plot``; :meth:`clear` removes it again."""
        plot.addItem(item, ignoreBounds=not bounds)
        self._items.append((plot, item))
        return item

    def clear(self) -> None:
        """Remove the session: its items, its events, its details."""
        for plot, item in self._items:
            plot.removeItem(item)
        self._items = []
        self.tracks = set()
        self.labels = None
        self.marks = {}
        self.note_markers = None
        self._selected_note = None
        self.review = None
        for cursor in self._cursors:
            cursor.hide()
        for label in self._empty.values():
            label.setText("")
        self.header.setText("No session open")
        self.summary.setText("")
        self.events_model.set_rows([])
        self.detail_title.setText("Click an event or a marker")
        self.detail_text.setPlainText("")
        self._update_play()

    def show_session(self, review: ReviewSession) -> None:
        """Draw every track of ``review`` and list its events; the whole session in view."""
        self.clear()
        self.review = review
        info = review.info
        started = info.started_at.astimezone()
        self.header.setText(
            f"{info.patient} · course {info.course} · {info.room} · "
            f"{started:%a %d %b %Y, %H:%M} · {info.status}"
        )
        self.summary.setText(summary_html(review))
        end = max(review.end_t, 60.0)
        for plot in self.plots.values():
            plot.setLimits(xMin=-0.02 * end, xMax=end * 1.02, minXRange=10.0)
        self._tracks(review)
        self._vitals(review)
        self._pleth(review)
        self._pump(review)
        self._marks(review)
        self._fill_events()
        self.show_all()

    # ---------------------------------------------------------------------------- tracks
    def _tracks(self, review: ReviewSession) -> None:
        plot = self.plots["tracks"]
        rects: list[tuple[QRectF, QColor]] = []
        bands: list[BandLabel] = []
        points: list[PointLabel] = []

        def band(key: str, b: Band, colour: QColor, *texts: str) -> None:
            y = ROW_Y[key]
            rects.append(
                (QRectF(b.start_t, y - BAND_HALF, b.end_t - b.start_t, 2 * BAND_HALF), colour)
            )
            bands.append(BandLabel(b.start_t, b.end_t, y, texts, TEXT))
            self.tracks.add(key)

        for b in review.phases:
            band("phase", b, QColor(PHASE_COLOURS.get(b.label, "#333333")), b.label)
        for b in review.music:
            band("music", b, QColor(MUSIC_COLOUR), b.label)
        for b in review.soundscape:
            band("soundscape", b, QColor(SOUND_COLOUR), f"{b.label} {b.detail}".strip(), b.label)
        for b in review.lights:
            band("lights", b, kelvin_colour(b.kelvin, b.level), f"{b.label} {b.detail}", b.label)
        for a in review.alarms:
            key = a.priority if a.priority in PRIORITY_COLOURS else "low"
            y = ROW_Y[key]
            width = max(a.end_t - a.raised_t, 1.0)
            rects.append(
                (
                    QRectF(a.raised_t, y - BAND_HALF, width, 2 * BAND_HALF),
                    QColor(PRIORITY_COLOURS[key]),
                )
            )
            points.append(PointLabel(a.raised_t + width, y, a.label, PRIORITY_COLOURS[key], 6.0))
            self.tracks.add("alarms")
        for note in review.notes:
            short = note.text if len(note.text) <= 30 else note.text[:29] + "…"
            points.append(
                PointLabel(
                    note.t, ROW_Y["notes"], "voice note" if note.voice else short, MUTED, 12.0
                )
            )
        y = ROW_Y["recovery"]
        marks, brushes = [], []
        for m in review.milestones:
            short = next((v for k, v in SHORT_MILESTONES.items() if m.label.startswith(k)), None)
            if short is not None:
                marks.append(m.t)
                brushes.append(pg.mkBrush(ACCENT))
                points.append(PointLabel(m.t, y, short, MUTED))
        for check in review.facts.checks:
            marks.append(check.t)
            colour = OK if check.passed else WARNING
            brushes.append(pg.mkBrush(colour))
            points.append(PointLabel(check.t, y, f"Aldrete {check.aldrete}", colour))
        self._add(plot, BandsItem(rects))
        if marks:
            self._add(
                plot,
                pg.ScatterPlotItem(
                    x=marks,
                    y=[y] * len(marks),
                    symbol="d",
                    size=12,
                    brush=brushes,
                    pen=pg.mkPen(None),
                ),
            )
            self.tracks.add("recovery")
        self._notes(plot, review)
        self.labels = self._add(plot, LabelsItem(bands, points), bounds=False)

    def _notes(self, plot: pg.PlotItem, review: ReviewSession) -> None:
        if not review.notes:
            return
        spots = [
            {
                "pos": (note.t, ROW_Y["notes"]),
                "data": note,
                "symbol": "t1" if note.voice else "s" if note.kind == "intention" else "o",
                "size": 17,
                "brush": pg.mkBrush(ACCENT if note.voice else TEXT),
                "pen": pg.mkPen(BACKGROUND),
            }
            for note in review.notes
        ]
        markers = pg.ScatterPlotItem(spots=spots, hoverable=True, hoverSize=22)
        markers.sigClicked.connect(self._note_clicked)
        self.note_markers = self._add(plot, markers)
        self.tracks.add("notes")
        if any(n.voice for n in review.notes):
            self.tracks.add("voice")

    def _note_clicked(self, _item: Any, points: Sequence[Any], *_: Any) -> None:
        if len(points):
            self.show_note(points[0].data())

    # ---------------------------------------------------------------------------- curves
    def _curve(self, plot: pg.PlotItem, t: np.ndarray, v: np.ndarray, colour: str) -> None:
        curve = pg.PlotDataItem(t, v, pen=pen(colour), connect="finite")
        self._add(plot, curve)  # first: pyqtgraph needs the view box to clip and downsample
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)

    def _series(self, plot: pg.PlotItem, review: ReviewSession, channel: str) -> bool:
        series = review.series.get(channel)
        if series is None:
            return False
        t, v = with_gaps(series.t, series.value, MAX_READING_GAP_S)
        self._curve(plot, t, v, CURVES[channel])
        return True

    def _vitals(self, review: ReviewSession) -> None:
        vitals, spo2, resp = self.plots["vitals"], self.plots["spo2"], self.plots["resp"]
        shown = self._series(vitals, review, "hr")
        bp = review.facts.blood_pressures
        if bp:
            t = np.array([r.t for r in bp])
            sys_ = np.array([r.sys for r in bp])
            dia = np.array([r.dia for r in bp])
            nibp = CURVES["nibp"]
            self._add(
                vitals,
                pg.ErrorBarItem(x=t, y=dia, top=sys_ - dia, bottom=0 * t, beam=0, pen=pen(nibp, 2)),
            )
            self._add(
                vitals,
                pg.ScatterPlotItem(
                    x=np.concatenate([t, t]),
                    y=np.concatenate([sys_, dia]),
                    symbol="o",
                    size=6,
                    brush=pg.mkBrush(nibp),
                    pen=pg.mkPen(None),
                ),
            )
            shown = True
        baseline = baseline_pressure(review.events, review.facts)
        if baseline is not None:
            line = pg.InfiniteLine(
                pos=baseline.sys,
                angle=0,
                pen=pen(CURVES["nibp"], 1, Qt.PenStyle.DashLine),
                label=f"baseline {baseline.text()}",
                labelOpts={"color": MUTED, "position": 0.015, "anchors": [(0, 1), (0, 1)]},
            )
            self._add(vitals, line, bounds=False)
        self._tracked("vitals", shown, "no HR or blood pressure")
        self._tracked("spo2", self._series(spo2, review, "spo2"), "no SpO2")
        rr = self._series(resp, review, "rr")
        etco2 = self._series(resp, review, "etco2")
        self._tracked("resp", rr or etco2, "no RR or EtCO2")

    def _tracked(self, name: str, shown: bool, missing: str) -> None:
        if shown:
            self.tracks.add(name)
        self._empty[name].setText("" if shown else missing)

    def _pleth(self, review: ReviewSession) -> None:
        wave = review.waves.get("pleth")
        if wave is not None:
            t, v = wave_line(wave)
            self._curve(self.plots["pleth"], t, v, CURVES["pleth"])
        self._tracked("pleth", wave is not None, "no pleth recorded")

    def _pump(self, review: ReviewSession) -> None:
        plot = self.plots["pump"]
        rate = self._series(plot, review, "pump_rate_ml_h")
        volume = self._series(plot, review, "pump_vi_ml")
        self._tracked("pump", rate or volume, "no pump data")

    def _marks(self, review: ReviewSession) -> None:
        """Alarm times shaded in the plot of their channel; milestone lines through all."""
        spans: dict[str, list[Span]] = {name: [] for name in self.plots}
        for a in review.alarms:
            name = ALARM_PLOT.get(a.channel or "")
            if name is not None:
                colour = QColor(PRIORITY_COLOURS.get(a.priority, LOW_CYAN))
                colour.setAlpha(60)
                spans[name].append(Span(a.raised_t, max(a.end_t, a.raised_t + 1.0), colour))
        lines = [m for m in review.milestones if m.label.startswith(LINE_MILESTONES)]
        for name, plot in self.plots.items():
            labelled = name == "vitals"
            shown = [Line(m.t, m.label if labelled else "") for m in lines]
            self.marks[name] = self._add(plot, XMarksItem(spans[name], shown, MUTED), bounds=False)

    # ---------------------------------------------------------------------------- events
    def _fill_events(self) -> None:
        review = self.review
        if review is None:
            self.events_model.set_rows([])
            return
        kinds = self.event_filter.currentData()
        self.events_model.set_rows([r for r in review.rows if kinds is None or r.kind in kinds])

    def select_event(self, row: int) -> None:
        """Centre the plots on the event in ``row`` of the list and show its details."""
        review = self.review
        if review is None or not 0 <= row < self.events_model.rowCount():
            return
        event_row = self.events_model.row(row)
        self.centre_on(event_row.t)
        if event_row.kind == "note":
            note = next((n for n in review.notes if n.t == event_row.t), None)
            if note is not None:
                self.show_note(note)
                return
        self._selected_note = None
        self.detail_title.setText(f"{clock_text(event_row.t)}  {event_row.text}")
        event = next((e for e in review.events if e.seq == event_row.seq), None)
        data = json.dumps(event.data, indent=1, ensure_ascii=False) if event is not None else ""
        self.detail_text.setPlainText(f"{event_row.source} · {event_row.kind}\n{data}")
        self._update_play()

    def show_note(self, note: NoteMark) -> None:
        """Show a note's text (or a voice note's Play) in the detail box, and mark its time."""
        self._selected_note = note
        self.detail_title.setText(f"{clock_text(note.t)}  {note.title()}")
        body = note.text or ("(spoken: press Play)" if note.voice else "")
        if note.voice:
            body += f"\nfile: {note.path}"
        self.detail_text.setPlainText(body)
        self._mark(note.t)
        self._update_play()

    # ------------------------------------------------------------------------------ view
    def x_range(self) -> tuple[float, float]:
        (x0, x1), _ = self.plots["tracks"].getViewBox().viewRange()
        return (float(x0), float(x1))

    def set_x_range(self, start: float, end: float) -> None:
        self.plots["tracks"].setXRange(start, end, padding=0)

    def show_all(self) -> None:
        if self.review is not None:
            self.set_x_range(0.0, max(self.review.end_t, 60.0))

    def zoom(self, factor: float) -> None:
        """Zoom time about the middle of the view (``factor`` < 1 zooms in): + and - keys."""
        x0, x1 = self.x_range()
        middle, half = (x0 + x1) / 2, (x1 - x0) * factor / 2
        self.set_x_range(middle - half, middle + half)

    def pan(self, fraction: float) -> None:
        """Move the view by ``fraction`` of its width (Ctrl+Left, Ctrl+Right)."""
        x0, x1 = self.x_range()
        step = (x1 - x0) * fraction
        self.set_x_range(x0 + step, x1 + step)

    def centre_on(self, t: float) -> None:
        """Put ``t`` in the middle of the plots (zooming in first when the view is wide)."""
        x0, x1 = self.x_range()
        width = x1 - x0
        if width <= 0 or width > CENTRE_MAX_WIDTH_S:
            width = CENTRE_WIDTH_S
        self.set_x_range(t - width / 2, t + width / 2)
        self._mark(t)
        self.centred.emit(t)

    def _mark(self, t: float) -> None:
        for cursor in self._cursors:
            cursor.setPos(t)
            cursor.show()


def summary_html(review: ReviewSession) -> str:
    """Recovery figures and the session's counts, at a glance (a two-column table)."""
    facts = review.facts
    rows = [(label, minutes_text(value)) for label, value in review.intervals]
    baseline = baseline_pressure(review.events, facts)
    if baseline is not None:
        rows.append(("BP baseline", baseline.text()))
    peak = peak_pressure(facts)
    if peak is not None:
        rows.append(("BP peak", f"{peak.text()} at {clock_text(peak.t)}"))
    clinical = [a for a in review.alarms if not a.technical]
    counts = {p: sum(1 for a in clinical if a.priority == p) for p in ("high", "medium", "low")}
    alarms = ", ".join(f"{n} {p}" for p, n in counts.items() if n) or "none"
    technical = sum(1 for a in review.alarms if a.technical)
    rows.append(("Alarms", alarms + (f" (+{technical} technical)" if technical else "")))
    notes = sum(1 for n in review.notes if not n.voice)
    voice = sum(1 for n in review.notes if n.voice)
    rows.append(("Notes", f"{notes}" + (f" + {voice} voice" if voice else "")))
    if facts.checks:
        last = facts.checks[-1]
        verdict = " (passed)" if last.passed else ""
        rows.append(
            ("Recovery checks", f"{len(facts.checks)}, last Aldrete {last.aldrete}{verdict}")
        )
    cells = "".join(
        f'<tr><td style="color:{MUTED}; padding-right:10px">{label}</td>'
        f'<td style="color:{TEXT}">{value}</td></tr>'
        for label, value in rows
    )
    return f'<table cellspacing="2">{cells}</table>'
