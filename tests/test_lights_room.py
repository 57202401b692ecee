"""A session with Hue lights on the simulator: it starts and runs while the bridge is down,
shows the technical alarm, and gets the current phase's scene when the bridge comes back."""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devices.lights.hue import HueLights
from devices.lights.limits import Backoff
from devices.sim.hue_bridge import HueBridgeSim
from roomctl.clock import FakeClock
from roomctl.config import load_config
from roomctl.cues import SteppedScheduler
from roomctl.null_devices import NullMusicPlayer, NullSoundscapeOutput
from roomctl.room import Room
from roomctl.session import Phase
from roomctl.timeline.events import Event, Kind
from tests.roomkit import ListSink

pytestmark = pytest.mark.system


class Pump:
    """The GUI thread's loop, reduced: adapter reports queue up and reach the Room only when
    the test (the Room's one thread) pumps them, as Qt's queued signals do in the app."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, Kind, dict[str, Any]]] = queue.Queue()
        self.room: Room | None = None

    def report_for(self, source: str) -> Callable[[Kind, dict[str, Any]], None]:
        return lambda kind, data: self.queue.put((source, kind, data))

    def until(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        assert self.room is not None
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            assert left > 0, "the room never got there"
            try:
                source, kind, data = self.queue.get(timeout=min(left, 0.2))
            except queue.Empty:
                continue
            self.room.report(source, kind, data)


@pytest.fixture
def sim() -> Iterator[HueBridgeSim]:
    bridge = HueBridgeSim(lights=2)
    bridge.start()
    yield bridge
    bridge.stop()


def alarm_events(sink: ListSink, action: str) -> list[Event]:
    return [
        e
        for e in sink.of_kind(Kind.ALARM)
        if e.data["id"] == "technical:lights_unreachable" and e.data["action"] == action
    ]


def test_a_session_runs_on_while_the_bridge_is_down_and_gets_its_scene_back(
    sim: HueBridgeSim, tmp_path: Path
) -> None:
    config = load_config(None)
    pump = Pump()
    sim.set_mode("down")
    lights = HueLights(
        bridge=sim.address,
        username=sim.create_user(),
        report=pump.report_for("lights"),
        key_file=tmp_path / "keys.json",
        backoff=Backoff(first_s=0.05, cap_s=0.2),
    )
    clock = FakeClock()
    sink = ListSink()
    try:
        room = Room.open_session(
            patient="heron",
            course=1,
            config=config,
            clock=clock,
            sink=sink,
            scheduler=SteppedScheduler(clock),
            lights=lights,
            music=NullMusicPlayer(pump.report_for("music")),
            soundscape=NullSoundscapeOutput(pump.report_for("soundscape")),
        )
        pump.room = room
        room.prepare()
        pump.until(lambda: bool(alarm_events(sink, "raised")))
        (banner,) = [c for c in room.monitoring.alarms.showing() if "lights" in c.rule_id]
        assert banner.text == "Lights unreachable (advisory)"

        room.start_infusion()  # the session does not wait for the lights
        assert room.state.phase == Phase.INFUSING
        sim.set_mode("ok")
        pump.until(lambda: bool(alarm_events(sink, "cleared")))
        pump.until(
            lambda: any(
                e.data.get("scene") == "infusing" and e.data.get("outcome") == "ok"
                for e in sink.of_kind(Kind.LIGHTS)
            )
        )
    finally:
        lights.close()
    last = sim.group_commands("1")[-1].body
    assert (last["bri"], last["ct"]) == (38, 455)  # the infusing scene, not preparing's
    assert not [c for c in room.monitoring.alarms.showing() if "lights" in c.rule_id]
    errors = [e for e in sink.of_kind(Kind.LIGHTS) if e.data.get("outcome") == "error"]
    assert errors
    assert all(e.source == "lights" for e in sink.of_kind(Kind.LIGHTS))
