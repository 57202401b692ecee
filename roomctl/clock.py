"""Session time: monotonic seconds that can run faster than real time, plus UTC wall time.

Durations (infusion elapsed, recovery time) are always measured on the monotonic clock so a
wall-clock jump (NTP, daylight saving) never shortens an infusion. The speed factor lets the
demo run a 40-minute infusion in ten seconds while recording it as 2400 session seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What the Room needs to know about time."""

    speed: float

    def now(self) -> float:
        """Session seconds: monotonic, scaled by ``speed``, continuing from the session's origin."""
        ...

    def wall(self) -> datetime:
        """Real UTC wall time."""
        ...

    def real_delay(self, session_seconds: float) -> float:
        """How many real seconds until ``session_seconds`` session seconds have passed."""
        ...


class SessionClock:
    """The real clock: ``now()`` = origin + (monotonic elapsed) x speed."""

    def __init__(self, speed: float = 1.0, origin: float = 0.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive (got {speed})")
        self.speed = speed
        self._origin = origin
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._origin + (time.monotonic() - self._mono0) * self.speed

    def restart(self, origin: float = 0.0) -> None:
        """Make ``now()`` read ``origin`` at this instant (a new session starts at 0)."""
        self._origin = origin
        self._mono0 = time.monotonic()

    def wall(self) -> datetime:
        return datetime.now(UTC)

    def real_delay(self, session_seconds: float) -> float:
        return max(0.0, session_seconds) / self.speed


class FakeClock:
    """A clock that moves only when a test says so. Wall time follows session time."""

    def __init__(
        self, start: float = 0.0, wall0: datetime | None = None, speed: float = 1.0
    ) -> None:
        self.speed = speed
        self._t = start
        self._start = start
        self._wall0 = wall0 or datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def now(self) -> float:
        return self._t

    def wall(self) -> datetime:
        return self._wall0 + timedelta(seconds=(self._t - self._start) / self.speed)

    def real_delay(self, session_seconds: float) -> float:
        return max(0.0, session_seconds) / self.speed

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not run backwards")
        self._t += seconds

    def set(self, t: float) -> None:
        if t < self._t:
            raise ValueError("a clock does not run backwards")
        self._t = t
