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


@dataclass(frozen=True)
class SessionFilter:
    """Which sessions a listing keeps; a field left None keeps every session.

    ``since`` is inclusive and ``until`` exclusive (start times); ``statuses`` are derived
    statuses (a phase, or "interrupted"); ``search`` is a case-insensitive part of the id, the
    pseudonym or the room.
    """

    room: str | None = None
    patient: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: frozenset[str] | None = None
    search: str | None = None

    @property
    def exact_in_sql(self) -> bool:
        """Whether the database alone can apply it (no status that liveness decides), so a
        limit and an offset can be applied there too."""
        return self.statuses is None or self.statuses <= TERMINAL_PHASES


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session as a list shows it: a :class:`SessionInfo` without the owner, the clocks and
    ``meta``, read fast enough to list ten thousand (see ``TimelineStore.session_list``).

    ``last_wall`` is when the session last recorded anything.
    """

    id: str
    room: str
    patient: str
    course: int
    planned_minutes: int
    mode: str
    phase: str
    status: str
    started_at: datetime
    ended_at: datetime | None
    last_wall: datetime
