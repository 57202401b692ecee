"""Roles, PINs and the permission table: only a nurse starts, ends or discharges; staff only
review; no PIN is ever stored in clear."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from app.cli import main
from roomctl.roles import Action, Role, allowed, permission_table
from roomctl.users import Lockout, UserBook, UsersError

REPO = Path(__file__).resolve().parent.parent


def test_only_a_nurse_starts_ends_or_discharges() -> None:
    for action in (Action.START_SESSION, Action.END_INFUSION, Action.DISCHARGE):
        assert allowed(Role.NURSE, action)
        assert not allowed(Role.THERAPIST, action)
        assert not allowed(Role.STAFF, action)


def test_staff_review_only() -> None:
    staff = {a for a in Action if allowed(Role.STAFF, a)}
    assert staff == {Action.REVIEW, Action.EXPORT}


def test_therapist_shapes_sound_and_notes_but_can_summon_help() -> None:
    assert allowed(Role.THERAPIST, Action.SOUNDSCAPE)
    assert allowed(Role.THERAPIST, Action.VOICE_NOTE)
    assert allowed(Role.THERAPIST, Action.EMERGENCY)
    assert not allowed(Role.NURSE, Action.SOUNDSCAPE)


def test_a_locked_window_may_do_nothing() -> None:
    assert not any(allowed(None, a) for a in Action)


def test_the_docs_show_the_table_the_code_enforces() -> None:
    text = (REPO / "docs" / "PERMISSIONS.md").read_text(encoding="utf-8")
    assert permission_table() in text


def test_pin_is_hashed_with_a_kdf_and_never_stored_in_clear(tmp_path: Path) -> None:
    book = UserBook(tmp_path / "cfg" / "users.json")
    book.add(Role.NURSE, "nurse-ana", "482913")
    raw = book.path.read_text(encoding="utf-8")
    assert "482913" not in raw
    entry = json.loads(raw)["users"]["nurse-ana"]
    assert entry["kdf"].startswith("scrypt:")
    assert stat.S_IMODE(book.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(book.path.parent.stat().st_mode) == 0o700
    again = UserBook(book.path)
    assert again.verify("nurse-ana", "482913") is not None
    assert again.verify("nurse-ana", "482914") is None
    assert again.verify("nobody", "482913") is None


def test_two_users_with_the_same_pin_get_different_hashes(tmp_path: Path) -> None:
    book = UserBook(tmp_path / "users.json")
    book.add(Role.NURSE, "a", "1234")
    book.add(Role.STAFF, "b", "1234")
    users = json.loads(book.path.read_text(encoding="utf-8"))["users"]
    assert users["a"]["hash"] != users["b"]["hash"]


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", ""])
def test_a_pin_is_four_to_eight_digits(tmp_path: Path, pin: str) -> None:
    with pytest.raises(UsersError, match="4 to 8 digits"):
        UserBook(tmp_path / "users.json").add(Role.NURSE, "n", pin)


def test_a_book_open_to_others_is_refused(tmp_path: Path) -> None:
    book = UserBook(tmp_path / "users.json")
    book.add(Role.NURSE, "n", "1234")
    book.path.chmod(0o644)
    with pytest.raises(UsersError, match="chmod 600"):
        UserBook(book.path)


def test_five_wrong_pins_lock_the_name_for_a_minute() -> None:
    lockout = Lockout()
    for _ in range(4):
        lockout.failed("n", now=100.0)
    assert lockout.locked_for("n", 100.0) == 0
    lockout.failed("n", now=100.0)
    assert lockout.locked_for("n", 130.0) == pytest.approx(30.0)
    assert lockout.locked_for("n", 161.0) == 0


def test_users_add_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROOMCTL_USERS", str(tmp_path / "users.json"))
    monkeypatch.setattr("sys.stdin", io.StringIO("2468\n"))
    assert main(["users", "add", "therapist", "dr-lee", "--pin-stdin"]) == 0
    assert main(["users", "list"]) == 0
    out = capsys.readouterr().out
    assert "therapist  dr-lee" in out
    assert "2468" not in out
    monkeypatch.setattr("sys.stdin", io.StringIO("99\n"))
    assert main(["users", "add", "nurse", "x", "--pin-stdin"]) == 2
    assert "4 to 8 digits" in capsys.readouterr().err
