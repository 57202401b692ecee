"""The room's one window: a start page (new session, or resume an interrupted one), then the
nurse console for the live session. Sessions are made by callables the composition root
hands in, so the window never builds devices or stores itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from roomctl.config import MAX_INFUSION_MINUTES, MIN_INFUSION_MINUTES
from roomctl.room import Room
from ui.nurse_console import Confirm, NurseConsole
from ui.theme import STYLE_SHEET


@dataclass(frozen=True)
class Resumable:
    session_id: str
    patient: str
    phase: str
    started: str


NewSession = Callable[[str, int, int], Room]
ResumeSession = Callable[[str], Room]


class StartPage(QWidget):
    """Patient pseudonym (never a name), course number, planned minutes; or resume."""

    def __init__(
        self,
        *,
        on_new: Callable[[str, int, int], None],
        on_resume: Callable[[str], None],
        resumables: list[Resumable],
        patient: str,
        course: int,
        minutes: int,
    ) -> None:
        super().__init__()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 30, 40, 30)
        title = QLabel("New session")
        title.setObjectName("phase")
        outer.addWidget(title)
        card = QFrame()
        card.setObjectName("card")
        form = QFormLayout(card)
        self.patient = QLineEdit(patient)
        self.patient.setPlaceholderText("pseudonym, e.g. heron-07 (never a name)")
        self.course = QSpinBox()
        self.course.setRange(1, 999)
        self.course.setValue(course)
        self.minutes = QSpinBox()
        self.minutes.setRange(MIN_INFUSION_MINUTES, MAX_INFUSION_MINUTES)
        self.minutes.setSingleStep(5)
        self.minutes.setValue(minutes)
        self.minutes.setSuffix(" min")
        form.addRow("Patient pseudonym", self.patient)
        form.addRow("Course number", self.course)
        form.addRow("Planned infusion", self.minutes)
        outer.addWidget(card)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        outer.addWidget(self.problem)
        self.open_button = QPushButton("Open session")
        self.open_button.setObjectName("primary")
        self.open_button.clicked.connect(self._new)
        outer.addWidget(self.open_button)
        self._on_new = on_new
        if resumables:
            heading = QLabel("Interrupted sessions: continue where they stopped")
            heading.setObjectName("subtle")
            outer.addWidget(heading)
            for item in resumables:
                row = QHBoxLayout()
                row.addWidget(
                    QLabel(
                        f"{item.session_id} · {item.patient} · {item.phase} · "
                        f"started {item.started}"
                    ),
                    1,
                )
                button = QPushButton("Resume")
                button.clicked.connect(lambda _=False, sid=item.session_id: on_resume(sid))
                row.addWidget(button)
                outer.addLayout(row)
        outer.addStretch(1)

    def _new(self) -> None:
        pseudonym = self.patient.text().strip()
        if not pseudonym or " " in pseudonym:
            self.problem.setText("Enter a pseudonym without spaces (never the patient's name).")
            return
        self._on_new(pseudonym, self.course.value(), self.minutes.value())


class MainWindow(QMainWindow):
    def __init__(
        self,
        *,
        room_name: str,
        new_session: NewSession,
        resume_session: ResumeSession,
        resumables: list[Resumable],
        patient: str = "",
        course: int = 1,
        minutes: int = 40,
        confirm: Confirm | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(f"roomctl · {room_name}")
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1100, 760)
        self._new_session = new_session
        self._resume_session = resume_session
        self._confirm = confirm
        self.console: NurseConsole | None = None
        self.stack = QStackedWidget()
        self.start_page = StartPage(
            on_new=self.open_new,
            on_resume=self.open_resumed,
            resumables=resumables,
            patient=patient,
            course=course,
            minutes=minutes,
        )
        self.stack.addWidget(self.start_page)
        self.setCentralWidget(self.stack)

    def open_new(self, patient: str, course: int, minutes: int) -> None:
        self.show_room(self._new_session(patient, course, minutes))

    def open_resumed(self, session_id: str) -> None:
        self.show_room(self._resume_session(session_id))

    def show_room(self, room: Room) -> None:
        self.console = NurseConsole(room, confirm=self._confirm)
        self.stack.addWidget(self.console)
        self.stack.setCurrentWidget(self.console)
        state = room.state
        self.setWindowTitle(
            f"roomctl · {room.config.room.name} · session {room.session_id} · "
            f"{state.planned_minutes:g} min planned"
        )
