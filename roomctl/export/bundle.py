"""One session, read once, in the shape every export needs.

An export reads the same things whatever its format: the session's row, its events, each
channel's samples and waves, and what they mean together (phases, recovery, the blood pressures
a monitoring form asks for). :func:`load_bundle` reads them from a
:class:`~roomctl.timeline.store.TimelineStore` into numpy arrays (three hours of 75 Hz pleth is
800 000 numbers: far too many for Python objects), so the writers only write.

Samples carry session time ``t`` only; :class:`TimeBase` gives their wall time from the events,
which carry both.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from roomctl.export.channels import SAMPLE_CHANNELS, WAVE_CHANNELS
from roomctl.export.facts import Facts, derive_facts
from roomctl.timeline.events import Event, Kind, Sample, WaveChunk
from roomctl.timeline.sessions import SessionInfo
from roomctl.timeline.store import TimelineStore

#: Told the fraction of the work done (0.0 to 1.0), for a progress bar. Called on the
#: exporting thread: a UI hands it on to its own thread.
Progress = Callable[[float], None]


def _no_progress(_fraction: float) -> None:
    """The default progress callback: nobody is watching."""


def scaled(progress: Progress | None, start: float, end: float) -> Progress:
    """``progress`` for a part of the work that spans ``start``..``end`` of the whole."""
    report = progress or _no_progress
    return lambda fraction: report(start + (end - start) * min(1.0, max(0.0, fraction)))


@dataclass(frozen=True)
class TimeBase:
    """Session time to wall time: ``wall = anchor wall + (t - anchor t) / speed``.

    The anchors are the session's first event and every ``resumed`` event: between them the
    session clock runs at ``speed`` times real time (the resume clock continues across the
    outage, see :meth:`roomctl.room.Room.resume_session`), so one line per stretch is exact
    and, unlike interpolating between every event, never runs backwards.
    """

    speed: float
    anchor_t: np.ndarray
    anchor_wall: np.ndarray  # epoch seconds, UTC

    @classmethod
    def of(cls, info: SessionInfo, events: Sequence[Event]) -> TimeBase:
        anchors = list(events[:1])
        anchors += [
            e for e in events[1:] if e.kind == Kind.SYSTEM and e.data.get("action") == "resumed"
        ]
        if anchors:
            t = [e.t for e in anchors]
            wall = [e.wall.timestamp() for e in anchors]
        else:
            t, wall = [0.0], [info.started_at.timestamp()]
        speed = info.speed if info.speed > 0 else 1.0
        return cls(speed, np.asarray(t, dtype=float), np.asarray(wall, dtype=float))

    def epoch(self, t: np.ndarray | float) -> np.ndarray:
        """Wall time (epoch seconds, UTC) of session times ``t``."""
        t = np.asarray(t, dtype=float)
        i = np.clip(np.searchsorted(self.anchor_t, t, side="right") - 1, 0, None)
        return self.anchor_wall[i] + (t - self.anchor_t[i]) / self.speed

    def wall(self, t: float) -> datetime:
        """Wall time of one session time, as an aware UTC datetime."""
        return datetime.fromtimestamp(float(self.epoch(t)), UTC)


@dataclass(frozen=True)
class Series:
    """One channel's samples in time order; NaN values mean "no reading"."""

    channel: str
    t: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.t)

    @classmethod
    def of(cls, channel: str, samples: Sequence[Sample]) -> Series:
        t = np.fromiter((s.t for s in samples), dtype=float, count=len(samples))
        value = np.fromiter((s.value for s in samples), dtype=float, count=len(samples))
        return cls(channel, t, value)


@dataclass(frozen=True)
class Wave:
    """One wave channel: its chunks' start times and rates, and all values end to end.

    ``values`` stays float32, as stored, so a VitalDB export writes exactly what was recorded.
    Chunk ``i`` is ``values[starts[i]:starts[i + 1]]``.
    """

    channel: str
    t0: np.ndarray
    rate_hz: np.ndarray
    starts: np.ndarray  # len(t0) + 1 offsets into values
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.t0)

    @classmethod
    def of(cls, channel: str, chunks: Sequence[WaveChunk]) -> Wave:
        counts = np.fromiter((len(c.values) for c in chunks), dtype=np.int64, count=len(chunks))
        starts = np.concatenate(([0], np.cumsum(counts)))
        total = int(starts[-1])
        values = np.fromiter(
            itertools.chain.from_iterable(c.values for c in chunks), dtype=np.float32, count=total
        )
        return cls(
            channel,
            np.fromiter((c.t0 for c in chunks), dtype=float, count=len(chunks)),
            np.fromiter((c.rate_hz for c in chunks), dtype=float, count=len(chunks)),
            starts,
            values,
        )

    def chunk(self, i: int) -> np.ndarray:
        return self.values[self.starts[i] : self.starts[i + 1]]

    def sample_times(self) -> np.ndarray:
        """Session time of every value (for plotting)."""
        counts = np.diff(self.starts)
        within = np.arange(len(self.values)) - np.repeat(self.starts[:-1], counts)
        return np.repeat(self.t0, counts) + within / np.repeat(self.rate_hz, counts)


@dataclass(frozen=True)
class SessionBundle:
    """Everything an export writes about one session, read once."""

    info: SessionInfo
    events: list[Event]
    samples: dict[str, Series]
    waves: dict[str, Wave]
    timebase: TimeBase
    facts: Facts = field(repr=False)

    @classmethod
    def of(
        cls,
        info: SessionInfo,
        events: list[Event],
        samples: dict[str, Series],
        waves: dict[str, Wave],
    ) -> SessionBundle:
        """A bundle from parts already read (only channels with data are kept)."""
        samples = {name: s for name, s in samples.items() if len(s)}
        waves = {name: w for name, w in waves.items() if len(w)}
        return cls(
            info, events, samples, waves, TimeBase.of(info, events), derive_facts(events, samples)
        )

    @property
    def end_t(self) -> float:
        """The last session time anything was recorded at."""
        ends = [self.events[-1].t] if self.events else [0.0]
        ends += [float(s.t[-1]) for s in self.samples.values()]
        for w in self.waves.values():
            ends.append(float(w.t0[-1] + (w.starts[-1] - w.starts[-2]) / w.rate_hz[-1]))
        return max(ends)


def load_bundle(
    store: TimelineStore, session_id: str, *, progress: Progress | None = None
) -> SessionBundle:
    """Read one session from ``store``; :class:`~roomctl.timeline.errors.UnknownSession` if absent.

    Samples come in one query straight into numpy columns (the store's ``sample_arrays``), and
    each wave channel likewise: building a Python object per reading was half of every export.
    Only the channels of :mod:`roomctl.export.channels` are exported.
    """
    report = progress or _no_progress
    info = store.session(session_id)
    events = store.events(session_id)
    report(0.2)
    wanted = [channel.channel for channel in SAMPLE_CHANNELS]
    samples = {
        name: Series(name, columns.t, columns.value)
        for name, columns in store.sample_arrays(session_id, wanted).items()
    }
    report(0.6)
    waves: dict[str, Wave] = {}
    for i, channel in enumerate(WAVE_CHANNELS, start=1):
        chunks = store.wave_arrays(session_id, channel.channel)
        starts = np.concatenate(([0], np.cumsum(chunks.counts))).astype(np.int64)
        waves[channel.channel] = Wave(
            channel.channel, chunks.t0, chunks.rate_hz, starts, chunks.values
        )
        report(0.6 + 0.4 * i / len(WAVE_CHANNELS))
    return SessionBundle.of(info, events, samples, waves)
