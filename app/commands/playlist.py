"""``roomctl playlist plan PATH --minutes M``: how a folder or M3U would fill a planned infusion.

The same fitting the player uses (``roomctl.music_plan``) on the lengths libvlc reads, printed
before a session so a therapist can check the arc: which tracks, where each starts, where the
final fade falls. PATH may also name a ``[music.playlists.NAME]`` from the config (its path, and
its order unless ``--order`` is given), when no file or folder of that name exists.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path, PurePath
from typing import Any

from app.commands._shared import load
from app.errors import UserError
from app.music_library import ensure_demo_music, resolve_playlists
from roomctl.music_plan import (
    DEFAULT_CROSSFADE_S,
    DEFAULT_FINAL_FADE_S,
    MAX_CROSSFADE_S,
    MAX_FINAL_FADE_S,
    MIN_FINAL_FADE_S,
    ORDERS,
    MusicPlan,
    PlanError,
    fit_playlist,
    mmss,
)

MIN_MINUTES, MAX_MINUTES = 1.0, 120.0


def _ranged(low: float, high: float, what: str) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{what} is {low:g}-{high:g} (got {text})")
        return value

    return parse


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    playlist = sub.add_parser("playlist", help="music playlists: how one fits a planned length")
    psub = playlist.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(playlist)
    )
    plan = psub.add_parser(
        "plan",
        parents=[common],
        help="fit a folder or M3U to M minutes and print the plan",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    plan.add_argument(
        "path",
        metavar="PATH",
        help="a folder of tracks, an .m3u/.m3u8 playlist, or a [music.playlists] name",
    )
    plan.add_argument(
        "--minutes",
        type=_ranged(MIN_MINUTES, MAX_MINUTES, "minutes"),
        required=True,
        metavar="M",
        help=f"the planned infusion, {MIN_MINUTES:g}-{MAX_MINUTES:g} minutes",
    )
    plan.add_argument(
        "--crossfade",
        type=_ranged(0.0, MAX_CROSSFADE_S, "crossfade"),
        default=DEFAULT_CROSSFADE_S,
        metavar="S",
        help=f"seconds between tracks, 0-{MAX_CROSSFADE_S:g} (default {DEFAULT_CROSSFADE_S:g})",
    )
    plan.add_argument(
        "--final-fade",
        type=_ranged(MIN_FINAL_FADE_S, MAX_FINAL_FADE_S, "final fade"),
        default=DEFAULT_FINAL_FADE_S,
        metavar="S",
        help=f"the fade that ends the music, {MIN_FINAL_FADE_S:g}-{MAX_FINAL_FADE_S:g} s "
        f"(default {DEFAULT_FINAL_FADE_S:g})",
    )
    plan.add_argument(
        "--order",
        choices=ORDERS,
        help="fitted: chosen to end on a track's own end; fixed: the given order "
        "(default: the playlist's configured order, else fitted)",
    )
    plan.add_argument("--json", action="store_true", help="one JSON object")
    plan.set_defaults(handler=cmd_plan)
    demo = psub.add_parser(
        "demo", help="generate the demo's music (once; set-up runs this) and print where it is"
    )
    demo.set_defaults(handler=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    for name, folder in sorted(ensure_demo_music().items()):
        count = sum(1 for _ in folder.glob("*.ogg"))
        print(f"@demo/{name}: {count} tracks in {folder}")
    return 0


def _source(args: argparse.Namespace) -> tuple[str, str | None]:
    """The path to read and the configured order, looking PATH up as a playlist name if it is
    not a file or folder."""
    given = str(args.path)
    if Path(given).expanduser().exists() or "/" in given or PurePath(given).suffix:
        return given, None
    playlists = load(args).music.playlists
    if given in playlists:
        playlists = resolve_playlists(load(args)).music.playlists
        return playlists[given].path, playlists[given].order
    known = ", ".join(sorted(playlists)) or "none configured"
    raise UserError(f"{given}: no such folder or playlist (nor a [music.playlists] name: {known})")


def cmd_plan(args: argparse.Namespace) -> int:
    from devices.audio.library import LibraryError, load_library

    path, configured = _source(args)
    order = args.order or configured or "fitted"
    try:
        library = load_library(path)
    except LibraryError as exc:
        raise UserError(str(exc)) from None
    planned_s = args.minutes * 60.0
    try:
        plan = fit_playlist(
            library.tracks,
            planned_s,
            crossfade_s=args.crossfade,
            final_fade_s=args.final_fade,
            order=order,
        )
    except PlanError as exc:
        raise UserError(f"{library.source}: {exc}") from None
    if args.json:
        minutes = int(args.minutes) if float(args.minutes).is_integer() else args.minutes
        doc = {
            "minutes": minutes,
            "items": [
                {key: _rounded(value) for key, value in item.as_dict().items()}
                for item in plan.items
            ],
            "end_s": _rounded(plan.end_s),
            "looped": plan.looped,
            "notes": list(plan.notes),
            "order": order,
            "crossfade_s": args.crossfade,
            "final_fade_s": args.final_fade,
            "source": library.source,
            "skipped": [{"path": s.path, "reason": s.reason} for s in library.skipped],
        }
        json.dump(doc, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    _print_plan(plan, library.source, len(library.tracks), order, args)
    for skipped in library.skipped:
        print(f"skipped: {PurePath(skipped.path).name}: {skipped.reason}")
    return 0


def _secs(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _rounded(value: Any) -> Any:
    return round(value, 3) if isinstance(value, float) else value


def _print_plan(
    plan: MusicPlan, source: str, tracks: int, order: str, args: argparse.Namespace
) -> None:
    print(
        f"{source}: {tracks} track(s) · {order} · crossfade {args.crossfade:g} s · "
        f"final fade {args.final_fade:g} s · plan {mmss(plan.planned_s or 0)}"
    )
    print(f"{'#':>3}  {'start':>7}  {'length':>7}  {'offset':>7}  {'fade in/out':>11}  file")
    for number, item in enumerate(plan.items, 1):
        fades = f"{_secs(item.fade_in_s)} / {_secs(item.fade_out_s)}"
        print(
            f"{number:>3}  {mmss(item.start_s):>7}  {mmss(item.duration_s):>7}  "
            f"{mmss(item.offset_s):>7}  {fades:>11}  {PurePath(item.path).name}"
        )
    last = plan.items[-1]
    print(
        f"ends at {mmss(plan.end_s)} ({plan.end_s:.3f} s) with a {_secs(last.fade_out_s)} s fade"
        + (" · the library loops" if plan.looped else "")
    )
    for note in plan.notes:
        print(f"note: {note}")
