"""The bridge simulator through phue over real HTTP: the API subset, Hue's errors, pairing with
the link button, the key file, and every injected failure with a time bound."""

from __future__ import annotations

import logging
import os
import stat
import time
from pathlib import Path

import pytest

from devices.lights.bridge import BridgeError, RoomBridge, send_group_state
from devices.lights.convert import HueState
from devices.lights.keys import KEY_FILE_ENV, key_file_path, load_key, pair, store_key
from devices.sim.hue_bridge import HueBridgeSim

pytestmark = pytest.mark.system


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "hue-keys.json"


@pytest.fixture
def hue(sim: HueBridgeSim, key_file: Path) -> RoomBridge:
    return RoomBridge(sim.address, sim.create_user(), key_file)


def test_phue_reads_lights_groups_and_config(hue: RoomBridge) -> None:
    assert sorted(hue.get_light()) == ["1", "2", "3"]  # GET .../lights/ (trailing slash)
    assert hue.get_light(2, "reachable") is True
    assert hue.get_group(1)["lights"] == ["1", "2", "3"]
    assert hue.get_group(0)["name"] == "All lights"
    assert hue.name == "roomctl simulator"
    assert set(hue.get_api()) == {"lights", "groups", "config"}


def test_a_group_action_sets_every_light_and_is_confirmed(
    sim: HueBridgeSim, hue: RoomBridge
) -> None:
    state = HueState(on=True, bri=38, ct=455, transitiontime=600)
    assert send_group_state(hue, 1, state) == state.body()
    assert [(lamp.on, lamp.bri, lamp.ct, lamp.colormode) for lamp in sim.lights.values()] == [
        (True, 38, 455, "ct")
    ] * 3
    (command,) = sim.group_commands("1")
    assert command.body == {"on": True, "bri": 38, "ct": 455, "transitiontime": 600}
    assert hue.get_group(1)["action"]["bri"] == 38


def test_a_light_that_is_off_takes_no_brightness(sim: HueBridgeSim, hue: RoomBridge) -> None:
    with pytest.raises(BridgeError, match="Device is set to off") as caught:
        hue.set_light(3, "bri", 10)
    assert caught.value.kind == "api"
    hue.set_light(3, {"on": True, "bri": 10})
    assert (sim.lights["3"].on, sim.lights["3"].bri) == (True, 10)


def test_an_unknown_user_is_refused(sim: HueBridgeSim, key_file: Path) -> None:
    stranger = RoomBridge(sim.address, "not-a-paired-user", key_file)
    with pytest.raises(BridgeError, match="refused the user") as caught:
        stranger.get_light()
    assert caught.value.kind == "refused"


@pytest.mark.parametrize(
    ("path", "body", "error_type"),
    [
        ("/groups/1/action", b'{"bri": 0}', 7),
        ("/groups/1/action", b'{"ct": 600}', 7),
        ("/groups/1/action", b'{"on": "yes"}', 7),
        ("/groups/1/action", b'{"sparkle": true}', 6),
        ("/groups/9/action", b'{"on": true}', 3),
        ("/lights/7/state", b'{"on": true}', 3),
        ("/groups/1/action", b"{not json", 2),
        ("/groups/1/action", b"{}", 5),
    ],
)
def test_hue_errors_come_back_as_hue_error_arrays(
    sim: HueBridgeSim, path: str, body: bytes, error_type: int
) -> None:
    answer = sim.handle("PUT", f"/api/{sim.create_user()}{path}", body)
    assert [e["error"]["type"] for e in answer if "error" in e] == [error_type]


def test_an_api_error_is_one_typed_error_not_a_log_line(hue: RoomBridge) -> None:
    with pytest.raises(BridgeError, match="Hue error 3") as caught:
        send_group_state(hue, 9, HueState(on=True, bri=10))
    assert caught.value.kind == "api"


