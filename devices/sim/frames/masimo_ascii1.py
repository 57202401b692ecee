"""Masimo "ASCII 1" lines, byte for byte as the device writes them.

Spec: shared/protocols/masimo-ascii1.md. Field widths follow the records seen in public
sources (``SPO2=098%``, ``BPM=064``, ``PI=02.10%``, ``SPCO=01.0%``, ``PVI=027`` ...) and absent
values are written with dashes in place of digits (``---%``, ``--.--%``, ``--.-``, ``+--``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from devices.feeds import records as r
from devices.feeds.masimo_ascii1 import EXC_BITS


@dataclass(frozen=True, slots=True)
class Layout:
    """Which fields a model/firmware writes, in order, and its ALARM and EXC widths."""

    keys: tuple[str, ...]
    alarm_digits: int
    exc_digits: int


#: The first record seen in public sources (Radical-7 with SpCO/SpMet).
RADICAL7 = Layout(
    ("SN", "SPO2", "BPM", "PI", "SPCO", "SPMET", "DESAT", "PIDELTA", "PVI", "ALARM", "EXC"),
    alarm_digits=4,
    exc_digits=6,
)
#: The second record seen in public sources.
BASIC = Layout(("SPO2", "BPM", "PI", "ALARM", "EXC"), alarm_digits=2, exc_digits=3)
#: RADICAL7 plus SpHb (a Root/rainbow set). The position of SPHB is an assumption: no public
#: record shows it, and the parser reads by key anyway.
WITH_SPHB = Layout(
    ("SN", "SPO2", "BPM", "PI", "SPCO", "SPMET", "SPHB", "DESAT", "PIDELTA", "PVI", "ALARM",
     "EXC"),
    alarm_digits=4,
    exc_digits=6,
)  # fmt: skip
LAYOUTS = {"radical7": RADICAL7, "basic": BASIC, "with-sphb": WITH_SPHB}

#: Wire key → (channel, format of a present value, how an absent one is written).
FIELDS: dict[str, tuple[str, str, str]] = {
    "SPO2": (r.SPO2, "{:03.0f}%", "---%"),
    "BPM": (r.HR, "{:03.0f}", "---"),
    "PI": (r.PI, "{:05.2f}%", "--.--%"),
    "SPCO": (r.SPCO, "{:04.1f}%", "--.-%"),
    "SPMET": (r.SPMET, "{:04.1f}%", "--.-%"),
    "SPHB": (r.SPHB, "{:04.1f}", "--.-"),
    "PVI": (r.PVI, "{:03.0f}", "---"),
}
_FLAG_BITS = {name: bit for bit, name in EXC_BITS.items()}


def exc_bits(flags: Iterable[str]) -> int:
    """The EXC bitfield of the given flags (ValueError for a flag EXC cannot carry)."""
    bits = 0
    for flag in flags:
        if flag not in _FLAG_BITS:
            raise ValueError(f"Masimo EXC has no bit for flag {flag!r}")
        bits |= _FLAG_BITS[flag]
    return bits


def encode_line(
    values: Mapping[str, float],
    *,
    device_time: datetime,
    flags: Iterable[str] = (),
    layout: Layout = RADICAL7,
    serial: str | None = "0123456789",
    alarm: int = 0,
    desat: int | None = None,
    pi_delta: int | None = None,
    ending: bytes = b"\r\n",
) -> bytes:
    """One record. Channels in ``values`` are present; the layout's others are dashes.

    Raises ValueError for a channel the layout does not carry or a flag EXC cannot carry, so
    a simulator never believes it sent something it did not.
    """
    carried = {FIELDS[k][0] for k in layout.keys if k in FIELDS}
    missing = set(values) - carried
    if missing:
        raise ValueError(f"layout {layout.keys} carries no {sorted(missing)}")
    fields = [device_time.strftime("%m/%d/%y %H:%M:%S")]
    for key in layout.keys:
        if key in FIELDS:
            channel, form, dashes = FIELDS[key]
            value = values.get(channel)
            text = dashes if value is None else form.format(value)
        elif key == "SN":
            text = serial if serial is not None else "-" * 10
        elif key == "DESAT":
            text = "--" if desat is None else f"{desat:02d}"
        elif key == "PIDELTA":
            text = "+--" if pi_delta is None else f"{pi_delta:+03d}"
        elif key == "ALARM":
            text = f"{alarm:0{layout.alarm_digits}X}"
        elif key == "EXC":
            text = f"{exc_bits(flags):0{layout.exc_digits}X}"
        else:
            raise ValueError(f"no encoding for field {key}")
        fields.append(f"{key}={text}")
    return " ".join(fields).encode("ascii") + ending
