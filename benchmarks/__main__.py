"""Run every benchmark and print their JSON figures: ``python -m benchmarks [--pg URL]``.

The figures in docs/PERFORMANCE.md come from this command. Without ``--pg`` (or
``$ROOMCTL_BENCH_PG``) the PostgreSQL write benchmark starts a throwaway server with
scripts/pg-test-server when the server binaries are installed, and is skipped otherwise.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import (
    bench_cold_start,
    bench_cues,
    bench_exports,
    bench_feeds,
    bench_ivy,
    bench_lights,
    bench_live_room,
    bench_music_live,
    bench_music_plan,
    bench_parsers,
    bench_review,
    bench_soundscape_live,
    bench_soundscapes,
    bench_store,
    bench_ui_tiles,
)

REPO = Path(__file__).resolve().parent.parent


def _postgres(url: str | None) -> tuple[str | None, Path | None]:
    if url:
        return url, None
    folder = Path(tempfile.mkdtemp(prefix="roomctl-bench-pg-"))
    started = subprocess.run(
        [str(REPO / "scripts" / "pg-test-server"), "start", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0:
        print(f"PostgreSQL benchmark skipped: {started.stderr.strip()}", file=sys.stderr)
        return None, None
    return started.stdout.strip(), folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--pg", default=os.environ.get("ROOMCTL_BENCH_PG"), help="server URL")
    parser.add_argument("--events", type=int, default=50_000, help="events per store run")
    args = parser.parse_args(argv)
    print("== cue firing error", flush=True)
    bench_cues.main([])
    print("== lights through phue to the bridge simulator", flush=True)
    bench_lights.main([])
    print("== music plan fitting (500 tracks)", flush=True)
    bench_music_plan.main([])
    print("== soundscape synthesis (x real time per preset)", flush=True)
    bench_soundscapes.main([])
    print("== live soundscape on JACK's dummy card (60 s)", flush=True)
    bench_soundscape_live.main([])
    print("== music through libvlc (30 s)", flush=True)
    bench_music_live.main([])
    print("== exports of a 3-hour session", flush=True)
    bench_exports.main([])
    print("== review: list 10,000 sessions, open a 3-hour one", flush=True)
    bench_review.main([])
    print("== cold start to the window", flush=True)
    bench_cold_start.main([])
    print("== the room's window: tile latency, GUI stalls", flush=True)
    bench_ui_tiles.main([])
    print("== a live room: the window and the demo's devices, CPU (60 s)", flush=True)
    bench_live_room.main([])
    print("== parsers", flush=True)
    bench_parsers.main([])
    print("== Ivy 450C (ANSAR-B) parser", flush=True)
    bench_ivy.main([])
    print("== live feeds", flush=True)
    bench_feeds.main([])
    print("== timeline writes, SQLite", flush=True)
    bench_store.main(["--events", str(args.events)])
    url, folder = _postgres(args.pg)
    if url is not None:
        try:
            print("== timeline writes, PostgreSQL", flush=True)
            bench_store.main(["--events", str(args.events), "--db", url])
        finally:
            if folder is not None:
                subprocess.run(
                    [str(REPO / "scripts" / "pg-test-server"), "stop", str(folder)],
                    capture_output=True,
                    check=False,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
