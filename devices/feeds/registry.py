"""The wire formats roomctl reads: parser, line settings, streaming or polled, allow-list.

One entry per format of shared/protocols/ (the README's table). The transport opens a port
with ``spec.line.serial_kwargs()`` (config may override them), builds a fresh parser with
``spec.parser()`` per port, and wraps the port in ``guard.ReadOnlyGuard`` with
``spec.allow_list``: empty for a streaming device (it gets no bytes at all), the fixed status
queries for a polled one (the README's read-only rule).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from devices.feeds.ivy_ansarb import IvyAnsarBParser
from devices.feeds.masimo_ascii1 import MasimoAscii1Parser
from devices.feeds.newera_basic import STATUS_QUERIES, NewEraBasicParser
from devices.feeds.nonin_oem3 import NoninOem3Parser
from devices.feeds.nonin_text import NoninTextParser
from devices.feeds.records import Record
from devices.feeds.roomctl_line import RoomctlLineParser


class Parser(Protocol):
    """What every parser is: pure (bytes in, records out), incremental, counting.

    ``feed`` keeps a partial frame across calls, so any chunking of a stream yields the same
    records; it never raises on any input. ``reset`` forgets the partial frame: call it after a
    reconnect, so the tail of a line from before the pull is not glued to bytes from after.
    """

    @property
    def frames(self) -> int:
        """Valid frames so far (lines, replies; for Nonin OEM III, 5-byte frames)."""
        ...

    @property
    def bad_frames(self) -> int:
        """Damaged frames and garbage so far."""
        ...

    def feed(self, data: bytes) -> list[Record]: ...

    def reset(self) -> None: ...


@dataclass(frozen=True, slots=True)
class LineSettings:
    """Serial line settings, in pyserial's terms (``parity`` is ``"N"``, ``"E"`` or ``"O"``)."""

    baudrate: int
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1

    def serial_kwargs(self) -> dict[str, int | float | str]:
        """Keyword arguments for ``serial.serial_for_url(url, **kwargs)``."""
        return {
            "baudrate": self.baudrate,
            "bytesize": self.bytesize,
            "parity": self.parity,
            "stopbits": self.stopbits,
        }


@dataclass(frozen=True, slots=True)
class ProtocolSpec:
    """One wire format: how to open the port, how to parse, what may be sent."""

    name: str
    parser: Callable[[], Parser]
    line: LineSettings
    mode: Literal["streaming", "polled"]
    #: Exact byte strings the guard lets out; empty: no byte at all may be sent.
    allow_list: frozenset[bytes]
    #: Polled formats: the queries to send, in order, each poll cycle.
    poll_queries: tuple[bytes, ...] = ()
    #: Polled formats: one cycle every so many seconds, and how long to wait for a reply.
    poll_interval_s: float | None = None
    reply_timeout_s: float | None = None
    #: Frames a second the device sends when streaming (for stale detection and simulators).
    frames_per_s: float | None = None
    spec_file: str = ""


PROTOCOLS: dict[str, ProtocolSpec] = {
    spec.name: spec
    for spec in (
        ProtocolSpec(
            name="masimo-ascii1",
            parser=MasimoAscii1Parser,
            line=LineSettings(9600),  # "Line settings": 9600 8N1 (Root over USB: 19200, config)
            mode="streaming",
            allow_list=frozenset(),
            frames_per_s=1.0,
            spec_file="masimo-ascii1.md",
        ),
        ProtocolSpec(
            name="nonin-text",
            parser=NoninTextParser,
            # BT4000 9600 8N1. Avant/7500FO send 2 stop bits and 2500/8500/9847/8600V a 9th bit
            # that is always mark: both read correctly as 8N1 (a receiver takes the extra mark
            # for idle line), which is what nonin.md advises for the latter.
            line=LineSettings(9600),
            mode="streaming",
            allow_list=frozenset(),
            frames_per_s=1.0,
            spec_file="nonin.md",
        ),
        ProtocolSpec(
            name="nonin-oem3",
            parser=NoninOem3Parser,
            line=LineSettings(9600),  # "Baud rate not confirmed by a source: 9600 8N1 default"
            mode="streaming",
            allow_list=frozenset(),
            frames_per_s=75.0,
            spec_file="nonin.md",
        ),
        ProtocolSpec(
            name="roomctl-line",
            parser=RoomctlLineParser,
            line=LineSettings(9600),
            mode="streaming",
            allow_list=frozenset(),
            frames_per_s=1.0,
            spec_file="roomctl-line.md",
        ),
        ProtocolSpec(
            name="newera-basic",
            parser=NewEraBasicParser,
            line=LineSettings(19200),
            mode="polled",
            allow_list=frozenset(STATUS_QUERIES),
            # Every reply carries the status, so RAT, DIS and VOL tell it too; DIA (the
            # syringe) and the bare CR stay allowed for the driver's first contact.
            poll_queries=(b"RAT\r", b"DIS\r", b"VOL\r"),
            poll_interval_s=1.0,  # "Poll once a second"
            reply_timeout_s=0.5,  # "no reply within 500 ms is a timeout counted on the feed"
            spec_file="newera-basic.md",
        ),
        ProtocolSpec(
            name="ivy-ansarb",
            parser=IvyAnsarBParser,
            line=LineSettings(9600),  # "Line settings": 9600 baud, 8N1
            mode="streaming",
            allow_list=frozenset(),
            frames_per_s=1.0,  # one message a second, unasked
            spec_file="ivy-ansarb.md",
        ),
    )
}


def protocol(name: str) -> ProtocolSpec:
    """The spec of a format by name, with the known names in the error when there is none."""
    try:
        return PROTOCOLS[name]
    except KeyError:
        known = ", ".join(sorted(PROTOCOLS))
        raise KeyError(f"unknown protocol {name!r} (known: {known})") from None
