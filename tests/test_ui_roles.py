"""The window's roles: locked until a PIN; a nurse opens sessions, staff cannot; idle locks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel

from roomctl.roles import Action, Role
from roomctl.timeline.events import Kind
from roomctl.users import UserBook
from tests.roomkit import new_room
from ui.main_window import Auth, MainWindow

pytestmark = pytest.mark.qt


def _window(qtbot, tmp_path: Path, *, lock_after_minutes: float = 5.0) -> MainWindow:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    book = UserBook(tmp_path / "users.json")
    book.add(Role.NURSE, "ana", "4821")
    book.add(Role.STAFF, "sam", "7777")
    book.add(Role.THERAPIST, "lee", "2468")
    kits = []

    def new_session(patient: str, course: int, minutes: int):
        kit = new_room(planned_minutes=minutes)
        kits.append(kit)
        return kit.room

    def review(room):
        return QLabel("review")

    win = MainWindow(
        room_name="Room 1",
        new_session=new_session,
        resume_session=lambda sid: kits[0].room,
        resumables=[],
        auth=Auth(book.users(), book.verify, lock_after_minutes=lock_after_minutes),
        tabs={"Review": (Action.REVIEW, review)},
    )
    qtbot.addWidget(win)
    win.show()
    return win


def _tabs(win: MainWindow) -> list[str]:
    assert win.tabs is not None
    return [win.tabs.tabText(i) for i in range(win.tabs.count())]


def test_the_window_opens_locked_and_a_wrong_pin_keeps_it_locked(qtbot, tmp_path) -> None:
    win = _window(qtbot, tmp_path)
    assert win.stack.currentWidget() is win.lock_screen
    win.lock_screen.select("ana")
    win.lock_screen.pin.setText("0000")
    win.lock_screen.submit()
    assert win.stack.currentWidget() is win.lock_screen
    assert win.lock_screen.problem.text() == "Wrong PIN."
    assert win.lock_screen.pin.text() == ""  # the PIN is not kept after a try


def test_a_nurse_opens_a_session_and_staff_only_review(qtbot, tmp_path) -> None:
    win = _window(qtbot, tmp_path)
    win.lock_screen.select("sam")
    win.lock_screen.pin.setText("7777")
    win.lock_screen.submit()
    assert win.role == Role.STAFF
    assert _tabs(win) == ["Review"]
    win.open_new("heron-07", 1, 40)  # even if a button were reached: refused
    assert win.room is None

    win.lock()
    assert win.stack.currentWidget() is win.lock_screen
    win.lock_screen.select("ana")
    win.lock_screen.pin.setText("4821")
    win.lock_screen.submit()
    assert _tabs(win) == ["Room", "Review"]
    assert win.start_page.open_button.isEnabled()
    win.open_new("heron-07", 1, 40)
    assert win.room is not None
    dose = [e for e in win.room._sink.of_kind(Kind.SYSTEM) if e.data["action"] == "dose_plan"]
    assert dose[0].data["total_mg"] == 35.0  # 70 kg x 0.5 mg/kg, display only


def test_a_therapist_sees_the_room_but_cannot_start_or_end(qtbot, tmp_path) -> None:
    win = _window(qtbot, tmp_path)
    win.lock_screen.select("ana")
    win.lock_screen.pin.setText("4821")
    win.lock_screen.submit()
    win.open_new("heron-07", 1, 40)
    win.lock()
    win.lock_screen.select("lee")
    win.lock_screen.pin.setText("2468")
    win.lock_screen.submit()
    console = win.console
    assert console is not None
    assert not console.start_button.isEnabled()
    assert not console.end_button.isEnabled()
    assert console.emergency_button.isEnabled()  # anyone at the bedside can summon help


def test_five_wrong_pins_lock_the_name(qtbot, tmp_path) -> None:
    win = _window(qtbot, tmp_path)
    win.lock_screen.select("ana")
    for _ in range(5):
        win.lock_screen.pin.setText("1111")
        win.lock_screen.submit()
    win.lock_screen.pin.setText("4821")
    win.lock_screen.submit()
    assert win.user is None
    assert "try again in" in win.lock_screen.problem.text()


def test_an_idle_window_locks_itself(qtbot, tmp_path) -> None:
    win = _window(qtbot, tmp_path, lock_after_minutes=0.002)  # 120 ms
    win.lock_screen.select("ana")
    win.lock_screen.pin.setText("4821")
    win.lock_screen.submit()
    assert win.user is not None
    qtbot.waitUntil(lambda: win.user is None, timeout=3000)
    assert win.stack.currentWidget() is win.lock_screen
