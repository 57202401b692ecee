"""``roomctl sim SIMULATOR``: run one of the product's simulators in this terminal.

This module owns the ``sim`` group; each simulator is a ``register(ssub, common)`` function in
:data:`SIMULATORS`. Another simulator (``sim monitor``, ``sim pump``) adds its own function,
from its own module, to that tuple.
"""

from __future__ import annotations

import argparse
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.commands.sim_serial import register_monitor, register_pump
from app.errors import UserError

if TYPE_CHECKING:
    from devices.sim.hue_bridge import Change, HueBridgeSim

RegisterSimulator = Callable[[argparse._SubParsersAction, argparse.ArgumentParser], None]

_HUE_HELP = """\
Type a word and Enter to change the bridge:
  link (or empty)  press the link button (pairing open for 30 s)
  down / hung / 500 / ok   stop listening / accept but never answer / HTTP 500 / normal
Ctrl-C stops it."""


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sim = sub.add_parser("sim", help="run a device simulator in this terminal")
    ssub = sim.add_subparsers(
        dest="simulator", metavar="SIMULATOR", required=True, parser_class=type(sim)
    )
    for register_simulator in SIMULATORS:
        register_simulator(ssub, common)


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 0-65535, 0 for any free one (got {text!r})")
    return int(text)


def _lights(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 50:
        raise argparse.ArgumentTypeError(f"1-50 lights (got {text!r})")
    return int(text)


def register_hue(ssub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    hue = ssub.add_parser(
        "hue",
        parents=[common],
        help="a Philips Hue bridge on 127.0.0.1 that prints every change",
        description="A Hue v1 API bridge on 127.0.0.1. " + _HUE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    hue.add_argument("--port", type=_port, default=8080, metavar="N", help="default 8080")
    hue.add_argument("--lights", type=_lights, default=3, metavar="K", help="default 3")
    hue.add_argument(
        "--press-link", action="store_true", help="press the link button at start (30 s)"
    )
    hue.set_defaults(handler=cmd_hue)


SIMULATORS: tuple[RegisterSimulator, ...] = (register_hue, register_monitor, register_pump)


def describe(change: Change) -> str:
    """One line per change: ``14:02:11.532  group 1: on, bri 38 (15.0 %), ct 455 (2198 K)``."""
    body = change.body
    parts = []
    if "on" in body:
        parts.append("on" if body["on"] else "off")
    if "bri" in body:
        parts.append(f"bri {body['bri']} ({body['bri'] * 100 / 254:.1f} %)")
    if "ct" in body:
        parts.append(f"ct {body['ct']} ({round(1e6 / body['ct'])} K)")
    if "xy" in body:
        parts.append(f"xy {body['xy'][0]:.4f},{body['xy'][1]:.4f}")
    if "transitiontime" in body:
        parts.append(f"over {body['transitiontime'] / 10:.1f} s")
    known = {"on", "bri", "ct", "xy", "transitiontime"}
    parts += [f"{key} {value}" for key, value in body.items() if key not in known]
    flag = "  (!) faster than one group command a second" if change.too_fast else ""
    clock = f"{change.wall.astimezone():%H:%M:%S.%f}"[:-3]
    return f"{clock}  {change.target}: {', '.join(parts)}{flag}"


def _command(sim: HueBridgeSim, word: str) -> None:
    word = word.strip().lower()
    modes = {"down": "down", "hung": "hung", "500": "error500", "ok": "ok", "up": "ok"}
    if word in ("", "link"):
        sim.press_link_button()
    elif word in modes:
        sim.set_mode(modes[word])
    else:
        print(f"? {word!r}: {_HUE_HELP}", flush=True)


def cmd_hue(args: argparse.Namespace) -> int:
    from devices.sim.hue_bridge import HueBridgeSim

    sim = HueBridgeSim(
        lights=args.lights, port=args.port, on_change=lambda c: print(describe(c), flush=True)
    )
    try:
        sim.start()
    except OSError as exc:
        raise UserError(
            f"cannot listen on 127.0.0.1:{args.port} ({exc.strerror or exc}); "
            "pick another --port (0: any free one)"
        ) from None
    lights = ", ".join(sim.lights)
    print(
        f'Hue bridge simulator at {sim.address}: lights {lights} in group 1 "Treatment room"',
        flush=True,
    )
    print(_HUE_HELP, flush=True)
    if args.press_link:
        sim.press_link_button()
    try:
        for line in sys.stdin or ():
            _command(sim, line)
        threading.Event().wait()  # no more input (none attached): serve until stopped
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    print("stopped", flush=True)
    return 0
