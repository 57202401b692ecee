"""The Review tab: the session list, a session's timeline, a patient's course, and exports.

Read-only by construction: the page holds a :class:`TimelineStore` and only ever reads from it
(session lists, a session's events and readings); nothing here can change a session. Exports
write files elsewhere, through :func:`roomctl.export.export_session`, on a worker thread with a
progress dialog, so a long PDF never freezes the window; they can be cancelled (the exporter
then leaves no file behind).

Roles: the tab is shown to roles allowed :attr:`Action.REVIEW`; the export buttons only to roles
allowed :attr:`Action.EXPORT` (nurse, staff); playing a voice note needs
:attr:`Action.VOICE_NOTE` (the therapist).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressDialog,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from roomctl.export import FORMATS, SUFFIXES, ExportError, Progress, Written, export_session
from roomctl.review import load_course, load_review
from roomctl.roles import Action, Role, allowed
from roomctl.room import Room
from roomctl.timeline.errors import StoreError
from roomctl.timeline.store import TimelineStore
from ui.review.course_view import CourseView
from ui.review.session_list import SessionList
from ui.review.timeline_view import PlayVoice, TimelineView

#: Writes one session: ``export(store, session_id, fmt, out, progress=...)``.
Export = Callable[..., Written]
#: Asks where to write: (format label, suggested path) → the chosen path, or None (cancelled).
ChooseFile = Callable[[str, Path], Path | None]
FORMAT_LABELS = {"vital": "VitalDB", "csv": "CSV", "json": "JSON", "pdf": "PDF"}
#: A progress dialog appears only for an export that takes longer than this.
PROGRESS_AFTER_MS = 400


class ExportCancelled(Exception):
    """Raised inside an export's progress callback to stop it (the exporter cleans up)."""


class _JobSignals(QObject):
    progress = Signal(float)
    finished = Signal(object)  # Written
    failed = Signal(str)


class ExportJob(QRunnable):
    """One export on the page's thread pool; its signals arrive on the GUI thread."""

    def __init__(self, work: Callable[[Progress], Written]) -> None:
        super().__init__()
        self.setAutoDelete(False)  # the page keeps it until its signals are handled
        self.signals = _JobSignals()
        self._work = work
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _progress(self, fraction: float) -> None:
        if self._cancelled.is_set():
            raise ExportCancelled
        self.signals.progress.emit(fraction)

    def run(self) -> None:
        try:
            written = self._work(self._progress)
        except ExportCancelled:
            self.signals.failed.emit("Export cancelled: nothing was written.")
        except (ExportError, StoreError, OSError, ValueError) as exc:
            self.signals.failed.emit(f"Export failed: {exc}")
        else:
            self.signals.finished.emit(written)


