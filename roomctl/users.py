"""The room's users and their PINs: who may unlock the window, and in which role.

A PIN is never stored: only a salted scrypt hash (a memory-hard KDF, so a stolen file does not
give up 4–8 digit PINs to a GPU in seconds). The book is a JSON file readable by its owner
only (``users.json`` in the user config dir, or ``$ROOMCTL_USERS``). Staff names are the
clinic's own handles; patients never appear here.

Repeated wrong PINs lock that user out for a while (:class:`Lockout`), which the window shows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from roomctl.private_files import open_to_others, write_private
from roomctl.roles import Role

USERS_ENV = "ROOMCTL_USERS"
PIN_RE = re.compile(r"^\d{4,8}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
#: scrypt cost: ~30 ms per check here; enough to make guessing a stolen file slow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MAX_FAILURES = 5
LOCKOUT_S = 60.0


class UsersError(Exception):
    """A user-book problem a person can fix; the message says how."""


@dataclass(frozen=True)
class User:
    name: str
    role: Role


def users_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(USERS_ENV):
        return Path(env[USERS_ENV]).expanduser()
    return Path(platformdirs.user_config_dir("roomctl")) / "users.json"


def _hash(pin: str, salt: bytes) -> bytes:
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 2**20, dklen=32
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class UserBook:
    """Load, change and check the user book. Every change is written at once (0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._entries: dict[str, dict[str, str | int]] = self._read()

    def _read(self) -> dict[str, dict[str, str | int]]:
        if not self.path.exists():
            return {}
        mode = open_to_others(self.path)
        if mode is not None:
            raise UsersError(
                f"{self.path} is open to others (mode {mode:04o}): chmod 600 {self.path}"
            )
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            users = data["users"]
            if not isinstance(users, dict):
                raise TypeError("users is not a table")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsersError(f"{self.path}: unreadable user book ({exc})") from None
        return users

    def _save(self) -> None:
        write_private(self.path, json.dumps({"users": self._entries}, indent=2) + "\n")

    def users(self) -> list[User]:
        return [User(name, Role(entry["role"])) for name, entry in sorted(self._entries.items())]

    def add(self, role: Role, name: str, pin: str) -> User:
        if not NAME_RE.match(name):
            raise UsersError(f"user name {name!r}: letters, digits, '.', '_' or '-', up to 40")
        if not PIN_RE.match(pin):
            raise UsersError("a PIN is 4 to 8 digits")
        if name in self._entries:
            raise UsersError(f"user {name!r} exists; remove it first to change its role or PIN")
        salt = secrets.token_bytes(16)
        self._entries[name] = {
            "role": role.value,
            "kdf": f"scrypt:{SCRYPT_N}:{SCRYPT_R}:{SCRYPT_P}",
            "salt": _b64(salt),
            "hash": _b64(_hash(pin, salt)),
        }
        self._save()
        return User(name, role)

    def remove(self, name: str) -> None:
        if self._entries.pop(name, None) is None:
            raise UsersError(f"no user {name!r}")
        self._save()

    def verify(self, name: str, pin: str) -> User | None:
        """The user when ``pin`` is theirs, else None (also for an unknown name)."""
        entry = self._entries.get(name)
        if entry is None or not PIN_RE.match(pin):
            return None
        expected = base64.b64decode(str(entry["hash"]))
        actual = _hash(pin, base64.b64decode(str(entry["salt"])))
        if not hmac.compare_digest(expected, actual):
            return None
        return User(name, Role(str(entry["role"])))


class Lockout:
    """Counts wrong PINs per user name; after ``MAX_FAILURES`` the name is locked a while."""

    def __init__(self, max_failures: int = MAX_FAILURES, lock_s: float = LOCKOUT_S) -> None:
        self._max = max_failures
        self._lock_s = lock_s
        self._failures: dict[str, int] = {}
        self._until: dict[str, float] = {}

    def locked_for(self, name: str, now: float) -> float:
        """Seconds until ``name`` may try again (0: now)."""
        return max(0.0, self._until.get(name, 0.0) - now)

    def failed(self, name: str, now: float) -> None:
        count = self._failures.get(name, 0) + 1
        self._failures[name] = count
        if count >= self._max:
            self._until[name] = now + self._lock_s
            self._failures[name] = 0

    def succeeded(self, name: str) -> None:
        self._failures.pop(name, None)
        self._until.pop(name, None)
