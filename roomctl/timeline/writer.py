"""The store writer thread: the GUI hands records over and never waits on a disk or a server.

Everything written to the timeline goes through one :class:`TimelineWriter`. Calls only validate
and enqueue; a daemon thread drains the queue in order, commits each batch in one transaction
and then announces the committed events through ``dispatch`` (Qt's event loop in the app), so
"done" is shown only once it is durable. When the database fails, the batch is kept and retried
with back-off while the failure is reported: nothing is dropped and nothing overtakes anything.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeAlias

from sqlalchemy.exc import SQLAlchemyError

from roomctl.timeline.errors import StoreError
from roomctl.timeline.events import Event, Sample, WaveChunk
from roomctl.timeline.queue_items import (
    CreateSession,
    Flush,
    Heartbeat,
    QueueItem,
    Release,
    SampleBatch,
    SessionOp,
    Stop,
    weight_of,
)
from roomctl.timeline.sessions import NewSession
from roomctl.timeline.store import TimelineStore
from roomctl.timeline.validate import check_event, check_new_session, check_sample, check_wave

log = logging.getLogger(__name__)

Dispatch: TypeAlias = Callable[[Callable[[], None]], None]

THREAD_NAME = "timeline-writer"
# Failures worth retrying: the database or the disk may come back. StoreError covers what
# TimelineStore raises itself (it wraps driver errors in StoreUnavailable / StoreError).
RETRYABLE: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, StoreError)


@dataclass(frozen=True)
class StoreStatus:
    """Whether the last write attempt reached the database; ``error`` is one line, no password."""

    ok: bool
    error: str | None
    pending: int


@dataclass(frozen=True)
class WriterStats:
    """Counters since start; ``pending`` counts records accepted but not yet committed."""

    committed_events: int
    committed_samples: int
    batches: int
    retries: int
    pending: int


class _Abandoned(Exception):
    """close() gave up waiting: the thread stops retrying and leaves what is unwritten."""


class TimelineWriter:
    """Writes timeline records on its own thread, in order, batched, retrying until stored.

    ``dispatch`` runs a callable on the thread of the caller's choice; ``on_committed`` receives
    each committed batch's events and ``on_status`` each change of store health, both through
    ``dispatch``. ``retry_initial_s``/``retry_max_s`` shape the back-off (tests shorten it).
    """

    def __init__(
        self,
        store: TimelineStore,
        *,
        dispatch: Dispatch = lambda f: f(),
        on_committed: Callable[[list[Event]], None] | None = None,
        on_status: Callable[[StoreStatus], None] | None = None,
        max_batch: int = 1000,
        linger_s: float = 0.02,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 2.0,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._store = store
        self._dispatch = dispatch
        self._on_committed = on_committed
        self._on_status = on_status
        self._max_batch = max_batch
        self._linger_s = max(0.0, linger_s)
        self._retry_initial_s = retry_initial_s
        self._retry_max_s = retry_max_s
        self._queue: queue.Queue[QueueItem] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._abandon = threading.Event()
        self._failing = False
        self._lock = threading.Lock()
        self._pending = 0
        self._committed_events = 0
        self._committed_samples = 0
        self._batches = 0
        self._retries = 0

    # ----------------------------------------------------------------------- caller's side
    def start(self) -> None:
        """Start the writer thread (once)."""
        if self._thread is not None:
            raise RuntimeError("the timeline writer is already started")
        if self._closed:
            raise RuntimeError("the timeline writer is closed")
        self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def create_session(self, s: NewSession, owner_host: str, owner_pid: int) -> None:
        """Queue the creation of a session; events appended after this call follow it."""
        self._put(CreateSession(check_new_session(s), owner_host, owner_pid), 1)

    def append(self, event: Event) -> None:
        """Queue one event. Validates here (ValueError) so a bad event never blocks the queue."""
        self._put(check_event(event), 1)

    def append_samples(self, samples: Sequence[Sample]) -> None:
        """Queue samples (they are written in the same transactions as nearby events)."""
        checked = tuple(check_sample(s) for s in samples)
        if checked:
            self._put(SampleBatch(checked), len(checked))

    def append_wave(self, chunk: WaveChunk) -> None:
        """Queue one wave chunk."""
        self._put(check_wave(chunk), 1)

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None:
        """Queue a liveness mark for the session (see ``TimelineStore.heartbeat``)."""
        if isinstance(t, bool) or not isinstance(t, int | float) or not math.isfinite(t):
            raise ValueError(f"heartbeat t must be a finite number, not {t!r}")
        if not isinstance(wall, datetime):
            raise ValueError(f"heartbeat wall must be a datetime, not {type(wall).__name__}")
        self._put(Heartbeat(session_id, float(t), wall, owner_host, owner_pid), 1)

    def release(self, session_id: str) -> None:
        """Queue the release of a session on clean shutdown."""
        self._put(Release(session_id), 1)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued before this call is committed; False on timeout."""
        if self._closed:
            return self.stats.pending == 0
        self._refuse_own_thread("flush")
        done = threading.Event()
        self._queue.put(Flush(done))
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Flush (up to ``timeout``), then stop the thread. Later calls raise RuntimeError.

        If the database stays unreachable for the whole timeout the thread gives up and what
        is still unwritten is logged as lost: closing must not hang the application.
        """
        if self._closed:
            return
        self._refuse_own_thread("close")
        deadline = time.monotonic() + timeout
        flushed = self._thread is not None and self.flush(timeout)
        self._closed = True
        if self._thread is not None:
            if not flushed:
                self._abandon.set()
            self._queue.put(Stop())
            self._thread.join(max(0.1, deadline - time.monotonic()))
        pending = self.stats.pending
        if pending:
            log.error("timeline writer closed with %d records not written", pending)

    @property
    def stats(self) -> WriterStats:
        """A consistent snapshot of the counters."""
        with self._lock:
            return WriterStats(
                committed_events=self._committed_events,
                committed_samples=self._committed_samples,
                batches=self._batches,
                retries=self._retries,
                pending=self._pending,
            )

    def _refuse_own_thread(self, what: str) -> None:
        """A callback run synchronously on the writer thread must not wait for that thread."""
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                f"TimelineWriter.{what}() called on the writer thread (from a callback run "
                "without a dispatcher); it would wait for itself"
            )

    def _put(self, item: QueueItem, weight: int) -> None:
        if self._closed:
            raise RuntimeError("the timeline writer is closed")
        with self._lock:
            self._pending += weight
        self._queue.put(item)

    # ------------------------------------------------------------------------ writer thread
    def _run(self) -> None:
        try:
            while self._process(self._collect()):
                pass
        except _Abandoned:
            log.warning("timeline writer stopped before the store came back")
        except BaseException:
            log.critical("timeline writer thread crashed", exc_info=True)
            raise

    def _collect(self) -> list[QueueItem]:
        """The next batch: block for one item, then take more for up to ``linger_s``."""
        first = self._queue.get()
        items = [first]
        size = weight_of(first)
        if isinstance(first, Flush | Stop):
            return items
        deadline = time.monotonic() + self._linger_s
        while size < self._max_batch:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    item = self._queue.get(timeout=remaining)
                except queue.Empty:
                    break
            items.append(item)
            size += weight_of(item)
            if isinstance(item, Flush | Stop):
                break  # someone waits: write now
        return items

    def _process(self, items: list[QueueItem]) -> bool:
        """Write ``items`` in order; False once the stop sentinel is reached."""
        events: list[Event] = []
        samples: list[Sample] = []
        waves: list[WaveChunk] = []

        def write_appends() -> None:
            if events or samples or waves:
                self._commit_append(events.copy(), samples.copy(), waves.copy())
                events.clear()
                samples.clear()
                waves.clear()

        for item in items:
            if isinstance(item, Event):
                events.append(item)
            elif isinstance(item, SampleBatch):
                samples.extend(item.samples)
            elif isinstance(item, WaveChunk):
                waves.append(item)
            else:
                write_appends()  # everything before an operation is written before it
                if isinstance(item, Flush):
                    item.done.set()
                elif isinstance(item, Stop):
                    return False
                else:
                    self._commit_op(item)
        write_appends()
        return True

    def _commit_append(
        self, events: list[Event], samples: list[Sample], waves: list[WaveChunk]
    ) -> None:
        recovered = self._with_retry(lambda: self._store.append(events, samples, waves))
        with self._lock:
            self._pending -= len(events) + len(samples) + len(waves)
            self._committed_events += len(events)
            self._committed_samples += len(samples)
            self._batches += 1
        if recovered:
            self._report_recovered()
        if events and self._on_committed is not None:
            callback = self._on_committed
            self._announce(lambda: callback(events))

    def _commit_op(self, op: SessionOp) -> None:
        store = self._store
        if isinstance(op, CreateSession):
            write = partial(store.create_session, op.session, op.owner_host, op.owner_pid)
        elif isinstance(op, Heartbeat):
            write = partial(
                store.heartbeat, op.session_id, op.t, op.wall, op.owner_host, op.owner_pid
            )
        else:
            write = partial(store.release, op.session_id)
        recovered = self._with_retry(write)
        with self._lock:
            self._pending -= 1
        if recovered:
            self._report_recovered()

    def _with_retry(self, write: Callable[[], None]) -> bool:
        """Run ``write`` until it succeeds, backing off 0.1 s doubling to 2 s between tries.

        Returns whether earlier attempts had failed (the caller then reports the recovery, once
        its counters are up to date). Failures outside RETRYABLE are programming errors, yet
        they are retried too (and logged with their traceback once): losing clinical records or
        the thread would be worse.
        """
        delay = self._retry_initial_s
        logged_unexpected = False
        while True:
            try:
                write()
            except RETRYABLE as exc:
                self._failed(exc)
            except Exception as exc:  # see docstring: never drop, never die
                if not logged_unexpected:
                    log.exception("unexpected error writing the timeline; retrying")
                    logged_unexpected = True
                self._failed(exc)
            else:
                recovered, self._failing = self._failing, False
                return recovered
            if self._abandon.wait(delay):
                raise _Abandoned
            delay = min(delay * 2, self._retry_max_s)

    def _failed(self, exc: BaseException) -> None:
        self._failing = True
        with self._lock:
            self._retries += 1
            pending = self._pending
        error = self._store.describe_error(exc)
        log.warning("timeline write failed (%d records waiting): %s", pending, error)
        self._report(StoreStatus(ok=False, error=error, pending=pending))

    def _report_recovered(self) -> None:
        self._report(StoreStatus(ok=True, error=None, pending=self.stats.pending))

    def _report(self, status: StoreStatus) -> None:
        if self._on_status is not None:
            callback = self._on_status
            self._announce(lambda: callback(status))

    def _announce(self, call: Callable[[], None]) -> None:
        """Hand ``call`` to ``dispatch``; a failing callback must not stop the writer."""
        try:
            self._dispatch(call)
        except Exception:  # a listener's bug must not stop the writes
            log.exception("timeline writer callback failed")