class ReviewPage(QWidget):
    """List → timeline or course, with export buttons for the session in view."""

    def __init__(
        self,
        store: TimelineStore,
        *,
        room: Room | None = None,
        play_voice: PlayVoice | None = None,
        export: Export = export_session,
        choose_file: ChooseFile | None = None,
        export_folder: Path | None = None,
        role: Role | None = None,
    ) -> None:
        super().__init__()
        self.store = store
        self.room = room
        self.role: Role | None = None
        self._export = export
        self._choose_file = choose_file or self._ask_file
        self._export_folder = export_folder or Path.home()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.jobs: list[ExportJob] = []
        self.progress: QProgressDialog | None = None
        self.session_id: str | None = None
        self._listed = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(16, 8, 16, 0)
        self.back_button = QPushButton("← Sessions")
        self.back_button.setToolTip("Back to the session list (Esc)")
        self.back_button.clicked.connect(self.show_list)
        self.current_button = QPushButton("This room's session")
        self.current_button.clicked.connect(self._open_current)
        self.current_button.setVisible(room is not None)
        self.course_button = QPushButton("Patient's course")
        self.course_button.clicked.connect(self._course_of_open_session)
        bar.addWidget(self.back_button)
        bar.addWidget(self.current_button)
        bar.addWidget(self.course_button)
        bar.addStretch(1)
        self.status = QLabel()
        self.status.setObjectName("subtle")
        self.status.setWordWrap(True)
        bar.addWidget(self.status, 2)
        self.export_label = QLabel("Export")
        self.export_label.setObjectName("subtle")
        bar.addWidget(self.export_label)
        self.export_buttons: dict[str, QPushButton] = {}
        for fmt in FORMATS:
            button = QPushButton(FORMAT_LABELS.get(fmt, fmt.upper()))
            button.setToolTip(f"Write this session as {FORMAT_LABELS.get(fmt, fmt)}")
            button.clicked.connect(lambda _=False, f=fmt: self.export(f))
            button.setMinimumWidth(96)
            self.export_buttons[fmt] = button
            bar.addWidget(button)
        outer.addLayout(bar)

        self.stack = QStackedWidget()
        self.list = SessionList(store)
        self.timeline = TimelineView(play_voice=play_voice)
        self.course = CourseView()
        for page in (self.list, self.timeline, self.course):
            self.stack.addWidget(page)
        outer.addWidget(self.stack, 1)
        self.list.open_session.connect(self.open_session)
        self.list.open_course.connect(self.open_course)
        self.list.table.selectionModel().selectionChanged.connect(lambda *_: self._update())
        self.course.open_session.connect(self.open_session)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=self.show_list)
        self.set_role(role)
        self.show_list()

    # -------------------------------------------------------------------------------- roles
    def set_role(self, role: Role | None) -> None:
        """Show what ``role`` may use: review itself, exports, voice-note playback."""
        self.role = role
        self.setEnabled(allowed(role, Action.REVIEW))
        self.timeline.set_role(role)
        self._update()

    # ------------------------------------------------------------------------------- pages
    def showEvent(self, event: QShowEvent) -> None:
        """The list is read when the tab is first shown, not when the window unlocks."""
        super().showEvent(event)
        if not self._listed:
            self._listed = True
            self.list.refresh()

    def show_list(self) -> None:
        self.stack.setCurrentWidget(self.list)
        self._update()

    def open_session(self, session_id: str) -> bool:
        """Show ``session_id``'s timeline; False (and a message) if it cannot be read."""
        try:
            with _waiting():
                review = load_review(self.store, session_id)
        except StoreError as exc:
            self.status.setText(str(exc))
            return False
        self.session_id = session_id
        self.timeline.show_session(review)
        self.stack.setCurrentWidget(self.timeline)
        self.status.setText("")
        self._update()
        return True

    def open_course(self, patient: str) -> bool:
        """Show ``patient``'s course (every session of that pseudonym)."""
        try:
            with _waiting():
                rows = load_course(self.store, patient)
        except StoreError as exc:
            self.status.setText(str(exc))
            return False
        self.course.show_course(patient, rows)
        self.stack.setCurrentWidget(self.course)
        self.status.setText("")
        self._update()
        return True

    def _open_current(self) -> None:
        if self.room is not None:
            self.open_session(self.room.session_id)

    def _course_of_open_session(self) -> None:
        patient = self._patient_in_view()
        if patient is not None:
            self.open_course(patient)

    def _patient_in_view(self) -> str | None:
        page = self.stack.currentWidget()
        if page is self.timeline and self.timeline.review is not None:
            return self.timeline.review.info.patient
        if page is self.list:
            chosen = self.list.current()
            return chosen.patient if chosen is not None else None
        return None

    def session_in_view(self) -> str | None:
        """The session an export writes: the open timeline's, or the list's selection."""
        page = self.stack.currentWidget()
        if page is self.timeline:
            return self.session_id
        if page is self.list:
            chosen = self.list.current()
            return chosen.id if chosen is not None else None
        return None

    def _update(self) -> None:
        page = self.stack.currentWidget()
        self.back_button.setVisible(page is not self.list)
        self.course_button.setVisible(page is self.timeline)
        # Exports: for roles allowed them, where one session is in view (not on a course).
        shown = allowed(self.role, Action.EXPORT) and page is not self.course
        self.export_label.setVisible(shown)
        busy = any(not job.cancelled for job in self.jobs)
        target = self.session_in_view()
        for button in self.export_buttons.values():
            button.setVisible(shown)
            button.setEnabled(target is not None and not busy)

    # ------------------------------------------------------------------------------ export
    def _ask_file(self, label: str, suggested: Path) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self, f"Export as {label}", str(suggested), f"{label} (*{suggested.suffix})"
        )
        return Path(name) if name else None

    def export(self, fmt: str, out: Path | None = None) -> ExportJob | None:
        """Write the session in view as ``fmt`` to ``out`` (asked for when None) on a worker
        thread; None when there is nothing to export, no permission, or no file chosen."""
        session_id = self.session_in_view()
        if session_id is None or not allowed(self.role, Action.EXPORT):
            return None
        label = FORMAT_LABELS.get(fmt, fmt)
        if out is None:
            out = self._choose_file(label, self._export_folder / f"{session_id}{SUFFIXES[fmt]}")
            if out is None:
                return None
        store, export = self.store, self._export

        def work(progress: Progress) -> Written:
            return export(store, session_id, fmt, out, progress=progress)

        job = ExportJob(work)
        dialog = QProgressDialog(f"Writing {label} of {session_id}…", "Cancel", 0, 100, self)
        dialog.setWindowTitle("Export")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(PROGRESS_AFTER_MS)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.setValue(0)
        dialog.canceled.connect(job.cancel)
        job.signals.progress.connect(lambda f: dialog.setValue(round(100 * f)))
        job.signals.finished.connect(lambda written: self._exported(job, dialog, written))
        job.signals.failed.connect(lambda message: self._export_failed(job, dialog, message))
        self.progress = dialog
        self.jobs.append(job)
        self.status.setText(f"Exporting {label}…")
        self._update()
        self._pool.start(job)
        return job

    def _done(self, job: ExportJob, dialog: QProgressDialog) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        dialog.close()
        dialog.deleteLater()
        if self.progress is dialog:
            self.progress = None
        self._update()

    def _exported(self, job: ExportJob, dialog: QProgressDialog, written: Written) -> None:
        dialog.setValue(100)
        names = ", ".join(path.name for path in written.files)
        self.status.setText(f"Exported {names}")
        self._done(job, dialog)

    def _export_failed(self, job: ExportJob, dialog: QProgressDialog, message: str) -> None:
        self.status.setText(message)
        self._done(job, dialog)

    # ------------------------------------------------------------------------------- close
    def closeEvent(self, event: QCloseEvent) -> None:
        """Stop the list's timer; cancel a running export and wait for it (it removes its
        partial file), so no thread outlives the page."""
        self.list.stop()
        for job in self.jobs:
            job.cancel()
        self._pool.waitForDone()
        super().closeEvent(event)


@contextmanager
def _waiting() -> Iterator[None]:
    """A busy cursor while the store is read on the GUI thread (a fraction of a second)."""
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()


def review_tab(store: TimelineStore, **options: Any) -> Callable[[Room | None], QWidget]:
    """The main window's tab factory: ``tabs={"Review": (Action.REVIEW, review_tab(store))}``."""
    return lambda room: ReviewPage(store, room=room, **options)
