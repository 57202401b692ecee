"""Wiring the serial feeds that config names into a Room: a simulator on a pseudo-terminal for
``port = "sim"``, a reader thread per port, and the translation of canonical records into the
Room's terms (readings, waves, link changes, technical conditions), on the Room's thread.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.feeds.records import SENSOR_OFF_FLAGS, Record, RecordKind
from devices.feeds.registry import protocol
from devices.feeds.transport import FeedReader, Stamped, open_serial
from devices.sim.physiology import Physiology
from devices.sim.pty_device import PtyDevice
from devices.sim.sources import MonitorSource, PumpSource
from roomctl.config import Config, FeedConfig
from roomctl.room import Room
from roomctl.timeline.events import Kind

Dispatch = Callable[[Callable[[], None]], None]


class FeedDelivery:
    """Turns one feed's records into Room calls; runs on the Room's thread."""

    def __init__(self, name: str, room_ref: Callable[[], Room | None]) -> None:
        self.name = name
        self._room = room_ref
        self._texts: dict[str, str] = {}
        self._conditions: set[str] = set()
        self._last_nibp: tuple[object, ...] | None = None

    def __call__(self, batch: list[Stamped]) -> None:
        room = self._room()
        if room is None or not room.state.live:
            return
        for item in batch:
            record = item.record
            if record.kind == RecordKind.LINK:
                if record.extra.get("storm") in ("on", "off"):
                    self._storm(room, record.extra["storm"] == "on", record.extra["detail"])
                    continue
                detail = record.extra.get("detail", "")
                room.feed_link(self.name, str(record.values["link"]), detail)
                continue
            if record.kind == RecordKind.WAVE and record.wave is not None:
                room.wave(record.wave.channel, record.wave.rate_hz, record.wave.samples)
            numeric = record.numeric()
            if record.kind == RecordKind.NIBP and self._repeated_cuff(record, numeric):
                numeric = {}
            if numeric:
                room.readings(self.name, numeric)
            self._text_changes(room, record.values)
            self._conditions_changed(room, record.flags, record.pump_alarms())

    def _storm(self, room: Room, on: bool, detail: str) -> None:
        room.report(
            self.name,
            Kind.ALARM,
            {
                "type": "technical",
                "condition": f"{self.name}_bad_frames",
                "state": "raised" if on else "cleared",
                "text": f"{self.name.capitalize()} feed garbled ({detail})",
                "priority": "low",
            },
        )

    def _repeated_cuff(self, record: Record, numeric: dict[str, float]) -> bool:
        """Whether this NIBP record repeats the one before it (issue 8, item 2).

        A bedside monitor such as the Ivy 450C shows the last cuff reading in every message
        until the next measurement; the timeline records each measurement once, at the time it
        first appeared, and so the UI's NIBP age (``monitoring.latest``) counts from then. A
        reading is a repeat when its values *and* device clock equal the previous NIBP record's:
        roomctl-line stamps each measurement with ``T=``, so a new one with the same numbers
        still counts; the Ivy has no clock, so a new measurement with exactly the numbers of
        the last cannot be told from a repeat. A blank NIBP record in between (the monitor
        clearing its cuff reading) ends the repetition.
        """
        key = (tuple(sorted(numeric.items())), record.device_time, record.device_clock_s)
        repeated = key == self._last_nibp
        self._last_nibp = key
        return repeated

    def _text_changes(self, room: Room, values: Any) -> None:
        """Pump state and drug are text: recorded when they change, not every second."""
        for key, value in values.items():
            if isinstance(value, str) and self._texts.get(key) != value:
                self._texts[key] = value
                room.report(self.name, Kind.FEED, {"feed": self.name, key: value})

    def _conditions_changed(
        self, room: Room, flags: frozenset[str], pump_alarms: list[str]
    ) -> None:
        now: dict[str, str] = {}
        if flags & SENSOR_OFF_FLAGS:
            now["sensor_off"] = f"{self.name.capitalize()}: sensor off"
        for code in pump_alarms:
            now[f"pump_alarm_{code}"] = f"Pump alarm {code} (see the pump)"
        for condition in set(now) | self._conditions:
            active = condition in now
            if active == (condition in self._conditions):
                continue
            text = now.get(condition, condition.replace("_", " "))
            room.report(
                self.name,
                Kind.ALARM,
                {
                    "type": "technical",
                    "condition": f"{self.name}_{condition}",
                    "state": "raised" if active else "cleared",
                    "text": text,
                    "priority": "medium",
                },
            )
        self._conditions = set(now)


@dataclass
class Feeds:
    """Every feed of a room and the simulators behind the ``sim`` ones."""

    readers: list[FeedReader] = field(default_factory=list)
    simulators: list[PtyDevice] = field(default_factory=list)

    def start(self) -> None:
        for reader in self.readers:
            reader.start()

    def stop(self) -> None:
        for reader in self.readers:
            reader.stop()
        for device in self.simulators:
            device.stop()


def _simulator(
    name: str, feed: FeedConfig, config: Config, speed: float, start_t: float
) -> PtyDevice:
    patient = Physiology(feed.scenario, seed=feed.seed)
    if name == "pump" or feed.protocol == "newera-basic":
        # The simulated nurse starts the pump when the demo's preparation is over.
        source: Any = PumpSource(
            feed.protocol,
            minutes=config.plan.infusion_minutes,
            starts_at_s=config.demo.preparing_minutes * 60.0,
        )
    else:
        source = MonitorSource(feed.protocol, patient, nibp_every_s=feed.nibp_every_minutes * 60)
    return PtyDevice(source, patient=patient, speed=speed, start_t=start_t)


def build_feeds(
    config: Config,
    room_ref: Callable[[], Room | None],
    dispatch: Dispatch,
    *,
    speed: float,
    start_t: float = 0.0,
    capture_dir: Path | None = None,
) -> Feeds:
    """Readers (and simulators) for ``[feeds]``; nothing runs until :meth:`Feeds.start`."""
    feeds = Feeds()
    for name, feed in config.feeds.items():
        url = feed.port
        if url == "sim":
            device = _simulator(name, feed, config, speed, start_t)
            url = device.start()
            feeds.simulators.append(device)
        deliver = FeedDelivery(name, room_ref)
        capture = None
        if feed.capture and capture_dir is not None:
            # Captures hold patient data: every folder on the way is the owner's alone.
            capture_dir.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            capture_dir.mkdir(mode=0o700, exist_ok=True)
            capture = capture_dir / f"{name}.{feed.protocol}.capture"
        overrides = {
            key: value
            for key, value in (("baudrate", feed.baudrate), ("parity", feed.parity))
            if value is not None
        }
        feeds.readers.append(
            FeedReader(
                url,
                protocol(feed.protocol),
                lambda batch, deliver=deliver: dispatch(lambda: deliver(batch)),
                name=name,
                capture=capture,
                opener=lambda u, spec, o=overrides: open_serial(u, spec, **o),
            )
        )
    return feeds
