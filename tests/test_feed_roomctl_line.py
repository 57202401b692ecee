"""roomctl line protocol v1: the examples of shared/protocols/roomctl-line.md byte for byte,
CK, comments, limits, and encoder → parser round trips."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.feeds import records as r
from devices.feeds.records import RecordKind, problems
from devices.feeds.roomctl_line import RoomctlLineParser, checksum
from devices.sim.frames import roomctl_line as enc

EXAMPLES = (
    b"# roomctl-line 1 device=room-sim-monitor\n"
    b"VITALS T=12.0 HR=72 SPO2=98 RR=14 ETCO2=36\n"
    b"NIBP T=15.2 SYS=128 DIA=82 MAP=97 HR=71\n"
    b"PUMP T=60.0 STATE=RUN RATE=52.5 VI=0.9 VTBI=35.0 DRUG=ketamine CONC=1.0 ALARM=-\n"
    b"VITALS HR=- SPO2=-\n"
)


def test_the_spec_examples() -> None:
    parser = RoomctlLineParser()
    vitals, nibp, pump, dashes = parser.feed(EXAMPLES)
    assert (vitals.kind, vitals.device_clock_s) == (RecordKind.VITALS, 12.0)
    assert vitals.values == {"hr": 72.0, "spo2": 98.0, "rr": 14.0, "etco2": 36.0}
    assert (nibp.kind, nibp.device_clock_s) == (RecordKind.NIBP, 15.2)
    assert nibp.values == {"nibp_sys": 128.0, "nibp_dia": 82.0, "nibp_map": 97.0, "hr": 71.0}
    assert (pump.kind, pump.device_clock_s) == (RecordKind.PUMP, 60.0)
    assert pump.values == {
        "pump_state": "RUN",
        "pump_rate_ml_h": 52.5,
        "pump_vi_ml": 0.9,
        "pump_vtbi_ml": 35.0,
        "pump_drug": "ketamine",
        "pump_conc_mg_ml": 1.0,
    }
    assert pump.flags == frozenset()  # ALARM=- is no alarm
    assert dashes.values == {}  # "-" is absent, never 0
    assert (parser.frames, parser.bad_frames) == (4, 0)  # the comment is neither


def test_encoder_writes_the_spec_examples_byte_for_byte() -> None:
    written = (
        enc.banner("room-sim-monitor")
        + enc.encode(RecordKind.VITALS, {"hr": 72, "spo2": 98, "rr": 14, "etco2": 36}, clock_s=12.0)
        + enc.encode(
            RecordKind.NIBP,
            {"nibp_sys": 128, "nibp_dia": 82, "nibp_map": 97, "hr": 71},
            clock_s=15.2,
        )
        + enc.encode(
            RecordKind.PUMP,
            {
                "pump_state": "RUN",
                "pump_rate_ml_h": 52.5,
                "pump_vi_ml": 0.9,
                "pump_vtbi_ml": 35.0,
                "pump_drug": "ketamine",
                "pump_conc_mg_ml": 1.0,
            },
            clock_s=60.0,
        )
        + enc.encode(RecordKind.VITALS, {"hr": None, "spo2": None})
    )
    assert written == EXAMPLES


def test_checksum_is_the_byte_sum_before_ck() -> None:
    body = b"VITALS T=12.0 HR=72 SPO2=98 RR=14 ETCO2=36"
    ck = sum(body) % 256
    parser = RoomctlLineParser()
    good = body + b" CK=%02X\n" % ck
    bad = body + b" CK=%02X\n" % ((ck + 1) % 256)
    records = parser.feed(good + bad + good)
    assert len(records) == 2
    assert (parser.frames, parser.bad_frames) == (2, 1)
    assert checksum(body) == ck
    assert enc.encode(
        RecordKind.VITALS, {"hr": 72, "spo2": 98, "rr": 14, "etco2": 36}, clock_s=12.0, ck=True
    ) == good  # fmt: skip


def test_pump_alarm_event_and_unknown_keys() -> None:
    parser = RoomctlLineParser()
    pump, event = parser.feed(
        b"PUMP STATE=ALARM ALARM=OCCLUSION SERIAL=42\r\nEVENT CODE=bolus TEXT=bolus_given\r\n"
    )
    assert pump.values == {"pump_state": "ALARM"}
    assert pump.flags == {"pump_alarm:OCCLUSION"}
    assert pump.pump_alarms() == ["OCCLUSION"]
    assert pump.extra == {"SERIAL": "42"}
    assert event.kind is RecordKind.EVENT
    assert event.values == {"code": "bolus", "text": "bolus given"}


@pytest.mark.parametrize(
    "line",
    [
        b"VITALS HR=7x2",  # damaged number
        b"VITALS HR=72 SPO2",  # token without "="
        b"VITALS hr=72",  # keys are upper case
        b"PUMP STATE=FLYING",  # no such state
        b"BLOOD HR=72",  # no such kind
        b"VITALS HR=72 CK=ZZ",  # CK not hex
        b"VITALS HR=\xb072",  # not ASCII
        b"VITALS " + b"X=1 " * 130,  # over 512 bytes
    ],
)
def test_broken_lines_are_bad_frames(line: bytes) -> None:
    parser = RoomctlLineParser()
    good = b"VITALS HR=70\n"
    assert len(parser.feed(good + line + b"\n" + good)) == 2
    assert (parser.frames, parser.bad_frames) == (2, 1)


def test_512_bytes_is_still_a_line() -> None:
    line = b"VITALS HR=72 " + b"X" * (512 - 15) + b"=1"
    assert len(line) == 512
    parser = RoomctlLineParser()
    assert len(parser.feed(b"VITALS HR=70\n" + line + b"\n" + line + b"X\n")) == 2
    assert parser.bad_frames == 1  # 513 bytes is not


_number = {
    0: st.integers(0, 400).map(float),
    1: st.integers(0, 99999).map(lambda v: v / 10),
    2: st.integers(0, 9999).map(lambda v: v / 100),
}
_word = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="_"), min_size=1
).filter(lambda w: w != "-")


def _values_for(kind: RecordKind) -> st.SearchStrategy[dict[str, float | str | None]]:
    optional: dict[str, st.SearchStrategy[float | str | None]] = {}
    for _, key, decimals in enc.KEYS[kind]:
        if key == r.PUMP_STATE:
            value: st.SearchStrategy[float | str | None] = st.sampled_from(sorted(r.PUMP_STATES))
        elif decimals is None:
            value = _word if key != r.EVENT_TEXT else st.lists(_word, min_size=1).map(" ".join)
        else:
            value = _number[decimals]
        optional[key] = st.none() | value
    return st.fixed_dictionaries({}, optional=optional)


def _line(kind: RecordKind) -> st.SearchStrategy[tuple]:  # type: ignore[type-arg]
    alarms = st.sets(_word.map("pump_alarm:".__add__), max_size=1)
    return st.tuples(
        st.just(kind),
        _values_for(kind),
        st.none() | st.integers(0, 10**7).map(lambda v: v / 10),
        alarms if kind is RecordKind.PUMP else st.just(set()),
        st.booleans(),
    )


_lines = st.sampled_from(sorted(enc.KEYS, key=str)).flatmap(_line)


@settings(max_examples=200, deadline=None)
@given(line=_lines)
def test_any_encoded_line_parses_back_to_what_it_meant(line: tuple) -> None:  # type: ignore[type-arg]
    kind, values, clock, flags, ck = line
    [record] = RoomctlLineParser().feed(enc.encode(kind, values, clock_s=clock, flags=flags, ck=ck))
    assert record.kind is kind
    assert record.values == {k: v for k, v in values.items() if v is not None}
    assert record.device_clock_s == clock
    assert record.flags == flags
    assert problems(record) == []
    assert enc.encode_record(record, ck=ck) == enc.encode(
        kind, record.values, clock_s=clock, flags=flags, ck=ck
    )
