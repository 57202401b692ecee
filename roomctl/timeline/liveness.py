"""Whether a session is still being run, or was left mid-way and can be resumed.

A session has no "interrupted" column: a room that crashes cannot write one. Its status is
derived each time it is read from who owns it, whether that process still runs and how fresh
its heartbeat is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from roomctl.timeline.sessions import TERMINAL_PHASES

INTERRUPTED = "interrupted"
HEARTBEAT_STALE_AFTER = timedelta(seconds=10)


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` on this machine still runs (a zombie counts as dead).

    ``kill -9`` of a room process leaves its session's heartbeat looking fresh for up to 10 s;
    checking the pid lets this machine see the interruption at once.
    """
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False  # no /proc (macOS) or gone meanwhile: kill(0) said it was there
    # "pid (comm) S ...": comm may hold spaces and parentheses, so split after the last ")".
    fields = stat[stat.rfind(")") + 1 :].split()
    return bool(fields) and fields[0] == "Z"


def derive_status(
    phase: str,
    owner_host: str | None,
    owner_pid: int | None,
    heartbeat_at: datetime | None,
    now: datetime,
    this_host: str,
    pid_alive: Callable[[int], bool],
) -> str:
    """The status a session shows: its phase while a live process owns it, else "interrupted".

    Terminal phases are final whoever owns them. A session released on clean shutdown, whose
    owner died on this host, or whose heartbeat is older than 10 s was left mid-way: it is
    offered for resume.
    """
    if phase in TERMINAL_PHASES:
        return phase
    if heartbeat_at is None or owner_host is None or owner_pid is None:
        return INTERRUPTED
    if owner_host == this_host and not pid_alive(owner_pid):
        return INTERRUPTED
    if now - heartbeat_at > HEARTBEAT_STALE_AFTER:
        return INTERRUPTED
    return phase
