"""The headless demo end to end, through the real command line and a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from app.cli import main

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.system


def roomctl(
    *args: str, env: dict[str, str], timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=timeout,
        check=False,
    )


def clean_env(tmp_path: Path, store_url: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    environ.update(
        ROOMCTL_DB=store_url,
        ROOMCTL_DATA_DIR=str(tmp_path / "data"),
        ROOMCTL_CONFIG=str(REPO / "config" / "roomctl.toml"),
    )
    environ.pop("DISPLAY", None)
    environ.pop("QT_QPA_PLATFORM", None)
    return environ


@pytest.fixture
def env(tmp_path: Path, store_url: str) -> dict[str, str]:
    return clean_env(tmp_path, store_url)


@pytest.fixture
def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(tmp_path, f"sqlite:///{tmp_path / 'timeline.db'}")


def test_a_40_minute_demo_at_240x_records_2400_seconds_of_infusion(env: dict[str, str]) -> None:
    started = time.monotonic()
    result = roomctl("demo", "--headless", "--speed", "240", "--minutes", "40", env=env)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert took < 60
    assert "Phases (session time):" in result.stdout
    assert "Events:" in result.stdout

    listing = roomctl("sessions", "list", "--json", env=env)
    assert listing.returncode == 0, listing.stderr
    (session,) = json.loads(listing.stdout)
    assert session["status"] == "discharged"
    assert session["planned_minutes"] == 40
    assert {"id", "room", "patient", "status", "planned_minutes", "started_at"} <= set(session)
    assert session["started_at"].endswith("Z")

    shown = roomctl("sessions", "show", session["id"], "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["session"]["id"] == session["id"]
    events = doc["events"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert all({"seq", "t", "wall", "source", "kind", "data"} == set(e) for e in events)
    phases = [(e["data"]["to"], e["t"]) for e in events if e["kind"] == "phase"]
    assert [p for p, _ in phases] == ["ready", "preparing", "infusing", "recovering", "discharged"]
    times = dict(phases)
    assert times["recovering"] - times["infusing"] == pytest.approx(2400, rel=0.01)
    kinds = {e["kind"] for e in events}
    assert {
        "phase",
        "cue",
        "lights",
        "music",
        "soundscape",
        "recovery",
        "reminder",
        "note",
    } <= kinds

    verified = roomctl("sessions", "verify", session["id"], env=env)
    assert verified.returncode == 0, verified.stderr
    assert "intact" in verified.stdout


def test_user_errors_are_one_line_without_a_traceback(sqlite_env: dict[str, str]) -> None:
    env = sqlite_env
    for args in (
        ("sessions", "show", "no-such-session"),
        ("resume", "no-such-session"),
        ("demo", "--headless", "--minutes", "90"),
        ("demo", "--headless", "--speed", "fast"),
        ("sessions", "frobnicate"),
    ):
        result = roomctl(*args, env=env)
        assert result.returncode != 0, args
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [
        (),
        ("app",),
        ("demo",),
        ("sessions",),
        ("sessions", "list"),
        ("sessions", "show"),
        ("sessions", "verify"),
        ("resume",),
        ("config", "check"),
    ],
)
def test_every_subcommand_has_help(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*args, "--help"])
    assert exited.value.code == 0
    assert "usage: roomctl" in capsys.readouterr().out


def test_sessions_verify_names_the_row_edited_with_plain_sql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The audit chain, from the command line: a demo session, then an edit behind its back."""
    env = clean_env(tmp_path, f"sqlite:///{tmp_path / 'timeline.db'}")
    ran = roomctl("demo", "--headless", "--speed", "5000", env=env)
    assert ran.returncode == 0, ran.stderr
    url = env["ROOMCTL_DB"]
    (session_id,) = [
        s["id"] for s in json.loads(roomctl("sessions", "list", "--json", env=env).stdout)
    ]

    assert main(["sessions", "verify", session_id, "--db", url]) == 0
    assert "intact" in capsys.readouterr().out

    engine = create_engine(url)
    with engine.begin() as conn:
        with pytest.raises(DBAPIError, match="append-only"), conn.begin_nested():
            conn.execute(text("UPDATE events SET source = 'someone' WHERE seq = 7"))
        conn.execute(text("DROP TRIGGER events_no_update"))
        conn.execute(
            text("UPDATE events SET data = :d WHERE session_id = :s AND seq = 7"),
            {"d": '{"text": "nothing happened"}', "s": session_id},
        )
    engine.dispose()
    assert main(["sessions", "verify", session_id, "--db", url]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"session {session_id}: audit chain broken at seq 7")
