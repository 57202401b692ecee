"""roomctl line protocol v1 lines, byte for byte (the simulators' lingua franca).

Spec: shared/protocols/roomctl-line.md. Keys go in the spec table's order, numbers with the
decimals the examples show (``T=12.0``, ``HR=72``, ``RATE=52.5``, ``VTBI=35.0``,
``CONC=1.0``), ``-`` for a value given as None, ``ALARM=-`` on every PUMP line without an alarm
(as in the example), and an optional `` CK=XX``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from devices.feeds import records as r
from devices.feeds.records import Record, RecordKind
from devices.feeds.roomctl_line import checksum

#: Per kind, in order: (wire key, value key, decimals; None for text).
KEYS: dict[RecordKind, tuple[tuple[str, str, int | None], ...]] = {
    RecordKind.VITALS: (
        ("HR", r.HR, 0),
        ("SPO2", r.SPO2, 0),
        ("RR", r.RR, 0),
        ("ETCO2", r.ETCO2, 0),
        ("TEMP", r.TEMP, 1),
        ("PI", r.PI, 2),
    ),
    RecordKind.NIBP: (
        ("SYS", r.NIBP_SYS, 0),
        ("DIA", r.NIBP_DIA, 0),
        ("MAP", r.NIBP_MAP, 0),
        ("HR", r.HR, 0),
    ),
    RecordKind.PUMP: (
        ("STATE", r.PUMP_STATE, None),
        ("RATE", r.PUMP_RATE_ML_H, 1),
        ("VI", r.PUMP_VI_ML, 1),
        ("VTBI", r.PUMP_VTBI_ML, 1),
        ("DRUG", r.PUMP_DRUG, None),
        ("CONC", r.PUMP_CONC_MG_ML, 1),
    ),
    RecordKind.EVENT: (("CODE", r.EVENT_CODE, None), ("TEXT", r.EVENT_TEXT, None)),
}
CLOCK_DECIMALS = 1


def banner(device: str) -> bytes:
    """The comment a device may announce itself with."""
    return f"# roomctl-line 1 device={_word(device)}\n".encode("ascii")


def encode(
    kind: RecordKind,
    values: Mapping[str, float | str | None],
    *,
    clock_s: float | None = None,
    flags: Iterable[str] = (),
    ck: bool = False,
    ending: bytes = b"\n",
) -> bytes:
    """One line. Keys absent from ``values`` are left out; keys given as None are ``-``.

    Raises ValueError for a value the line cannot carry (a channel of another kind, text with
    spaces, a flag other than a pump alarm), so a simulator never believes it sent it.
    """
    known = {value_key for _, value_key, _ in KEYS[kind]}
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"{kind.value.upper()} lines carry no {sorted(unknown)}")
    fields = [kind.value.upper()]
    if clock_s is not None:
        fields.append(f"T={clock_s:.{CLOCK_DECIMALS}f}")
    for wire, value_key, decimals in KEYS[kind]:
        if value_key not in values:
            continue
        value = values[value_key]
        if value is None:
            text = "-"
        elif decimals is None:
            text = _text(str(value), spaces_as_underscores=value_key == r.EVENT_TEXT)
        else:
            text = f"{float(value):.{decimals}f}"
        fields.append(f"{wire}={text}")
    alarms = sorted(flags)
    if kind is RecordKind.PUMP:
        codes = [f.removeprefix(r.PUMP_ALARM_PREFIX) for f in alarms]
        if len(codes) > 1 or any(not f.startswith(r.PUMP_ALARM_PREFIX) for f in alarms):
            raise ValueError(f"a PUMP line carries one pump_alarm flag at most, not {alarms}")
        fields.append(f"ALARM={_word(codes[0]) if codes else '-'}")
    elif alarms:
        raise ValueError(f"{kind.value.upper()} lines carry no flags")
    body = " ".join(fields).encode("ascii")
    if ck:
        body += b" CK=%02X" % checksum(body)
    return body + ending


def encode_record(record: Record, *, ck: bool = False, ending: bytes = b"\n") -> bytes:
    """A parsed record written back (values absent from it are left out)."""
    return encode(
        record.kind,
        dict(record.values),
        clock_s=record.device_clock_s,
        flags=record.flags,
        ck=ck,
        ending=ending,
    )


def _text(value: str, *, spaces_as_underscores: bool) -> str:
    if spaces_as_underscores:
        if "_" in value:
            raise ValueError(f"TEXT {value!r} holds '_', which the line reads as a space")
        value = value.replace(" ", "_")
    return _word(value)


def _word(value: str) -> str:
    if not value or value == "-" or not value.isascii() or any(c.isspace() for c in value):
        raise ValueError(f"{value!r} is not one printable ASCII word")
    if not value.isprintable():
        raise ValueError(f"{value!r} is not printable")
    return value
