"""The lock screen: pick your name, type your PIN on a large keypad (gloves), and the window
opens in your role. Wrong PINs are counted; five in a row lock that name for a minute.

The window locks itself after a spell without touch or keys (:class:`IdleLock`), so an
unattended console in a room with a dissociated patient cannot be used by whoever walks by.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QButtonGroup,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from roomctl.users import Lockout, User

Verify = Callable[[str, str], User | None]


class LockScreen(QWidget):
    """Calls ``on_unlock(user)`` after a right PIN; never learns or keeps the PIN itself."""

    def __init__(
        self,
        users: list[User],
        verify: Verify,
        on_unlock: Callable[[User], None],
        *,
        hint: str = "",
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._verify = verify
        self._on_unlock = on_unlock
        self._now = now
        self._lockout = Lockout()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 30, 40, 30)
        title = QLabel("Locked — choose your name and enter your PIN")
        title.setObjectName("phase")
        outer.addWidget(title)
        card = QFrame()
        card.setObjectName("card")
        body = QHBoxLayout(card)
        names = QVBoxLayout()
        self._names = QButtonGroup(self)
        self._names.setExclusive(True)
        self.name_buttons: dict[str, QPushButton] = {}
        for user in users:
            button = QPushButton(f"{user.name}  ·  {user.role.value}")
            button.setCheckable(True)
            button.setMinimumHeight(56)
            self._names.addButton(button)
            self.name_buttons[user.name] = button
            names.addWidget(button)
        if not users:
            names.addWidget(QLabel("No users yet: run  roomctl users add nurse NAME"))
        names.addStretch(1)
        body.addLayout(names, 1)
        pad = QVBoxLayout()
        self.pin = QLineEdit()
        self.pin.setEchoMode(QLineEdit.EchoMode.Password)
        self.pin.setMaxLength(8)
        self.pin.setPlaceholderText("PIN")
        self.pin.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin.setObjectName("pin")
        self.pin.returnPressed.connect(self.submit)
        pad.addWidget(self.pin)
        keys = QGridLayout()
        labels = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "⌫", "0", "OK"]
        for i, label in enumerate(labels):
            key = QPushButton(label)
            key.setMinimumSize(88, 64)
            key.clicked.connect(lambda _=False, k=label: self._key(k))
            keys.addWidget(key, i // 3, i % 3)
        pad.addLayout(keys)
        body.addLayout(pad, 1)
        outer.addWidget(card)
        self.problem = QLabel()
        self.problem.setObjectName("problem")
        outer.addWidget(self.problem)
        if hint:
            note = QLabel(hint)
            note.setObjectName("subtle")
            note.setWordWrap(True)
            outer.addWidget(note)
        outer.addStretch(1)
        if len(users) == 1:
            self.name_buttons[users[0].name].setChecked(True)

    def _key(self, key: str) -> None:
        if key == "⌫":
            self.pin.backspace()
        elif key == "OK":
            self.submit()
        else:
            self.pin.insert(key)

    def select(self, name: str) -> None:
        self.name_buttons[name].setChecked(True)

    def _selected(self) -> str | None:
        for name, button in self.name_buttons.items():
            if button.isChecked():
                return name
        return None

    def submit(self) -> None:
        name = self._selected()
        pin = self.pin.text()
        self.pin.clear()  # the PIN lives in the widget no longer than one try
        if name is None:
            self.problem.setText("Choose your name first.")
            return
        wait = self._lockout.locked_for(name, self._now())
        if wait > 0:
            self.problem.setText(f"Too many wrong PINs for {name}: try again in {wait:.0f} s.")
            return
        user = self._verify(name, pin)
        if user is None:
            self._lockout.failed(name, self._now())
            self.problem.setText("Wrong PIN.")
            return
        self._lockout.succeeded(name)
        self.problem.clear()
        self._on_unlock(user)


class IdleLock(QObject):
    """Calls ``on_idle`` after ``minutes`` with no key or pointer input in the application."""

    _INPUT = frozenset(
        {
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseMove,
            QEvent.Type.TouchBegin,
            QEvent.Type.Wheel,
        }
    )

    def __init__(self, minutes: float, on_idle: Callable[[], None]) -> None:
        super().__init__()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(int(minutes * 60_000))
        self._timer.timeout.connect(on_idle)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def arm(self) -> None:
        self._timer.start()

    def disarm(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._INPUT and self._timer.isActive():
            self._timer.start()
        return False

    def close(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
