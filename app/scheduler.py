"""APScheduler 3 on the Qt event loop, so cues run in the thread that owns the Room.

Two traps, both handled here:

* QtScheduler's default executor is a thread pool: jobs would run off the GUI thread with
  ~8 ms jitter. A DebugExecutor runs them in the Qt thread (~0.2 ms).
* QtScheduler arms its wake-up with ``QTimer.singleShot(ms, callable)``, which under PySide6
  returns None, so it can never cancel a pending wake-up: every ``add_job`` leaves one more
  timer behind, each re-arming itself when it fires. After a few hundred cues the process
  died with "Fatal Python error: none_dealloc" (seen here with PySide6 6.12, APScheduler
  3.11.3; the deeper cause is PySide6 6.12.0 itself, see docs/decisions/0003).
  :class:`_OneTimerQtScheduler` keeps one precise QTimer and restarts it instead.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.debug import DebugExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.qt import QtScheduler
from PySide6.QtCore import Qt, QTimer

from roomctl.clock import Clock


class _OneTimerQtScheduler(QtScheduler):
    """QtScheduler with a single, restartable wake-up timer."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._wake = QTimer()
        self._wake.setSingleShot(True)
        # Qt's default coarse timers may fire up to 5 % of the interval late.
        self._wake.setTimerType(Qt.TimerType.PreciseTimer)
        self._wake.timeout.connect(self._process_jobs)

    def _start_timer(self, wait_seconds: float | None) -> None:
        self._wake.stop()
        if wait_seconds is not None:
            self._wake.start(min(int(wait_seconds * 1000), 2_147_483_647))

    def _stop_timer(self) -> None:
        wake = getattr(self, "_wake", None)
        if wake is not None:
            wake.stop()


class ApsScheduler:
    """The Room's :class:`roomctl.cues.Scheduler` on APScheduler; needs a Q(Core)Application."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._ids: set[str] = set()
        self._scheduler = _OneTimerQtScheduler(
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
        self._ids.discard(job_id)
        with contextlib.suppress(JobLookupError):  # it fired (or was cancelled) already
            self._scheduler.remove_job(job_id)

    def job_ids(self) -> set[str]:
        return set(self._ids)

    def shutdown(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._ids.clear()
