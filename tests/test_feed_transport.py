"""The feed reader on real pseudo-terminals through pyserial: frames arrive as records, a
silent device goes stale, a pulled cable is a gap and reading resumes when the port returns,
a polled pump gets only its status queries, and the raw bytes can be captured."""

from __future__ import annotations

import contextlib
import os
import queue
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devices.feeds.records import RecordKind
from devices.feeds.registry import protocol
from devices.feeds.transport import FeedReader, Stamped
from devices.sim.frames import roomctl_line

pytestmark = pytest.mark.system

LINE = roomctl_line.encode(RecordKind.VITALS, {"hr": 72.0, "spo2": 97.0})


class Pty:
    """A pseudo-terminal whose slave is reached through a stable symlink, like a USB port."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master, self.slave = os.openpty()
        link.unlink(missing_ok=True)
        link.symlink_to(os.ttyname(self.slave))

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def pull(self) -> None:
        """The cable is pulled: the device side closes and the port disappears."""
        self.link.unlink(missing_ok=True)
        os.close(self.master)
        os.close(self.slave)


class Collector:
    def __init__(self) -> None:
        self.items: queue.Queue[Stamped] = queue.Queue()

    def __call__(self, records: list[Stamped]) -> None:
        for item in records:
            self.items.put(item)

    def next(self, kind: RecordKind, timeout: float = 5.0, **values: object) -> Stamped:
        """The next record of ``kind`` (whose values include ``values``), or fail."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} record {values} within {timeout} s")
            try:
                item = self.items.get(timeout=left)
            except queue.Empty:
                continue
            if item.record.kind == kind and all(
                item.record.values.get(k) == v for k, v in values.items()
            ):
                return item


@pytest.fixture
def port(tmp_path: Path) -> Iterator[Pty]:
    pty = Pty(tmp_path / "ttyMON")
    yield pty
    for fd in (pty.master, pty.slave):
        with contextlib.suppress(OSError):
            os.close(fd)


def test_frames_become_records_and_link_states(port: Pty, tmp_path: Path) -> None:
    seen = Collector()
    reader = FeedReader(
        str(port.link), protocol("roomctl-line"), seen, name="monitor", stale_after_s=0.3
    )
    reader.start()
    try:
        seen.next(RecordKind.LINK, link="connected")
        port.write(LINE + b"garbage\x00\xff\n" + LINE)  # (a first line may be partial)
        seen.next(RecordKind.VITALS)
        vitals = seen.next(RecordKind.VITALS)
        assert dict(vitals.record.values) == {"hr": 72.0, "spo2": 97.0}
        assert reader.stats.bad_frames == 1
        seen.next(RecordKind.LINK, link="stale")  # the monitor goes quiet
        port.write(LINE)
        seen.next(RecordKind.LINK, link="connected")
    finally:
        reader.stop()


def test_a_pulled_cable_is_a_gap_and_reading_resumes_within_3_s(port: Pty, tmp_path: Path) -> None:
    seen = Collector()
    reader = FeedReader(str(port.link), protocol("roomctl-line"), seen, name="monitor")
    reader.start()
    try:
        seen.next(RecordKind.LINK, link="connected")
        port.write(LINE)
        seen.next(RecordKind.VITALS)
        port.pull()
        seen.next(RecordKind.LINK, link="disconnected")
        back = Pty(port.link)  # the port returns (a new pseudo-terminal behind the same name)
        returned = time.monotonic()
        seen.next(RecordKind.LINK, timeout=3.0, link="connected")
        back.write(roomctl_line.encode(RecordKind.VITALS, {"hr": 80.0}))
        again = seen.next(RecordKind.VITALS, timeout=3.0, hr=80.0)
        assert again.t - returned <= 3.0
        assert reader.stats.reconnects == 1
        port.master, port.slave = back.master, back.slave
    finally:
        reader.stop()


def test_a_polled_pump_gets_only_its_status_queries(port: Pty) -> None:
    spec = protocol("newera-basic")
    seen = Collector()
    reader = FeedReader(str(port.link), spec, seen, name="pump")
    reader.start()
    try:
        seen.next(RecordKind.LINK, link="connected")
        sent = b""
        deadline = time.monotonic() + 5
        while sent.count(b"\r") < 2 * len(spec.poll_queries) and time.monotonic() < deadline:
            sent += os.read(port.master, 64)
        queries = [q + b"\r" for q in sent.split(b"\r") if q]
        assert queries
        assert set(queries) <= set(spec.allow_list)
        assert queries[: len(spec.poll_queries)] == list(spec.poll_queries)
        assert reader.stats.refusals == 0
    finally:
        reader.stop()


def test_the_raw_capture_keeps_every_byte_and_is_private(port: Pty, tmp_path: Path) -> None:
    capture = tmp_path / "monitor.capture"
    seen = Collector()
    reader = FeedReader(
        str(port.link), protocol("roomctl-line"), seen, name="monitor", capture=capture
    )
    reader.start()
    try:
        seen.next(RecordKind.LINK, link="connected")
        port.write(b"\x00junk\n" + LINE + LINE)
        seen.next(RecordKind.VITALS)
        seen.next(RecordKind.VITALS)
    finally:
        reader.stop()
    assert capture.read_bytes() == b"\x00junk\n" + LINE + LINE
    assert stat.S_IMODE(capture.stat().st_mode) == 0o600


def test_a_storm_of_bad_frames_is_reported(port: Pty) -> None:
    seen = Collector()
    reader = FeedReader(str(port.link), protocol("roomctl-line"), seen, name="monitor")
    reader.start()
    try:
        seen.next(RecordKind.LINK, link="connected")
        port.write(LINE + b"".join(b"VITALS HR=??\n" for _ in range(12)))
        storm = seen.next(RecordKind.LINK)
        while "storm" not in storm.record.extra:
            storm = seen.next(RecordKind.LINK)
        assert storm.record.extra["storm"] == "on"
        assert "bad_frame_storm" in storm.record.flags
    finally:
        reader.stop()
    assert reader.stats.bad_frames >= 10
