"""``roomctl lights pair|status|scene`` and ``roomctl sim hue`` against the simulator: exit 0 when
the bridge confirms, one line within 3 s when it is down, hung or refuses the user."""

from __future__ import annotations

import json
import os
import queue
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.cli import main
from devices.lights.bridge import RoomBridge, send_group_state
from devices.lights.convert import HueState
from devices.lights.keys import KEY_FILE_ENV, load_key, pair
from devices.sim.hue_bridge import HueBridgeSim

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.system


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "config" / "hue-keys.json"
    monkeypatch.setenv(KEY_FILE_ENV, str(path))
    monkeypatch.setenv("ROOMCTL_CONFIG", str(REPO / "config" / "roomctl.toml"))
    return path


def env_for(key_file: Path) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    environ.update(
        {KEY_FILE_ENV: str(key_file), "ROOMCTL_CONFIG": str(REPO / "config" / "roomctl.toml")}
    )
    return environ


def roomctl(*args: str, key_file: Path, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env_for(key_file),
        timeout=timeout,
        check=False,
    )


def test_scene_exits_0_when_the_bridge_confirms(
    sim: HueBridgeSim, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    user = sim.create_user()
    assert main(["lights", "scene", "infusing", "--bridge", sim.address, "--user", user]) == 0
    out = capsys.readouterr().out
    assert '{"on": true, "bri": 38, "ct": 455, "transitiontime": 600} confirmed' in out
    assert [c.body for c in sim.group_commands("1")] == [
        {"on": True, "bri": 38, "ct": 455, "transitiontime": 600}
    ]


def test_scene_uses_the_paired_key_and_another_group(
    sim: HueBridgeSim, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.press_link_button()
    pair(sim.address, key_file)
    assert main(["lights", "scene", "emergency", "--bridge", sim.address, "--group", "0"]) == 0
    assert "group 0 step 1/1" in capsys.readouterr().out
    assert {(lamp.bri, lamp.ct) for lamp in sim.lights.values()} == {(254, 250)}


@pytest.mark.parametrize("failure", ["down", "hung", "error500", "stranger"])
def test_scene_fails_within_3_s_with_one_line(
    sim: HueBridgeSim, key_file: Path, capsys: pytest.CaptureFixture[str], failure: str
) -> None:
    user = "stranger" if failure == "stranger" else sim.create_user()
    if failure != "stranger":
        sim.set_mode(failure)
    started = time.monotonic()
    code = main(["lights", "scene", "infusing", "--bridge", sim.address, "--user", user])
    took = time.monotonic() - started
    err = capsys.readouterr().err
    assert code == 2
    assert took < 3.0
    assert err.count("\n") == 1
    assert err.startswith(f"roomctl: bridge {sim.address}")
    assert user not in err or failure == "stranger"


@pytest.mark.parametrize("failure", ["down", "hung"])
def test_the_command_line_itself_fails_within_3_s(
    sim: HueBridgeSim, key_file: Path, failure: str
) -> None:
    """The whole process, start-up included. Python's start-up is the machine's, not ours
    (≈1 s idle, several seconds on a saturated CI box), so the bound is checked on an idle
    machine's terms: this command's time beyond the same process printing its --help."""
    user = sim.create_user()
    started = time.monotonic()
    roomctl("lights", "scene", "--help", key_file=key_file)
    start_up = time.monotonic() - started
    sim.set_mode(failure)
    started = time.monotonic()
    result = roomctl(
        "lights", "scene", "infusing", "--bridge", sim.address, "--user", user, key_file=key_file
    )
    took = time.monotonic() - started
    assert took < 3.0 or took - start_up < 2.0, (took, start_up)
    assert result.returncode == 2
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert "hung" in line if failure == "hung" else "refused the connection" in line


def test_pairing_from_the_command_line_stores_a_0600_key(sim: HueBridgeSim, key_file: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "lights", "pair", "--bridge", sim.address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env_for(key_file),
    )
    try:
        assert process.stdout is not None
        assert "Press the link button" in process.stdout.readline()
        sim.press_link_button()
        out, err = process.communicate(timeout=30)
    finally:
        process.kill()
        process.wait()
    assert process.returncode == 0, err
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = load_key(key_file, sim.address)
    assert key is not None
    assert key not in out
    assert key not in err
    assert f"Paired with {sim.address}" in out
    RoomBridge(sim.address, key, key_file).get_light()


def test_pairing_that_nobody_confirms_fails_with_one_line(
    sim: HueBridgeSim, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lights", "pair", "--bridge", sim.address, "--wait", "0.5"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "link button was not pressed within 0.5 s" in line
    assert not key_file.exists()


def test_status_shows_the_bridge_groups_and_lights(
    sim: HueBridgeSim, key_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sim.press_link_button()
    pair(sim.address, key_file)
    key = load_key(key_file, sim.address)
    assert key is not None
    send_group_state(RoomBridge(sim.address, key, key_file), 1, HueState(on=True, bri=38, ct=455))
    assert main(["lights", "status", "--bridge", sim.address]) == 0
    out = capsys.readouterr().out
    assert "roomctl simulator" in out
    assert "Treatment room" in out
    assert out.count("bri 38 (15 %) · ct 455 (2198 K) · reachable") == 3
    assert key not in out
    assert main(["lights", "status", "--bridge", sim.address, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["groups"]["1"]["lights"] == ["1", "2", "3"]
    assert doc["lights"]["2"]["state"]["bri"] == 38


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lights", "scene", "dancing", "--bridge", "127.0.0.1:9"], "unknown scene 'dancing'"),
        (["lights", "scene", "infusing"], "no bridge: give --bridge"),
        (["lights", "status", "--bridge", "127.0.0.1:9"], "not paired with 127.0.0.1:9"),
        (["lights", "status", "--bridge", "not a host"], "not a bridge address"),
    ],
)
def test_user_errors_are_one_line(
    key_file: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(args) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert message in line


def test_a_bad_lights_config_is_one_line_per_problem(tmp_path: Path, key_file: Path) -> None:
    path = tmp_path / "room.toml"
    path.write_text('[lights]\nbackend = "hue"\nmired_range = [500, 153]\n', encoding="utf-8")
    result = roomctl("config", "check", str(path), key_file=key_file)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{path}: lights.bridge: give the room's bridge (HOST or HOST:PORT) for backend 'hue' "
        "(got '')",
        f"{path}: lights.mired_range: give [coolest, warmest], coolest (smaller) first "
        "(got [500, 153])",
    ]


def _lines(stream: object, seen: list[str]) -> tuple[queue.Queue[str], threading.Thread]:
    """Lines of ``stream`` as they come (and all of them in ``seen``), read on a thread."""
    lines: queue.Queue[str] = queue.Queue()

    def read() -> None:
        for line in stream:  # type: ignore[attr-defined]
            seen.append(line)
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def _until(lines: queue.Queue[str], text: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if text in line:
            return line
    raise AssertionError(f"no line with {text!r} within {timeout} s")


def test_sim_hue_prints_each_change_and_takes_commands(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "sim", "hue", "--port", "0", "--lights", "2"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env=env_for(key_file),
    )
    try:
        assert process.stdin is not None
        seen: list[str] = []
        lines, reader = _lines(process.stdout, seen)
        address = _until(lines, "Hue bridge simulator at").split(" at ")[1].split(":")
        bridge = f"{address[0]}:{address[1].split()[0]}"
        process.stdin.write("link\n")
        process.stdin.flush()
        _until(lines, "link button")
        pair(bridge, key_file)
        _until(lines, "pairing: devicetype roomctl#")
        key = load_key(key_file, bridge)
        assert key is not None
        hue = RoomBridge(bridge, key, key_file)
        send_group_state(hue, 1, HueState(on=True, bri=38, ct=455, transitiontime=600))
        assert "on, bri 38 (15.0 %), ct 455 (2198 K), over 60.0 s" in _until(lines, "group 1:")
        process.stdin.write("down\n")
        process.stdin.flush()
        _until(lines, "mode down")
        process.send_signal(signal.SIGINT)
        _until(lines, "stopped")
        assert process.wait(timeout=10) == 0
        reader.join(timeout=10)  # EOF once the process is gone
    finally:
        process.kill()
        process.wait()
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
    assert key not in "".join(seen)
