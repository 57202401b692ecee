"""The room's one window: a start page (new session, or resume an interrupted one), then the
nurse console for the live session. Sessions are made by callables the composition root
hands in, so the window never builds devices or stores itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QApplication,
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from roomctl.config import MAX_INFUSION_MINUTES, MIN_INFUSION_MINUTES
from roomctl.roles import Action, Role, allowed
from roomctl.room import Room
from roomctl.users import User
from ui.lock_screen import IdleLock, LockScreen, Verify
from ui.nurse_console import Confirm, NurseConsole
from ui.theme import STYLE_SHEET, dark_palette


@dataclass(frozen=True)
class Auth:
    """Who may unlock the window: the user list, a PIN check, and when to lock again."""

    users: list[User]
    verify: Verify
    lock_after_minutes: float = 5.0
    hint: str = ""


@dataclass(frozen=True)
class DosePlan:
    """Weight and dose as the nurse enters them: shown, recorded, never sent to the pump."""

    weight_kg: float
    mg_per_kg: float

    @property
    def total_mg(self) -> float:
        return round(self.weight_kg * self.mg_per_kg, 1)


@dataclass(frozen=True)
class Resumable:
    session_id: str
    patient: str
    phase: str
    started: str


NewSession = Callable[[str, int, int], Room]
#: Extra pages by tab title (therapist panel, review), built by the composition root for a room
#: (None before a session opens) and shown to roles allowed the tab's action. A page may have
#: ``set_role(role)`` (called at each unlock) and ``close()`` (called when its room goes).
TabFactory = Callable[[Room | None], QWidget]
Tab = tuple[Action, TabFactory]
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
        self.weight = QDoubleSpinBox()
        self.weight.setRange(30, 250)
        self.weight.setDecimals(1)
        self.weight.setSuffix(" kg")
        self.weight.setValue(70)
        self.mg_per_kg = QDoubleSpinBox()
        self.mg_per_kg.setRange(0.1, 1.5)
        self.mg_per_kg.setDecimals(2)
        self.mg_per_kg.setSingleStep(0.05)
        self.mg_per_kg.setSuffix(" mg/kg")
        self.mg_per_kg.setValue(0.5)
        self.dose = QLabel()
        self.dose.setObjectName("subtle")
        self.weight.valueChanged.connect(self._show_dose)
        self.mg_per_kg.valueChanged.connect(self._show_dose)
        form.addRow("Patient pseudonym", self.patient)
        form.addRow("Course number", self.course)
        form.addRow("Planned infusion", self.minutes)
        form.addRow("Weight", self.weight)
        form.addRow("Dose", self.mg_per_kg)
        form.addRow("", self.dose)
        self._show_dose()
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

    def dose_plan(self) -> DosePlan:
        return DosePlan(self.weight.value(), self.mg_per_kg.value())

    def _show_dose(self) -> None:
        plan = self.dose_plan()
        self.dose.setText(
            f"Total {plan.total_mg:g} mg over the planned infusion "
            "(display only: the pump is set at the pump)"
        )

    def _new(self) -> None:
        pseudonym = self.patient.text().strip()
        if not pseudonym or " " in pseudonym:
            self.problem.setText("Enter a pseudonym without spaces (never the patient's name).")
            return
        self._on_new(pseudonym, self.course.value(), self.minutes.value())


def _scrolled(page: QWidget) -> QScrollArea:
    """A page in a scroll area: a tall page scrolls instead of growing the window past the
    room PC's screen."""
    scroll = QScrollArea()
    scroll.setWidget(page)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    return scroll


