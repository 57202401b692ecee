"""kill -9 mid-session, many times: every committed event survives, the session is listed as
interrupted, and `roomctl resume ID` carries it on to discharge with the timeline intact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from roomctl.timeline.events import Event, Kind
from roomctl.timeline.store import TimelineStore

REPO = Path(__file__).resolve().parent.parent
SPEED = "2000"  # a whole session in about 2.5 s of real time

pytestmark = pytest.mark.system


class Child:
    """A roomctl process whose "committed N" lines are read as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=REPO,
            env=env,
        )
        self.committed = 0
        self.session_id: str | None = None
        self.output: list[str] = []
        self.first_commit = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith("committed "):
                self.committed = max(self.committed, int(line.split()[1]))
                self.first_commit.set()
            elif line.startswith("roomctl demo: session "):
                self.session_id = line.split()[3]
            else:
                self.output.append(line)
        self.proc.stdout.close()

    def kill_after(self, seconds: float) -> bool:
        """SIGKILL after ``seconds``; False if the process had already finished."""
        try:
            self.proc.wait(timeout=seconds)
            self._reader.join(5)
            return False
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self._reader.join(5)
            return True

    def finish(self, timeout: float = 60) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code


def session_status(store_url: str, session_id: str) -> str:
    with TimelineStore(store_url) as store:
        return store.session(session_id).status


@pytest.fixture
def env(tmp_path: Path, store_url: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    environ.update(
        ROOMCTL_DB=store_url,
        ROOMCTL_DATA_DIR=str(tmp_path / "data"),
        ROOMCTL_CONFIG=str(REPO / "config" / "roomctl.toml"),
        ROOMCTL_ECHO_COMMITS="1",
    )
    environ.pop("DISPLAY", None)
    return environ


def check_survivors(
    store_url: str, session_id: str, committed: int, before: list[Event]
) -> list[Event]:
    """Every event the dead process saw committed is there, unchanged, and the chain holds."""
    with TimelineStore(store_url) as store:
        events = store.events(session_id)
        verified = store.verify(session_id)
    seqs = [e.seq for e in events]
    assert seqs == list(range(1, len(seqs) + 1))
    assert len(events) >= committed
    assert events[: len(before)] == before, "an event changed after a crash"
    assert verified.ok, verified.reason
    return events


def run_and_kill_repeatedly(
    env: dict[str, str], store_url: str, rng: random.Random
) -> tuple[int, int]:
    """One session, killed at random moments and resumed until it is discharged."""
    child = Child(["demo", "--headless", "--speed", SPEED, "--minutes", "40"], env)
    assert child.first_commit.wait(30), "the demo never committed anything"
    killed = child.kill_after(rng.uniform(0.0, 2.5))
    assert child.session_id is not None
    session_id = child.session_id
    kills = 0
    resumers_that_committed = 0
    before: list[Event] = []
    while killed:
        kills += 1
        before = check_survivors(store_url, session_id, child.committed, before)
        status = session_status(store_url, session_id)
        if status == "discharged":
            break  # killed after its last commit, on its way out: nothing left to resume
        assert status == "interrupted"
        child = Child(["resume", session_id, "--headless"], env)
        killed = kills < 3 and child.kill_after(rng.uniform(0.2, 2.5))
        resumers_that_committed += child.first_commit.is_set()
        if not killed:
            assert child.finish() == 0, "".join(child.output)
    events = check_survivors(store_url, session_id, child.committed, before)
    assert session_status(store_url, session_id) == "discharged"
    phases = [e.data["to"] for e in events if e.kind == Kind.PHASE]
    assert phases[-1] == "discharged"
    assert phases == sorted(set(phases), key=phases.index), "a phase was entered twice"
    resumes = [e for e in events if e.kind == Kind.SYSTEM and e.data["action"] == "resumed"]
    # A resumer killed before its first commit leaves no trace; every other one does.
    assert resumers_that_committed <= len(resumes) <= kills
    return kills, len(events)


@pytest.mark.parametrize("round_", range(4))
def test_sigkill_mid_session_loses_nothing_and_resumes(
    env: dict[str, str], store_url: str, round_: int
) -> None:
    if store_url.startswith("postgresql") and round_ >= 2:
        pytest.skip("two rounds on PostgreSQL are enough; SQLite takes the rest")
    rng = random.Random(1000 + round_)
    started = time.monotonic()
    run_and_kill_repeatedly(env, store_url, rng)
    assert time.monotonic() - started < 120
