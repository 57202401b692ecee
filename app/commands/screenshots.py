"""``roomctl screenshots --out DIR``: the room's screens at 1600x1000 from a simulated session."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.commands._shared import load


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    shots = sub.add_parser(
        "screenshots",
        parents=[common],
        help="render the room's screens offscreen (nurse, therapist, review) as PNGs",
    )
    shots.add_argument("--out", type=Path, required=True, metavar="DIR", help="where to write")
    shots.set_defaults(handler=cmd_screenshots)


def cmd_screenshots(args: argparse.Namespace) -> int:
    from app.screenshots import render

    for path in render(args.out, config=load(args)):
        print(path)
    return 0
