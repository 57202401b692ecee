"""The Hue adapter against the bridge simulator, through phue over real HTTP: exact scenes,
Hue's pace, coalescing, a caller that never waits, alarms, retries and re-applying."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.devices import build_lights
from devices.lights.bridge import BridgeError, RoomBridge
from devices.lights.hue import HueLights
from devices.lights.keys import KEY_FILE_ENV, store_key
from devices.lights.limits import Backoff
from devices.sim.hue_bridge import HueBridgeSim
from roomctl.config import Config, SceneConfig, load_config
from roomctl.timeline.events import Kind

pytestmark = pytest.mark.system

SCENES = load_config(None).lights.scenes
WAIT_S = 5.0


class Reports:
    """What the adapter reported, from which thread; tests wait on it, never sleep."""

    def __init__(self) -> None:
        self.items: list[tuple[Kind, dict[str, Any]]] = []
        self.threads: set[int] = set()
        self._cond = threading.Condition()

    def __call__(self, kind: Kind, data: dict[str, Any]) -> None:
        with self._cond:
            self.items.append((kind, data))
            self.threads.add(threading.get_ident())
            self._cond.notify_all()

    def wait(self, predicate: Callable[[dict[str, Any]], bool], timeout: float = WAIT_S) -> dict:
        """The first report satisfying ``predicate``; fails the test after ``timeout``."""
        with self._cond:
            found = self._cond.wait_for(
                lambda: next((d for _, d in self.items if predicate(d)), None), timeout
            )
        assert found is not None, f"no such report within {timeout} s: {self.items}"
        return found

    def lights(self, **match: Any) -> list[dict[str, Any]]:
        with self._cond:
            return [
                d
                for k, d in self.items
                if k == Kind.LIGHTS and all(d.get(x) == v for x, v in match.items())
            ]

    def alarms(self) -> list[str]:
        with self._cond:
            return [d["state"] for k, d in self.items if k == Kind.ALARM]


def ok(scene: str, step: int = 1) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d.get("scene") == scene and d.get("outcome") == "ok" and d["step"] == step


def alarm(state: str) -> Callable[[dict[str, Any]], bool]:
    return lambda d: d.get("condition") == "lights_unreachable" and d.get("state") == state


@pytest.fixture
def reports() -> Reports:
    return Reports()


@pytest.fixture
def make_lights(
    sim: HueBridgeSim, reports: Reports, tmp_path: Path
) -> Iterator[Callable[..., HueLights]]:
    made: list[HueLights] = []

    def make(**options: Any) -> HueLights:
        options.setdefault("username", sim.create_user())
        options.setdefault("backoff", Backoff(first_s=0.05, factor=2, cap_s=0.2))
        options.setdefault("report", reports)
        lights = HueLights(bridge=sim.address, key_file=tmp_path / "keys.json", **options)
        made.append(lights)
        return lights

    yield make
    for lights in made:
        lights.close()


def test_infusing_is_one_group_action_bri_38_ct_455_over_60_s(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    make_lights().apply("infusing", SCENES["infusing"])
    event = reports.wait(ok("infusing"))
    body = {"on": True, "bri": 38, "ct": 455, "transitiontime": 600}
    assert [c.body for c in sim.group_commands("1")] == [body]
    assert event["state"] == body
    assert (event["steps"], event["group"], event["backend"]) == (1, 1, "hue")
    assert isinstance(event["latency_ms"], float)
    assert [(lamp.on, lamp.bri, lamp.ct) for lamp in sim.lights.values()] == [(True, 38, 455)] * 3


def test_emergency_is_on_full_and_cool_at_once(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    make_lights().apply("emergency", SCENES["emergency"])
    reports.wait(ok("emergency"))
    assert [c.body for c in sim.group_commands("1")] == [
        {"on": True, "bri": 254, "ct": 250, "transitiontime": 0}
    ]


def test_recovering_sets_15_percent_then_rises_a_second_later(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    make_lights().apply("recovering", SCENES["recovering"])
    reports.wait(ok("recovering", step=2))
    first, rise = sim.group_commands("1")
    assert first.body == {"on": True, "bri": 38, "ct": 370, "transitiontime": 0}
    assert rise.body == {"on": True, "bri": 127, "ct": 370, "transitiontime": 6000}
    assert rise.t - first.t >= 0.9


def test_a_burst_collapses_to_the_latest_scene_at_one_command_a_second(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    lights = make_lights()
    burst = ["preparing", "infusing", "emergency", "preparing", "exam", "infusing"] * 5
    for name in burst:
        lights.apply(name, SCENES[name])
    reports.wait(lambda d: d.get("outcome") == "ok" and d.get("scene") == "infusing")
    commands = sim.group_commands("1")
    assert 1 <= len(commands) <= 2
    assert commands[-1].body == {"on": True, "bri": 38, "ct": 455, "transitiontime": 600}
    assert not any(c.too_fast for c in commands)
    if len(commands) == 2:
        assert commands[1].t - commands[0].t >= 0.9
    outcomes = [d["outcome"] for d in reports.lights(action="apply")]
    assert outcomes.count("ok") == len(commands)
    assert outcomes.count("coalesced") == len(burst) - len(commands)


def test_apply_never_waits_while_the_bridge_hangs(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    lights = make_lights(check_every_s=3600)
    reports.wait(lambda d: d.get("action") == "check")  # the link is known to be up
    sim.set_mode("hung")
    longest = 0.0
    for i in range(200):
        name = ("infusing", "emergency")[i % 2]
        started = time.perf_counter()
        lights.apply(name, SCENES[name])
        longest = max(longest, time.perf_counter() - started)
    assert longest < 0.016
    error = reports.wait(lambda d: d.get("error_kind") == "timeout", timeout=3)
    assert error["latency_ms"] < 1500
    reports.wait(alarm("raised"))
    assert threading.get_ident() not in reports.threads  # reports come from the worker


def test_a_bridge_that_is_down_raises_the_alarm_and_gets_the_scene_when_back(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    sim.set_mode("down")
    lights = make_lights()
    lights.apply("infusing", SCENES["infusing"])
    raised = reports.wait(alarm("raised"))
    assert raised["text"] == "Lights unreachable (advisory)"
    assert raised["priority"] == "low"
    error = reports.wait(lambda d: d.get("scene") == "infusing" and d.get("outcome") == "error")
    assert error["error_kind"] == "down"
    assert error["retry_in_s"] > 0
    assert lights.link == "down"
    assert sim.group_commands("1") == []

    sim.set_mode("ok")
    reports.wait(alarm("cleared"))
    back = reports.wait(lambda d: d.get("action") == "reapply" and d.get("outcome") == "ok")
    last = sim.group_commands("1")[-1].body
    assert (last["on"], last["bri"], last["ct"]) == (True, 38, 455)
    assert back["state"] == last
    assert last["transitiontime"] <= 600  # what is left of the dimming, not all of it again
    assert reports.alarms() == ["raised", "cleared"]
    assert lights.link == "up"


def test_a_hung_bridge_then_back(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    lights = make_lights()
    reports.wait(lambda d: d.get("action") == "check")
    sim.set_mode("hung")
    lights.apply("emergency", SCENES["emergency"])
    reports.wait(lambda d: d.get("error_kind") == "timeout", timeout=3)
    reports.wait(alarm("raised"))
    sim.set_mode("ok")
    reports.wait(alarm("cleared"))
    assert sim.group_commands("1")[-1].body["bri"] == 254


def test_http_500_is_an_error_like_any_other(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    sim.set_mode("error500")
    make_lights().apply("preparing", SCENES["preparing"])
    error = reports.wait(lambda d: d.get("outcome") == "error")
    assert error["error_kind"] == "http"
    reports.wait(alarm("raised"))


def test_an_idle_bridge_that_lost_power_gets_the_scene_back(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    lights = make_lights(check_every_s=0.05)
    lights.apply("infusing", SCENES["infusing"])
    reports.wait(ok("infusing"))
    sim.set_mode("down")
    reports.wait(alarm("raised"))
    for light in sim.lights.values():  # power back: Hue lamps come up full and white
        light.bri, light.ct = 254, 366
    sim.set_mode("ok")
    reports.wait(alarm("cleared"))
    reports.wait(lambda d: d.get("action") == "reapply" and d.get("outcome") == "ok")
    assert {(lamp.bri, lamp.ct) for lamp in sim.lights.values()} == {(38, 455)}


def test_an_unpaired_room_is_told_to_pair_and_heals_once_paired(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    key: list[str] = []
    make_lights(username=lambda: key[0] if key else None).apply("infusing", SCENES["infusing"])
    raised = reports.wait(alarm("raised"))
    assert "pair" in raised["text"]
    assert reports.wait(lambda d: d.get("outcome") == "error")["error_kind"] == "unpaired"
    key.append(sim.create_user())  # `roomctl lights pair` in another terminal
    reports.wait(alarm("cleared"))
    assert sim.group_commands("1")[-1].body["bri"] == 38


def test_the_key_never_reaches_an_event(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    key = sim.create_user()
    lights = make_lights(username=key, group=7)  # no such group: Hue error 3
    lights.apply("infusing", SCENES["infusing"])
    reports.wait(alarm("raised"))
    assert key not in json.dumps([d for _, d in reports.items])


def test_close_is_bounded_while_hung_and_silences_the_adapter(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    lights = make_lights()
    reports.wait(lambda d: d.get("action") == "check")
    sim.set_mode("hung")
    lights.apply("emergency", SCENES["emergency"])
    started = time.monotonic()
    lights.close()
    assert time.monotonic() - started < 2.0
    assert not lights._thread.is_alive()
    count = len(reports.items)
    lights.apply("infusing", SCENES["infusing"])  # after close: ignored, nothing reported
    assert len(reports.items) == count


def _config(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "room.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_the_sim_backend_runs_a_bridge_and_closes_it(reports: Reports, tmp_path: Path) -> None:
    closers: list[Callable[[], None]] = []
    lights = build_lights(load_config(None), reports, closers)
    assert isinstance(lights, HueLights)
    lights.apply("infusing", SCENES["infusing"])
    event = reports.wait(ok("infusing"))
    assert event["backend"] == "sim"
    assert event["bridge"].startswith("127.0.0.1:")
    for closer in reversed(closers):
        closer()
    with pytest.raises(BridgeError) as caught:  # the simulator is gone with the session
        RoomBridge(event["bridge"], "x", tmp_path / "k.json").get_light()
    assert caught.value.kind == "down"


def test_the_hue_backend_uses_the_stored_key(
    sim: HueBridgeSim, reports: Reports, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)
    key_file = tmp_path / "keys" / "hue.json"
    store_key(key_file, sim.address, sim.create_user())
    config = _config(
        tmp_path,
        f'[lights]\nbackend = "hue"\nbridge = "{sim.address}"\nkey_file = "{key_file}"\n',
    )
    closers: list[Callable[[], None]] = []
    lights = build_lights(config, reports, closers)
    try:
        lights.apply("off", SceneConfig(on=False, transition_s=2))
        event = reports.wait(ok("off"))
    finally:
        for closer in reversed(closers):
            closer()
    assert event["state"] == {"on": False, "transitiontime": 20}
    assert event["backend"] == "hue"
    assert not any(lamp.on for lamp in sim.lights.values())


def test_a_report_receiver_that_fails_does_not_stop_the_lights(
    sim: HueBridgeSim, reports: Reports, make_lights: Callable[..., HueLights]
) -> None:
    failures = [0]

    def flaky(kind: Kind, data: dict[str, Any]) -> None:
        if data.get("scene") == "preparing":
            failures[0] += 1
            raise RuntimeError("receiver broke")
        reports(kind, data)

    lights = make_lights(report=flaky)
    lights.apply("preparing", SCENES["preparing"])
    assert sim.wait_for(lambda changes: any(c.target == "group 1" for c in changes), WAIT_S)
    lights.apply("emergency", SCENES["emergency"])
    reports.wait(ok("emergency"))
    assert failures == [1]


def test_a_bridge_answering_nonsense_is_an_error_not_a_dead_worker(
    sim: HueBridgeSim,
    reports: Reports,
    make_lights: Callable[..., HueLights],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lights = make_lights()
    reports.wait(lambda d: d.get("action") == "check")
    real_handle = sim.handle
    monkeypatch.setattr(sim, "handle", lambda method, path, raw: ["not", "hue"])
    lights.apply("infusing", SCENES["infusing"])
    error = reports.wait(lambda d: d.get("outcome") == "error")
    assert error["error_kind"] == "answer"
    monkeypatch.setattr(sim, "handle", real_handle)
    reports.wait(alarm("cleared"))
    assert sim.group_commands("1")[-1].body["bri"] == 38
