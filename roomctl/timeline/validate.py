"""Validation and normalisation of everything before it is queued or written.

It runs on the caller's thread (the GUI's, through the writer's ``append``), so a value the
store could never write is refused at once with a ValueError instead of failing a batch on the
writer's thread forever. Normalising also matters for the audit chain: the hash covers the data
as written, so it must be what both SQLite JSON and PostgreSQL JSONB give back.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from roomctl.timeline.events import Event, Kind, Sample, WaveChunk
from roomctl.timeline.sessions import MODES, NewSession


class _BadValue(ValueError):
    def __init__(self, reason: str, path: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


def normalise_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """``data`` as plain JSON that reads back identically from SQLite JSON and PostgreSQL JSONB.

    The audit hash covers the data as written, so it must survive both engines unchanged. JSONB
    stores numbers as decimals: -0.0 comes back as 0.0 and floats of 1e16 or more (printed with
    an exponent) come back as integers, so those are converted here, before hashing, on both
    engines. NaN, infinities, NUL characters and unpaired surrogates cannot be stored at all and
    raise ValueError, on the caller's thread rather than as a failing batch on the writer's.
    """
    if not isinstance(data, Mapping):
        raise ValueError(f"event data must be a dict, not {type(data).__name__}")
    try:
        return _normalise_mapping(data)
    except _BadValue as exc:
        where = "data" + "".join(f"[{part}]" for part in reversed(exc.path))
        raise ValueError(f"{where}: {exc.reason}") from None


def _normalise_mapping(data: Mapping[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if type(key) is not str:
            if not isinstance(key, str):
                raise _BadValue(f"key {key!r} is not a string", (repr(key),))
            key = _normalise_text(key)
        elif not key.isascii() or "\x00" in key:
            key = _normalise_text(key)
        try:
            out[key] = _normalise(value)
        except _BadValue as exc:
            exc.path = (*exc.path, repr(key))
            raise
    return out


def _normalise(value: Any) -> Any:
    # Exact-type checks first: this runs for every value of every event on the GUI thread.
    kind = type(value)
    if kind is str:
        return value if value.isascii() and "\x00" not in value else _normalise_text(value)
    if kind is int or kind is bool or value is None:
        return value
    if kind is float:
        return value if 0.0 < abs(value) < 1e16 else _normalise_float(value)
    if kind is dict:
        return _normalise_mapping(value)
    if isinstance(value, str):
        return _normalise_text(value)
    if isinstance(value, int):
        return int(value)  # IntEnum and friends, as plain numbers
    if isinstance(value, float):
        return _normalise_float(float(value))
    if isinstance(value, Mapping):
        return _normalise_mapping(value)
    if isinstance(value, list | tuple):
        out = []
        for index, item in enumerate(value):
            try:
                out.append(_normalise(item))
            except _BadValue as exc:
                exc.path = (*exc.path, str(index))
                raise
        return out
    raise _BadValue(f"a {type(value).__name__} is not a JSON value")


def _normalise_float(value: float) -> float | int:
    if not math.isfinite(value):
        raise _BadValue(f"{value} is not storable as JSON")
    if value == 0.0:
        return 0.0  # also turns -0.0 into 0.0
    if abs(value) >= 1e16:
        return int(Decimal(repr(value)))  # what JSONB gives back for "1e+16"
    return value


def _normalise_text(value: str) -> str:
    if "\x00" in value:
        raise _BadValue("text contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _BadValue("text contains an unpaired surrogate") from None
    return str.__str__(value)  # a plain str, even for StrEnum members


def as_utc(value: datetime, what: str) -> datetime:
    """``value`` in UTC; a naive datetime is taken as UTC already (as ``iso_utc`` does)."""
    if not isinstance(value, datetime):
        raise ValueError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def as_finite(value: float, what: str) -> float:
    """``value`` as a finite float; ``what`` names it in the ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{what} must be a number, not {type(value).__name__}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} must be finite, not {value}")
    return value


def _text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} must be a non-empty string")
    try:
        return _normalise_text(value)
    except _BadValue as exc:
        raise ValueError(f"{what}: {exc.reason}") from None


def check_event(event: Event) -> Event:
    """``event`` validated and normalised exactly as the store will write and read it back.

    Raises ValueError for anything the store could never write, so the caller (the writer's
    ``append``, on the GUI thread) learns at once instead of a batch failing forever later.
    """
    if not isinstance(event, Event):
        raise ValueError(f"expected an Event, not {type(event).__name__}")
    seq = event.seq
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ValueError(f"event seq must be a non-negative int, not {seq!r}")
    kind = Kind(event.kind)
    data = normalise_data(event.data)
    if kind is Kind.PHASE and not isinstance(data.get("to"), str):
        raise ValueError(f"phase event {event.session}#{seq} needs data['to'] (the new phase)")
    return Event(
        session=_text(event.session, "event session"),
        seq=int(seq),
        t=as_finite(event.t, "event t"),
        wall=as_utc(event.wall, "event wall"),
        source=_normalise_text(str(event.source)),
        kind=kind,
        data=data,
    )


def check_sample(sample: Sample) -> Sample:
    """``sample`` validated; its value may be NaN (stored as NULL: no reading)."""
    if not isinstance(sample, Sample):
        raise ValueError(f"expected a Sample, not {type(sample).__name__}")
    value = sample.value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"sample value must be a number, not {type(value).__name__}")
    return Sample(
        session=_text(sample.session, "sample session"),
        channel=_text(sample.channel, "sample channel"),
        t=as_finite(sample.t, "sample t"),
        value=float(value),
    )


def check_wave(chunk: WaveChunk) -> WaveChunk:
    """``chunk`` validated (finite t0, positive finite rate)."""
    if not isinstance(chunk, WaveChunk):
        raise ValueError(f"expected a WaveChunk, not {type(chunk).__name__}")
    rate = as_finite(chunk.rate_hz, "wave rate_hz")
    if rate <= 0:
        raise ValueError(f"wave rate_hz must be positive, not {rate}")
    return WaveChunk(
        session=_text(chunk.session, "wave session"),
        channel=_text(chunk.channel, "wave channel"),
        t0=as_finite(chunk.t0, "wave t0"),
        rate_hz=rate,
        values=tuple(float(v) for v in chunk.values),
    )


def check_new_session(s: NewSession) -> NewSession:
    """``s`` validated: a known mode, whole numbers where the schema has integers, UTC time."""
    if s.mode not in MODES:
        raise ValueError(f"session mode must be one of {sorted(MODES)}, not {s.mode!r}")
    for name in ("course", "planned_minutes"):
        value = getattr(s, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"session {name} must be an int, not {value!r}")
    return NewSession(
        id=_text(s.id, "session id"),
        room=_text(s.room, "session room"),
        patient=_text(s.patient, "session patient"),
        course=s.course,
        planned_minutes=s.planned_minutes,
        speed=as_finite(s.speed, "session speed"),
        mode=s.mode,
        started_at=as_utc(s.started_at, "session started_at"),
        meta=normalise_data(s.meta),
    )
