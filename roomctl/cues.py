"""Running timed work on the Room's thread: APScheduler's QtScheduler in the app, a stepped
scheduler on a fake clock in tests and benchmarks of the pure core.

Jobs are addressed by id so the Room can re-sync its whole cue plan after every change (pause,
extend, phase change) by replacing and cancelling ids, never by editing jobs in place.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from roomctl.clock import Clock, FakeClock


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


class ApsScheduler:
    """APScheduler 3's QtScheduler with a DebugExecutor: jobs run in the Qt (GUI) thread.

    The thread-pool executor that QtScheduler uses by default would run cues on a worker
    thread with ~8 ms jitter; the Room is single-threaded by design, so jobs must run where
    it lives. Needs a QCoreApplication (or QApplication) to exist.
    """

    def __init__(self, clock: Clock) -> None:
        from apscheduler.executors.debug import DebugExecutor
        from apscheduler.schedulers.qt import QtScheduler

        self._clock = clock
        self._ids: set[str] = set()
        self._scheduler = QtScheduler(
            executors={"default": DebugExecutor()},
            job_defaults={"misfire_grace_time": None, "coalesce": False, "max_instances": 1},
            timezone=UTC,
        )
        self._scheduler.start()

    def _run_date(self, due_t: float) -> datetime:
        delay = self._clock.real_delay(due_t - self._clock.now())
        return datetime.now(UTC) + timedelta(seconds=delay)

    def at(self, job_id: str, due_t: float, fn: Callable[[], None]) -> None:
        def run() -> None:
            self._ids.discard(job_id)
            fn()

        self._scheduler.add_job(
            run, "date", run_date=self._run_date(due_t), id=job_id, replace_existing=True
        )
        self._ids.add(job_id)

    def every(self, job_id: str, real_seconds: float, fn: Callable[[], None]) -> None:
        self._scheduler.add_job(
            fn, "interval", seconds=real_seconds, id=job_id, replace_existing=True
        )
        self._ids.add(job_id)

    def cancel(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        self._ids.discard(job_id)
        with contextlib.suppress(JobLookupError):  # it fired (or was cancelled) already
            self._scheduler.remove_job(job_id)

    def job_ids(self) -> set[str]:
        return set(self._ids)

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._ids.clear()


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
