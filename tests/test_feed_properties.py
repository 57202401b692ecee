"""Properties every parser keeps, whatever the format: random bytes never raise; chunking a
stream anywhere gives the same records and counts; every record follows the model's rules;
and the registry describes each format (line settings, allow-lists)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.feeds import PROTOCOLS, LinkState, Record, RecordKind, protocol
from devices.feeds.newera_basic import STATUS_QUERIES
from devices.feeds.records import problems
from devices.feeds.registry import Parser
from devices.sim.frames import masimo_ascii1, newera_basic, nonin_oem3, nonin_text, roomctl_line

#: Every registered format (new ones join the never-raise test by themselves).
ALL = sorted(PROTOCOLS)


def _masimo(v: int) -> bytes:
    return masimo_ascii1.encode_line(
        {"spo2": 90 + v % 10, "hr": 60 + v % 40, "pi": (v % 900) / 100},
        device_time=datetime(2024, 5, 1, 10, v % 60, v % 60),
    )


def _oem3(v: int) -> bytes:
    pleth = [(v * 7 + i * 13) % 256 for i in range(25)]
    return nonin_oem3.encode_packet(hr=50 + v % 70, spo2=None if v % 5 == 0 else 97, pleth=pleth)


def _roomctl(v: int) -> bytes:
    values = {"hr": 60 + v % 50, "spo2": None if v % 3 == 0 else 95 + v % 5, "rr": 12}
    return roomctl_line.encode(RecordKind.VITALS, values, clock_s=v / 10, ck=v % 2 == 0)


def _newera(v: int) -> bytes:
    pump = newera_basic.PumpPanel(status="IPS"[v % 3], rate=v % 100 / 2, infused=v / 100)
    return newera_basic.answer(STATUS_QUERIES[v % 5], pump)


#: One valid frame of each format of issue 3 from a small integer.
FRAMES: dict[str, Callable[[int], bytes]] = {
    "masimo-ascii1": _masimo,
    "nonin-text": lambda v: nonin_text.encode_line(90 + v % 10, 50 + v % 90),
    "nonin-oem3": _oem3,
    "roomctl-line": _roomctl,
    "newera-basic": _newera,
}
NAMES = sorted(FRAMES)


def streams(name: str) -> st.SearchStrategy[bytes]:
    """Valid frames with garbage, NULs, CRs and cut frames in between."""
    frame = st.integers(0, 10_000).map(FRAMES[name])
    noise = st.one_of(
        st.binary(max_size=12),
        st.sampled_from([b"\x00", b"\r", b"\r\n", b"\n\r", b"\x02", b"\x01\x80"]),
        frame.map(lambda f: f[: len(f) // 2]),
    )
    return st.lists(st.one_of(frame, frame, noise), max_size=12).map(b"".join)


def feed_in_chunks(parser: Parser, data: bytes, cuts: list[int]) -> list[Record]:
    bounds = [0, *sorted(c % (len(data) + 1) for c in cuts), len(data)]
    return [rec for a, b in itertools.pairwise(bounds) for rec in parser.feed(data[a:b])]


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_chunking_anywhere_gives_the_same_records_and_counts(
    name: str, data: st.DataObject
) -> None:
    stream = data.draw(streams(name), label="stream")
    cuts = data.draw(st.lists(st.integers(0, 10**6), max_size=8), label="cuts")
    whole = PROTOCOLS[name].parser()
    expected = whole.feed(stream)
    chunked = PROTOCOLS[name].parser()
    assert feed_in_chunks(chunked, stream, cuts) == expected
    assert (chunked.frames, chunked.bad_frames) == (whole.frames, whole.bad_frames)
    for record in expected:
        assert problems(record) == []


@pytest.mark.parametrize("name", NAMES)
def test_byte_at_a_time_gives_the_same_records(name: str) -> None:
    stream = b"\x00garbage\r\n" + b"".join(FRAMES[name](v) for v in range(60)) + b"\xff" * 9
    stream += b"".join(FRAMES[name](v) for v in range(60, 70))
    whole = PROTOCOLS[name].parser()
    expected = whole.feed(stream)
    single = PROTOCOLS[name].parser()
    assert [rec for i in range(len(stream)) for rec in single.feed(stream[i : i + 1])] == expected
    assert expected
    assert (single.frames, single.bad_frames) == (whole.frames, whole.bad_frames)
    assert whole.bad_frames >= 1  # the garbage in the middle is counted


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=80, deadline=None)
@given(chunks=st.lists(st.binary(max_size=300), max_size=6))
def test_random_bytes_never_raise(name: str, chunks: list[bytes]) -> None:
    parser = PROTOCOLS[name].parser()
    for chunk in chunks:
        for record in parser.feed(chunk):
            assert problems(record) == []
    assert parser.frames >= 0
    assert parser.bad_frames >= 0


@pytest.mark.parametrize("name", NAMES)
def test_garbage_alone_is_counted(name: str) -> None:
    parser = PROTOCOLS[name].parser()
    junk = bytes((i * 37 + 11) % 256 for i in range(400)).replace(b"\x02", b"#")
    parser.feed(b"\n".join([junk[i : i + 40] for i in range(0, 400, 40)]) + b"\n")
    assert parser.frames == 0
    assert parser.bad_frames >= 5


def test_registry_line_settings_and_modes() -> None:
    assert {n: (p.line.baudrate, p.mode) for n, p in PROTOCOLS.items()} == {
        "ivy-ansarb": (9600, "streaming"),
        "masimo-ascii1": (9600, "streaming"),
        "nonin-text": (9600, "streaming"),
        "nonin-oem3": (9600, "streaming"),
        "roomctl-line": (9600, "streaming"),
        "newera-basic": (19200, "polled"),
    }
    assert protocol("masimo-ascii1").line.serial_kwargs() == {
        "baudrate": 9600,
        "bytesize": 8,
        "parity": "N",
        "stopbits": 1,
    }
    newera = protocol("newera-basic")
    assert set(newera.poll_queries) <= newera.allow_list
    assert (newera.poll_interval_s, newera.reply_timeout_s) == (1.0, 0.5)
    with pytest.raises(KeyError, match="known: ivy-ansarb, masimo-ascii1"):
        protocol("no-such-device")


def test_tap_shape_and_link_records() -> None:
    [record] = PROTOCOLS["roomctl-line"].parser().feed(b"VITALS T=3.5 HR=72 SPO2=-\n")
    tap = record.as_tap(1.25)
    assert tap == {
        "kind": "vitals",
        "t": 1.25,
        "values": {"hr": 72.0},
        "flags": [],
        "device_time": None,
        "device_clock_s": 3.5,
    }
    json.dumps(tap)
    [_, wave] = PROTOCOLS["nonin-oem3"].parser().feed(FRAMES["nonin-oem3"](1))
    assert wave.as_tap(0.0)["rate_hz"] == 75.0
    assert len(wave.as_tap(0.0)["samples"]) == 25
    link = Record.link(LinkState.STALE)
    assert link.values == {"link": "stale"}
    assert problems(link) == []


def test_model_rules_catch_bad_records() -> None:
    assert problems(Record(RecordKind.VITALS, {"hr": None})) != []  # type: ignore[dict-item]
    assert problems(Record(RecordKind.VITALS, {"heart": 72.0})) != []
    assert problems(Record(RecordKind.PUMP, {"pump_state": "FLYING"})) != []
    assert problems(Record(RecordKind.WAVE, {})) != []
    assert Record(RecordKind.VITALS, {"hr": 1.0}).numeric() == {"hr": 1.0}
