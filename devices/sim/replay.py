"""Replaying a raw capture through a pseudo-terminal, at the pace the device sent it.

A capture holds the bytes exactly as they arrived, with no timing. The pace is the format's own:
line formats one line per frame interval (1 s for the monitors), Nonin OEM III one 5-byte frame
per 1/75 s, the Ivy's ANSAR-B one message a second; ``speed`` divides the interval. Pure
splitting (:func:`chunks`) is apart from the writing so it can be tested without a terminal.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import tty
from collections.abc import Iterator

from devices.feeds import ivy_ansarb
from devices.feeds.registry import ProtocolSpec

BINARY_FRAME = {"nonin-oem3": 5}


def chunks(data: bytes, spec: ProtocolSpec) -> Iterator[bytes]:
    """The capture cut where the device paused: after each line, each binary frame, or each
    ANSAR-B message."""
    if spec.name == "ivy-ansarb":
        yield from _ansarb_messages(data)
        return
    size = BINARY_FRAME.get(spec.name)
    if size is not None:
        for i in range(0, len(data), size):
            yield data[i : i + size]
        return
    start = 0
    while start < len(data):
        end = data.find(b"\n", start)
        if end < 0:
            yield data[start:]
            return
        yield data[start : end + 1]
        start = end + 1


def _ansarb_messages(data: bytes) -> Iterator[bytes]:
    """Each message from its header to its end byte (ivy-ansarb.md: searched for only after the
    409 fixed bytes, wave bytes are arbitrary); bytes before a header (the partial message a
    capture starts with, garbage) are a chunk of their own, as the device paused after them."""
    start = 0
    while start < len(data):
        head = data.find(ivy_ansarb.HEADER, start)
        if head < 0:
            yield data[start:]
            return
        if head > start:
            yield data[start:head]
        end = data.find(ivy_ansarb.END, head + ivy_ansarb.FIXED)
        if end < 0:
            yield data[head:]
            return
        yield data[head : end + 1]
        start = end + 1


class Replay:
    """Writes a capture into a new pseudo-terminal; ``path`` is what a reader opens."""

    def __init__(self, data: bytes, spec: ProtocolSpec, *, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.data = data
        self.spec = spec
        self.interval = 1.0 / (spec.frames_per_s or 1.0) / speed
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        tty.setraw(self.slave)
        self.path = os.ttyname(self.slave)
        self.done = threading.Event()
        self._stop = threading.Event()

    def wait_for_reader(self, timeout_s: float) -> bool:
        """Wait until a reader has opened the port (True), or ``timeout_s`` passed (False).

        pyserial flushes its input when it opens a port, so bytes written before the reader
        is there are lost. With our own slave side closed, the master reads EIO until somebody
        opens the slave; from then on a read would block instead.
        """
        if self.slave >= 0:
            os.close(self.slave)
            self.slave = -1
        os.set_blocking(self.master, False)
        deadline = time.monotonic() + timeout_s
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                os.read(self.master, 4096)
            except BlockingIOError:
                return True  # the slave is open: a reader is there
            except OSError:
                pass  # EIO: nobody has the slave open yet
            self._stop.wait(0.02)
        return False

    def run(self, lead_in_s: float = 0.5, wait_s: float = 0.0) -> None:
        """Write every chunk on schedule. With ``wait_s``, first wait that long at most for a
        reader; then ``lead_in_s`` (the reader finishes opening) before the first byte."""
        if wait_s:
            self.wait_for_reader(wait_s)
        self._stop.wait(lead_in_s)
        os.set_blocking(self.master, True)
        due = time.monotonic()
        for chunk in chunks(self.data, self.spec):
            if self._stop.is_set():
                break
            os.write(self.master, chunk)
            due += self.interval
            self._stop.wait(max(0.0, due - time.monotonic()))
        self.done.set()

    def stop(self) -> None:
        self._stop.set()
        for fd in (self.master, self.slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
