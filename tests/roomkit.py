"""A room on a fake clock for the pure core's tests: no Qt, no store, no hardware."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from roomctl.clock import FakeClock
from roomctl.config import Config, load_config
from roomctl.cues import SteppedScheduler
from roomctl.null_devices import LateReport, NullLights, NullMusicPlayer, NullSoundscapeOutput
from roomctl.room import Room
from roomctl.session import Phase
from roomctl.timeline.events import Event, Kind, Sample, WaveChunk


@dataclass
class ListSink:
    """Keeps what the Room would have sent to the store."""

    sessions: list[Any] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    heartbeats: list[tuple[str, float, datetime]] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    waves: list[WaveChunk] = field(default_factory=list)

    def create_session(self, session: Any, owner_host: str, owner_pid: int) -> None:
        self.sessions.append(session)

    def append(self, event: Event) -> None:
        self.events.append(event)

    def append_samples(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)

    def append_wave(self, chunk: WaveChunk) -> None:
        self.waves.append(chunk)

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None:
        self.heartbeats.append((session_id, t, wall))

    def of_kind(self, kind: Kind) -> list[Event]:
        return [e for e in self.events if e.kind == kind]

    def phases(self) -> list[tuple[str, float]]:
        return [(e.data["to"], e.t) for e in self.of_kind(Kind.PHASE)]


@dataclass
class Kit:
    room: Room
    clock: FakeClock
    scheduler: SteppedScheduler
    sink: ListSink
    config: Config

    def run_until(self, t: float) -> None:
        self.scheduler.run_until(t)

    def advance_minutes(self, minutes: float) -> None:
        self.scheduler.advance(minutes * 60.0)

    @property
    def phase(self) -> Phase:
        return self.room.state.phase


def default_config(user_file: Path | None = None) -> Config:
    return load_config(user_file)


def room_parts(
    config: Config, clock: FakeClock, scheduler: SteppedScheduler, sink: ListSink
) -> tuple[dict[str, Any], list[LateReport]]:
    reports = [LateReport("lights"), LateReport("music"), LateReport("soundscape")]
    lights_report, music_report, soundscape_report = reports
    parts: dict[str, Any] = {
        "config": config,
        "clock": clock,
        "sink": sink,
        "scheduler": scheduler,
        "lights": NullLights(lights_report),
        "music": NullMusicPlayer(music_report),
        "soundscape": NullSoundscapeOutput(soundscape_report),
    }
    return parts, reports


def new_room(config: Config | None = None, *, planned_minutes: int | None = None) -> Kit:
    config = config or default_config()
    clock = FakeClock()
    scheduler = SteppedScheduler(clock)
    sink = ListSink()
    parts, reports = room_parts(config, clock, scheduler, sink)
    room = Room.open_session(patient="heron", course=1, planned_minutes=planned_minutes, **parts)
    for report in reports:
        report.bind(room)
    return Kit(room, clock, scheduler, sink, config)


def resume_room(events: list[Event], *, at_t: float, config: Config | None = None) -> Kit:
    """A fresh process picking the session up from ``events`` at session time ``at_t``."""
    config = config or default_config()
    clock = FakeClock(start=at_t)
    scheduler = SteppedScheduler(clock)
    sink = ListSink(events=list(events))
    parts, reports = room_parts(config, clock, scheduler, sink)
    room = Room.resume_session(
        session_id=events[0].session, events=list(events), last_seen_t=events[-1].t, **parts
    )
    for report in reports:
        report.bind(room)
    return Kit(room, clock, scheduler, sink, config)


PASSING = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}
FAILING = {"activity": 1, "respiration": 2, "circulation": 1, "consciousness": 1, "spo2": 2}
