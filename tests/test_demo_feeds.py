"""A demo session with its feeds on pseudo-terminals: the monitor desaturates at minute 20, the
alarm is raised, acknowledged by the (simulated) nurse and cleared; the timeline holds monitor,
NIBP and pump samples and the feeds' link events."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from roomctl.timeline.events import Kind
from roomctl.timeline.store import TimelineStore

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.system


def run_demo(tmp_path: Path, monitor: str, speed: int) -> str:
    """A headless demo whose [feeds.monitor] table is ``monitor``; returns the store URL.

    Its sound runs on the null twins: these stories are about the feeds and their alarms, and
    must not depend on whether this machine can start a (simulated) sound card.
    """
    user = tmp_path / "room.toml"
    user.write_text(
        f'[music]\nbackend = "null"\n[soundscape]\nbackend = "null"\n[feeds.monitor]\n{monitor}',
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'timeline.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    env.update(ROOMCTL_DB=url, ROOMCTL_CONFIG=str(user), ROOMCTL_DATA_DIR=str(tmp_path))
    env.pop("DISPLAY", None)
    ran = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--headless", "--speed", str(speed)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return url


def test_a_desaturation_demo_raises_acknowledges_and_clears_an_alarm(tmp_path: Path) -> None:
    url = run_demo(
        tmp_path,
        'protocol = "roomctl-line"\nport = "sim"\nscenario = "desaturation"\ncapture = true\n',
        speed=120,
    )
    with TimelineStore(url) as store:
        (info,) = store.sessions()
        events = store.events(info.id)
        spo2 = store.samples(info.id, "spo2")
        cuff = store.samples(info.id, "nibp_sys")
        pump = store.samples(info.id, "pump_vi_ml")
    alarms = [(e.data["id"], e.data["action"]) for e in events if e.kind == Kind.ALARM]
    assert ("spo2<90", "raised") in alarms or ("spo2<94", "raised") in alarms
    assert any(action == "acknowledged" for _, action in alarms)
    raised = {alarm_id for alarm_id, action in alarms if action == "raised"}
    cleared = {alarm_id for alarm_id, action in alarms if action == "cleared"}
    assert raised <= cleared, json.dumps(alarms)
    assert min(s.value for s in spo2) <= 90
    assert cuff, "no NIBP samples"
    assert max(s.value for s in pump) == pytest.approx(35.0)
    (capture,) = (tmp_path / "captures" / info.id).iterdir()
    assert capture.name == "monitor.roomctl-line.capture"
    assert capture.read_bytes().startswith(b"VITALS ")
    assert stat.S_IMODE(capture.stat().st_mode) == 0o600
    assert stat.S_IMODE(capture.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(capture.parent.parent.stat().st_mode) == 0o700
    links = [
        (e.data["feed"], e.data["link"]) for e in events if e.kind == Kind.FEED and "link" in e.data
    ]
    assert ("monitor", "connected") in links
    assert ("pump", "connected") in links


def test_a_cable_pulled_mid_session_is_a_gap_and_the_session_goes_on(tmp_path: Path) -> None:
    url = run_demo(
        tmp_path, 'protocol = "roomctl-line"\nport = "sim"\nscenario = "cable-pull"\n', speed=240
    )
    with TimelineStore(url) as store:
        (info,) = store.sessions()
        events = store.events(info.id)
        hr = store.samples(info.id, "hr")
    assert info.status == "discharged"
    links = [
        (e.t, e.data["link"])
        for e in events
        if e.kind == Kind.FEED and e.data.get("feed") == "monitor" and "link" in e.data
    ]
    states = [state for _, state in links]
    assert states[:3] == ["connected", "disconnected", "connected"]
    lost_at, back_at = links[1][0], links[2][0]
    assert 14 * 60 <= lost_at <= 16 * 60
    alarms = [(e.data["id"], e.data["action"]) for e in events if e.kind == Kind.ALARM]
    assert ("technical:monitor_link", "raised") in alarms
    assert ("technical:monitor_link", "cleared") in alarms
    # Readings before the pull are all kept; they resume after it.
    assert any(s.t < lost_at for s in hr)
    assert any(s.t > back_at for s in hr)
