"""``roomctl soundscape play|devices``: a soundscape live on a sound card, and the cards there are.

``play`` goes through the very stream the room uses (``SoundscapeStream``: a producer thread a
ring ahead of the card, a callback that only copies), so what you hear at the desk, and the
underflow count printed at the end, is what a session gets. Ctrl-C fades out and stops.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from typing import Any

from app.commands._shared import load, positive_number
from app.errors import UserError
from roomctl.timeline.events import Kind

#: How long the stop fade and the card's last blocks may take before we close anyway.
STOP_WAIT_S = 5.0


def add_play(ssub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add ``play`` and ``devices`` to ``roomctl soundscape``."""
    from app.commands.soundscape import sound_options

    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--device",
        metavar="D",
        help="output by index or name fragment (default: [soundscape] device, "
        "else the system default; `roomctl soundscape devices` lists them)",
    )
    play = ssub.add_parser(
        "play",
        parents=[common, sound_options(), where],
        help="play a soundscape live on a sound card, as the room would",
    )
    play.add_argument("name", metavar="NAME", help="a soundscape from `roomctl soundscape list`")
    play.add_argument(
        "--seconds", type=positive_number, metavar="S", help="how long (default: until Ctrl-C)"
    )
    play.add_argument(
        "--samplerate",
        type=int,
        choices=(44100, 48000),
        metavar="HZ",
        help="the card's rate (default: [soundscape] samplerate)",
    )
    play.set_defaults(handler=cmd_play)
    devices = ssub.add_parser("devices", parents=[common], help="the audio outputs, one a line")
    devices.add_argument("--json", action="store_true", help="one JSON list")
    devices.set_defaults(handler=cmd_devices)


def cmd_devices(args: argparse.Namespace) -> int:
    from devices.audio.outputs import OutputDeviceError, list_output_devices

    try:
        outputs = list_output_devices()
    except OutputDeviceError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        json.dump([vars(d) for d in outputs], sys.stdout)
        sys.stdout.write("\n")
        return 0
    if not outputs:
        print("no audio outputs")
    for device in outputs:
        print(device)
    return 0


class _Console:
    """The stream's report callback for a person at a terminal: errors and alarms as they
    happen (from the producer thread), everything kept for the summary."""

    def __init__(self) -> None:
        self.events: list[tuple[Kind, dict[str, Any]]] = []
        self._lock = threading.Lock()

    def __call__(self, kind: Kind, data: dict[str, Any]) -> None:
        with self._lock:
            self.events.append((kind, data))
        if kind == Kind.ALARM and data.get("state") == "raised":
            print(f"alarm: {data.get('text')}", file=sys.stderr, flush=True)
        elif data.get("action") == "underflow":
            print(
                f"underflow: {data.get('count')} more ({data.get('total')} in all)",
                file=sys.stderr,
                flush=True,
            )

    def error(self) -> str | None:
        with self._lock:
            for kind, data in reversed(self.events):
                if kind == Kind.SOUNDSCAPE and data.get("outcome") == "error":
                    return str(data.get("error"))
        return None


def cmd_play(args: argparse.Namespace) -> int:
    from app.commands.soundscape import engine_for
    from devices.audio.outputs import OutputDeviceError, resolve_output_device
    from devices.audio.soundscape_stream import SoundscapeStream

    config = load(args).soundscape
    samplerate = args.samplerate or config.samplerate
    engine_for(args, samplerate)  # an unknown name fails here, in one line
    device: str | int | None = args.device if args.device is not None else config.device
    try:
        chosen = resolve_output_device(device or None)
    except OutputDeviceError as exc:
        raise UserError(str(exc)) from None
    console = _Console()
    stream = SoundscapeStream(
        console,
        device=chosen.index,
        samplerate=samplerate,
        blocksize=config.blocksize,
        seed=args.seed,
        retry_s=None,
    )
    stream.set_params(brightness=args.brightness, density=args.density, movement=args.movement)
    stream.start(args.name, args.level)
    try:
        if not stream.flush(10.0) or not stream.stats.running:
            raise UserError(
                f"cannot play on {chosen.name}: {console.error() or 'the stream did not start'}"
            )
        until = "" if args.seconds is None else f" for {args.seconds:g} s"
        print(
            f"playing {args.name} on {chosen.name} [{chosen.hostapi}] at level {args.level:g}"
            f"{until}, {samplerate} Hz; Ctrl-C stops",
            flush=True,
        )
        started = time.monotonic()
        try:
            while args.seconds is None or time.monotonic() - started < args.seconds:
                left = None if args.seconds is None else args.seconds - (time.monotonic() - started)
                time.sleep(0.2 if left is None else max(0.0, min(0.2, left)))
        except KeyboardInterrupt:
            print("stopping", flush=True)
        played = time.monotonic() - started
        stream.stop()
        stream.flush(STOP_WAIT_S)
        deadline = time.monotonic() + STOP_WAIT_S
        while stream.stats.running and time.monotonic() < deadline:
            time.sleep(0.02)  # the fade-out is on its way to the card
    finally:
        stream.close()
    stats = stream.stats
    print(
        f"played {played:.1f} s: {stats.blocks_played} blocks of {config.blocksize}, "
        f"{stats.underflows} underflows ({stats.ring_underflows} producer late, "
        f"{stats.portaudio_underflows} reported by the card)"
    )
    return 0
