"""What the timeline holds: events (things that happened) and samples (numbers over time).

Every happening in the room becomes one immutable :class:`Event`. The Room assigns ``seq``
(strictly increasing per session) and ``t`` (session seconds on the session clock); the store
adds the audit hash. Kept free of any database or Qt so the engine, the store and review can
all share it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """The kinds of event the timeline knows. Review colours and filters by kind."""

    PHASE = "phase"
    CUE = "cue"
    LIGHTS = "lights"
    MUSIC = "music"
    SOUNDSCAPE = "soundscape"
    FEED = "feed"
    ALARM = "alarm"
    NOTE = "note"
    RECOVERY = "recovery"
    REMINDER = "reminder"
    SYSTEM = "system"


def iso_utc(wall: datetime) -> str:
    """The one text form of a wall time: UTC, microseconds, ``Z``. Used in JSON and hashes."""
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=UTC)
    return wall.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso_utc(text: str) -> datetime:
    """Inverse of :func:`iso_utc` (accepts any ISO 8601 form Python reads)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def canonical_json(data: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) so a hash survives any store's JSON type."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened in a session.

    ``t`` is session seconds on the session clock (a 240x demo records a 40-minute infusion as
    2400 s); ``wall`` is real UTC time. ``data`` must be JSON-serialisable.
    """

    session: str
    seq: int
    t: float
    wall: datetime
    source: str
    kind: Kind
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The contract shape used by ``sessions show --json`` and the JSON export."""
        return {
            "seq": self.seq,
            "t": self.t,
            "wall": iso_utc(self.wall),
            "source": self.source,
            "kind": str(self.kind),
            "data": self.data,
        }


GENESIS_HASH = "0" * 64


def chain_hash(prev_hash: str, event: Event) -> str:
    """The audit link of ``event``: SHA-256 over the previous link and the event's content.

    Editing any field of any row, deleting a row or reordering rows changes a link, so
    ``sessions verify`` can name the first row that no longer matches.
    """
    payload = canonical_json(
        [
            prev_hash,
            event.session,
            event.seq,
            repr(float(event.t)),
            iso_utc(event.wall),
            event.source,
            str(event.kind),
            event.data,
        ]
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Sample:
    """One numeric reading of one channel (``hr``, ``spo2``, ``nibp_sys`` ...) at session time t."""

    session: str
    channel: str
    t: float
    value: float


@dataclass(frozen=True, slots=True)
class WaveChunk:
    """A run of evenly spaced samples (a pleth or ECG wave) starting at session time ``t0``."""

    session: str
    channel: str
    t0: float
    rate_hz: float
    values: tuple[float, ...]
