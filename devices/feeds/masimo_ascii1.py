"""Masimo serial "ASCII 1" (Radical-7, Rad-8, Root): one text line a second.

Spec: shared/protocols/masimo-ascii1.md. The line is ``MM/DD/YY HH:MM:SS`` (device clock)
then space-separated ``KEY=VALUE`` fields whose set and order vary by model and firmware, so
fields are read **by key, never by position**, and unknown keys are kept in ``extra`` only.

Decisions where the spec leaves room:

* There is no checksum, so a line is all or nothing: a timestamp that is not a date, a token
  that is not ``KEY=VALUE``, or a known numeric field that is neither a number nor dashes makes
  the whole line a bad frame rather than a record with a silently missing value.
* Dashes in place of digits (``---%``, ``--.--%``, ``--.-``, ``+--``) mean absent ("Record").
* ``EXC`` is decoded into flags with the bits listed under "Exception bits"; ``EXC1`` and
  ``ALARM`` are kept raw in ``extra`` ("decoding is partly proprietary: record it raw").
* Two-digit years follow ``strptime``'s ``%y`` (69-99 → 19xx, 00-68 → 20xx).
"""

from __future__ import annotations

import re
from datetime import datetime

from devices.feeds import records as r
from devices.feeds.framing import LineParser, Verdict
from devices.feeds.records import Record, RecordKind

#: Wire key → canonical channel, for the keys that carry one (spec table "Record").
CHANNEL_OF_KEY: dict[bytes, str] = {
    b"SPO2": r.SPO2,
    b"BPM": r.HR,
    b"PI": r.PI,
    b"PVI": r.PVI,
    b"SPHB": r.SPHB,
    b"SPCO": r.SPCO,
    b"SPMET": r.SPMET,
}

#: EXC bit → flag (spec, "Exception bits (EXC, hex)").
EXC_BITS: dict[int, str] = {
    0x001: r.NO_SENSOR,
    0x002: r.DEFECTIVE_SENSOR,
    0x004: r.LOW_PERFUSION,
    0x008: r.PULSE_SEARCH,
    0x010: r.INTERFERENCE,
    0x020: r.SENSOR_OFF,
    0x040: r.AMBIENT_LIGHT,
    0x080: r.UNRECOGNISED_SENSOR,
    0x400: r.LOW_SIGNAL_IQ,
    0x800: r.MASIMO_SET,
}

_DATE = re.compile(rb"\d\d/\d\d/\d\d")
_NUMBER = re.compile(rb"(\d+(?:\.\d+)?)%?")
_DASHES = re.compile(rb"[-+]?[-.]*-[-.]*%?")
_HEX = re.compile(rb"[0-9A-Fa-f]{1,8}")
_KEY = re.compile(rb"[A-Z][A-Z0-9_]*")

# A token's meaning: (sink, key, value) where sink 0 is ``values``, 1 is ``extra`` and 2 is
# "absent, drop it". Tokens repeat a great deal from one second to the next (SPO2=097%,
# ALARM=0000 ...), so meanings are memoised: a hit costs one dict lookup instead of a partition,
# two regexes and a float() (the 200,000 lines/s budget of issue 3 is 5 µs a line).
_Token = tuple[int, str, float | str]
_VALUES, _EXTRA, _DROP = 0, 1, 2
_CACHE_LIMIT = 20_000
_token_cache: dict[bytes, _Token] = {}
_date_cache: dict[bytes, str | None] = {}
_exc_cache: dict[str, frozenset[str]] = {}


def exc_flags(bits: int) -> frozenset[str]:
    """The named flags of an EXC bitfield (bits the spec does not name are left out)."""
    return frozenset(name for bit, name in EXC_BITS.items() if bits & bit)


def _parse_token(token: bytes) -> _Token | None:
    """Meaning of one ``KEY=VALUE`` token, None when it is not one."""
    key, sep, value = token.partition(b"=")
    if not sep or not _KEY.fullmatch(key):
        return None
    channel = CHANNEL_OF_KEY.get(key)
    if channel is not None:
        number = _NUMBER.fullmatch(value)
        if number is not None:
            return _VALUES, channel, float(number.group(1))
        if _DASHES.fullmatch(value):
            return _DROP, channel, ""
        return None
    if key == b"EXC" and not _DASHES.fullmatch(value) and not _HEX.fullmatch(value):
        return None
    return _EXTRA, key.decode("ascii"), value.decode("ascii", "replace")


def _learn(token: bytes) -> _Token | None:
    """The slow path: parse a token not seen before and memoise it (None when it is malformed;
    those are not memoised, garbage would only flood the cache)."""
    meaning = _parse_token(token)
    if meaning is not None:
        if len(_token_cache) >= _CACHE_LIMIT:
            _token_cache.clear()
        _token_cache[token] = meaning
    return meaning


def _flags(exc: str) -> frozenset[str]:
    flags = _exc_cache.get(exc)
    if flags is None:
        flags = r.NO_FLAGS if "-" in exc else exc_flags(int(exc, 16))
        if len(_exc_cache) >= _CACHE_LIMIT:
            _exc_cache.clear()
        _exc_cache[exc] = flags
    return flags


def _date_prefix(date: bytes) -> str | None:
    """``MM/DD/YY`` → ``YYYY-MM-DDT`` (None when it is no date), memoised per day."""
    prefix: str | None = None
    if _DATE.fullmatch(date):
        month, day, yy = int(date[0:2]), int(date[3:5]), int(date[6:8])
        year = 1900 + yy if yy >= 69 else 2000 + yy
        try:
            prefix = datetime(year, month, day).strftime("%Y-%m-%dT")
        except ValueError:
            prefix = None
    if len(_date_cache) >= _CACHE_LIMIT:
        _date_cache.clear()
    _date_cache[date] = prefix
    return prefix


class MasimoAscii1Parser(LineParser):
    """Incremental parser: ``feed(bytes) -> list[Record]`` (one ``vitals`` record per line)."""

    max_line = 1024

    def parse_line(self, line: bytes) -> Record | Verdict:
        # MM/DD/YY HH:MM:SS by position: the date is checked once a day (memoised), the
        # spaces and the time's colons here (so no "+01" offset slips in), the digits and
        # ranges of the time by fromisoformat. Slicing beats a regex: 5 µs a line is the budget.
        if len(line) < 20 or line[8] != 32 or line[17] != 32 or line[11] != 58 or line[14] != 58:
            return Verdict.BAD
        date = line[:8]
        prefix = _date_cache.get(date, "")
        if prefix == "":
            prefix = _date_prefix(date)
        if prefix is None:
            return Verdict.BAD
        try:
            device_time = datetime.fromisoformat(prefix + line[9:17].decode())
        except ValueError:
            return Verdict.BAD
        tokens = line[18:].split()
        if not tokens:
            return Verdict.BAD
        values: dict[str, float | str] = {}
        extra: dict[str, str] = {}
        sinks = (values, extra, _dropped)
        get = _token_cache.get
        for token in tokens:
            hit = get(token)
            if hit is None:
                hit = _learn(token)
                if hit is None:
                    return Verdict.BAD
            sink, key, value = hit
            sinks[sink][key] = value  # type: ignore[index]
        exc = extra.get("EXC")
        flags = r.NO_FLAGS if exc is None else _exc_cache.get(exc)
        if flags is None:
            flags = _flags(exc)  # type: ignore[arg-type]
        return Record(RecordKind.VITALS, values, flags, device_time, None, None, extra)


#: Where dashed (absent) values go: written, never read.
_dropped: dict[str, float | str] = {}
