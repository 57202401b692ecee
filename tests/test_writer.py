"""TimelineWriter: order, batching, durable-then-announced, flush, retries without loss."""

from __future__ import annotations

import math
import os
import queue
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from roomctl.timeline.events import Event, Kind, Sample, WaveChunk
from roomctl.timeline.store import NewSession, TimelineStore, describe_error
from roomctl.timeline.writer import THREAD_NAME, StoreStatus, TimelineWriter

REPO = Path(__file__).resolve().parent.parent
T0 = datetime(2024, 11, 25, 9, 30, tzinfo=UTC)
HOST = socket.gethostname()
PID = os.getpid()
SESSION = NewSession("s1", "room-1", "P-0042", 2, 40, 1.0, "demo", T0)


def event(seq: int, kind: Kind = Kind.NOTE) -> Event:
    data: dict[str, Any] = {"to": "infusing"} if kind is Kind.PHASE else {"n": seq}
    return Event("s1", seq, seq * 0.5, T0 + timedelta(seconds=seq), "room", kind, data)


def outage() -> OperationalError:
    """What SQLAlchemy raises when the server goes away mid-write."""
    reason = ConnectionError("server closed the connection unexpectedly\n\tThis probably means")
    return OperationalError("INSERT INTO events ...", {}, reason)


class FlakyStore(TimelineStore):
    """A real store whose first ``failures`` writes raise, and that records each batch.

    With ``lose_acks`` the next writes commit and *then* raise, as when a server dies between
    committing and answering.
    """

    def __init__(self, url: str, *, failures: int = 0, lose_acks: int = 0) -> None:
        super().__init__(url)
        self.failures = failures
        self.lose_acks = lose_acks
        self.batches: list[list[int]] = []
        self.gate = threading.Event()
        self.gate.set()

    def _before(self) -> None:
        self.gate.wait()
        if self.failures > 0:
            self.failures -= 1
            raise outage()

    def _after(self) -> None:
        if self.lose_acks > 0:
            self.lose_acks -= 1
            raise outage()

    def append(
        self,
        events: Sequence[Event],
        samples: Sequence[Sample] = (),
        waves: Sequence[WaveChunk] = (),
    ) -> None:
        self._before()
        super().append(events, samples, waves)
        self.batches.append([e.seq for e in events])
        self._after()

    def create_session(self, s: NewSession, owner_host: str, owner_pid: int) -> None:
        self._before()
        super().create_session(s, owner_host, owner_pid)
        self._after()

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None:
        self._before()
        super().heartbeat(session_id, t, wall, owner_host, owner_pid)
        self._after()


class GuiLoop:
    """Stands in for Qt's event loop: dispatched callables wait until the test thread runs them."""

    def __init__(self) -> None:
        self.calls: queue.Queue[Callable[[], None]] = queue.Queue()
        self.dispatching_threads: set[str] = set()

    def dispatch(self, call: Callable[[], None]) -> None:
        self.dispatching_threads.add(threading.current_thread().name)
        self.calls.put(call)

    def run_pending(self) -> None:
        while not self.calls.empty():
            self.calls.get_nowait()()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'timeline.db'}"


@pytest.fixture
def flaky(sqlite_url: str) -> Iterator[FlakyStore]:
    with FlakyStore(sqlite_url) as store:
        yield store


@contextmanager
def running(store: TimelineStore, **options: Any) -> Iterator[TimelineWriter]:
    """A started writer, closed (and its thread joined) afterwards."""
    options.setdefault("retry_initial_s", 0.001)
    options.setdefault("retry_max_s", 0.01)
    writer = TimelineWriter(store, **options)
    writer.start()
    try:
        yield writer
    finally:
        writer.close(timeout=5)


# ----------------------------------------------------------------------------- order, batches
def test_everything_is_written_in_order(store: TimelineStore) -> None:
    with running(store) as writer:
        writer.create_session(SESSION, HOST, PID)
        for seq in range(1, 41):
            writer.append(event(seq, Kind.PHASE if seq == 20 else Kind.NOTE))
            if seq % 10 == 0:
                writer.heartbeat("s1", seq * 0.5, T0 + timedelta(seconds=seq), HOST, PID)
        writer.append_samples([Sample("s1", "hr", 1.0, 70.0), Sample("s1", "hr", 2.0, 71.0)])
        writer.append_wave(WaveChunk("s1", "pleth", 0.0, 100.0, (0.5, 0.25)))
        assert writer.flush()
        assert writer.stats.pending == 0
    assert store.events("s1") == [
        event(seq, Kind.PHASE if seq == 20 else Kind.NOTE) for seq in range(1, 41)
    ]
    info = store.session("s1")
    assert (info.phase, info.last_t) == ("infusing", 20.0)
    assert [s.value for s in store.samples("s1", "hr")] == [70.0, 71.0]
    assert len(store.waves("s1", "pleth")) == 1
    assert store.verify("s1").ok


