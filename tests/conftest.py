"""Shared fixtures: a timeline store on each engine.

``store_url`` runs a test once on a SQLite file and once on PostgreSQL. PostgreSQL needs a
server URL in ``ROOMCTL_TEST_PG`` (``scripts/pg-test-server start DIR`` prints one); each test
gets a database of its own, dropped afterwards. Without the variable the PostgreSQL runs are
skipped, or fail when ``ROOMCTL_REQUIRE_PG=1`` (CI), so a missing server is never silent there.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as app/__init__.py: before numpy loads
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url

from devices.sim.hue_bridge import HueBridgeSim
from roomctl.timeline.store import TimelineStore

REPO = Path(__file__).resolve().parent.parent
PG_ENV = "ROOMCTL_TEST_PG"
REQUIRE_PG_ENV = "ROOMCTL_REQUIRE_PG"


def _postgres_server() -> str:
    url = os.environ.get(PG_ENV, "").strip()
    if url:
        return url
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(
            f"{REQUIRE_PG_ENV}=1 but {PG_ENV} is not set: start a server with "
            f"`scripts/pg-test-server start DIR` and export {PG_ENV}=<the URL it prints>",
            pytrace=False,
        )
    pytest.skip(f"{PG_ENV} not set (scripts/pg-test-server start DIR prints a server URL)")


@pytest.fixture
def fresh_pg_database() -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped after the test."""
    server = _postgres_server()
    name = f"roomctl_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.system)],
)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for an empty timeline store: a SQLite file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'timeline.db'}"
    return str(request.getfixturevalue("fresh_pg_database"))


@pytest.fixture
def store(store_url: str) -> Iterator[TimelineStore]:
    """An opened (migrated) TimelineStore on ``store_url``, closed after the test."""
    with TimelineStore(store_url) as opened:
        yield opened


@pytest.fixture
def sim() -> Iterator[HueBridgeSim]:
    """A Hue bridge simulator with three lights on loopback, stopped after the test."""
    bridge = HueBridgeSim(lights=3)
    bridge.start()
    yield bridge
    bridge.stop()


@pytest.fixture(autouse=True)
def _private_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """No test writes into the real user's data or config folders (user books, demo music,
    voice notes, captures): each test gets its own."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("ROOMCTL_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("ROOMCTL_USERS", str(home / "config" / "users.json"))


@pytest.fixture
def own_pg_server() -> Iterator[tuple[str, Callable[[], None], Callable[[], None]]]:
    """A private PostgreSQL server: (url, stop, start). Needs the server binaries."""
    script = REPO / "scripts" / "pg-test-server"
    folder = tempfile.mkdtemp(prefix="roomctl-pg-")

    def run(action: str) -> str:
        done = subprocess.run(
            [str(script), action, folder], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip())
        return done.stdout.strip()

    try:
        try:
            url = run("start")
        except RuntimeError as exc:
            if os.environ.get("ROOMCTL_REQUIRE_PG") == "1":
                pytest.fail(f"cannot start a PostgreSQL server: {exc}", pytrace=False)
            pytest.skip(f"no PostgreSQL server here: {exc}")

        def stop() -> None:
            run("stop")

        def start() -> None:
            assert run("start") == url  # same data directory, same port, same URL

        yield url, stop, start
    finally:
        if (Path(folder) / "data").exists():
            run("stop")
        shutil.rmtree(folder, ignore_errors=True)
