"""Exports of a long session: how long each format takes, and what a session hour costs on disk.

    python -m benchmarks.bench_exports [--others N] [--repeats N] [--db URL]

Fills a store with realistic sessions from :mod:`roomctl.timeline.generate` (a real Room on a
fake clock: 1 Hz HR, SpO2, RR, EtCO2 and pump, NIBP every 5 minutes, 75 Hz pleth in one-second
chunks, alarms, notes, recovery checks): one three-hour session first, then ``N`` ordinary ones
(40-minute infusion, an hour of recovery), so the exports read from a store that holds more than
the one they export. Then exports the three-hour session in every format:

* ``first``: in a fresh process, including the format's lazy imports (matplotlib, vitaldb);
* ``warm_best`` and ``warm_median`` of ``--repeats`` more, as a running app's next exports.

Each figure is ``load`` (reading the session from the store) plus ``write``, in wall seconds,
and ``cpu_s``, this process's CPU seconds for both (steadier on a busy machine; the load average
is reported too). Targets: PDF export ≤ 2 s; store size ≤ 5 MB per session hour. Prints one
JSON object. Without ``--db`` it uses a SQLite file in a temporary folder, removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from roomctl.export import FORMATS, load_bundle, writer
from roomctl.timeline.generate import THREE_HOURS, simulate_session, write_session
from roomctl.timeline.store import TimelineStore

PDF_TARGET_S = 2.0
STORE_TARGET_MB_PER_HOUR = 5.0


def _folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file()) / 1e6


@contextmanager
def _store_url(db: str | None) -> Iterator[tuple[str, Path | None]]:
    if db:
        yield db, None
        return
    with tempfile.TemporaryDirectory(prefix="roomctl-bench-exports-") as folder:
        yield f"sqlite:///{Path(folder) / 'timeline.db'}", Path(folder)


def _generate(store: TimelineStore, seed: int, **options: Any) -> tuple[str, float, float]:
    """(session id, session hours, seconds to simulate and write)."""
    began = time.perf_counter()
    session = simulate_session(seed=seed, **options)
    session_id = write_session(store, session)
    hours = (session.events[-1].t - session.events[0].t) / 3600.0
    return session_id, hours, time.perf_counter() - began


def _export_once(store: TimelineStore, session_id: str, fmt: str, out: Path) -> dict[str, Any]:
    cpu, began = time.process_time(), time.perf_counter()
    bundle = load_bundle(store, session_id)
    loaded = time.perf_counter()
    written = writer(fmt)(bundle, out / f"session.{fmt}")
    done = time.perf_counter()
    return {
        "load_s": round(loaded - began, 3),
        "write_s": round(done - loaded, 3),
        "total_s": round(done - began, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
        "file_mb": round(sum(p.stat().st_size for p in written.files) / 1e6, 2),
    }


def _time_exports(store: TimelineStore, session_id: str, out: Path, repeats: int) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for fmt in FORMATS:
        first = _export_once(store, session_id, fmt, out)
        file_mb = first.pop("file_mb")
        warm = sorted(
            (_export_once(store, session_id, fmt, out) for _ in range(repeats)),
            key=lambda run: run["total_s"],
        )
        figures[fmt] = {
            "first": first,
            "warm_best": warm[0],
            "warm_median": warm[len(warm) // 2],
            "file_mb": file_mb,
        }
        for run in warm:
            del run["file_mb"]
    return figures


def run(url: str, folder: Path | None, others: int, repeats: int) -> dict[str, Any]:
    with TimelineStore(url) as store, tempfile.TemporaryDirectory() as out:
        long_id, long_hours, long_s = _generate(store, 1, patient="P-BENCH", **THREE_HOURS)
        store.close()  # SQLite folds its write-ahead log into the file on the last close
        after_long = _folder_mb(folder) if folder is not None else None
        store.open()
        hours, generate_s = long_hours, long_s
        for seed in range(2, 2 + others):
            _, h, s = _generate(store, seed, patient=f"P-{seed:04d}", recovery_minutes=60.0)
            hours, generate_s = hours + h, generate_s + s
        store.close()
        total_mb = _folder_mb(folder) if folder is not None else None
        store.open()
        exports = _time_exports(store, long_id, Path(out), repeats)
    pdf_warm = exports["pdf"]["warm_best"]["total_s"]
    result: dict[str, Any] = {
        "benchmark": "exports of a 3-hour session with 75 Hz pleth",
        "load_average_1min": round(os.getloadavg()[0], 2),
        "store": store.url_for_display,
        "sessions": 1 + others,
        "session_hours": round(hours, 2),
        "generate_s": round(generate_s, 2),
        "long_session_hours": round(long_hours, 2),
        "exports": exports,
        "pdf_warm_best_total_s": pdf_warm,
        "pdf_target_s": PDF_TARGET_S,
        "pdf_within_target": pdf_warm <= PDF_TARGET_S,
    }
    if after_long is not None and total_mb is not None:
        per_hour = total_mb / hours
        result.update(
            store_mb=round(total_mb, 2),
            store_mb_per_session_hour=round(per_hour, 2),
            long_session_mb_per_hour=round(after_long / long_hours, 2),
            store_target_mb_per_hour=STORE_TARGET_MB_PER_HOUR,
            store_within_target=per_hour <= STORE_TARGET_MB_PER_HOUR,
        )
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_exports", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--others", type=int, default=2, help="ordinary sessions besides (2)")
    parser.add_argument("--repeats", type=int, default=3, help="warm exports per format (3)")
    parser.add_argument("--db", help="store URL (default: a SQLite file in a temporary folder)")
    args = parser.parse_args(argv)
    if args.others < 0 or args.repeats < 1:
        parser.error("--others must not be negative, --repeats must be positive")
    with _store_url(args.db) as (url, folder):
        result = run(url, folder, args.others, args.repeats)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