def test_batches_never_exceed_max_batch(flaky: FlakyStore) -> None:
    flaky.create_session(SESSION, HOST, PID)
    writer = TimelineWriter(flaky, max_batch=10)
    for seq in range(1, 36):  # all queued before the thread starts: batches are full
        writer.append(event(seq))
    writer.start()
    writer.close()
    assert flaky.batches == [
        list(range(1, 11)),
        list(range(11, 21)),
        list(range(21, 31)),
        list(range(31, 36)),
    ]
    stats = writer.stats
    assert (stats.committed_events, stats.batches, stats.pending, stats.retries) == (35, 4, 0, 0)


def test_a_burst_is_one_transaction(flaky: FlakyStore) -> None:
    flaky.create_session(SESSION, HOST, PID)
    writer = TimelineWriter(flaky)
    for seq in range(1, 501):
        writer.append(event(seq))
    writer.append_samples([Sample("s1", "hr", float(i), 60.0 + i) for i in range(100)])
    writer.start()
    writer.close()
    assert flaky.batches == [list(range(1, 501))]
    assert writer.stats.committed_samples == 100


def test_an_operation_splits_the_batch_but_keeps_its_place(flaky: FlakyStore) -> None:
    writer = TimelineWriter(flaky)
    writer.create_session(SESSION, HOST, PID)
    writer.append(event(1))
    writer.heartbeat("s1", 99.0, T0, HOST, PID)
    writer.append(event(2))
    writer.start()
    writer.close()
    assert flaky.batches == [[1], [2]]
    assert flaky.session("s1").last_t == event(2).t  # the heartbeat came between the events


# -------------------------------------------------------------------------------- callbacks
def test_committed_events_are_announced_through_dispatch(flaky: FlakyStore) -> None:
    loop = GuiLoop()
    announced: list[tuple[str, list[int], list[int]]] = []

    def on_committed(events: list[Event]) -> None:
        durable = [e.seq for e in flaky.events("s1")]  # shown only once stored
        announced.append((threading.current_thread().name, [e.seq for e in events], durable))

    with running(flaky, dispatch=loop.dispatch, on_committed=on_committed) as writer:
        writer.create_session(SESSION, HOST, PID)
        for seq in range(1, 6):
            writer.append(event(seq))
        assert writer.flush()
        assert announced == []  # nothing runs behind the "GUI thread"'s back
        loop.run_pending()
    assert loop.dispatching_threads == {THREAD_NAME}
    assert [name for name, _, _ in announced] == [threading.current_thread().name] * len(announced)
    assert [seq for _, seqs, _ in announced for seq in seqs] == [1, 2, 3, 4, 5]
    assert all(set(seqs) <= set(durable) for _, seqs, durable in announced)


