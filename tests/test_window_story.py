"""A whole demo session in the real window, by mouse alone, Start to Discharge.

The nurse taps her name and PIN → opens the session → Start: lights, music and soundscape
confirmed, both feeds live on the tiles → ticks the checklist → Start infusion → the simulated
monitor (its real wire format, on a pseudo-terminal) desaturates → the advisory alarm banner →
Acknowledge → End infusion → two passing recovery checks, tapped in → discharge-ready after the
minimum time → the discharge checklist → Discharge. Everything the room did is on the store.

Every action is a mouse click on the widget a nurse would press; only the "Are you sure?"
dialogs are answered by the test. The demo runs at 120× so the 30-minute recovery takes 15 s.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from app.gui import build_window
from app.runtime import RoomRuntime
from roomctl.config import load_config
from roomctl.session import Phase
from roomctl.timeline.events import Kind
from roomctl.timeline.store import TimelineStore
from tests.test_nurse_window import unlock
from ui.main_window import MainWindow

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.qt
LEFT = Qt.MouseButton.LeftButton
SPEED = 120.0  # a session minute in half a second


@pytest.fixture
def window(qtbot, tmp_path: Path) -> Iterator[tuple[MainWindow, list[RoomRuntime]]]:
    user = tmp_path / "roomctl.toml"
    # The demo's monitor with the desaturation scenario: SpO2 falls from minute 20.
    user.write_text('[feeds.monitor]\nscenario = "desaturation"\n')
    config = load_config(user)
    store = TimelineStore(f"sqlite:///{tmp_path / 'timeline.db'}")
    store.open()
    runtimes: list[RoomRuntime] = []
    closers: list = []
    win = build_window(
        config, store, speed=SPEED, minutes=60, demo=True, runtimes=runtimes, closers=closers
    )
    win._confirm = lambda title, text: True  # the nurse answers "Yes"
    qtbot.addWidget(win)
    win.resize(1600, 1000)
    win.show()
    yield win, runtimes
    for runtime in runtimes:
        runtime.close()
    for close in closers:
        close()
    store.close()


def tap(qtbot, widget: QWidget) -> None:
    assert widget.isEnabled(), f"{widget} is not enabled"
    qtbot.mouseClick(widget, LEFT)


def test_a_whole_session_by_mouse_start_to_discharge(qtbot, window) -> None:
    win, runtimes = window
    unlock(qtbot, win, "demo-nurse", "1111")  # her name, then the PIN on the keypad

    tap(qtbot, win.start_page.open_button)
    console = win.console
    assert console is not None
    room = console.room
    qtbot.waitUntil(lambda: console.committed_phase == Phase.READY, timeout=10_000)

    # Start: the room follows, and the console only shows what the devices confirmed.
    tap(qtbot, console.start_button)
    qtbot.waitUntil(lambda: console.committed_phase == Phase.PREPARING, timeout=10_000)
    for device in ("Lights: preparing ✓", "Music: ", "Soundscape: rain ✓"):
        qtbot.waitUntil(lambda d=device: d in console.devices_label.text(), timeout=15_000)
    assert "✗" not in console.devices_label.text()
    tiles = {tile.spec.title: tile for tile in console.vitals.tiles}
    qtbot.waitUntil(lambda: tiles["HR"].value.text().isdigit(), timeout=10_000)  # the monitor
    qtbot.waitUntil(lambda: tiles["Pump"].value.text() != "--", timeout=10_000)  # the pump

    assert not console.start_button.isEnabled()  # the checklist comes first
    for box in console.checklist.values():
        tap(qtbot, box)
    tap(qtbot, console.start_button)
    qtbot.waitUntil(lambda: console.committed_phase == Phase.INFUSING, timeout=10_000)
    assert console.timer_label.text() != "--:--"

    # Minute 20: the patient desaturates; the advisory banner says so, highest priority first.
    banner = console.alarm_banner
    qtbot.waitUntil(
        lambda: banner.isVisible() and banner.text.text().startswith("*** SpO2 below 90"),
        timeout=30_000,
    )
    assert banner.text.text().endswith("advisory")
    high = banner.top_id
    tap(qtbot, banner.acknowledge_button)
    # The next one up (SpO2 below 94 while it recovers) takes the banner; acknowledged too.
    for _ in range(3):
        if not banner.isVisible() or not banner.acknowledge_button.isEnabled():
            break
        assert banner.top_id != high
        tap(qtbot, banner.acknowledge_button)
    assert not banner.isVisible() or "(acknowledged)" in banner.text.text()

    tap(qtbot, console.end_button)
    qtbot.waitUntil(lambda: console.committed_phase == Phase.RECOVERING, timeout=10_000)

    # Recovery: two passing checks, tapped into the form; BP and HR come from the feed.
    panel = console.recovery
    qtbot.waitUntil(lambda: panel.bp_sys.value() > 0, timeout=10_000)

    def passing_check() -> None:
        tap(qtbot, panel.moaas.buttons[5])
        for choice in panel.aldrete.values():
            tap(qtbot, choice.buttons[2])
        assert panel.total_label.text() == "Aldrete 10 / 10 · passes"
        tap(qtbot, panel.submit_button)

    passing_check()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=5_000)
    qtbot.wait(2_000)  # a few session minutes on
    passing_check()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 2, timeout=5_000)
    # Discharge-ready once the 30-minute minimum has passed (15 s at this speed).
    qtbot.waitUntil(lambda: room.state.discharge_ready_t is not None, timeout=30_000)
    qtbot.waitUntil(lambda: panel.ready_label.text() == "Discharge-ready", timeout=5_000)
    assert not panel.discharge_button.isEnabled()  # the discharge checklist first
    for tick in panel.checklist.values():
        tap(qtbot, tick)
    tap(qtbot, panel.discharge_button)
    qtbot.waitUntil(lambda: console.committed_phase == Phase.DISCHARGED, timeout=10_000)
    assert panel.discharged_interval.text().startswith("→ discharged  ")
    assert "—" not in panel.discharged_interval.text()

    # The whole story is on the durable timeline.
    runtime = runtimes[0]
    assert runtime.writer.flush()
    events = runtime.store.events(room.session_id)
    phases = [e.data["to"] for e in events if e.kind == Kind.PHASE]
    assert phases == ["ready", "preparing", "infusing", "recovering", "discharged"]
    spo2 = [
        (e.data["action"], e.data["priority"], e.data["advisory"])
        for e in events
        if e.kind == Kind.ALARM and e.data.get("channel") == "spo2"
    ]
    assert ("raised", "high", True) in spo2
    assert ("acknowledged", "high", True) in spo2
    milestones = [e.data["milestone"] for e in events if e.kind == Kind.RECOVERY]
    assert milestones.count("check") == 2
    assert milestones.index("discharge_ready") < milestones.index("discharged")
    assert milestones[-1] == "discharged"
    checks = [e for e in events if e.kind == Kind.RECOVERY and e.data["milestone"] == "check"]
    assert all(c.source == "nurse" and c.data["aldrete"] == 10 for c in checks)
    assert {e.kind for e in events} >= {Kind.LIGHTS, Kind.MUSIC, Kind.SOUNDSCAPE, Kind.FEED}
