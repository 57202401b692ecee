"""The composition root: builds the store, the writer, the clock, the scheduler, the devices
named by config and the Room, and wires them together. The only module that knows every layer.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QCoreApplication

from app.devices import Devices, build_devices
from app.dispatch import QtDispatcher
from app.errors import UserError
from app.feeds import Feeds, build_feeds
from app.music_library import resolve_playlists
from app.scheduler import ApsScheduler
from roomctl.alarm_sound import ToneSchedule
from roomctl.clock import SessionClock
from roomctl.config import Config
from roomctl.demo_nurse import DemoNurse
from roomctl.room import Room
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.location import data_dir
from roomctl.timeline.store import SessionInfo, TimelineStore
from roomctl.timeline.writer import StoreStatus, TimelineWriter

HEARTBEAT_S = 1.0


class _Reporter:
    """Adapters exist before the Room does; their reports are routed once it is there."""

    def __init__(self, source: str, dispatch: Callable[[Callable[[], None]], None]) -> None:
        self.source = source
        self.room: Room | None = None
        self._dispatch = dispatch

    def __call__(self, kind: Kind, data: dict[str, Any]) -> None:
        # Resolved when the dispatched call runs: by then the Room exists, even for reports
        # made while it was being built (a resumed session re-applying its scene).
        self._dispatch(lambda: self._deliver(kind, data))

    def _deliver(self, kind: Kind, data: dict[str, Any]) -> None:
        if self.room is None:
            raise RuntimeError(f"{self.source} reported before the room was wired")
        self.room.report(self.source, kind, data)


@dataclass
class RoomRuntime:
    """A running room: everything that must be shut down together, in the right order."""

    config: Config
    store: TimelineStore
    writer: TimelineWriter
    clock: SessionClock
    scheduler: ApsScheduler
    dispatch: QtDispatcher
    room: Room
    devices: Devices
    feeds: Feeds
    nurse: DemoNurse | None = None
    store_status: list[StoreStatus] = field(default_factory=list)

    def close(self) -> None:
        """Stop cues and devices, make every event durable, and release the session.

        The store stays open: whoever opened it (the command line) closes it.
        """
        self.feeds.stop()
        self.scheduler.shutdown()
        self.room.close()
        self.devices.close()
        # Deliver what devices reported on their way out before the writer's last flush.
        QCoreApplication.processEvents()
        if self.room.state.live:
            self.writer.release(self.room.session_id)
        self.writer.close()


class _Wiring:
    """Collects the parts common to a new and a resumed session."""

    def __init__(
        self, config: Config, store: TimelineStore, clock: SessionClock, *, demo: bool
    ) -> None:
        config = resolve_playlists(config)
        self.config = config
        self.store = store
        self.dispatch = QtDispatcher()
        self.room: Room | None = None
        self.status: list[StoreStatus] = []
        self.writer = TimelineWriter(
            store,
            dispatch=self.dispatch,
            on_committed=self._committed,
            on_status=self.status.append,
        )
        self.speed = clock.speed
        self.reporters: list[_Reporter] = []
        self.devices = build_devices(
            config, self._reporter, now=clock.now, speed=clock.speed, demo=demo
        )

    def _reporter(self, source: str) -> _Reporter:
        reporter = _Reporter(source, self.dispatch)
        self.reporters.append(reporter)
        return reporter

    def _alarm_tones(self, room: Room) -> Callable[[], None] | None:
        """The staff's alarm tone, ticked each second, when ``[alarms] tones_device`` is set."""
        device = self.config.alarms.tones_device
        if not device:
            return None
        from devices.audio.alarm_tones import AlarmTones

        reporter = self._reporter("alarm_tones")
        reporter.room = room
        tones = AlarmTones(int(device) if device.isdigit() else device, reporter)
        schedule = ToneSchedule()

        def tick() -> None:
            priority = room.monitoring.alarms.audio_priority(room.clock.now())
            level = schedule.due(priority, time.monotonic())
            if level is not None:
                tones.sound(level)

        return tick

    def _committed(self, events: list[Event]) -> None:
        if self.room is not None:
            self.room.committed(events)

    def parts(self, clock: SessionClock, scheduler: ApsScheduler) -> dict[str, Any]:
        return {
            "config": self.config,
            "clock": clock,
            "sink": self.writer,
            "scheduler": scheduler,
            "lights": self.devices.lights,
            "music": self.devices.music,
            "soundscape": self.devices.soundscape,
        }

    def finish(
        self, room: Room, clock: SessionClock, scheduler: ApsScheduler, auto_nurse: bool
    ) -> RoomRuntime:
        self.room = room
        for reporter in self.reporters:
            reporter.room = room
        scheduler.every("heartbeat", HEARTBEAT_S, room.heartbeat)
        scheduler.every("alarms", HEARTBEAT_S, room.tick_alarms)
        tones = self._alarm_tones(room)
        if tones is not None:
            scheduler.every("alarm_tones", HEARTBEAT_S, tones)
        feeds = build_feeds(
            self.config,
            lambda: self.room,
            self.dispatch,
            speed=clock.speed,
            start_t=clock.now(),
            capture_dir=data_dir(os.environ) / "captures" / room.session_id,
        )
        feeds.start()
        nurse = None
        if auto_nurse:
            nurse = DemoNurse(room, scheduler, preparing_minutes=self.config.demo.preparing_minutes)
            nurse.attach()
        return RoomRuntime(
            self.config,
            self.store,
            self.writer,
            clock,
            scheduler,
            self.dispatch,
            room,
            self.devices,
            feeds,
            nurse,
            self.status,
        )