def test_a_failing_callback_does_not_stop_the_writer(
    flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    def explode(_events: list[Event]) -> None:
        raise RuntimeError("listener bug")

    with running(flaky, on_committed=explode) as writer:
        writer.create_session(SESSION, HOST, PID)
        writer.append(event(1))
        assert writer.flush()
        writer.append(event(2))
        assert writer.flush()
    assert [e.seq for e in flaky.events("s1")] == [1, 2]
    assert "callback failed" in caplog.text


def test_flush_from_a_callback_on_the_writer_thread_is_refused(flaky: FlakyStore) -> None:
    errors: list[str] = []

    def on_committed(_events: list[Event]) -> None:
        try:
            writer.flush()
        except RuntimeError as exc:
            errors.append(str(exc))

    with running(flaky, on_committed=on_committed) as writer:
        writer.create_session(SESSION, HOST, PID)
        writer.append(event(1))
        assert writer.flush()
    assert len(errors) == 1
    assert "writer thread" in errors[0]


# ------------------------------------------------------------------------------------ flush
def test_flush_waits_for_what_was_queued_before_it(flaky: FlakyStore) -> None:
    flaky.create_session(SESSION, HOST, PID)
    with running(flaky) as writer:
        flaky.gate.clear()  # the database hangs
        writer.append(event(1))
        assert not writer.flush(timeout=0.05)
        assert writer.stats.pending == 1
        flaky.gate.set()
        assert writer.flush(timeout=5)
        assert [e.seq for e in flaky.events("s1")] == [1]
        assert writer.flush(timeout=5)  # nothing queued: returns at once


def test_invalid_records_fail_in_the_callers_thread(flaky: FlakyStore) -> None:
    with running(flaky) as writer:
        bad = Event("s1", 1, 0.0, T0, "room", Kind.NOTE, {"x": math.nan})
        with pytest.raises(ValueError, match="nan"):
            writer.append(bad)
        with pytest.raises(ValueError, match="to"):
            writer.append(Event("s1", 1, 0.0, T0, "room", Kind.PHASE, {}))
        with pytest.raises(ValueError, match="finite"):
            writer.append_samples([Sample("s1", "hr", math.inf, 1.0)])
        with pytest.raises(ValueError, match="heartbeat t"):
            writer.heartbeat("s1", math.nan, T0, HOST, PID)
        with pytest.raises(ValueError, match="mode"):
            writer.create_session(NewSession("x", "r", "p", 1, 1, 1.0, "live", T0), HOST, PID)
        assert writer.stats.pending == 0


def test_close_flushes_then_refuses_more(flaky: FlakyStore) -> None:
    writer = TimelineWriter(flaky)
    writer.start()
    writer.create_session(SESSION, HOST, PID)
    writer.append(event(1))
    writer.release("s1")
    writer.close()
    writer.close()  # idempotent
    assert [e.seq for e in flaky.events("s1")] == [1]
    assert flaky.session("s1").status == "interrupted"  # released
    assert not any(t.name == THREAD_NAME and t.is_alive() for t in threading.enumerate())
    with pytest.raises(RuntimeError, match="closed"):
        writer.append(event(2))


def test_close_gives_up_when_the_store_never_comes_back(
    flaky: FlakyStore, caplog: pytest.LogCaptureFixture
) -> None:
    flaky.create_session(SESSION, HOST, PID)
    flaky.failures = 10**9
    writer = TimelineWriter(flaky, retry_initial_s=0.001, retry_max_s=0.01)
    writer.start()
    writer.append(event(1))
    writer.close(timeout=0.2)
    assert not any(t.name == THREAD_NAME and t.is_alive() for t in threading.enumerate())
    assert writer.stats.pending == 1
    assert "1 records not written" in caplog.text


# ---------------------------------------------------------------------------------- retries
def test_failures_are_retried_without_loss_and_reported(flaky: FlakyStore) -> None:
    statuses: list[StoreStatus] = []
    with running(flaky, on_status=statuses.append, max_batch=5) as writer:
        flaky.failures = 2  # the create's first two attempts fail
        writer.create_session(SESSION, HOST, PID)
        assert writer.flush(timeout=10)
        flaky.failures = 3  # then three attempts at appending
        for seq in range(1, 21):
            writer.append(event(seq))
        writer.heartbeat("s1", 10.0, T0 + timedelta(seconds=20), HOST, PID)
        for seq in range(21, 31):
            writer.append(event(seq))
        assert writer.flush(timeout=10)
        stats = writer.stats
    assert [e.seq for e in flaky.events("s1")] == list(range(1, 31))
    assert [seq for batch in flaky.batches for seq in batch] == list(range(1, 31))
    assert flaky.verify("s1").ok
    assert (stats.retries, stats.committed_events, stats.pending) == (5, 30, 0)
    # Each failed attempt is reported, then the recovery once.
    assert [s.ok for s in statuses] == [False, False, True, False, False, False, True]
    expected = "server closed the connection unexpectedly This probably means"
    assert all(s.error == expected and s.pending >= 1 for s in statuses if not s.ok)
    assert statuses[-1] == StoreStatus(ok=True, error=None, pending=statuses[-1].pending)


def test_a_lost_commit_acknowledgement_writes_nothing_twice(store_url: str) -> None:
    with FlakyStore(store_url, lose_acks=2) as store, running(store) as writer:
        writer.create_session(SESSION, HOST, PID)  # committed, ack lost, retried
        for seq in range(1, 11):
            writer.append(event(seq))
        writer.append_samples([Sample("s1", "spo2", 1.0, 97.0)])
        assert writer.flush(timeout=10)
        assert [e.seq for e in store.events("s1")] == list(range(1, 11))
        assert len(store.samples("s1", "spo2")) == 1
        assert store.verify("s1").ok
        assert writer.stats.retries == 2


def test_error_lines_never_carry_the_password() -> None:
    url = "postgresql+psycopg://nurse:s3cret@db/roomctl"
    reason = ConnectionError('FATAL:  password authentication failed (tried "s3cret")\nretry')
    line = describe_error(OperationalError("SELECT 1", {}, reason), url)
    assert line == 'FATAL: password authentication failed (tried "***") retry'


# ----------------------------------------------------------------------- a real server outage
@pytest.mark.system
def test_a_server_restart_loses_nothing(
    own_pg_server: tuple[str, Callable[[], None], Callable[[], None]],
) -> None:
    url, stop, start = own_pg_server
    statuses: queue.Queue[StoreStatus] = queue.Queue()
    with (
        TimelineStore(url) as store,
        running(store, on_status=statuses.put, retry_initial_s=0.01, retry_max_s=0.2) as writer,
    ):
        writer.create_session(SESSION, HOST, PID)
        for seq in range(1, 11):
            writer.append(event(seq))
        assert writer.flush()
        stop()
        for seq in range(11, 21):
            writer.append(event(seq))
        down = statuses.get(timeout=10)
        assert not down.ok
        assert down.error is not None
        assert "\n" not in down.error
        assert down.pending >= 1
        start()
        assert writer.flush(timeout=30)
        while not statuses.get(timeout=10).ok:  # failures reported until the retry succeeded
            pass
        assert [e.seq for e in store.events("s1")] == list(range(1, 21))
        assert store.verify("s1").ok
