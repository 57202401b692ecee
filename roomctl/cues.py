"""Running timed work on the Room's thread: the interface the Room schedules through, and a
stepped scheduler on a fake clock for the pure core's tests. The app's implementation is
APScheduler's QtScheduler (``app/scheduler.py``), kept out of the core because it needs Qt.

Jobs are addressed by id so the Room can re-sync its whole cue plan after every change (pause,
extend, phase change) by replacing and cancelling ids, never by editing jobs in place.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from typing import Protocol

from roomctl.clock import FakeClock
from roomctl.plan import Cue


class Scheduler(Protocol):
    def at(self, job_id: str, due_t: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` once at session time ``due_t`` (at once if past); replaces ``job_id``."""
        ...

    def every(self, job_id: str, real_seconds: float, fn: Callable[[], None]) -> None:
        """Run ``fn`` every ``real_seconds`` of real time (heartbeats, UI ticks)."""
        ...

    def cancel(self, job_id: str) -> None: ...

    def job_ids(self) -> set[str]: ...

    def shutdown(self) -> None: ...


class SteppedScheduler:
    """Runs jobs when told to, advancing a :class:`FakeClock` to each job's due time.

    Deterministic: the pure core's tests drive a whole session (and a resumed one) with it.
    """

    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock
        self._order = itertools.count()
        self._heap: list[tuple[float, int, str]] = []
        self._jobs: dict[str, tuple[float, int, Callable[[], None], float | None]] = {}

    def at(self, job_id: str, due_t: float, fn: Callable[[], None]) -> None:
        self._add(job_id, due_t, fn, None)

    def every(self, job_id: str, real_seconds: float, fn: Callable[[], None]) -> None:
        interval = real_seconds * self._clock.speed
        self._add(job_id, self._clock.now() + interval, fn, interval)

    def _add(
        self, job_id: str, due_t: float, fn: Callable[[], None], interval: float | None
    ) -> None:
        order = next(self._order)
        self._jobs[job_id] = (due_t, order, fn, interval)
        heapq.heappush(self._heap, (due_t, order, job_id))

    def cancel(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)

    def job_ids(self) -> set[str]:
        return set(self._jobs)

    def next_due(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def _drop_stale(self) -> None:
        while self._heap:
            _due, order, job_id = self._heap[0]
            job = self._jobs.get(job_id)
            if job is not None and job[1] == order:
                return
            heapq.heappop(self._heap)

    def run_until(self, t: float) -> int:
        """Fire every job due up to session time ``t`` in order; returns how many ran."""
        ran = 0
        while (due := self.next_due()) is not None and due <= t:
            _, _order, job_id = heapq.heappop(self._heap)
            _, _, fn, interval = self._jobs.pop(job_id)
            if due > self._clock.now():
                self._clock.set(due)
            if interval is not None:
                self._add(job_id, due + interval, fn, interval)
            fn()
            ran += 1
        if t > self._clock.now():
            self._clock.set(t)
        return ran

    def advance(self, seconds: float) -> int:
        return self.run_until(self._clock.now() + seconds)

    def shutdown(self) -> None:
        self._jobs.clear()
        self._heap.clear()


CUE_PREFIX = "cue:"


class CueRunner:
    """Keeps a scheduler holding exactly a plan's pending cues, re-adding only what moved.

    Re-adding an unchanged job costs an APScheduler store update and adds jitter; cancelling
    what left the plan (a pause, a phase change) is what makes pausing shift the cues.
    """

    def __init__(self, scheduler: Scheduler) -> None:
        self._scheduler = scheduler
        self._due: dict[str, float] = {}

    def sync(self, pending: list[Cue], fire: Callable[[Cue], None]) -> None:
        wanted = {CUE_PREFIX + cue.id: cue for cue in pending}
        live = self._scheduler.job_ids()
        for job_id in live:
            if job_id.startswith(CUE_PREFIX) and job_id not in wanted:
                self._scheduler.cancel(job_id)
                self._due.pop(job_id, None)
        for job_id, cue in wanted.items():
            if job_id in live and self._due.get(job_id) == cue.due_t:
                continue
            self._scheduler.at(job_id, cue.due_t, lambda cue=cue: fire(cue))
            self._due[job_id] = cue.due_t

    def claim(self, cue: Cue) -> bool:
        """True once for a cue that fires as scheduled; False for a stale job."""
        job_id = CUE_PREFIX + cue.id
        if self._due.get(job_id) != cue.due_t:
            return False
        del self._due[job_id]
        return True

    def cancel_all(self) -> None:
        for job_id in self._scheduler.job_ids():
            if job_id.startswith(CUE_PREFIX):
                self._scheduler.cancel(job_id)
        self._due.clear()
