"""The tables as the store queries them, and how records map to and from their rows.

The Alembic migrations in ``migrations/`` are the source of truth for DDL; the tables here only
describe the columns for queries (a test checks that the two agree). The column types make both
engines read back what was written: aware UTC datetimes, NaN for "no reading", and wave samples
as little-endian float32 whatever the machine.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Row
from sqlalchemy.types import TypeDecorator

from roomctl.timeline.events import Event, Kind, Sample, WaveChunk
from roomctl.timeline.sessions import SessionInfo
from roomctl.timeline.validate import as_utc


# -------------------------------------------------------------------------------- column types
class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on both engines.

    SQLite has no timezone type (SQLAlchemy stores text with microseconds and drops tzinfo), so
    values are converted to UTC before they are written and read back as UTC. Naive datetimes
    are taken as UTC, as :func:`iso_utc` does for the hash.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = as_utc(value, "timestamp")
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class NaNFloat(TypeDecorator[float]):
    """A float column where NaN (no reading) is stored as NULL: SQLite cannot store NaN."""

    impl = Float
    cache_ok = True

    def process_bind_param(self, value: float | None, dialect: Dialect) -> float | None:
        if value is None or math.isnan(value):
            return None
        return value

    def process_result_value(self, value: float | None, dialect: Dialect) -> float:
        return math.nan if value is None else float(value)


# -------------------------------------------------------------------------------------- tables
_JSON = JSON().with_variant(postgresql.JSONB(), "postgresql")
_meta = MetaData()

sessions_table = Table(
    "sessions",
    _meta,
    Column("id", Text, primary_key=True),
    Column("room", Text),
    Column("patient", Text),
    Column("course", Integer),
    Column("planned_minutes", Integer),
    Column("speed", Float),
    Column("mode", Text),
    Column("phase", Text),
    Column("started_at", UTCDateTime),
    Column("ended_at", UTCDateTime),
    Column("last_t", Float),
    Column("last_wall", UTCDateTime),
    Column("owner_host", Text),
    Column("owner_pid", Integer),
    Column("heartbeat_at", UTCDateTime),
    Column("meta", _JSON),
)
events_table = Table(
    "events",
    _meta,
    Column("session_id", Text, primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("t", Float),
    Column("wall", UTCDateTime),
    Column("source", Text),
    Column("kind", Text),
    Column("data", _JSON),
    Column("hash", String(64)),
)
samples_table = Table(
    "samples",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("session_id", Text),
    Column("channel", Text),
    Column("t", Float),
    Column("value", NaNFloat),
)
waves_table = Table(
    "waves",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("session_id", Text),
    Column("channel", Text),
    Column("t0", Float),
    Column("rate_hz", Float),
    Column("n", Integer),
    Column("data", LargeBinary),
)
TABLES = (sessions_table, events_table, samples_table, waves_table)


# ---------------------------------------------------------------------------- rows and records
def pack_wave(values: Sequence[float]) -> bytes:
    """Little-endian float32, whatever this machine's byte order (values beyond float32 → ±inf)."""
    packed = array("f", values)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_wave(data: bytes) -> tuple[float, ...]:
    """Inverse of :func:`pack_wave`."""
    values = array("f")
    values.frombytes(data)
    if sys.byteorder == "big":
        values.byteswap()
    return tuple(values)


def event_row(e: Event, hash_: str) -> dict[str, Any]:
    """The ``events`` row of ``e``, with its audit link ``hash_``."""
    return {
        "session_id": e.session,
        "seq": e.seq,
        "t": e.t,
        "wall": e.wall,
        "source": e.source,
        "kind": str(e.kind),
        "data": e.data,
        "hash": hash_,
    }


def sample_row(s: Sample) -> dict[str, Any]:
    """The ``samples`` row of ``s``."""
    return {"session_id": s.session, "channel": s.channel, "t": s.t, "value": s.value}


def wave_row(w: WaveChunk) -> dict[str, Any]:
    """The ``waves`` row of ``w``, its values packed (see :func:`pack_wave`)."""
    return {
        "session_id": w.session,
        "channel": w.channel,
        "t0": w.t0,
        "rate_hz": w.rate_hz,
        "n": len(w.values),
        "data": pack_wave(w.values),
    }


def row_event(row: Row[Any]) -> Event:
    """The Event stored in a row of ``events``."""
    m = row._mapping  # not row.t: Row.t is the deprecated tuple() alias
    return Event(
        session=m["session_id"],
        seq=m["seq"],
        t=m["t"],
        wall=m["wall"],
        source=m["source"],
        kind=Kind(m["kind"]),
        data=m["data"],
    )


def session_info(row: Row[Any], status: str) -> SessionInfo:
    """A row of ``sessions`` with the ``status`` derived for it (see ``derive_status``)."""
    return SessionInfo(
        id=row.id,
        room=row.room,
        patient=row.patient,
        course=row.course,
        planned_minutes=row.planned_minutes,
        speed=row.speed,
        mode=row.mode,
        phase=row.phase,
        started_at=row.started_at,
        ended_at=row.ended_at,
        last_t=row.last_t,
        last_wall=row.last_wall,
        owner_host=row.owner_host,
        owner_pid=row.owner_pid,
        heartbeat_at=row.heartbeat_at,
        meta=dict(row.meta or {}),
        status=status,
    )
