"""The read-only guard: the one wrapper every outgoing byte passes.

shared/protocols/README.md, "The read-only rule": roomctl never changes a device's state.
Streaming devices get no bytes at all; a polled device gets only the fixed status queries its
protocol lists. Each driver declares its allow-list of exact byte strings (``registry``), and
this wrapper refuses anything else: it raises :class:`ReadOnlyViolation` and reports the refusal
through a callback (the transport records it as a technical fault), so a bug that tries to send
``RUN`` or ``RAT 10 MH`` to a pump fails loudly and leaves a trace instead of moving a syringe.

Only whole writes of an exact allowed string pass: no prefixes, no concatenations, no
``writelines``. The guard exposes ``write`` alone; the port itself stays with the transport,
which reads from it and never writes to it directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import NoReturn, Protocol


class Writable(Protocol):
    """The part of a pyserial port the guard needs (``serial.Serial``, ``loop://`` ...)."""

    def write(self, data: bytes, /) -> int | None: ...


class ReadOnlyViolation(PermissionError):
    """An attempt to send bytes that are not on the protocol's allow-list."""

    def __init__(self, protocol: str, data: bytes, reason: str) -> None:
        self.protocol = protocol
        self.data = data
        self.reason = reason
        super().__init__(f"{protocol}: refused to send {data!r}: {reason}")


class ReadOnlyGuard:
    """Wraps a writable port; sends only exact allow-listed byte strings."""

    def __init__(
        self,
        port: Writable,
        allow_list: Iterable[bytes],
        *,
        protocol: str,
        on_refusal: Callable[[ReadOnlyViolation], None] | None = None,
    ) -> None:
        self._port = port
        self._allowed = frozenset(bytes(item) for item in allow_list)
        self._protocol = protocol
        self._on_refusal = on_refusal
        self._lock = threading.Lock()
        self.refusals = 0
        self.sent = 0

    @property
    def allow_list(self) -> frozenset[bytes]:
        return self._allowed

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Send ``data`` if it is exactly an allowed string; otherwise refuse and raise."""
        if not isinstance(data, bytes | bytearray | memoryview):
            self._refuse(repr(data).encode(), f"not bytes but {type(data).__name__}")
        payload = bytes(data)
        if not self._allowed:
            self._refuse(payload, "a streaming device gets no bytes at all")
        if payload not in self._allowed:
            self._refuse(payload, "not on the allow-list of status queries")
        with self._lock:
            self._port.write(payload)
            self.sent += 1
        return len(payload)

    def _refuse(self, payload: bytes, reason: str) -> NoReturn:
        violation = ReadOnlyViolation(self._protocol, payload, reason)
        with self._lock:
            self.refusals += 1
        try:
            if self._on_refusal is not None:
                self._on_refusal(violation)
        finally:
            # Whatever the callback does, the caller sees the refusal (a failing callback
            # rides along as the violation's __context__).
            raise violation