class MainWindow(QMainWindow):
    """Lock screen → start page → the room, in tabs for the unlocked role.

    Without ``auth`` the window opens unlocked as a nurse (tests and embedding); the app always
    passes one.
    """

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
        auth: Auth | None = None,
        tabs: dict[str, Tab] | None = None,
    ) -> None:
        super().__init__()
        self.setWindowTitle(f"roomctl · {room_name}")
        # App-wide: a widget with a style sheet of its own resolves its palette from the app's.
        QApplication.setPalette(dark_palette())
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1600, 1000)
        self._new_session = new_session
        self._resume_session = resume_session
        self._confirm = confirm
        self._tab_specs = tabs or {}
        self._pages: dict[str, QWidget] = {}
        self._scrolls: dict[str, QScrollArea] = {}
        self.console: NurseConsole | None = None
        self.room: Room | None = None
        self.user: User | None = None if auth is not None else User("nurse", Role.NURSE)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        bar = QHBoxLayout()
        bar.setContentsMargins(16, 6, 16, 0)
        self.user_label = QLabel()
        self.user_label.setObjectName("subtle")
        self.lock_button = QPushButton("Lock")
        self.lock_button.clicked.connect(self.lock)
        bar.addStretch(1)
        bar.addWidget(self.user_label)
        bar.addWidget(self.lock_button)
        layout.addLayout(bar)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)
        self.start_page = StartPage(
            on_new=self.open_new,
            on_resume=self.open_resumed,
            resumables=resumables,
            patient=patient,
            course=course,
            minutes=minutes,
        )
        self.room_page = QStackedWidget()
        self.room_page.addWidget(self.start_page)
        # In a scroll area like every page, and for a second reason: a label whose text changes
        # size (a tile's value, a countdown) asks for a new layout up its parents, and a
        # QTabWidget answers one by repainting itself whole. The scroll area takes the request
        # and stops it, so a live number repaints its own tile, not the whole window.
        self.room_scroll = _scrolled(self.room_page)
        self.tabs: QTabWidget | None = None
        self.lock_screen: LockScreen | None = None
        self.idle: IdleLock | None = None
        if auth is not None:
            self.lock_screen = LockScreen(auth.users, auth.verify, self.unlock, hint=auth.hint)
            self.stack.addWidget(self.lock_screen)
            self.idle = IdleLock(auth.lock_after_minutes, self.lock)
        self.setCentralWidget(central)
        self._show_current()

    # ------------------------------------------------------------------ locking

    @property
    def role(self) -> Role | None:
        return self.user.role if self.user is not None else None

    def unlock(self, user: User) -> None:
        self.user = user
        if self.idle is not None:
            self.idle.arm()
        self._show_current()

    def lock(self) -> None:
        if self.lock_screen is None:
            return
        self.user = None
        if self.idle is not None:
            self.idle.disarm()
        self._show_current()

    def _show_current(self) -> None:
        if self.user is None and self.lock_screen is not None:
            self.user_label.setText("Locked")
            self.lock_button.hide()
            self.stack.setCurrentWidget(self.lock_screen)
            return
        assert self.user is not None
        self.user_label.setText(f"{self.user.name} · {self.user.role.value}")
        self.lock_button.setVisible(self.lock_screen is not None)
        self._build_tabs()
        self.stack.setCurrentWidget(self.tabs)

    def _build_tabs(self) -> None:
        """The tabs this role may see, rebuilt at each unlock and when a session opens (a new
        role or a new room: new controls). "Room" is the start page until a session opens."""
        role = self.role
        assert role is not None
        if self.tabs is not None:
            self.room_scroll.setParent(None)
            self.stack.removeWidget(self.tabs)
            self.tabs.deleteLater()
        tabs = QTabWidget()
        tabs.setObjectName("roomTabs")
        if self.console is not None:
            self.console.set_role(role)
        can_start = allowed(role, Action.START_SESSION)
        self.start_page.open_button.setEnabled(can_start)
        self.start_page.problem.setText("" if can_start else "Only a nurse opens a session.")
        if allowed(role, Action.VIEW_LIVE) or can_start:
            tabs.addTab(self.room_scroll, "Room")
        if not self._pages:
            self._pages = {
                title: factory(self.room) for title, (_, factory) in self._tab_specs.items()
            }
            self._scrolls = {title: _scrolled(page) for title, page in self._pages.items()}
        for title, (action, _) in self._tab_specs.items():
            page, scroll = self._pages[title], self._scrolls[title]
            scroll.setParent(None)
            if allowed(role, action):
                set_role = getattr(page, "set_role", None)
                if set_role is not None:
                    set_role(role)
                tabs.addTab(scroll, title)
        self.tabs = tabs
        self.stack.addWidget(tabs)

    # ------------------------------------------------------------------ sessions

    def open_new(self, patient: str, course: int, minutes: int) -> None:
        if not allowed(self.role, Action.START_SESSION):
            self.start_page.problem.setText("Only a nurse opens a session.")
            return
        room = self._new_session(patient, course, minutes)
        plan = self.start_page.dose_plan()
        room.record_dose_plan(plan.weight_kg, plan.mg_per_kg, by=self._by())
        self.show_room(room)

    def open_resumed(self, session_id: str) -> None:
        if not allowed(self.role, Action.START_SESSION):
            self.start_page.problem.setText("Only a nurse resumes a session.")
            return
        self.show_room(self._resume_session(session_id))

    def _by(self) -> str:
        return self.user.name if self.user is not None else "nurse"

    def show_room(self, room: Room) -> None:
        self.room = room
        for page in self._pages.values():  # pages of the start page's time: rebuilt for the room
            page.close()
            page.deleteLater()
        self._pages = {}
        self.console = NurseConsole(room, confirm=self._confirm)
        self.room_page.addWidget(self.console)
        self.room_page.setCurrentWidget(self.console)
        state = room.state
        self.setWindowTitle(
            f"roomctl · {room.config.room.name} · session {room.session_id} · "
            f"{state.planned_minutes:g} min planned"
        )
        self._show_current()

    def closeEvent(self, event) -> None:
        if self.idle is not None:
            self.idle.close()
        if self.console is not None:
            self.console.close()
        for page in self._pages.values():
            page.close()
        super().closeEvent(event)