def test_pairing_waits_for_the_link_button(sim: HueBridgeSim, key_file: Path) -> None:
    presses: list[float] = []

    def press_on_first_wait(seconds: float) -> None:
        presses.append(seconds)
        sim.press_link_button()  # the person walks to the bridge while roomctl polls

    pair(sim.address, key_file, poll_s=0.01, sleep=press_on_first_wait)
    assert len(presses) == 1
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    key = load_key(key_file, sim.address)
    assert key is not None
    assert RoomBridge(sim.address, key, key_file).get_light(1, "on") is False


def test_pairing_gives_up_when_nobody_presses(sim: HueBridgeSim, key_file: Path) -> None:
    started = time.monotonic()
    with pytest.raises(BridgeError, match="not pressed within") as caught:
        pair(sim.address, key_file, wait_s=0.3, poll_s=0.05)
    assert caught.value.kind == "link_button"
    assert time.monotonic() - started < 1.5
    assert not key_file.exists()


def test_the_key_file_is_0600_whatever_the_umask(key_file: Path) -> None:
    old = os.umask(0)
    try:
        store_key(key_file, "10.0.0.2", "first")
        store_key(key_file, "10.0.0.3", "second")
    finally:
        os.umask(old)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_key(key_file, "10.0.0.2") == "first"
    assert load_key(key_file, "10.0.0.3") == "second"
    assert load_key(key_file, "10.0.0.4") is None
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]


def test_a_key_file_open_to_others_is_refused(key_file: Path) -> None:
    store_key(key_file, "10.0.0.2", "secret")
    key_file.chmod(0o644)
    with pytest.raises(BridgeError, match="chmod 600"):
        load_key(key_file, "10.0.0.2")


def test_where_the_key_file_lives(tmp_path: Path) -> None:
    assert key_file_path("", {KEY_FILE_ENV: str(tmp_path / "k.json")}) == tmp_path / "k.json"
    assert key_file_path(str(tmp_path / "c.json"), {}) == tmp_path / "c.json"
    default = key_file_path("", {})
    assert default.name == "hue-keys.json"
    assert default.parent.name == "roomctl"


def test_the_key_is_never_logged_and_python_hue_never_touched(
    sim: HueBridgeSim,
    key_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    caplog.set_level(logging.DEBUG)
    sim.press_link_button()
    pair(sim.address, key_file)
    key = load_key(key_file, sim.address)
    assert key
    hue = RoomBridge(sim.address, key, key_file)
    send_group_state(hue, 1, HueState(on=True, bri=200))
    hue.get_light()
    with pytest.raises(BridgeError):
        send_group_state(hue, 9, HueState(on=True, bri=200))
    assert key not in caplog.text
    assert list((tmp_path / "home").iterdir()) == []


@pytest.mark.parametrize(
    ("mode", "kind", "at_least_s", "within_s"),
    [
        ("down", "down", 0.0, 0.5),
        ("hung", "timeout", 0.9, 1.8),
        ("error500", "http", 0.0, 0.5),
    ],
)
def test_an_injected_failure_is_one_typed_error_in_time(
    sim: HueBridgeSim, hue: RoomBridge, mode: str, kind: str, at_least_s: float, within_s: float
) -> None:
    sim.set_mode(mode)
    started = time.monotonic()
    with pytest.raises(BridgeError) as caught:
        send_group_state(hue, 1, HueState(on=True, bri=10))
    took = time.monotonic() - started
    assert caught.value.kind == kind
    assert at_least_s <= took < within_s
    assert "\n" not in str(caught.value)
    sim.set_mode("ok")  # back on the same port
    send_group_state(hue, 1, HueState(on=True, bri=20))
    assert sim.lights["1"].bri == 20


def test_latency_is_injected(sim: HueBridgeSim, hue: RoomBridge) -> None:
    sim.latency_s = 0.2
    started = time.monotonic()
    hue.get_light()
    assert time.monotonic() - started >= 0.2


def test_group_commands_faster_than_hue_allows_are_flagged(
    sim: HueBridgeSim, hue: RoomBridge
) -> None:
    send_group_state(hue, 1, HueState(on=True, bri=10))
    send_group_state(hue, 1, HueState(on=True, bri=20))
    assert [c.too_fast for c in sim.group_commands("1")] == [False, True]
