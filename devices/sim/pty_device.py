"""A simulated serial device on a pseudo-terminal: the far end of a cable that pyserial really
reads. The slave side is reached through a stable symlink (like ``/dev/serial/by-id/...``), so
a scenario can pull the cable (close the terminal, remove the name) and plug it back in (a new
terminal behind the same name), exactly what a reader sees when a USB adapter is yanked.

Real time paces the frames at the device's rate; scenario time (real time × ``speed``) drives
the patient, so a sped-up demo reaches minute 20's desaturation in seconds.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
import tty
from pathlib import Path

from devices.sim.physiology import CABLE_PULL_S, Physiology
from devices.sim.sources import Source

MIN_GAP_REAL_S = 1.5  # a pulled cable stays out long enough for a reader to notice


class PtyDevice:
    def __init__(
        self,
        source: Source,
        *,
        patient: Physiology | None = None,
        link: Path | None = None,
        speed: float = 1.0,
        start_t: float = 0.0,
    ) -> None:
        self.source = source
        self.patient = patient or Physiology()
        self.link = link
        self.speed = speed
        self.start_t = start_t
        self.bytes_written = 0
        self.queries: list[bytes] = []
        self._master: int | None = None
        self._slave: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._began = time.monotonic()
        self._pulled = False

    # ------------------------------------------------------------------ the terminal

    def open(self) -> str:
        """Create the terminal (and its symlink); returns the name a reader opens."""
        master, slave = os.openpty()
        tty.setraw(master)
        tty.setraw(slave)
        self._master, self._slave = master, slave
        path = os.ttyname(slave)
        if self.link is not None:
            tmp = self.link.with_name(self.link.name + ".new")
            tmp.unlink(missing_ok=True)
            tmp.symlink_to(path)
            tmp.replace(self.link)  # atomic: a reader never sees a half-made name
            return str(self.link)
        return path

    def _close(self) -> None:
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    # ------------------------------------------------------------------ running

    def start(self) -> str:
        path = self.open()
        self._thread = threading.Thread(target=self.serve, name="sim-device", daemon=True)
        self._thread.start()
        return path

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._close()

    def scenario_t(self) -> float:
        return self.start_t + (time.monotonic() - self._began) * self.speed

    def serve(self) -> None:
        """Write frames at the device's rate until stopped (call :meth:`open` first)."""
        self._began = time.monotonic()
        period = 1.0 / self.source.ticks_per_s
        next_tick = self._began
        pending = b""
        while not self._stop.is_set():
            t = self.scenario_t()
            if not self._pulled and self.patient.link_down_since(t) and self._master is not None:
                # Once, even when a sped-up clock jumps over the 10-s window between two looks.
                self._pulled = True
                self._pull_cable()
                pending = b""
                continue
            now = time.monotonic()
            if now >= next_tick:
                noise = self.patient.garbage_bytes(t) if int(t) != int(t - period) else b""
                # A burst of line noise between frames: one bad frame, then clean frames again.
                self._write(noise + b"\r\n" if noise else b"")
                self._write(self.source.tick(t))
                next_tick += period
                if next_tick < now:  # we fell behind (a paused process): do not burst
                    next_tick = now + period
            pending = self._answer_queries(pending, timeout=max(0.0, next_tick - time.monotonic()))

    def _pull_cable(self) -> None:
        self._close()
        self._stop.wait(max(MIN_GAP_REAL_S, CABLE_PULL_S / self.speed))
        if not self._stop.is_set():
            self.open()

    def _write(self, data: bytes) -> None:
        if data and self._master is not None:
            try:
                os.write(self._master, data)
                self.bytes_written += len(data)
            except OSError:
                pass  # nobody is reading (the slave side is closed): bytes fall on the floor

    def _answer_queries(self, pending: bytes, timeout: float) -> bytes:
        """Wait up to ``timeout`` for bytes from the host; a polled device answers each query."""
        if self._master is None:
            self._stop.wait(timeout)
            return b""
        ready, _, _ = select.select([self._master], [], [], min(timeout, 0.2))
        if not ready:
            return pending
        try:
            pending += os.read(self._master, 256)
        except OSError:
            return b""
        while b"\r" in pending:
            query, pending = pending.split(b"\r", 1)
            self.queries.append(query + b"\r")
            if self.source.polled:
                self._write(self.source.answer(query + b"\r", self.scenario_t()))
        return pending
