"""The list of past sessions a reviewer starts from: filter by dates, room, pseudonym and status,
search, and open one (Enter or double-click) or its patient's course.

Ten thousand sessions must list in a blink, so the table is a model over plain records, not a
widget per row: a cell is formatted only when the view paints it, and sorting sorts the records
in Python with a key (a proxy model would call back into Python for every comparison). The
store reads only the listed columns (:meth:`TimelineStore.session_list`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QCloseEvent, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from roomctl.timeline.errors import StoreError
from roomctl.timeline.sessions import SessionSummary
from roomctl.timeline.store import TimelineStore
from ui.theme import BACKGROUND, DANGER, MUTED, OK, SURFACE, TEXT, WARNING

LIVE_STATUSES = frozenset({"ready", "preparing", "infusing", "paused", "recovering"})
#: The status filter's choices: what the reviewer reads, what the store keeps.
STATUS_CHOICES: tuple[tuple[str, frozenset[str] | None], ...] = (
    ("Any status", None),
    ("Discharged", frozenset({"discharged"})),
    ("Aborted", frozenset({"aborted"})),
    ("Interrupted", frozenset({"interrupted"})),
    ("In progress", LIVE_STATUSES),
)
STATUS_COLOURS = {"discharged": OK, "aborted": DANGER, "interrupted": WARNING}
SEARCH_DELAY_MS = 250
#: Tables in the dark room: no white alternate rows, quiet grid and headers.
TABLE_STYLE = f"""
QTableView {{
    background: {SURFACE}; alternate-background-color: #1e2226; gridline-color: #262a30;
    border: none; border-radius: 8px; selection-background-color: #3a2f1c;
    selection-color: {TEXT};
}}
QHeaderView::section {{
    background: {BACKGROUND}; color: {MUTED}; border: none;
    border-bottom: 1px solid #262a30; padding: 4px 6px;
}}
"""

Index = QModelIndex | QPersistentModelIndex


def _local(when: datetime) -> datetime:
    return when.astimezone()


def length_text(s: SessionSummary) -> str:
    """How long the session ran (to its end, or to its last record), as h:mm."""
    end = s.ended_at or s.last_wall
    minutes = max(0, int((end - s.started_at).total_seconds() // 60))
    return f"{minutes // 60}:{minutes % 60:02d}"


#: (header, cell text, sort key) per column.
COLUMNS: tuple[
    tuple[str, Callable[[SessionSummary], str], Callable[[SessionSummary], Any]], ...
] = (
    ("Started", lambda s: _local(s.started_at).strftime("%Y-%m-%d  %H:%M"), lambda s: s.started_at),
    ("Patient", lambda s: s.patient, lambda s: s.patient.lower()),
    ("Course", lambda s: str(s.course), lambda s: s.course),
    ("Room", lambda s: s.room, lambda s: s.room),
    ("Status", lambda s: s.status, lambda s: s.status),
    ("Planned", lambda s: f"{s.planned_minutes} min", lambda s: s.planned_minutes),
    ("Length", length_text, lambda s: (s.ended_at or s.last_wall) - s.started_at),
    ("Mode", lambda s: s.mode, lambda s: s.mode),
    ("Session", lambda s: s.id, lambda s: s.id),
)
NUMERIC_COLUMNS = frozenset({2, 5, 6})


class SessionTableModel(QAbstractTableModel):
    """Sessions as table rows; cells are formatted on demand."""

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[SessionSummary] = []

    def set_sessions(self, rows: list[SessionSummary]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def session(self, row: int) -> SessionSummary:
        return self._rows[row]

    def sessions(self) -> list[SessionSummary]:
        return list(self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt's default)
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        s = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[column][1](s)
        if role == Qt.ItemDataRole.ForegroundRole and column == 4:
            return QColor(STATUS_COLOURS.get(s.status, TEXT))
        if role == Qt.ItemDataRole.ForegroundRole and column == 8:
            return QColor(MUTED)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in NUMERIC_COLUMNS:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section][0]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return  # no sort column: keep the store's order (newest first)
        key = COLUMNS[column][2]
        self.layoutAboutToBeChanged.emit()
        self._rows.sort(key=key, reverse=order == Qt.SortOrder.DescendingOrder)
        self.layoutChanged.emit()


class SessionList(QWidget):
    """Filters above a table of sessions; opening one is the page's business (signals)."""

    #: A session id to show in the timeline.
    open_session = Signal(str)
    #: A patient pseudonym whose course to show.
    open_course = Signal(str)

    def __init__(self, store: TimelineStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._rooms: set[str] = set()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 12, 16, 12)
        filters = QHBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search id, pseudonym, room  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(lambda _text: self._search_timer.start())
        self.patient = QLineEdit()
        self.patient.setPlaceholderText("Pseudonym (exact)")
        self.patient.editingFinished.connect(self.refresh)
        self.room = QComboBox()
        self.room.addItem("Any room", None)
        self.room.currentIndexChanged.connect(lambda _i: self.refresh())
        self.status = QComboBox()
        for label, statuses in STATUS_CHOICES:
            self.status.addItem(label, statuses)
        self.status.currentIndexChanged.connect(lambda _i: self.refresh())
        today = QDate.currentDate()
        self.use_from = QCheckBox("From")
        self.date_from = QDateEdit(today.addMonths(-1))
        self.use_to = QCheckBox("To")
        self.date_to = QDateEdit(today)
        for check, edit in ((self.use_from, self.date_from), (self.use_to, self.date_to)):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
            check.toggled.connect(edit.setEnabled)
            check.toggled.connect(lambda _on: self.refresh())
            edit.dateChanged.connect(lambda _d: self.refresh())
        filters.addWidget(self.search, 3)
        filters.addWidget(self.patient, 2)
        filters.addWidget(self.room, 1)
        filters.addWidget(self.status, 1)
        filters.addWidget(self.use_from)
        filters.addWidget(self.date_from)
        filters.addWidget(self.use_to)
        filters.addWidget(self.date_to)
        outer.addLayout(filters)

        self.model = SessionTableModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)  # the header sorts through the model, on click
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().sortIndicatorChanged.connect(self.model.sort)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.setStyleSheet(TABLE_STYLE)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((190, 150, 80, 110, 120, 100, 90, 90)):
            self.table.setColumnWidth(column, width)
        self.table.doubleClicked.connect(lambda index: self._open(index.row()))
        self.table.activated.connect(lambda index: self._open(index.row()))
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selected())
        outer.addWidget(self.table, 1)

        bottom = QHBoxLayout()
        self.count = QLabel()
        self.count.setObjectName("subtle")
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        self.open_button = QPushButton("Open timeline")
        self.open_button.setObjectName("primary")
        self.open_button.setToolTip("Open the selected session (Enter)")
        self.open_button.clicked.connect(lambda: self._open(self._current_row()))
        self.course_button = QPushButton("Patient's course")
        self.course_button.clicked.connect(self._course)
        bottom.addWidget(self.count)
        bottom.addWidget(self.problem, 1)
        bottom.addWidget(self.course_button)
        bottom.addWidget(self.open_button)
        outer.addLayout(bottom)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus)
        self._selected()

    # --------------------------------------------------------------------------- filters
    def filters(self) -> dict[str, Any]:
        """The store's keyword arguments for what the filter bar says now."""
        found: dict[str, Any] = {
            "search": self.search.text().strip() or None,
            "patient": self.patient.text().strip() or None,
            "room": self.room.currentData(),
            "statuses": self.status.currentData(),
        }
        if self.use_from.isChecked():
            found["since"] = _day_start(self.date_from.date())
        if self.use_to.isChecked():
            found["until"] = _day_start(self.date_to.date().addDays(1))
        return found

    def refresh(self) -> None:
        """Read the filtered list again (keeps the selected session selected if still listed)."""
        self._search_timer.stop()
        keep = self.current()
        try:
            rows = self.store.session_list(**self.filters())
        except StoreError as exc:
            self.problem.setText(str(exc))
            return
        self.problem.setText("")
        header = self.table.horizontalHeader()
        header.blockSignals(True)  # the store's order is the order: no column sorted
        header.setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        header.blockSignals(False)
        self.model.set_sessions(rows)
        self._add_rooms(rows)
        self.count.setText(f"{len(rows):,} session{'s' if len(rows) != 1 else ''}")
        if keep is not None:
            for i, s in enumerate(rows):
                if s.id == keep.id:
                    self.table.selectRow(i)
                    break
        self._selected()

    def _add_rooms(self, rows: list[SessionSummary]) -> None:
        new = {s.room for s in rows} - self._rooms
        if not new:
            return
        self._rooms |= new
        chosen = self.room.currentData()
        self.room.blockSignals(True)
        self.room.clear()
        self.room.addItem("Any room", None)
        for name in sorted(self._rooms):
            self.room.addItem(name, name)
        self.room.setCurrentIndex(max(0, self.room.findData(chosen)) if chosen else 0)
        self.room.blockSignals(False)

    # ------------------------------------------------------------------------- selection
    def _current_row(self) -> int:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def current(self) -> SessionSummary | None:
        row = self._current_row()
        return self.model.session(row) if 0 <= row < self.model.rowCount() else None

    def select_session(self, session_id: str) -> bool:
        for i, s in enumerate(self.model.sessions()):
            if s.id == session_id:
                self.table.selectRow(i)
                return True
        return False

    def _selected(self) -> None:
        chosen = self.current()
        self.open_button.setEnabled(chosen is not None)
        self.course_button.setEnabled(chosen is not None)
        if chosen is not None:
            self.course_button.setText(f"Course of {chosen.patient}")
        else:
            self.course_button.setText("Patient's course")

    def _open(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.open_session.emit(self.model.session(row).id)

    def _course(self) -> None:
        chosen = self.current()
        if chosen is not None:
            self.open_course.emit(chosen.patient)

    def stop(self) -> None:
        """Stop the search's pending refresh (the page calls it when it closes)."""
        self._search_timer.stop()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)


def _day_start(day: QDate) -> datetime:
    """Local midnight at the start of ``day``, in UTC (the store compares UTC)."""
    local = datetime.combine(day.toPython(), time(0, 0)).astimezone()
    return local.astimezone(UTC)


__all__ = ["STATUS_CHOICES", "SessionList", "SessionTableModel", "length_text"]
