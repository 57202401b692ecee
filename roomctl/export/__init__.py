"""Exports of one session: VitalDB, CSV, JSON and a PDF report (docs/decisions/0014).

:func:`export_session` is the one entry point for the CLI and the UI: it reads the session from
the store (:mod:`roomctl.export.bundle`) and hands it to the writer of the format. Each writer
takes a ``progress`` callback for a progress bar, and writes its files 0600, whole or not at
all (:mod:`roomctl.export.files`). The libraries behind two formats (vitaldb, matplotlib) are
imported only when that format is written: the core stays quick to import.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from roomctl.export.bundle import Progress, SessionBundle, load_bundle, scaled
from roomctl.export.files import ExportError, Written, check_target
from roomctl.timeline.store import TimelineStore

FORMATS = ("vital", "csv", "json", "pdf")
SUFFIXES = {"vital": ".vital", "csv": ".csv", "json": ".json", "pdf": ".pdf"}

#: How much of the progress bar reading the store takes (the rest is writing).
READ_SHARE = 0.4

Writer = Callable[..., Written]


def writer(fmt: str) -> Writer:
    """The write function of ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "vital":
        from roomctl.export.vital_export import write_vital

        return write_vital
    if fmt == "csv":
        from roomctl.export.csv_export import write_csv

        return write_csv
    if fmt == "json":
        from roomctl.export.json_export import write_json

        return write_json
    if fmt == "pdf":
        from roomctl.export.pdf_export import write_pdf

        return write_pdf
    raise ExportError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")


def export_session(
    store: TimelineStore,
    session_id: str,
    fmt: str,
    out: Path,
    *,
    progress: Progress | None = None,
) -> Written:
    """Read ``session_id`` from ``store`` and write it as ``fmt`` to ``out``.

    Raises :class:`ExportError` for a target that cannot be written (checked before the store
    is read, so a typo costs nothing) and the store's ``UnknownSession`` for an unknown id.
    """
    write = writer(fmt)
    check_target(out)
    bundle = load_bundle(store, session_id, progress=scaled(progress, 0.0, READ_SHARE))
    return write(bundle, out, progress=scaled(progress, READ_SHARE, 1.0))


__all__ = [
    "FORMATS",
    "SUFFIXES",
    "ExportError",
    "Progress",
    "SessionBundle",
    "Written",
    "export_session",
    "load_bundle",
    "writer",
]
