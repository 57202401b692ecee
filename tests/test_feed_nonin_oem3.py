"""Nonin OEM III Serial Data Format #2: the frames of shared/protocols/nonin.md part B byte
for byte, sentinels, status flags, resynchronisation, and encoder → parser round trips."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.feeds import records as r
from devices.feeds.nonin_oem3 import NoninOem3Parser
from devices.feeds.records import Record, RecordKind, problems
from devices.sim.frames import nonin_oem3 as enc

# The frames of pufferfish's TestNoninOEM3.cpp quoted in nonin.md.
SYNC_HR_HIGH_0 = bytes.fromhex("01 81 01 00 83")
HR_LOW_72 = bytes.fromhex("01 80 01 48 CA")
SPO2_97 = bytes.fromhex("01 80 01 61 E3")
REVISION_48 = bytes.fromhex("01 80 01 30 B2")
HR_LOW_72_BAD_CHECKSUM = bytes.fromhex("01 80 01 48 CB")
FILLER = bytes.fromhex("01 80 01 00 82")  # a reserved DATA frame, checksum 0x82


def spec_packet() -> bytes:
    return SYNC_HR_HIGH_0 + HR_LOW_72 + SPO2_97 + REVISION_48 + FILLER * 21


def kinds(records: list[Record]) -> list[str]:
    return [str(rec.kind) for rec in records]


def test_the_spec_frames_make_hr_72_spo2_97_revision_48() -> None:
    parser = NoninOem3Parser()
    vitals, wave = parser.feed(spec_packet())
    assert vitals.kind is RecordKind.VITALS
    assert vitals.values == {"hr": 72.0, "spo2": 97.0}
    assert vitals.extra["firmware"] == "48"
    assert vitals.flags == frozenset()
    assert wave.kind is RecordKind.WAVE
    assert wave.wave == r.Wave("pleth", 75.0, (1,) * 25)
    assert (parser.frames, parser.bad_frames) == (25, 0)


def test_encoder_writes_the_spec_frames() -> None:
    packet = enc.encode_packet(hr=72, spo2=97, pleth=[1] * 25, firmware=48)
    assert packet[:20] == SYNC_HR_HIGH_0 + HR_LOW_72 + SPO2_97 + REVISION_48
    assert enc.encode_frame(0x80, 0x01, 0x48) == HR_LOW_72


def test_checksum_error_is_one_bad_frame_and_voids_the_packet() -> None:
    parser = NoninOem3Parser()
    broken = SYNC_HR_HIGH_0 + HR_LOW_72_BAD_CHECKSUM + SPO2_97 + REVISION_48 + FILLER * 21
    records = parser.feed(broken + spec_packet())
    # The broken packet gives its first pleth sample (the run before the bad frame) and no
    # values: after a gap the frame index is unknown. The next packet is whole again.
    assert kinds(records) == ["wave", "vitals", "wave"]
    assert records[0].wave == r.Wave("pleth", 75.0, (1,))
    assert records[1].values == {"hr": 72.0, "spo2": 97.0}
    assert (parser.frames, parser.bad_frames) == (49, 1)


def test_sentinels_are_absent() -> None:
    packet = enc.encode_packet(hr=None, spo2=None, pleth=[0] * 25, flags={r.SENSOR_DISCONNECT})
    [vitals, _] = NoninOem3Parser().feed(packet)
    assert vitals.values == {}
    assert r.SENSOR_DISCONNECT in vitals.flags
    assert vitals.flags <= r.SENSOR_OFF_FLAGS
    data = packet[3::5]
    assert ((data[0] & 3) << 7 | data[1]) == 511
    assert data[2] == 127


def test_status_bits_become_flags_and_perfusion_takes_the_worst_colour() -> None:
    statuses = [0x81] + [0x80] * 24
    statuses[3] |= 0x20  # artifact
    statuses[5] |= 0x02  # green
    statuses[7] |= 0x06  # yellow
    statuses[9] |= 0x04  # red: the worst colour wins
    packet = b"".join(enc.encode_frame(status, 9, 0) for status in statuses)
    [vitals, wave] = NoninOem3Parser().feed(packet)
    assert vitals.flags == {r.ARTIFACT, r.PERFUSION_RED}
    assert wave.flags == vitals.flags


def test_resynchronises_after_garbage_and_counts_it() -> None:
    parser = NoninOem3Parser()
    garbage = bytes(range(0x10, 0x10 + 12))  # 12 bytes: three frames' worth
    records = parser.feed(spec_packet() + garbage + spec_packet())
    assert kinds(records) == ["vitals", "wave", "vitals", "wave"]
    assert (parser.frames, parser.bad_frames) == (50, 3)


def test_partial_first_frame_and_frames_before_the_first_sync() -> None:
    parser = NoninOem3Parser()
    records = parser.feed(REVISION_48[2:] + FILLER * 3 + spec_packet())
    assert kinds(records) == ["vitals", "wave"]  # frames before SYNC give nothing
    assert (parser.frames, parser.bad_frames) == (28, 0)


def test_byte_by_byte_equals_all_at_once() -> None:
    stream = b"\x00\x01\x80" + spec_packet() * 3 + b"\xff" * 7 + spec_packet() + SPO2_97[:3]
    whole = NoninOem3Parser()
    expected = whole.feed(stream)
    single = NoninOem3Parser()
    got = [rec for i in range(len(stream)) for rec in single.feed(stream[i : i + 1])]
    assert got == expected
    assert (single.frames, single.bad_frames) == (whole.frames, whole.bad_frames)


def test_reset_forgets_the_packet_in_progress() -> None:
    parser = NoninOem3Parser()
    parser.feed(spec_packet()[:60])
    parser.reset()
    assert parser.feed(spec_packet()[60:]) == []  # no SYNC seen since the reset
    assert kinds(parser.feed(spec_packet())) == ["vitals", "wave"]


_flags = st.sets(
    st.sampled_from([r.SENSOR_DISCONNECT, r.ARTIFACT, r.OUT_OF_TRACK, r.SENSOR_ALARM])
).flatmap(
    lambda base: st.sampled_from(
        [None, r.PERFUSION_RED, r.PERFUSION_YELLOW, r.PERFUSION_GREEN]
    ).map(lambda colour: base | ({colour} if colour else set()))
)


@settings(max_examples=100, deadline=None)
@given(
    packets=st.lists(
        st.tuples(
            st.none() | st.integers(0, 510).map(float),
            st.none() | st.integers(0, 126).map(float),
            st.lists(st.integers(0, 255), min_size=25, max_size=25),
            _flags,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_encoded_packet_parses_back_to_what_it_meant(
    packets: list[tuple[float | None, float | None, list[int], set[str]]],
) -> None:
    stream = b"".join(
        enc.encode_packet(hr=hr, spo2=spo2, pleth=pleth, flags=flags)
        for hr, spo2, pleth, flags in packets
    )
    parser = NoninOem3Parser()
    records = parser.feed(stream)
    assert len(records) == 2 * len(packets)
    for (hr, spo2, pleth, flags), vitals, wave in zip(
        packets, records[::2], records[1::2], strict=True
    ):
        assert vitals.values == {k: v for k, v in (("hr", hr), ("spo2", spo2)) if v is not None}
        assert vitals.flags == flags
        assert wave.wave == r.Wave("pleth", 75.0, tuple(pleth))
        assert problems(vitals) == problems(wave) == []
    assert (parser.frames, parser.bad_frames) == (25 * len(packets), 0)
