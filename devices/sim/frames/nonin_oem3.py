"""Nonin OEM III "Serial Data Format #2" frames and packets, byte for byte.

Spec: shared/protocols/nonin.md, part B: frame ``01 STATUS PLETH DATA CHECKSUM``, checksum the
sum of the first four mod 256, STATUS bit 7 always set, bit 0 (SYNC) on the first frame of a
25-frame packet, DATA by frame index (HR in frames 0-1, SpO2 in frame 2, firmware in 3 ...),
absent HR written as 511 and absent SpO2 as 127.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from devices.feeds import records as r
from devices.feeds.nonin_oem3 import HR_ABSENT, PACKET, SPO2_ABSENT

STATUS_BITS = {
    r.SENSOR_DISCONNECT: 0x40,
    r.ARTIFACT: 0x20,
    r.OUT_OF_TRACK: 0x10,
    r.SENSOR_ALARM: 0x08,
    r.PERFUSION_RED: 0x04,
    r.PERFUSION_YELLOW: 0x06,
    r.PERFUSION_GREEN: 0x02,
}
#: Frame index of each extra DATA value (HR-style values take that frame and the next).
EXTRA_INDEX = {"spo2_d": 8, "spo2_fast": 9, "spo2_b2b": 10, "e_hr": 13, "e_spo2": 15,
               "e_spo2_d": 16, "hr_d": 19, "e_hr_d": 21}  # fmt: skip
_HR_STYLE = {"e_hr", "hr_d", "e_hr_d"}


def encode_frame(status: int, pleth: int, data: int) -> bytes:
    """One 5-byte frame with its checksum."""
    head = bytes((0x01, status | 0x80, pleth, data))
    return head + bytes((sum(head) & 0xFF,))


def status_byte(flags: Iterable[str]) -> int:
    """STATUS without SYNC for the given flags (ValueError for one STATUS cannot carry)."""
    status = 0x80
    for flag in flags:
        if flag not in STATUS_BITS:
            raise ValueError(f"Nonin STATUS has no bit for flag {flag!r}")
        status |= STATUS_BITS[flag]
    return status


def packet_data(
    hr: float | None, spo2: float | None, firmware: int, extras: Mapping[str, int | None]
) -> list[int]:
    """The 25 DATA bytes of a packet."""
    data = [0] * PACKET
    _put_hr(data, 0, HR_ABSENT if hr is None else round(hr))
    data[2] = SPO2_ABSENT if spo2 is None else round(spo2)
    data[3] = firmware & 0x7F
    for name, value in extras.items():
        index = EXTRA_INDEX[name]
        if name in _HR_STYLE:
            _put_hr(data, index, HR_ABSENT if value is None else value)
        else:
            data[index] = SPO2_ABSENT if value is None else value & 0x7F
    return data


def encode_packet(
    *,
    hr: float | None,
    spo2: float | None,
    pleth: Sequence[int],
    flags: Iterable[str] = (),
    firmware: int = 48,
    extras: Mapping[str, int | None] | None = None,
) -> bytes:
    """One packet: 25 frames, SYNC on the first, the same flags on all of them.

    ``extras`` default to what a steady device shows: the display and extended values equal
    to ``hr`` and ``spo2``.
    """
    if len(pleth) != PACKET:
        raise ValueError(f"a packet carries {PACKET} pleth samples, not {len(pleth)}")
    if extras is None:
        hr_int = None if hr is None else round(hr)
        spo2_int = None if spo2 is None else round(spo2)
        extras = {name: hr_int if name in _HR_STYLE else spo2_int for name in EXTRA_INDEX}
    status = status_byte(flags)
    data = packet_data(hr, spo2, firmware, extras)
    return b"".join(
        encode_frame(status | (1 if i == 0 else 0), pleth[i] & 0xFF, data[i]) for i in range(PACKET)
    )


def _put_hr(data: list[int], index: int, value: int) -> None:
    data[index] = (value >> 7) & 0x03
    data[index + 1] = value & 0x7F
