"""Reading one serial feed: a thread per port that opens it as pyserial sees it, parses what
arrives, stamps each record with the PC's monotonic time, and hands it on; that notices a
silent device (stale) and a vanished one (disconnected), and reconnects with back-off while the
session goes on.

The reader never writes to the port itself. A polled device's queries go through the
:class:`~devices.feeds.guard.ReadOnlyGuard`, built from the protocol's allow-list, which is the
one place outgoing bytes are checked. Records leave through ``on_records`` on the reader's
thread; the composition root forwards them to the Room's thread.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from devices.feeds.guard import ReadOnlyGuard, ReadOnlyViolation
from devices.feeds.records import LINK_STATE, LinkState, Record, RecordKind
from devices.feeds.registry import ProtocolSpec

STALE_AFTER_S = 2.0
STORM_WINDOW_S = 10.0
STORM_BAD_FRAMES = 10  # bad frames within the window that make a storm (a technical alarm)
STORM_FLAG = "bad_frame_storm"
READ_TIMEOUT_S = 0.1
BACKOFF_S = (0.1, 0.25, 0.5, 1.0)  # reconnect attempts; the last repeats


@dataclass(frozen=True, slots=True)
class Stamped:
    """A record and the monotonic time (seconds) the PC received the bytes that made it."""

    t: float
    record: Record


@dataclass
class FeedStats:
    frames: int = 0
    bad_frames: int = 0
    reconnects: int = 0
    bytes: int = 0
    refusals: int = 0
    link: LinkState = LinkState.DISCONNECTED
    last_error: str = ""
    history: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": "stats",
            "frames": self.frames,
            "bad_frames": self.bad_frames,
            "reconnects": self.reconnects,
        }


def open_serial(url: str, spec: ProtocolSpec, **overrides: Any) -> Any:
    """The port, as the app opens it: pyserial's URL handlers and the format's line settings."""
    import serial

    settings: dict[str, Any] = {**spec.line.serial_kwargs(), **overrides}
    return serial.serial_for_url(url, timeout=READ_TIMEOUT_S, **settings)


class FeedReader:
    """One port, one thread, one parser; link state and counts as data."""

    def __init__(
        self,
        url: str,
        spec: ProtocolSpec,
        on_records: Callable[[list[Stamped]], None],
        *,
        name: str = "feed",
        capture: Path | None = None,
        opener: Callable[[str, ProtocolSpec], Any] = open_serial,
        clock: Callable[[], float] = time.monotonic,
        stale_after_s: float = STALE_AFTER_S,
        on_refusal: Callable[[ReadOnlyViolation], None] | None = None,
    ) -> None:
        self.url = url
        self.spec = spec
        self.name = name
        self.stats = FeedStats()
        self._on_records = on_records
        self._opener = opener
        self._clock = clock
        self._stale_after_s = stale_after_s
        self._on_refusal = on_refusal
        self._capture_path = capture
        self._capture: BinaryIO | None = None
        self._parser = spec.parser()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_frame_t: float | None = None
        self._bad_marks: list[tuple[float, int]] = []
        self._storm = False

    # ------------------------------------------------------------------ control

    def start(self) -> None:
        if self._capture_path is not None:
            fd = os.open(self._capture_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            self._capture = os.fdopen(fd, "ab", buffering=0)
        self._thread = threading.Thread(target=self._run, name=f"feed-{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self._capture is not None:
            self._capture.close()
            self._capture = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ the thread

    def _run(self) -> None:
        attempt = 0
        opened_before = False
        while not self._stop.is_set():
            try:
                port = self._opener(self.url, self.spec)
            except (OSError, ValueError) as exc:  # SerialException is an OSError
                self._note_error(exc)
                self._set_link(LinkState.DISCONNECTED, self.stats.last_error)
                self._stop.wait(BACKOFF_S[min(attempt, len(BACKOFF_S) - 1)])
                attempt += 1
                continue
            if opened_before:
                self.stats.reconnects += 1
            opened_before = True
            attempt = 0
            self._parser.reset()
            self._set_link(LinkState.CONNECTED, f"opened {self.url}")
            try:
                self._read(port)
            except (OSError, ValueError) as exc:
                self._note_error(exc)
            finally:
                with contextlib.suppress(OSError):
                    port.close()
            if not self._stop.is_set():
                self._set_link(LinkState.DISCONNECTED, self.stats.last_error or "port closed")

    def _read(self, port: Any) -> None:
        guard = ReadOnlyGuard(
            port, self.spec.allow_list, protocol=self.spec.name, on_refusal=self._refused
        )
        polled = self.spec.mode == "polled"
        next_poll = self._clock()
        self._last_frame_t = self._clock()
        self._bad_marks = [(self._last_frame_t, self._parser.bad_frames)]
        while not self._stop.is_set():
            now = self._clock()
            if polled and now >= next_poll:
                for query in self.spec.poll_queries:
                    guard.write(query)
                next_poll = now + (self.spec.poll_interval_s or 1.0)
            data = port.read(max(1, getattr(port, "in_waiting", 0) or 1))
            now = self._clock()
            if data:
                self._received(data, now)
            else:
                self._check_stale(now)

    def _check_stale(self, now: float) -> None:
        silent = now - (self._last_frame_t if self._last_frame_t is not None else now)
        if self.stats.link == LinkState.CONNECTED and silent > self._stale_after_s:
            self._set_link(LinkState.STALE, f"no valid frame for {self._stale_after_s:g} s")

    def _received(self, data: bytes, now: float) -> None:
        self.stats.bytes += len(data)
        if self._capture is not None:
            self._capture.write(data)
        records = self._parser.feed(data)
        self.stats.frames = self._parser.frames
        self.stats.bad_frames = self._parser.bad_frames
        self._check_storm(now)
        if records:
            self._last_frame_t = now
            if self.stats.link == LinkState.STALE:
                self._set_link(LinkState.CONNECTED, "frames again")
            self._on_records([Stamped(now, record) for record in records])
        else:
            self._check_stale(now)  # garbage keeps the line busy but is no sign of life

    def _check_storm(self, now: float) -> None:
        """Many bad frames in a short time (wrong baud rate, a failing cable): say so once, and
        once more when it has passed, as a link record flagged ``bad_frame_storm``."""
        self._bad_marks.append((now, self.stats.bad_frames))
        while self._bad_marks and now - self._bad_marks[0][0] > STORM_WINDOW_S:
            self._bad_marks.pop(0)
        recent = self.stats.bad_frames - self._bad_marks[0][1]
        storm = recent >= STORM_BAD_FRAMES
        if storm != self._storm and (storm or recent == 0):
            self._storm = storm
            detail = f"{recent} bad frames in {STORM_WINDOW_S:g} s" if storm else "storm over"
            record = Record(
                RecordKind.LINK,
                {LINK_STATE: str(self.stats.link)},
                flags=frozenset({STORM_FLAG}) if storm else frozenset(),
                extra={"detail": detail, "storm": "on" if storm else "off"},
            )
            self._on_records([Stamped(now, record)])

    def _set_link(self, state: LinkState, detail: str) -> None:
        if state == self.stats.link and self.stats.history:
            return
        self.stats.link = state
        self.stats.history.append(str(state))
        self._on_records([Stamped(self._clock(), Record.link(state, detail=detail))])

    def _note_error(self, exc: BaseException) -> None:
        self.stats.last_error = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]

    def _refused(self, violation: ReadOnlyViolation) -> None:
        self.stats.refusals += 1
        self.stats.last_error = str(violation)
