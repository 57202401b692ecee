"""``roomctl export ID --format vital|csv|json|pdf --out PATH``: one session for other readers."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from app.commands._shared import load, open_store
from app.errors import UserError
from roomctl.export import FORMATS, ExportError, export_session

EPILOG = """formats:
  vital  VitalDB file for VitalRecorder and vitaldb.VitalFile: tracks Monitor/HR,
         Monitor/SPO2, NIBP/SYS, Pump/RATE, Pump/VOL..., the pleth wave Monitor/PLETH
         at its rate, events in the EVENT text track; stamped with wall-clock time.
  csv    two files: PATH holds the samples as a long table
         (t_s, wall_utc, channel, unit, value; an empty value is "no reading"), and
         PATH-events.csv beside it holds the events (s.csv -> s-events.csv).
         Waves (pleth) are not in the CSV: use vital or json for them.
  json   one document: {"session", "timebase", "summary", "events",
         "samples": {channel: {t, value}}, "waves": {channel: {chunks}}};
         t is session seconds.
  pdf    the session report: header, phase timeline, vitals and pump plots,
         monitoring summary (REMS form shape), recovery, alarms, notes.

Files are written readable by you only (mode 0600). See docs/decisions/0014-export-formats.md.
"""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    export = sub.add_parser(
        "export",
        parents=[common],
        help="write one session as VitalDB, CSV, JSON or a PDF report",
        description="Write one recorded session for another reader.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    export.add_argument("id", metavar="ID", help="session id (see `roomctl sessions list`)")
    export.add_argument("--format", required=True, choices=FORMATS, help="what to write")
    export.add_argument("--out", required=True, type=Path, metavar="PATH", help="file to write")
    export.set_defaults(handler=cmd_export)


def _size(path: Path) -> str:
    size = path.stat().st_size
    for unit in ("B", "kB", "MB"):
        if size < 1000 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} MB"


class _Bar:
    """A one-line percentage on a terminal's stderr; silent when stderr is not a terminal."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._shown = -1
        self._on = stream.isatty()

    def __call__(self, fraction: float) -> None:
        percent = int(fraction * 100)
        if self._on and percent != self._shown:
            self._shown = percent
            self._stream.write(f"\rexporting... {percent:3d}%")
            self._stream.flush()

    def done(self) -> None:
        if self._on and self._shown >= 0:
            self._stream.write("\r" + " " * 20 + "\r")
            self._stream.flush()


def cmd_export(args: argparse.Namespace) -> int:
    config = load(args)
    store = open_store(args, config)
    bar = _Bar(sys.stderr)
    try:
        try:
            written = export_session(store, args.id, args.format, args.out, progress=bar)
        except LookupError:
            raise UserError(f"no session {args.id!r} in {store.url_for_display}") from None
        except ExportError as exc:
            raise UserError(str(exc)) from None
        finally:
            bar.done()
    finally:
        store.close()
    for path in written.files:
        print(f"wrote {path} ({_size(path)})")
    for line in written.details:
        print(f"  {line}")
    return 0