def start_session(
    config: Config,
    store: TimelineStore,
    *,
    speed: float,
    minutes: int | None,
    patient: str,
    course: int,
    demo: bool,
    auto_nurse: bool,
) -> RoomRuntime:
    """Open a new session in ``ready`` (a Qt application must exist).

    ``auto_nurse`` attaches the simulated nurse that presses the buttons (headless demo).
    """
    clock = SessionClock(speed=speed)
    wiring = _Wiring(config, store, clock, demo=demo)
    wiring.writer.start()
    scheduler = ApsScheduler(clock)
    clock.restart()  # session time 0 is the moment the session opens
    room = Room.open_session(
        patient=patient,
        course=course,
        planned_minutes=minutes,
        mode="demo" if demo else "clinical",
        **wiring.parts(clock, scheduler),
    )
    return wiring.finish(room, clock, scheduler, auto_nurse)


def resumable(info: SessionInfo) -> None:
    """Raise a :class:`UserError` unless the session can be resumed by this process."""
    if info.status in ("discharged", "aborted"):
        raise UserError(f"session {info.id} has ended ({info.status}); nothing to resume")
    if info.status != "interrupted":
        raise UserError(
            f"session {info.id} is live ({info.status}) in process {info.owner_pid} on "
            f"{info.owner_host}; stop that one first"
        )


def resume_session(
    config: Config,
    store: TimelineStore,
    session_id: str,
    *,
    speed: float | None = None,
    auto_nurse: bool,
) -> RoomRuntime:
    """Continue an interrupted session from its phase and clock position."""
    try:
        info = store.session(session_id)
    except LookupError as exc:
        raise UserError(str(exc).strip("'\"")) from None
    resumable(info)
    events = store.events(session_id)
    speed = speed or info.speed
    last_wall = info.last_wall or (events[-1].wall if events else datetime.now(UTC))
    last_seen_t = max(info.last_t or 0.0, events[-1].t if events else 0.0)
    # The room's real time went on while roomctl was down: the session clock does too.
    away_s = max(0.0, (datetime.now(UTC) - last_wall).total_seconds())
    clock = SessionClock(speed=speed, origin=last_seen_t + away_s * speed)
    wiring = _Wiring(config, store, clock, demo=info.mode == "demo")
    wiring.writer.start()
    scheduler = ApsScheduler(clock)
    room = Room.resume_session(
        session_id=session_id,
        events=events,
        last_seen_t=last_seen_t,
        **wiring.parts(clock, scheduler),
    )
    return wiring.finish(room, clock, scheduler, auto_nurse and info.mode == "demo")
