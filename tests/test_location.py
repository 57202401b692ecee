"""Which store roomctl opens, and that its URL never shows a password."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest
from sqlalchemy.engine import make_url

from roomctl.timeline.location import (
    INVALID_URL,
    data_dir,
    redact,
    resolve_store_url,
    scrub,
)

PG = "postgresql+psycopg://nurse:s3cret@db.clinic:5432/roomctl"


def test_cli_wins_over_env_and_config() -> None:
    env = {"ROOMCTL_DB": "sqlite:////env.db"}
    assert resolve_store_url("sqlite:////cli.db", env, PG) == "sqlite:////cli.db"


def test_env_wins_over_config() -> None:
    assert resolve_store_url(None, {"ROOMCTL_DB": "sqlite:////env.db"}, PG) == "sqlite:////env.db"


def test_config_is_used_when_nothing_else_is_given() -> None:
    assert resolve_store_url(None, {}, PG) == PG


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_values_fall_through(blank: str, tmp_path: Path) -> None:
    env = {"ROOMCTL_DB": blank, "ROOMCTL_DATA_DIR": str(tmp_path)}
    url = resolve_store_url(blank, env, blank)
    assert make_url(url).database == str(tmp_path / "timeline.db")


def test_default_is_timeline_db_in_the_data_dir(tmp_path: Path) -> None:
    url = resolve_store_url(None, {"ROOMCTL_DATA_DIR": str(tmp_path)}, None)
    assert url == f"sqlite:///{tmp_path}/timeline.db"


def test_default_data_dir_is_the_user_data_dir() -> None:
    expected = Path(platformdirs.user_data_dir("roomctl", appauthor=False)).absolute()
    assert data_dir({}) == expected


def test_relative_data_dir_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert data_dir({"ROOMCTL_DATA_DIR": "rel"}) == tmp_path / "rel"


def test_odd_characters_in_the_data_dir_survive_the_url(tmp_path: Path) -> None:
    odd = tmp_path / "we ird?#%"
    url = resolve_store_url(None, {"ROOMCTL_DATA_DIR": str(odd)}, None)
    assert make_url(url).database == str(odd / "timeline.db")


def test_redact_hides_the_password() -> None:
    shown = redact(PG)
    assert "s3cret" not in shown
    assert shown == "postgresql+psycopg://nurse:***@db.clinic:5432/roomctl"


def test_redact_hides_passwords_in_the_query() -> None:
    shown = redact(
        "postgresql+psycopg://db/roomctl?password=hunter2&sslpassword=x9&sslmode=require"
    )
    assert "hunter2" not in shown
    assert "x9" not in shown
    assert "sslmode=require" in shown


def test_redact_leaves_a_url_without_password_alone() -> None:
    assert (
        redact("sqlite:////var/lib/roomctl/timeline.db") == "sqlite:////var/lib/roomctl/timeline.db"
    )


@pytest.mark.parametrize("garbage", ["", "garbage", "://", "postgresql://u:p@h:notaport/db"])
def test_redact_never_raises(garbage: str) -> None:
    assert redact(garbage) == INVALID_URL


def test_scrub_removes_secrets_from_messages() -> None:
    message = 'connection failed: password "s3cret" rejected'
    assert scrub(message, PG) == 'connection failed: password "***" rejected'
