"""A session's numbers as numpy arrays, read in one pass: what review plots and a reader of long
sessions need.

:meth:`TimelineStore.samples` and :meth:`TimelineStore.waves` give one Python object per
reading, which is right for a few hundred of them and far too slow for three hours of 75 Hz
pleth (800 000 values, 10 800 chunks): review must open such a session in half a second. These
reads skip the per-value conversions (a wave chunk's bytes are joined and viewed as float32 once,
NULL readings become NaN in numpy), take the driver's rows without wrapping each in a Row
(:func:`plain_rows`) and return columns, not records.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import Float, Select, select, type_coerce
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from roomctl.timeline.queries import require_session
from roomctl.timeline.schema import samples_table, waves_table

_EMPTY = np.empty(0, dtype=float)


@dataclass(frozen=True)
class SeriesArrays:
    """One channel's readings in time order; NaN where the monitor had no reading."""

    channel: str
    t: np.ndarray
    value: np.ndarray

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class WaveArrays:
    """One wave channel, chunks end to end: chunk ``i`` holds ``counts[i]`` values from ``t0[i]``
    at ``rate_hz[i]``. ``values`` is float32, as stored."""

    channel: str
    t0: np.ndarray
    rate_hz: np.ndarray
    counts: np.ndarray
    values: np.ndarray

    def __len__(self) -> int:
        return len(self.values)

    def times(self) -> np.ndarray:
        """The session time of every value."""
        n = len(self.values)
        if not n:
            return _EMPTY
        starts = np.concatenate(([0], np.cumsum(self.counts)[:-1]))
        if np.all(self.rate_hz == self.rate_hz[0]):  # the usual case: one repeat, not three
            rate = float(self.rate_hz[0])
            return np.repeat(self.t0 - starts / rate, self.counts) + np.arange(n) / rate
        rates = np.repeat(self.rate_hz, self.counts)
        return (
            np.repeat(self.t0, self.counts)
            + (np.arange(n) - np.repeat(starts, self.counts)) / rates
        )


@dataclass(frozen=True)
class Channels:
    """Which channels a session has data in."""

    samples: tuple[str, ...]
    waves: tuple[str, ...]


def channels(conn: Connection, session_id: str) -> Channels:
    """The sample and wave channels with at least one row, sorted by name."""
    s, w = samples_table.c, waves_table.c
    sample_names = conn.execute(
        select(s.channel).distinct().where(s.session_id == session_id).order_by(s.channel)
    ).scalars()
    wave_names = conn.execute(
        select(w.channel).distinct().where(w.session_id == session_id).order_by(w.channel)
    ).scalars()
    found = Channels(tuple(sample_names), tuple(wave_names))
    if not (found.samples or found.waves):
        require_session(conn, session_id)
    return found


def plain_rows(conn: Connection, query: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of a Core ``query`` as the driver returns them: plain tuples, no result
    processing, no Row objects (a third of the time for 65 000 rows).

    Only for columns whose values need no conversion (numbers, text, bytes). It runs on the
    connection's own DB-API connection, so inside its transaction; driver errors are raised as
    SQLAlchemy's, as :meth:`Connection.execute` would.
    """
    compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    args: Any = (
        tuple(params[name] for name in compiled.positiontup or ())
        if compiled.positional
        else params
    )
    sql = str(compiled)
    dbapi_error = conn.dialect.loaded_dbapi.Error
    cursor = conn.connection.cursor()
    try:
        cursor.execute(sql, args)
        return cursor.fetchall()
    except dbapi_error as exc:
        raise DBAPIError.instance(sql, args, exc, dbapi_error) from exc
    finally:
        cursor.close()


def sample_arrays(
    conn: Connection, session_id: str, channel_names: Iterable[str] | None = None
) -> dict[str, SeriesArrays]:
    """Channels' samples as columns (all channels when ``channel_names`` is None).

    Only channels with data are in the result. Named channels are read one query each, without
    the channel column, as plain driver rows (:func:`plain_rows`); NULL values (no reading)
    become NaN in numpy.
    """
    if channel_names is None:
        return _all_channels(conn, session_id)
    c = samples_table.c
    found: dict[str, SeriesArrays] = {}
    for name in dict.fromkeys(channel_names):
        rows = plain_rows(
            conn,
            select(c.t, c.value)
            .where(c.session_id == session_id, c.channel == name)
            .order_by(c.t, c.id),
        )
        if rows:
            t = np.array([row[0] for row in rows], dtype=float)
            value = np.array([row[1] for row in rows], dtype=float)  # None (NULL) → NaN
            found[name] = SeriesArrays(name, t, value)
    if not found:
        require_session(conn, session_id)
    return found


def _all_channels(conn: Connection, session_id: str) -> dict[str, SeriesArrays]:
    c = samples_table.c
    query = select(c.channel, c.t, type_coerce(c.value, Float)).where(c.session_id == session_id)
    rows = conn.execute(query.order_by(c.channel, c.t, c.id)).all()
    if not rows:
        require_session(conn, session_id)
        return {}
    names = [row[0] for row in rows]
    t = np.array([row[1] for row in rows], dtype=float)
    value = np.array([row[2] for row in rows], dtype=float)
    # Rows come grouped by channel, in the database's collation (not necessarily Python's).
    edges = [i for i in range(1, len(names)) if names[i] != names[i - 1]]
    found: dict[str, SeriesArrays] = {}
    for start, end in zip([0, *edges], [*edges, len(names)], strict=True):
        found[names[start]] = SeriesArrays(names[start], t[start:end], value[start:end])
    return found


def wave_arrays(conn: Connection, session_id: str, channel: str) -> WaveArrays:
    """One wave channel end to end (empty arrays when the session has none of it)."""
    c = waves_table.c
    rows = plain_rows(
        conn,
        select(c.t0, c.rate_hz, c.data)
        .where(c.session_id == session_id, c.channel == channel)
        .order_by(c.t0, c.id),
    )
    if not rows:
        require_session(conn, session_id)
        return WaveArrays(channel, _EMPTY, _EMPTY, np.empty(0, dtype=np.int64), _EMPTY)
    blobs = [bytes(row[2]) for row in rows]
    # pack_wave stores little-endian float32 whatever the machine: read it as such.
    values = np.frombuffer(b"".join(blobs), dtype="<f4").astype(np.float32, copy=False)
    return WaveArrays(
        channel,
        np.array([row[0] for row in rows], dtype=float),
        np.array([row[1] for row in rows], dtype=float),
        np.array([len(blob) // 4 for blob in blobs], dtype=np.int64),
        values,
    )
