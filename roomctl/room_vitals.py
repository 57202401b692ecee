"""The Room's readings-and-alarms half: numbers from the feeds become samples and alarm input,
link changes become the gap on the timeline, and every alarm change an event (ducking the sound
while a physiological alarm needs attention).

A mixin of :class:`roomctl.room.Room`, kept in its own module because it is a job of its own;
it uses the Room's clock, state, sink, stage, monitoring and ``_record``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomctl.alarms import AlarmChange, Priority
from roomctl.clock import Clock
from roomctl.interfaces import TimelineSink
from roomctl.monitoring import Monitoring
from roomctl.session import Phase, SessionState, TransitionError
from roomctl.stage import Stage
from roomctl.timeline.events import Event, Kind, Sample, WaveChunk

#: Told of every waveform chunk as it is stored (the live pleth view).
WaveListener = Callable[[WaveChunk], None]
#: Told of every batch of readings once they are judged (the vital tiles repaint at once).
ReadingsListener = Callable[[dict[str, float]], None]


class RoomVitals:
    session_id: str
    clock: Clock
    state: SessionState
    stage: Stage
    monitoring: Monitoring
    _sink: TimelineSink
    _record: Callable[[Kind, str, dict[str, Any]], Event]
    #: Replaced, never mutated, so this empty class default is never shared by accident.
    _wave_listeners: tuple[WaveListener, ...] = ()
    _readings_listeners: tuple[ReadingsListener, ...] = ()

    def _technical(self, source: str, data: dict[str, Any]) -> None:
        """A technical condition an adapter raised or cleared (lights unreachable...): through
        the alarm engine, so it is shown, acknowledged and cleared like any other alarm."""
        changes = self.monitoring.alarms.technical(
            str(data["condition"]),
            data.get("state") == "raised",
            self.clock.now(),
            str(data.get("text", data["condition"])),
            str(data.get("priority", "low")),
        )
        self._alarm_changes(source, changes)

    def readings(self, source: str, values: dict[str, float]) -> None:
        """Numbers from a feed: stored as samples, kept for the baseline, judged by the limits."""
        t = self.clock.now()
        self._sink.append_samples(
            [Sample(self.session_id, channel, t, float(v)) for channel, v in values.items()]
        )
        collecting = self.state.phase == Phase.PREPARING and not self.state.baseline
        self._alarm_changes(
            source, self.monitoring.readings(values, t, collecting_baseline=collecting)
        )
        for listener in self._readings_listeners:
            listener(values)

    def subscribe_readings(self, listener: ReadingsListener) -> Callable[[], None]:
        """``listener(values)`` after every batch of readings; returns the unsubscribe call.
        Readings are samples, not events, so the tiles listen here to repaint without
        waiting for a timer."""
        self._readings_listeners = (*self._readings_listeners, listener)

        def unsubscribe() -> None:
            self._readings_listeners = tuple(
                x for x in self._readings_listeners if x is not listener
            )

        return unsubscribe

    def feed_link(self, feed: str, state: str, detail: str = "") -> None:
        """A feed's link changed (connected, stale, disconnected): on the timeline as the gap it
        is, and a technical alarm while the feed is not delivering."""
        t = self.clock.now()
        self._record(Kind.FEED, feed, {"feed": feed, "link": state, "detail": detail})
        down = state != "connected"
        text = f"{feed.capitalize()} feed {'lost' if state == 'disconnected' else state}"
        changes = self.monitoring.alarms.technical(f"{feed}_link", down, t, text, "medium")
        self._alarm_changes(feed, changes)

    def wave(self, channel: str, rate_hz: float, values: tuple[float, ...]) -> None:
        """A chunk of waveform (pleth) ending now, stored as it came."""
        t0 = self.clock.now() - len(values) / rate_hz
        chunk = WaveChunk(self.session_id, channel, t0, rate_hz, values)
        self._sink.append_wave(chunk)
        for listener in self._wave_listeners:
            listener(chunk)

    def subscribe_wave(self, listener: WaveListener) -> Callable[[], None]:
        """``listener(chunk)`` for every waveform chunk as it is stored; returns the call that
        unsubscribes it. Waves are too dense (50-75 samples a second) to be timeline events,
        so a live view listens here instead of to :meth:`subscribe`."""
        self._wave_listeners = (*self._wave_listeners, listener)

        def unsubscribe() -> None:
            self._wave_listeners = tuple(x for x in self._wave_listeners if x is not listener)

        return unsubscribe

    def set_baseline(self, values: dict[str, float], by: str = "nurse") -> None:
        """Baseline vitals the nurse entered (instead of the preparing phase's median)."""
        if not values:
            raise TransitionError("no baseline values given")
        self.monitoring.set_baseline(values)
        self._record(Kind.SYSTEM, by, {"action": "baseline", "from": by, "values": dict(values)})

    def tick_alarms(self) -> None:
        """Let on-delays and the audio pause run out; call about once a second."""
        if self.state.live:
            self._alarm_changes("alarms", self.monitoring.alarms.tick(self.clock.now()))

    def acknowledge_alarm(self, alarm_id: str, by: str = "nurse") -> None:
        changes = self.monitoring.alarms.acknowledge(alarm_id, self.clock.now())
        if not changes:
            raise TransitionError(f"no alarm {alarm_id!r} to acknowledge")
        self._alarm_changes(by, changes)

    def pause_alarm_audio(self, by: str = "nurse") -> None:
        self._alarm_changes(by, self.monitoring.alarms.pause_audio(self.clock.now()))

    def _alarm_changes(self, source: str, changes: list[AlarmChange]) -> None:
        if not changes:
            return
        for change in changes:
            self._record(Kind.ALARM, source, change.as_data())
        physiological = [
            c
            for c in self.monitoring.alarms.showing()
            if c.channel is not None and c.priority >= Priority.MEDIUM and not c.acknowledged
        ]
        self.stage.duck("alarm", bool(physiological))
