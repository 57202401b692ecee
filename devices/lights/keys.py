"""The bridge pairing key: where it lives, how it is written (0600), how it is obtained.

A Hue "username" is a bearer key to every light on the bridge, so it is treated like a
password: written only to a file readable by its owner, never printed, logged or put on the
timeline. The file has phue's own layout (``{"HOST[:PORT]": {"username": ...}}``), one entry per
bridge, so it is also what phue is handed as ``config_file_path``.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import platformdirs

from devices.lights.bridge import BridgeError, RoomBridge
from roomctl.private_files import write_private

KEY_FILE_ENV = "ROOMCTL_HUE_KEY_FILE"
KEY_FILE_NAME = "hue-keys.json"
PAIR_WAIT_S = 30.0


def key_file_path(configured: str = "", env: Mapping[str, str] | None = None) -> Path:
    """``$ROOMCTL_HUE_KEY_FILE``, else ``[lights] key_file``, else the user config dir."""
    env = os.environ if env is None else env
    if env.get(KEY_FILE_ENV):
        return Path(env[KEY_FILE_ENV]).expanduser()
    if configured:
        return Path(configured).expanduser()
    return Path(platformdirs.user_config_dir("roomctl")) / KEY_FILE_NAME


def _read(path: Path) -> dict[str, dict[str, str]]:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return {}
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise BridgeError(
            "unpaired",
            f"key file {path} is open to others (mode {stat.S_IMODE(mode):04o}): chmod 600 {path}",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BridgeError(
            "unpaired", f"key file {path} unreadable ({type(exc).__name__})"
        ) from None
    return data if isinstance(data, dict) else {}


def load_key(path: Path, bridge: str) -> str | None:
    """The key stored for ``bridge``, or None when this room never paired with it."""
    entry = _read(path).get(bridge.strip())
    username = entry.get("username") if isinstance(entry, dict) else None
    return username if isinstance(username, str) and username else None


def store_key(path: Path, bridge: str, username: str) -> None:
    """Add or replace ``bridge``'s key; the file is created 0600 (folder 0700) and replaced
    atomically, so no moment exists where the key sits in a file others may read."""
    keys = _read(path)
    keys[bridge.strip()] = {"username": username}
    write_private(path, json.dumps(keys, indent=2) + "\n")


def device_type() -> str:
    """What the bridge shows in its app list: ``roomctl#<host>``, within Hue's 40 characters."""
    return f"roomctl#{socket.gethostname()[:19]}"


def pair(
    bridge: str,
    key_file: Path,
    *,
    wait_s: float = PAIR_WAIT_S,
    poll_s: float = 1.0,
    timeout_s: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Ask the bridge for a key until its link button is pressed (``wait_s`` at most), then
    store it. Raises :class:`BridgeError`: ``link_button`` when time ran out, else why."""
    hue = RoomBridge(bridge, None, key_file, timeout_s=timeout_s)
    deadline = clock() + wait_s
    while True:
        try:
            answer = hue.request("POST", "/api", {"devicetype": device_type()})
        except BridgeError as exc:
            if exc.kind != "link_button":
                raise
            left = deadline - clock()
            if left <= 0:
                raise BridgeError(
                    "link_button",
                    f"bridge {bridge}: the link button was not pressed within {wait_s:g} s",
                ) from None
            sleep(min(poll_s, left))
            continue
        username = next(
            (
                entry["success"]["username"]
                for entry in answer
                if isinstance(entry, dict)
                and isinstance(entry.get("success"), dict)
                and entry["success"].get("username")
            ),
            None,
        )
        if not username:
            raise BridgeError("answer", f"bridge {bridge} paired without giving a key")
        store_key(key_file, bridge, str(username))
        return
