"""Masimo ASCII 1: the records of shared/protocols/masimo-ascii1.md byte for byte, dashes,
EXC flags, framing tolerance, and encoder → parser round trips."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.feeds import records as r
from devices.feeds.masimo_ascii1 import MasimoAscii1Parser
from devices.feeds.records import RecordKind, problems
from devices.sim.frames import masimo_ascii1 as enc

# The two records "seen in public sources", verbatim (masimo-ascii1.md), with CR LF.
EXAMPLE_1 = (
    b"12/01/05 11:56:29 SN=0123456789 SPO2=098% BPM=240 PI=20.00% SPCO=01.0% SPMET=00.5% "
    b"DESAT=01 PIDELTA=-02 PVI=027 ALARM=0000 EXC=000820\r\n"
)
EXAMPLE_2 = b"09/15/10 15:10:29 SPO2=097% BPM=064 PI=11.82% ALARM=20 EXC=800\r\n"


def test_first_public_record() -> None:
    parser = MasimoAscii1Parser()
    [record] = parser.feed(EXAMPLE_1)
    assert record.kind is RecordKind.VITALS
    assert record.values == {
        "spo2": 98.0,
        "hr": 240.0,
        "pi": 20.0,
        "spco": 1.0,
        "spmet": 0.5,
        "pvi": 27.0,
    }
    assert record.flags == {r.SENSOR_OFF, r.MASIMO_SET}  # EXC 0x820 = 0x800 | 0x020
    assert record.device_time == datetime(2005, 12, 1, 11, 56, 29)
    assert record.extra == {
        "SN": "0123456789",
        "DESAT": "01",
        "PIDELTA": "-02",
        "ALARM": "0000",
        "EXC": "000820",
    }
    assert (parser.frames, parser.bad_frames) == (1, 0)


def test_second_public_record() -> None:
    [record] = MasimoAscii1Parser().feed(EXAMPLE_2)
    assert record.values == {"spo2": 97.0, "hr": 64.0, "pi": 11.82}
    assert record.flags == {r.MASIMO_SET}
    assert record.device_time == datetime(2010, 9, 15, 15, 10, 29)
    assert record.extra["ALARM"] == "20"  # kept raw: "do not rely on it"


def test_encoder_writes_the_public_records_byte_for_byte() -> None:
    first = enc.encode_line(
        {"spo2": 98, "hr": 240, "pi": 20, "spco": 1.0, "spmet": 0.5, "pvi": 27},
        device_time=datetime(2005, 12, 1, 11, 56, 29),
        flags={r.SENSOR_OFF, r.MASIMO_SET},
        desat=1,
        pi_delta=-2,
    )
    second = enc.encode_line(
        {"spo2": 97, "hr": 64, "pi": 11.82},
        device_time=datetime(2010, 9, 15, 15, 10, 29),
        flags={r.MASIMO_SET},
        layout=enc.BASIC,
        alarm=0x20,
    )
    assert (first, second) == (EXAMPLE_1, EXAMPLE_2)


def test_dashes_are_absent_never_zero() -> None:
    line = (
        b"09/15/10 15:10:31 SN=---------- SPO2=---% BPM=--- PI=--.--% SPCO=--.-% SPMET=--.-% "
        b"DESAT=-- PIDELTA=+-- PVI=--- ALARM=0000 EXC=000021\r\n"
    )
    [record] = MasimoAscii1Parser().feed(line)
    assert record.values == {}
    assert record.flags == {r.NO_SENSOR, r.SENSOR_OFF}
    assert record.flags <= r.SENSOR_OFF_FLAGS
    assert enc.encode_line(
        {}, device_time=datetime(2010, 9, 15, 15, 10, 31), flags={r.NO_SENSOR, r.SENSOR_OFF},
        serial=None,
    ) == line  # fmt: skip


def test_fields_are_read_by_key_in_any_order_and_unknown_keys_kept() -> None:
    line = b"09/15/10 15:10:29 EXC=000 SPHB=13.5 NEWKEY=7 BPM=072 SPO2=099%\n"
    [record] = MasimoAscii1Parser().feed(line)
    assert record.values == {"sphb": 13.5, "hr": 72.0, "spo2": 99.0}
    assert record.extra == {"EXC": "000", "NEWKEY": "7"}
    assert record.flags == frozenset()


def test_pi_with_or_without_percent() -> None:
    [record] = MasimoAscii1Parser().feed(b"09/15/10 15:10:29 SPO2=097% PI=00.55\r\n")
    assert record.values == {"spo2": 97.0, "pi": 0.55}


def test_partial_first_line_and_nuls_are_tolerated_not_counted() -> None:
    parser = MasimoAscii1Parser()
    stream = b"\x00\x00PMET=00.5% PVI=027 ALARM=0000 EXC=000820\r\n\x00" + EXAMPLE_2
    [record] = parser.feed(stream)
    assert record.values["hr"] == 64.0
    assert (parser.frames, parser.bad_frames) == (1, 0)


@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r", b"\n\r"])
def test_any_line_ending(ending: bytes) -> None:
    parser = MasimoAscii1Parser()
    records = parser.feed(EXAMPLE_2.rstrip() + ending + EXAMPLE_2.rstrip() + ending)
    assert len(records) == 2
    assert parser.bad_frames == 0


@pytest.mark.parametrize(
    "line",
    [
        b"09/15/10 15:10:29 SPO2=0?7% BPM=064",  # damaged digit
        b"09/15/10 15:10:29 SPO2=097%BPM=064",  # run-together fields
        b"09/15/10 15:10:29 SPO2097% BPM=064",  # token without "="
        b"13/45/10 15:10:29 SPO2=097%",  # no such date
        b"09/15/10 25:10:29 SPO2=097%",  # no such time
        b"09/15/10 15:10+01 SPO2=097%",  # an ISO offset is no Masimo time
        b"09/15/10 15:10:2x SPO2=097%",
        b"09/15/10 15:10:29",  # no fields
        b"09/15/10 15:10:29 EXC=80G",  # EXC not hex
        b"SPO2=097% BPM=064",  # no timestamp
        b"\xff\xfe garbage \x07",
    ],
)
def test_damaged_lines_are_counted_bad(line: bytes) -> None:
    parser = MasimoAscii1Parser()
    records = parser.feed(EXAMPLE_2 + line + b"\r\n" + EXAMPLE_2)
    assert len(records) == 2
    assert (parser.frames, parser.bad_frames) == (2, 1)


def test_overlong_garbage_is_one_bad_frame_however_chunked() -> None:
    junk = b"x" * 5000
    whole = MasimoAscii1Parser()
    whole.feed(EXAMPLE_2 + junk + b"\r\n" + EXAMPLE_2)
    chunked = MasimoAscii1Parser()
    for i in range(0, len(junk), 700):
        chunked.feed((EXAMPLE_2 if i == 0 else b"") + junk[i : i + 700])
    chunked.feed(b"\r\n" + EXAMPLE_2)
    assert (whole.frames, whole.bad_frames) == (chunked.frames, chunked.bad_frames) == (2, 1)


def test_reset_drops_the_unfinished_line() -> None:
    parser = MasimoAscii1Parser()
    parser.feed(EXAMPLE_2[:30])  # the cable is pulled mid-line
    parser.reset()
    [record] = parser.feed(EXAMPLE_1)
    assert record.values["hr"] == 240.0
    assert parser.bad_frames == 0


# Values on the grid each field is written with, so "what it meant" is exact.
_values = st.fixed_dictionaries(
    {},
    optional={
        "spo2": st.integers(0, 100).map(float),
        "hr": st.integers(0, 300).map(float),
        "pi": st.integers(0, 9999).map(lambda v: v / 100),
        "spco": st.integers(0, 999).map(lambda v: v / 10),
        "spmet": st.integers(0, 999).map(lambda v: v / 10),
        "sphb": st.integers(0, 250).map(lambda v: v / 10),
        "pvi": st.integers(0, 100).map(float),
    },
)
_times = st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2068, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    values=_values,
    when=_times,
    flags=st.sets(st.sampled_from(sorted(enc.EXC_BITS.values()))),
    alarm=st.integers(0, 0xFFFF),
)
def test_any_encoded_line_parses_back_to_what_it_meant(
    values: dict[str, float], when: datetime, flags: set[str], alarm: int
) -> None:
    when = when.replace(microsecond=0)
    line = enc.encode_line(values, device_time=when, flags=flags, layout=enc.WITH_SPHB, alarm=alarm)
    [record] = MasimoAscii1Parser().feed(line)
    assert record.values == values
    assert record.flags == flags
    assert record.device_time == when
    assert problems(record) == []
