"""roomctl line protocol, version 1: ``<KIND> <KEY>=<VALUE> ...`` one record a line.

Spec: shared/protocols/roomctl-line.md (this project's own contract). Kinds ``VITALS``,
``NIBP``, ``PUMP``, ``EVENT``; ``-`` is an absent value; ``T=`` is the device's clock in
seconds since it started; an optional last field ``CK=<2 hex>`` is the 8-bit sum of every byte
before `` CK=``, and a line whose CK does not match is a bad frame; ``#`` starts a comment;
lines over 512 bytes are bad frames.

Decisions where the spec leaves room:

* The 512-byte limit counts the line without its CR/LF.
* A token that is not ``KEY=VALUE``, a key that is not upper case, a known numeric key whose
  value is neither a decimal number nor ``-``, or an unknown ``STATE`` makes the line a bad
  frame: the format is ours, so a line that breaks it is damaged, not a dialect.
* Unknown keys are "kept and ignored": kept verbatim in ``extra``.
* ``NIBP HR`` is the cuff's pulse rate and goes to ``hr`` in the ``nibp`` record (there is no
  separate canonical channel; the record's kind says where it came from).
* ``PUMP ALARM=<code>`` becomes the flag ``pump_alarm:<code>``; ``ALARM=-`` means none.
* ``EVENT`` yields values ``code`` and ``text`` (``_`` in TEXT stands for a space).
"""

from __future__ import annotations

import re

from devices.feeds import records as r
from devices.feeds.framing import LineParser, Verdict
from devices.feeds.records import Record, RecordKind

MAX_LINE = 512

#: Per kind: wire key → canonical channel, for numeric keys (spec table "Record").
NUMERIC_KEYS: dict[RecordKind, dict[str, str]] = {
    RecordKind.VITALS: {
        "HR": r.HR,
        "SPO2": r.SPO2,
        "RR": r.RR,
        "ETCO2": r.ETCO2,
        "TEMP": r.TEMP,
        "PI": r.PI,
    },
    RecordKind.NIBP: {"SYS": r.NIBP_SYS, "DIA": r.NIBP_DIA, "MAP": r.NIBP_MAP, "HR": r.HR},
    RecordKind.PUMP: {
        "RATE": r.PUMP_RATE_ML_H,
        "VI": r.PUMP_VI_ML,
        "VTBI": r.PUMP_VTBI_ML,
        "CONC": r.PUMP_CONC_MG_ML,
    },
    RecordKind.EVENT: {},
}
KINDS: dict[str, RecordKind] = {
    "VITALS": RecordKind.VITALS,
    "NIBP": RecordKind.NIBP,
    "PUMP": RecordKind.PUMP,
    "EVENT": RecordKind.EVENT,
}

_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_KEY = re.compile(r"[A-Z][A-Z0-9_]*")
_CK = re.compile(rb"(.*) CK=([0-9A-Fa-f]{2}) *")


def checksum(body: bytes) -> int:
    """The CK of a line: the 8-bit sum of every byte before `` CK=`` ("Optional last field")."""
    return sum(body) & 0xFF


class RoomctlLineParser(LineParser):
    """Incremental parser: ``feed(bytes) -> list[Record]`` (one record per line)."""

    max_line = MAX_LINE

    def parse_line(self, line: bytes) -> Record | Verdict:
        if line[:1] == b"#":
            return Verdict.IGNORED
        if b" CK=" in line:
            ck = _CK.fullmatch(line)
            if ck is None or checksum(ck.group(1)) != int(ck.group(2), 16):
                return Verdict.BAD
            line = ck.group(1)
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            return Verdict.BAD
        tokens = text.split()
        if not tokens:
            return Verdict.IGNORED
        kind = KINDS.get(tokens[0])
        if kind is None:
            return Verdict.BAD
        return _record(kind, tokens[1:])


def _record(kind: RecordKind, tokens: list[str]) -> Record | Verdict:
    numeric = NUMERIC_KEYS[kind]
    values: dict[str, float | str] = {}
    extra: dict[str, str] = {}
    flags = r.NO_FLAGS
    clock: float | None = None
    for token in tokens:
        key, sep, value = token.partition("=")
        if not sep or not value or not _KEY.fullmatch(key):
            return Verdict.BAD
        channel = numeric.get(key)
        if channel is not None or key == "T":
            if value == "-":
                continue
            if not _NUMBER.fullmatch(value):
                return Verdict.BAD
            if channel is None:
                clock = float(value)
            else:
                values[channel] = float(value)
        elif value == "-":
            continue
        elif kind is RecordKind.PUMP and key == "STATE":
            if value not in r.PUMP_STATES:
                return Verdict.BAD
            values[r.PUMP_STATE] = value
        elif kind is RecordKind.PUMP and key == "DRUG":
            values[r.PUMP_DRUG] = value
        elif kind is RecordKind.PUMP and key == "ALARM":
            flags = frozenset({r.PUMP_ALARM_PREFIX + value})
        elif kind is RecordKind.EVENT and key == "CODE":
            values[r.EVENT_CODE] = value
        elif kind is RecordKind.EVENT and key == "TEXT":
            values[r.EVENT_TEXT] = value.replace("_", " ")
        else:
            extra[key] = value
    return Record(kind, values, flags, None, clock, None, extra)
