"""What a session is to the store: what the Room hands in, what a listing gives back.

Plain frozen records with no database in them, so validation, liveness and the store can all
speak about sessions without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from roomctl.timeline.events import iso_utc

INITIAL_PHASE = "ready"
TERMINAL_PHASES = frozenset({"discharged", "aborted"})
MODES = frozenset({"demo", "clinical"})


@dataclass(frozen=True)
class NewSession:
    """What the Room knows when a session starts. ``patient`` is a pseudonym, never a name."""

    id: str
    room: str
    patient: str
    course: int
    planned_minutes: int
    speed: float
    mode: str
    started_at: datetime
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SessionInfo:
    """A row of ``sessions`` plus its derived ``status`` (see :func:`derive_status`)."""

    id: str
    room: str
    patient: str
    course: int
    planned_minutes: int
    speed: float
    mode: str
    phase: str
    started_at: datetime
    ended_at: datetime | None
    last_t: float
    last_wall: datetime
    owner_host: str | None
    owner_pid: int | None
    heartbeat_at: datetime | None
    meta: dict[str, Any]
    status: str

    def as_json(self) -> dict[str, Any]:
        """The contract shape of ``sessions list/show --json`` (times as ISO 8601 UTC)."""
        return {
            "id": self.id,
            "room": self.room,
            "patient": self.patient,
            "course": self.course,
            "status": self.status,
            "phase": self.phase,
            "planned_minutes": self.planned_minutes,
            "speed": self.speed,
            "mode": self.mode,
            "started_at": iso_utc(self.started_at),
            "ended_at": iso_utc(self.ended_at) if self.ended_at is not None else None,
            "last_t": self.last_t,
            "last_wall": iso_utc(self.last_wall),
            "meta": self.meta,
        }
