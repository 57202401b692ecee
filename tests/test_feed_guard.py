"""The read-only guard refuses every byte that is not an exact allow-listed status query:
control commands to a New Era pump, and anything at all to a streaming device."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.feeds.guard import ReadOnlyGuard, ReadOnlyViolation
from devices.feeds.registry import PROTOCOLS


class Port:
    """A stand-in for a pyserial port: remembers what reached the wire."""

    def __init__(self) -> None:
        self.wire: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.wire.append(bytes(data))
        return len(data)


def guarded(protocol: str) -> tuple[ReadOnlyGuard, Port, list[ReadOnlyViolation]]:
    port = Port()
    refusals: list[ReadOnlyViolation] = []
    guard = ReadOnlyGuard(
        port, PROTOCOLS[protocol].allow_list, protocol=protocol, on_refusal=refusals.append
    )
    return guard, port, refusals


@pytest.mark.parametrize(
    "command",
    [b"RUN\r", b"RAT 10 MH\r", b"STP\r", b"VOL 5\r", b"DIR WDR\r", b"PUR\r", b"*RUN\r"],
)
def test_new_era_control_commands_are_refused_and_recorded(command: bytes) -> None:
    guard, port, refusals = guarded("newera-basic")
    with pytest.raises(ReadOnlyViolation) as raised:
        guard.write(command)
    assert port.wire == []  # nothing reached the pump
    assert [v.data for v in refusals] == [command]
    assert raised.value.protocol == "newera-basic"
    assert raised.value.data == command
    assert guard.refusals == 1
    assert isinstance(raised.value, PermissionError)


def test_new_era_status_queries_pass_exactly() -> None:
    guard, port, refusals = guarded("newera-basic")
    for query in (b"\r", b"RAT\r", b"DIS\r", b"VOL\r", b"DIA\r"):
        assert guard.write(query) == len(query)
    guard.write(bytearray(b"RAT\r"))
    assert port.wire == [b"\r", b"RAT\r", b"DIS\r", b"VOL\r", b"DIA\r", b"RAT\r"]
    assert refusals == []
    for near_miss in (b"RAT", b"RAT\r\n", b"rat\r", b"RAT\rRUN\r", b"RAT\r\r", b""):
        with pytest.raises(ReadOnlyViolation):
            guard.write(near_miss)
    assert len(refusals) == 6
    assert port.wire[-1] == b"RAT\r"


@pytest.mark.parametrize(
    "protocol", sorted(n for n, s in PROTOCOLS.items() if s.mode == "streaming")
)
@settings(max_examples=30, deadline=None)
@given(data=st.binary(min_size=0, max_size=16))
def test_a_streaming_device_gets_no_byte_at_all(protocol: str, data: bytes) -> None:
    guard, port, refusals = guarded(protocol)
    assert PROTOCOLS[protocol].allow_list == frozenset()
    with pytest.raises(ReadOnlyViolation, match="no bytes at all"):
        guard.write(data)
    assert port.wire == []
    assert len(refusals) == 1


def test_text_is_refused_not_encoded() -> None:
    guard, port, _ = guarded("newera-basic")
    with pytest.raises(ReadOnlyViolation, match="not bytes"):
        guard.write("RAT\r")  # type: ignore[arg-type]
    assert port.wire == []


def test_a_failing_callback_does_not_hide_the_refusal() -> None:
    def broken(violation: ReadOnlyViolation) -> None:
        raise RuntimeError("logger down")

    guard = ReadOnlyGuard(Port(), [b"\r"], protocol="newera-basic", on_refusal=broken)
    with pytest.raises(ReadOnlyViolation) as raised:
        guard.write(b"RUN\r")
    assert isinstance(raised.value.__context__, RuntimeError)
