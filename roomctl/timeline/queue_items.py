"""What the writer's queue carries: records to append, session operations and control marks.

The caller's side of :class:`~roomctl.timeline.writer.TimelineWriter` builds these on its own
thread, after validation; the writer thread takes them off the queue in order. Kept apart from
the thread's mechanics (batching, retry, callbacks) so the queue's vocabulary reads in one place.
Events and wave chunks travel as themselves.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from roomctl.timeline.events import Event, Sample, WaveChunk
from roomctl.timeline.sessions import NewSession


@dataclass(frozen=True, slots=True)
class SampleBatch:
    """Samples handed over in one call (they count as that many records)."""

    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class CreateSession:
    """``TimelineStore.create_session``, in queue order."""

    session: NewSession
    owner_host: str
    owner_pid: int


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """``TimelineStore.heartbeat``, in queue order."""

    session_id: str
    t: float
    wall: datetime
    owner_host: str
    owner_pid: int


@dataclass(frozen=True, slots=True)
class Release:
    """``TimelineStore.release``, in queue order."""

    session_id: str


@dataclass(frozen=True, slots=True)
class Flush:
    """Mark: ``done`` is set once everything queued before it is committed."""

    done: threading.Event


class Stop:
    """Sentinel: everything queued before it is written, then the thread ends."""


QueueItem: TypeAlias = (
    Event | SampleBatch | WaveChunk | CreateSession | Heartbeat | Release | Flush | Stop
)
SessionOp: TypeAlias = CreateSession | Heartbeat | Release


def weight_of(item: QueueItem) -> int:
    """How many records an item carries (batch size and ``pending`` count records)."""
    if isinstance(item, SampleBatch):
        return len(item.samples)
    if isinstance(item, Flush | Stop):
        return 0
    return 1
