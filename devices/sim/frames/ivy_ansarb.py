"""Ivy 450C "ANSAR-B" messages, byte for byte: the mirror image of devices.feeds.ivy_ansarb.

Spec: shared/protocols/ivy-ansarb.md. ``FF "ANSAR-B "``, 400 wave bytes (byte = value / scale +
offset, the "Waves" table), the text lines ``NAME=<code>;field;...;`` each ended by CR in the
order of the genuine capture (HR, RR, ETCO2, SPO2, NIBP, P1, P2, T1, T2), then FE. An absent
value is an empty field; SPO2's second field is ``PR=<n> `` with the capture's trailing space;
temperatures carry one decimal, everything else none. The codes after ``=`` default to the
capture's (their meaning is undocumented). A wave not given sits at its offset, which is what
the capture's P2 shows with no transducer. The capture's messages re-encode to the same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from devices.feeds import records as r
from devices.feeds.ivy_ansarb import END, HEADER, LINES, WAVE_BYTES, WAVES, LineSpec
from devices.feeds.records import Record, RecordKind

#: The codes after ``=`` in the genuine capture.
DEFAULT_CODES = {"HR": "1", "RR": "1", "ETCO2": "1", "SPO2": "1", "NIBP": "4", "P1": "3",
                 "P2": "3", "T1": "1", "T2": "1"}  # fmt: skip
LINE_NAMES = tuple(spec.name for spec in LINES)
_DECIMALS = {r.TEMP: 1, r.TEMP2: 1}
_WAVES = {spec.channel: spec for spec in WAVES}


def wave_block(waves: Mapping[str, Sequence[float]] | None = None) -> bytes:
    """The 400 wave bytes. Values are rounded to the byte's step and clipped to 0..255; a wave
    not given is flat at its offset. ValueError for an unknown wave or a wrong length."""
    waves = waves or {}
    unknown = set(waves) - set(_WAVES)
    if unknown:
        raise ValueError(f"ANSAR-B carries no wave {sorted(unknown)}")
    block = bytearray(WAVE_BYTES)
    for spec in WAVES:
        samples = waves.get(spec.channel)
        if samples is None:
            block[spec.start : spec.start + spec.points] = bytes((spec.offset,)) * spec.points
            continue
        if len(samples) != spec.points:
            raise ValueError(f"{spec.channel} takes {spec.points} samples, not {len(samples)}")
        block[spec.start : spec.start + spec.points] = bytes(
            min(255, max(0, round(v * spec.divisor + spec.offset))) for v in samples
        )
    return bytes(block)


def text_line(name: str, code: str, fields: Sequence[str]) -> bytes:
    """``NAME=<code>;f1;...;fn`` + CR. ValueError for a field that would break the line."""
    for part in (code, *fields):
        if ";" in part or "\r" in part or not part.isascii() or not part.isprintable():
            raise ValueError(f"{part!r} cannot be an ANSAR-B field")
    return ";".join([f"{name}={code}", *fields]).encode("ascii") + b"\r"


def _texts(spec: LineSpec, flags: set[str]) -> tuple[str, str]:
    """The label and alarm text of a line, taken out of ``flags``."""
    label = alarm = ""
    for flag in sorted(flags):
        if flag.startswith(spec.label_prefix):
            label = flag[len(spec.label_prefix) :]
        elif flag.startswith(spec.alarm_prefix):
            alarm = flag[len(spec.alarm_prefix) :]
        else:
            continue
        flags.discard(flag)
    return label, alarm


def _field(channel: str, values: Mapping[str, float | None]) -> str:
    value = values.get(channel)
    return "" if value is None else f"{float(value):.{_DECIMALS.get(channel, 0)}f}"


def encode(
    values: Mapping[str, float | None],
    *,
    waves: Mapping[str, Sequence[float]] | None = None,
    flags: Iterable[str] = (),
    codes: Mapping[str, str] | None = None,
    lines: Iterable[str] = LINE_NAMES,
) -> bytes:
    """One message. ``values`` in canonical channels (vitals and NIBP together; absent or None
    is an empty field); ``flags`` the ``<group>_label:``/``<group>_alarm:`` texts; ``lines`` the
    line names to write (in the capture's order whatever the order given).

    Raises ValueError for what a message cannot carry (an unknown channel or flag, a label
    beside SPO2's pulse rate), so a simulator never believes it sent it.
    """
    codes = {**DEFAULT_CODES, **(codes or {})}
    wanted = set(lines)
    known = {channel for spec in LINES for channel in spec.channels} | {r.PR}
    unknown = {k for k, v in values.items() if v is not None} - known
    if unknown:
        raise ValueError(f"ANSAR-B carries no {sorted(unknown)}")
    left = set(flags)
    text = b""
    for spec in LINES:
        label, alarm = _texts(spec, left)
        if spec.name not in wanted:
            continue
        fields = [_field(channel, values) for channel in spec.channels]
        if spec.name == "SPO2":
            if label and values.get(r.PR) is not None:
                raise ValueError("SPO2's label field carries the pulse rate: no label beside it")
            label = label or f"PR={_field(r.PR, values)} "
        text += text_line(spec.name, codes[spec.name], [*fields, label, alarm])
    if left:
        raise ValueError(f"ANSAR-B carries no flags {sorted(left)}")
    return HEADER + wave_block(waves) + text + END


def encode_records(records: Sequence[Record]) -> bytes:
    """The message the records of one parsed message came from (lines as their codes say)."""
    values: dict[str, float | None] = {}
    flags: set[str] = set()
    codes: dict[str, str] = {}
    waves: dict[str, Sequence[float]] = {}
    for record in records:
        if record.kind is RecordKind.WAVE and record.wave is not None:
            waves[record.wave.channel] = record.wave.samples
            continue
        values.update(record.numeric())
        flags |= record.flags
        codes.update({k: v for k, v in record.extra.items() if k in DEFAULT_CODES})
    return encode(values, waves=waves, flags=flags, codes=codes, lines=codes)
