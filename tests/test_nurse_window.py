"""The window, driven as a nurse would: open a session, Start, Pause, Extend, Emergency...
The console only shows a phase once its event is committed to the (real, SQLite) store."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from app.gui import build_window
from app.runtime import RoomRuntime
from roomctl.config import load_config
from roomctl.session import Phase
from roomctl.timeline.events import Kind
from roomctl.timeline.store import TimelineStore
from ui.main_window import MainWindow

pytestmark = pytest.mark.qt


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[tuple[MainWindow, list[RoomRuntime]]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    config = load_config(None)
    store = TimelineStore(f"sqlite:///{tmp_path / 'timeline.db'}")
    store.open()
    runtimes: list[RoomRuntime] = []
    win = build_window(config, store, speed=60.0, minutes=40, demo=True, runtimes=runtimes)
    win._confirm = lambda title, text: True  # the nurse answers "Yes"
    qtbot.addWidget(win)
    win.show()
    unlock(qtbot, win, "demo-nurse", "1111")
    yield win, runtimes
    for runtime in runtimes:
        runtime.close()
    store.close()


def unlock(qtbot, win: MainWindow, name: str, pin: str) -> None:
    """Tap the name, then the PIN on the keypad, then OK: as with gloves on."""
    lock = win.lock_screen
    assert lock is not None
    qtbot.mouseClick(lock.name_buttons[name], Qt.MouseButton.LeftButton)
    keys = {k.text(): k for k in lock.findChildren(QPushButton) if k.text() in "0123456789OK"}
    for digit in pin:
        qtbot.mouseClick(keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(keys["OK"], Qt.MouseButton.LeftButton)


def committed_phase_is(win: MainWindow, phase: Phase):
    def check() -> None:
        assert win.console is not None
        assert win.console.committed_phase == phase
        assert win.console.phase_label.text() == str(phase).capitalize()

    return check


def test_start_pause_extend_emergency_end(qtbot, window) -> None:
    win, runtimes = window
    qtbot.mouseClick(win.start_page.open_button, Qt.MouseButton.LeftButton)
    console = win.console
    assert console is not None
    room = console.room
    qtbot.waitUntil(committed_phase_is(win, Phase.READY))

    qtbot.mouseClick(console.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(committed_phase_is(win, Phase.PREPARING))
    assert console.start_button.text() == "Start infusion"
    qtbot.waitUntil(lambda: "Lights: preparing ✓" in console.devices_label.text())
    assert not console.start_button.isEnabled()  # the checklist comes first
    for box in console.checklist.values():
        box.setChecked(True)
    assert console.start_button.isEnabled()

    qtbot.mouseClick(console.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(committed_phase_is(win, Phase.INFUSING))
    assert not console.start_button.isEnabled()
    assert console.pause_button.isEnabled()

    qtbot.mouseClick(console.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(committed_phase_is(win, Phase.PAUSED))
    assert console.pause_button.text() == "Resume"
    assert "PAUSED" in console.timer_sub.text()
    qtbot.mouseClick(console.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(committed_phase_is(win, Phase.INFUSING))

    qtbot.mouseClick(console.extend10_button, Qt.MouseButton.LeftButton)
    assert room.state.planned_minutes == 50
    qtbot.mouseClick(console.extend10_button, Qt.MouseButton.LeftButton)
    assert room.state.planned_minutes == 60
    assert not console.extend5_button.isEnabled()
    assert "of 60:00 planned" in console.timer_sub.text()

    qtbot.mouseClick(console.emergency_button, Qt.MouseButton.LeftButton)
    assert room.state.emergency
    qtbot.waitUntil(lambda: "Lights: emergency ✓" in console.devices_label.text())
    assert console.emergency_button.text() == "End emergency"
    qtbot.mouseClick(console.emergency_button, Qt.MouseButton.LeftButton)
    assert not room.state.emergency

    qtbot.mouseClick(console.end_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(committed_phase_is(win, Phase.RECOVERING))
    assert console.check_button.isEnabled()
    assert not console.discharge_button.isEnabled()

    passing = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}
    console.submit_check(passing, 5)
    assert "minimum" in console.timer_sub.text()
    assert runtimes[0].writer.flush()
    stored = runtimes[0].store.events(room.session_id)
    checks = [e for e in stored if e.kind == Kind.RECOVERY and e.data["milestone"] == "check"]
    assert [c.data["aldrete"] for c in checks] == [10]


def test_a_refused_command_is_explained_not_raised(qtbot, window) -> None:
    win, _ = window
    qtbot.mouseClick(win.start_page.open_button, Qt.MouseButton.LeftButton)
    console = win.console
    assert console is not None
    console.discharge()
    assert "not in recovery" in console.problem_label.text()


def test_a_pseudonym_is_required(qtbot, window) -> None:
    win, _ = window
    win.start_page.patient.setText("Jane Doe")
    qtbot.mouseClick(win.start_page.open_button, Qt.MouseButton.LeftButton)
    assert win.console is None
    assert "pseudonym" in win.start_page.problem.text()


def test_an_alarm_shows_on_the_banner_and_is_acknowledged(qtbot, window) -> None:
    win, _ = window
    qtbot.mouseClick(win.start_page.open_button, Qt.MouseButton.LeftButton)
    console = win.console
    assert console is not None
    banner = console.alarm_banner
    assert not banner.isVisible()
    console.room.readings("monitor", {"nibp_sys": 186})
    console.refresh()
    assert banner.isVisible()
    assert banner.text.text().startswith("*** NIBP sys above 180: 186")
    assert banner.others.text() == "+1 more"
    qtbot.mouseClick(banner.pause_button, Qt.MouseButton.LeftButton)
    assert banner.pause_button.text().startswith("Audio paused")
    qtbot.mouseClick(banner.acknowledge_button, Qt.MouseButton.LeftButton)
    assert banner.text.text().endswith("(acknowledged)   · advisory")


def test_vital_tiles_show_the_latest_readings_coloured_by_alarm(qtbot, window) -> None:
    win, _ = window
    qtbot.mouseClick(win.start_page.open_button, Qt.MouseButton.LeftButton)
    console = win.console
    assert console is not None
    tiles = {tile.spec.title: tile for tile in console.vitals.tiles}
    assert tiles["HR"].value.text() == "--"
    console.room.readings("monitor", {"hr": 71, "spo2": 97, "nibp_sys": 124, "nibp_dia": 79})
    console.refresh()
    assert tiles["HR"].value.text() == "71"
    assert tiles["NIBP"].value.text() == "124/79"
    assert "cuff 0 min ago" in tiles["NIBP"].detail.text()
    assert "color: #d9cbb0" in tiles["SpO2"].value.styleSheet()
    console.room.readings("monitor", {"nibp_sys": 185})
    console.refresh()
    assert "#b8433a" in tiles["NIBP"].value.styleSheet()  # a high alarm on the channel
