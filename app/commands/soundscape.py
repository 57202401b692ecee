"""``roomctl soundscape list|render``: the synthesised soundscapes, and any of them written to a
WAV file exactly as the room would hear it (same engine, same seed, same controls), for
listening before a session or checking one after.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.commands._shared import positive_number
from app.errors import UserError

if TYPE_CHECKING:
    from soundscapes.engine import Engine

#: The longest render: a long session. At 48 kHz, 16-bit stereo that is ~2 GB of WAV.
MAX_SECONDS = 3 * 3600
#: Frames rendered and written at a time: the file grows steadily, memory stays small.
WRITE_FRAMES = 48000


def _unit(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a control goes from 0 to 1 (got {text})")
    return value


def _samplerate(text: str) -> int:
    if not text.isdigit() or not 8000 <= int(text) <= 192000:
        raise argparse.ArgumentTypeError(f"a sample rate in Hz, 8000-192000 (got {text!r})")
    return int(text)


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"a seed is a whole number >= 0 (got {text!r})")
    return int(text)


def _render_seconds(text: str) -> float:
    value = positive_number(text)
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(f"at most {MAX_SECONDS} seconds (got {text})")
    return value


def sound_options() -> argparse.ArgumentParser:
    """The options every command that makes a soundscape sound takes (render, and later play):
    the seed and the four controls, each 0-1."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument("--seed", type=_seed, default=0, metavar="N", help="randomness (0)")
    options.add_argument("--level", type=_unit, default=1.0, metavar="X", help="level 0-1 (1)")
    for name, what in (
        ("brightness", "how far up the spectrum reaches"),
        ("density", "how much is happening"),
        ("movement", "how much it wanders"),
    ):
        options.add_argument(
            f"--{name}", type=_unit, default=0.5, metavar="X", help=f"{what} (0.5)"
        )
    return options


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    scape = sub.add_parser(
        "soundscape", help="the synthesised soundscapes: list, render, play live"
    )
    ssub = scape.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(scape)
    )
    listing = ssub.add_parser("list", parents=[common], help="the soundscapes, one a line")
    listing.add_argument("--json", action="store_true", help='[{"name", "description"}, ...]')
    listing.set_defaults(handler=cmd_list)
    render = ssub.add_parser(
        "render",
        parents=[common, sound_options()],
        help="write a soundscape to a 16-bit WAV, exactly as the room would hear it",
    )
    render.add_argument("name", metavar="NAME", help="a soundscape from `roomctl soundscape list`")
    render.add_argument(
        "--seconds", type=_render_seconds, required=True, metavar="S", help="how long"
    )
    render.add_argument("--out", type=Path, required=True, metavar="FILE.wav", help="the file")
    render.add_argument(
        "--samplerate", type=_samplerate, default=48000, metavar="HZ", help="(48000)"
    )
    render.set_defaults(handler=cmd_render)
    from app.commands.soundscape_play import add_play  # play, devices: the live side

    add_play(ssub, common)


def cmd_list(args: argparse.Namespace) -> int:
    from soundscapes.engine import presets

    scapes = presets()
    if args.json:
        json.dump([{"name": p.name, "description": p.description} for p in scapes], sys.stdout)
        sys.stdout.write("\n")
        return 0
    width = max(len(p.name) for p in scapes)
    for p in scapes:
        print(f"{p.name:<{width}}  {p.description}")
    return 0


def engine_for(args: argparse.Namespace, samplerate: int) -> Engine:
    """An Engine for ``args.name`` with the command's seed and controls; UserError if unknown."""
    from soundscapes.engine import Engine, UnknownPreset  # scipy: only when a scape is made

    try:
        return Engine(
            args.name,
            samplerate=samplerate,
            seed=args.seed,
            level=args.level,
            brightness=args.brightness,
            density=args.density,
            movement=args.movement,
        )
    except UnknownPreset as exc:
        raise UserError(str(exc)) from None


def cmd_render(args: argparse.Namespace) -> int:
    from soundscapes.wav import WavWriter

    engine = engine_for(args, args.samplerate)
    total = round(args.seconds * args.samplerate)
    block = np.empty((WRITE_FRAMES, 2), np.float32)
    peak, energy = 0.0, 0.0
    try:
        with WavWriter(args.out, args.samplerate) as wav:
            for at in range(0, total, WRITE_FRAMES):
                out = block[: min(WRITE_FRAMES, total - at)]
                engine.render(out)
                wav.write(out)
                peak = max(peak, float(np.max(np.abs(out))))
                energy += float(np.sum(np.square(out, dtype=np.float64)))
    except OSError as exc:
        raise UserError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    rms = math.sqrt(energy / (2 * total))
    print(
        f"{args.out}: {args.name}, {total / args.samplerate:g} s at {args.samplerate} Hz, "
        f"seed {args.seed}; peak {_dbfs(peak)}, RMS {_dbfs(rms)}"
    )
    return 0


def _dbfs(value: float) -> str:
    return f"{20 * math.log10(value):.1f} dBFS" if value > 0 else "silent"
