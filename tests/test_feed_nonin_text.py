"""Nonin text output: the forms of shared/protocols/nonin.md part A, markers, the power-up
header, and encoder → parser round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.feeds import records as r
from devices.feeds.nonin_text import NoninTextParser
from devices.feeds.records import RecordKind, problems
from devices.sim.frames import nonin_text as enc


def one(line: bytes) -> r.Record:
    [record] = NoninTextParser().feed(line)
    return record


def test_plain_record() -> None:
    record = one(b"SPO2=097 HR=072\r\n")
    assert record.kind is RecordKind.VITALS
    assert record.values == {"spo2": 97.0, "hr": 72.0}
    assert record.flags == frozenset()
    assert record.device_clock_s is None


def test_missing_values_are_absent() -> None:
    record = one(b"SPO2=--- HR=---\r\n")
    assert record.values == {}
    assert enc.encode_line(None, None) == b"SPO2=--- HR=---\r\n"


def test_time_prefix_is_the_device_clock() -> None:
    record = one(b"13:45:07 SPO2=095 HR=061\r\n")
    assert record.values == {"spo2": 95.0, "hr": 61.0}
    assert record.device_clock_s == 13 * 3600 + 45 * 60 + 7
    assert record.device_time is None  # no date on the wire


@pytest.mark.parametrize(
    ("tail", "flags"),
    [
        (b"*", {r.EVENT_MARKER}),
        (b" *", {r.EVENT_MARKER}),
        (b" F", {r.FAST_VALUES}),
        (b"B", {r.BREATH_DETECTED}),
        (b"* F", {r.EVENT_MARKER, r.FAST_VALUES}),
        (b" F B", {r.FAST_VALUES, r.BREATH_DETECTED}),
    ],
)
def test_trailing_markers_become_flags(tail: bytes, flags: set[str]) -> None:
    assert one(b"SPO2=097 HR=072" + tail + b"\r\n").flags == flags


def test_header_lines_and_garbage_are_bad_frames_records_go_on() -> None:
    parser = NoninTextParser()
    stream = (
        b"SPO2=097 HR=072\r\n"
        b"Nonin 9847 Format 1\r\n"  # a power-up header line
        b"SPO2=097 HR=07\x172\r\n"  # damaged
        b"\x00\x00SPO2=098 HR=071\r\n"
    )
    records = parser.feed(stream)
    assert [rec.values["spo2"] for rec in records] == [97.0, 98.0]
    assert (parser.frames, parser.bad_frames) == (2, 2)


def test_partial_first_line_is_not_counted() -> None:
    parser = NoninTextParser()
    records = parser.feed(b"=072\r\nSPO2=097 HR=072\r\n")
    assert len(records) == 1
    assert parser.bad_frames == 0


@settings(max_examples=150, deadline=None)
@given(
    spo2=st.none() | st.integers(0, 100).map(float),
    hr=st.none() | st.integers(0, 300).map(float),
    clock=st.none() | st.integers(0, 86_399).map(float),
    flags=st.sets(st.sampled_from([r.EVENT_MARKER, r.FAST_VALUES, r.BREATH_DETECTED])),
    ending=st.sampled_from([b"\r\n", b"\n", b"\r"]),
)
def test_any_encoded_line_parses_back_to_what_it_meant(
    spo2: float | None, hr: float | None, clock: float | None, flags: set[str], ending: bytes
) -> None:
    record = one(enc.encode_line(spo2, hr, clock_s=clock, flags=flags, ending=ending))
    expected = {k: v for k, v in (("spo2", spo2), ("hr", hr)) if v is not None}
    assert record.values == expected
    assert record.device_clock_s == clock
    assert record.flags == flags
    assert problems(record) == []
