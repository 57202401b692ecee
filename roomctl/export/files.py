"""Writing an export file: private, whole or not at all.

An export holds a patient's session, so it is made readable by its owner only (0600), as the
timeline's own SQLite file is (see ``roomctl/timeline/engine.py``). It is written under a
temporary name beside its target and renamed over it at the end: a failed or interrupted export
never leaves half a file under the name a reviewer would open, and an older file of that name
is replaced (mode included) only by a complete one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PRIVATE_MODE = 0o600


class ExportError(Exception):
    """An export that cannot be written (a missing folder, no permission, a full disk...)."""


@dataclass(frozen=True)
class Written:
    """What an export wrote: its files, and a line or two on their content."""

    files: tuple[Path, ...]
    details: tuple[str, ...] = ()


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def check_target(path: Path) -> Path:
    """``path`` made absolute, or :class:`ExportError` when no file can be written there."""
    path = Path(path).expanduser().absolute()
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder (give a file name)")
    if not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: folder {path.parent} does not exist")
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise ExportError(f"cannot write {path}: folder {path.parent} is not writable")
    return path


@contextmanager
def private_output(path: Path) -> Iterator[Path]:
    """A temporary 0600 file beside ``path`` to write; renamed over ``path`` on success.

    Libraries that take a file name (vitaldb, matplotlib) write to the yielded path: they open
    it for writing, which keeps the mode the file was created with.
    """
    path = check_target(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {_reason(exc)}") from exc
    os.close(fd)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, PRIVATE_MODE)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {_reason(exc)}") from exc
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
