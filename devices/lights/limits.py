"""Hue's pace: how often a bridge may be told something, and how long to wait after a failure.

A Hue bridge drops or queues commands beyond about one group command per second and ten per
light per second; a queue on the bridge means the room lags behind the session. So the adapter
spaces its commands itself and, since only the latest scene matters, lets a burst collapse to
its last request instead of queueing it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

#: At most one group command per second.
GROUP_INTERVAL_S = 1.0
#: At most ten commands per light per second. The adapter only sends group actions, one per
#: second, so each light sees at most one command a second: inside this limit by construction.
LIGHT_INTERVAL_S = 0.1


class Pacer:
    """Keeps commands to one target at least ``interval_s`` apart (an attempt counts too)."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self._clock = clock
        self._last: float | None = None

    def ready_at(self) -> float:
        """The monotonic time from which the next command may go."""
        return float("-inf") if self._last is None else self._last + self.interval_s

    def wait_s(self) -> float:
        return max(0.0, self.ready_at() - self._clock())

    def sent(self) -> None:
        self._last = self._clock()


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential retry delay: ``first_s``, then doubling, never beyond ``cap_s``.

    Capped at 30 s by default so that a bridge that comes back is noticed (and the scene
    re-applied) within half a minute, while a dead one costs one short request per 30 s.
    """

    first_s: float = 1.0
    factor: float = 2.0
    cap_s: float = 30.0

    def delay(self, failures: int) -> float:
        """The wait after ``failures`` failures in a row (1 = the first)."""
        return min(self.cap_s, self.first_s * self.factor ** max(0, failures - 1))
