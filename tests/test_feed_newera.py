"""New Era Basic mode: replies to the allow-listed status queries byte for byte, alarms and
errors, units, framing, and encoder → parser round trips (including the simulated pump's
answers to each query)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.feeds import records as r
from devices.feeds.newera_basic import STATUS_QUERIES, NewEraBasicParser, status_queries
from devices.feeds.records import RecordKind, problems
from devices.sim.frames import newera_basic as enc


def one(reply: bytes) -> r.Record:
    parser = NewEraBasicParser()
    [record] = parser.feed(reply)
    assert (parser.frames, parser.bad_frames) == (1, 0)
    return record


def test_status_only() -> None:
    record = one(b"\x0200S\x03")
    assert record.kind is RecordKind.PUMP
    assert record.values == {"pump_state": "STOP"}
    assert record.extra == {"address": "00", "status": "S"}


@pytest.mark.parametrize(
    ("reply", "values", "flags"),
    [
        (b"\x0200I52.50MH\x03", {"pump_state": "RUN", "pump_rate_ml_h": 52.5}, set()),
        (b"\x0200S10.00MH\x03", {"pump_state": "STOP", "pump_rate_ml_h": 10.0}, set()),
        (b"\x0200I3.500UM\x03", {"pump_state": "RUN", "pump_rate_ml_h": 0.21}, set()),
        (b"\x0200I1.000MM\x03", {"pump_state": "RUN", "pump_rate_ml_h": 60.0}, set()),
        (b"\x0200P100.0UH\x03", {"pump_state": "PAUSE", "pump_rate_ml_h": 0.1}, set()),
        # Published DIS replies: 00SI0.200W0.000ML and 00SI16.09W0.000ML.
        (b"\x0200SI0.200W0.000ML\x03", {"pump_state": "STOP", "pump_vi_ml": 0.2}, set()),
        (b"\x0200SI16.09W0.000UL\x03", {"pump_state": "STOP", "pump_vi_ml": 0.01609}, set()),
        (b"\x0200I35.00ML\x03", {"pump_state": "RUN", "pump_vtbi_ml": 35.0}, set()),
        (b"\x0200S0.000ML\x03", {"pump_state": "STOP"}, {r.CONTINUOUS_PUMPING}),
        (b"\x0200W1.000MH\x03", {"pump_state": "RUN", "pump_rate_ml_h": 1.0}, {r.WITHDRAWING}),
        (b"\x0200X\x03", {"pump_state": "RUN"}, {r.PURGING}),
        (b"\x0200T\x03", {"pump_state": "PAUSE"}, {r.TIMED_PAUSE}),
        (b"\x0200U\x03", {"pump_state": "PAUSE"}, {r.WAITING_FOR_TRIGGER}),
        (b"\x0200A?S\x03", {"pump_state": "ALARM"}, {"pump_alarm:motor_stalled"}),
        (b"\x0200A?R\x03", {"pump_state": "ALARM"}, {"pump_alarm:reset"}),
        (b"\x0200S?\x03", {"pump_state": "STOP"}, {"pump_reply_error:unknown_command"}),
        (b"\x0200S?OOR\x03", {"pump_state": "STOP"}, {"pump_reply_error:out_of_range"}),
        (b"\x0200SNA\x03", {"pump_state": "STOP"}, {"pump_reply_error:not_applicable"}),
    ],
)
def test_replies(reply: bytes, values: dict[str, object], flags: set[str]) -> None:
    record = one(reply)
    assert record.values == values
    assert record.flags == flags
    assert problems(record) == []


def test_diameter_is_kept_in_extra() -> None:
    record = one(b"\x0207S26.59\x03")
    assert record.extra == {"address": "07", "status": "S", "diameter_mm": "26.59"}


def test_garbage_between_replies_is_counted_once_per_run() -> None:
    parser = NewEraBasicParser()
    records = parser.feed(
        b"\x0200S\x03\r\nnoise\x03\x0200Q\x03"  # a garbage run, a reply with no such status
        b"\x0200I5.0\x0200I52.50MH\x03"  # a reply cut by the next STX
        b"\x0200I\x03"
    )
    assert [rec.values["pump_state"] for rec in records] == ["STOP", "RUN", "RUN"]
    assert (parser.frames, parser.bad_frames) == (3, 3)


def test_partial_first_reply_and_nuls() -> None:
    parser = NewEraBasicParser()
    records = parser.feed(b"0I52.50MH\x03\x00\x0200S\x00\x03")
    assert [rec.values for rec in records] == [{"pump_state": "STOP"}]
    assert parser.bad_frames == 0


def test_overlong_reply_is_one_bad_frame_however_chunked() -> None:
    stream = b"\x0200S\x03\x0200I" + b"9" * 200 + b"MH\x03\x0200S\x03"
    whole = NewEraBasicParser()
    whole.feed(stream)
    chunked = NewEraBasicParser()
    for i in range(0, len(stream), 7):
        chunked.feed(stream[i : i + 7])
    assert (whole.frames, whole.bad_frames) == (chunked.frames, chunked.bad_frames) == (2, 1)


def test_allow_list_holds_only_the_status_queries() -> None:
    assert STATUS_QUERIES == (b"\r", b"RAT\r", b"DIS\r", b"VOL\r", b"DIA\r")
    assert status_queries(3) == (b"3\r", b"3RAT\r", b"3DIS\r", b"3VOL\r", b"3DIA\r")
    with pytest.raises(ValueError, match="0-99"):
        status_queries(100)


def test_simulated_pump_answers_each_query_and_nothing_else() -> None:
    pump = enc.PumpPanel(status="I", rate=52.5, infused=0.9, volume=35.0)
    parser = NewEraBasicParser()
    answers = [parser.feed(enc.answer(q, pump)) for q in STATUS_QUERIES]
    assert [a[0].values for a in answers] == [
        {"pump_state": "RUN"},
        {"pump_state": "RUN", "pump_rate_ml_h": 52.5},
        {"pump_state": "RUN", "pump_vi_ml": 0.9},
        {"pump_state": "RUN", "pump_vtbi_ml": 35.0},
        {"pump_state": "RUN"},
    ]
    assert enc.answer(b"RUN\r", pump) == b"\x0200I?\x03"  # never obeyed
    assert enc.answer(b"RAT 10 MH\r", pump) == b"\x0200I?\x03"
    assert enc.answer(b"5RAT\r", pump) == b""  # another pump's address
    pump.status, pump.alarm = "A", "S"
    assert enc.answer(b"RAT\r", pump) == b"\x0200A?S\x03"


# Numbers as the pump writes them: four digits, the point where it fits.
_pump_numbers = st.tuples(st.integers(0, 9999), st.sampled_from([1000, 100, 10, 1])).map(
    lambda digits_point: digits_point[0] / digits_point[1]
)


@settings(max_examples=200, deadline=None)
@given(
    status=st.sampled_from("IWSPTUX"),
    kind=st.sampled_from(["rate", "dispensed", "volume"]),
    a=_pump_numbers,
    b=_pump_numbers,
    rate_units=st.sampled_from(["UM", "MM", "UH", "MH"]),
    volume_units=st.sampled_from(["UL", "ML"]),
    address=st.integers(0, 99),
)
def test_any_encoded_reply_parses_back_to_what_it_meant(
    status: str, kind: str, a: float, b: float, rate_units: str, volume_units: str, address: int
) -> None:
    mul, div = {"UM": (60, 1000), "MM": (60, 1), "UH": (1, 1000), "MH": (1, 1)}[rate_units]
    vol = 1000 if volume_units == "UL" else 1
    if kind == "rate":
        reply = enc.rate_reply(status, a, rate_units, address=address)
        expected: dict[str, float] = {"pump_rate_ml_h": a * mul / div}
    elif kind == "dispensed":
        reply = enc.dispensed_reply(status, a, b, volume_units, address=address)
        expected = {"pump_vi_ml": a / vol}
    else:
        reply = enc.volume_reply(status, a, volume_units, address=address)
        expected = {"pump_vtbi_ml": a / vol} if a else {}
    record = one(reply)
    assert {k: v for k, v in record.values.items() if k != "pump_state"} == expected
    assert record.extra["address"] == f"{address:02d}"
    assert problems(record) == []
