"""Files only their owner may read: the PIN book, the bridge key, exports.

Written through one function so no caller can forget the mode: the folder is made 0700, the
file created 0600 whatever the umask, and replaced atomically, so there is never a moment
where its content sits in a file others may read, nor a half-written file after a crash.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def open_to_others(path: Path) -> int | None:
    """The file's mode when group or others have any access to it, else None."""
    mode = stat.S_IMODE(path.stat().st_mode)
    return mode if mode & (stat.S_IRWXG | stat.S_IRWXO) else None


def write_private(path: Path, data: str | bytes) -> None:
    """Create or replace ``path`` with ``data``, readable by its owner only."""
    path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
        with os.fdopen(fd, "wb") as out:
            out.write(data.encode("utf-8") if isinstance(data, str) else data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
