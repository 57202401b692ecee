"""``roomctl sim monitor`` and ``roomctl sim pump``: a simulated device on a pseudo-terminal,
writing byte-exact frames of its wire format at the device's real rate. Prints the port's
path (and the stable link, if asked for one) and runs until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import threading
from pathlib import Path

from app.commands._shared import positive_number
from app.errors import UserError


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--link", type=Path, metavar="PATH", help="a stable symlink to the port")
    parser.add_argument(
        "--speed",
        type=positive_number,
        default=1.0,
        metavar="N",
        help="scenario time runs N times faster (frames keep the real rate)",
    )
    parser.add_argument(
        "--start-minute",
        type=float,
        default=0.0,
        metavar="M",
        help="start the scenario at minute M",
    )


def register_monitor(ssub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from devices.sim.physiology import SCENARIOS
    from devices.sim.sources import MONITOR_PROTOCOLS

    monitor = ssub.add_parser("monitor", help="a bedside monitor or oximeter on a pseudo-terminal")
    monitor.add_argument("--protocol", required=True, choices=MONITOR_PROTOCOLS)
    monitor.add_argument("--scenario", default="steady", choices=SCENARIOS)
    monitor.add_argument("--seed", type=int, default=0)
    monitor.add_argument(
        "--nibp-every",
        type=positive_number,
        default=5.0,
        metavar="MIN",
        help="roomctl-line and ivy-ansarb: a cuff measurement every MIN minutes",
    )
    _common(monitor)
    monitor.set_defaults(handler=cmd_monitor)


def register_pump(ssub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from devices.sim.sources import PUMP_PROTOCOLS

    pump = ssub.add_parser("pump", help="a syringe pump on a pseudo-terminal (New Era: polled)")
    pump.add_argument("--protocol", required=True, choices=PUMP_PROTOCOLS)
    pump.add_argument(
        "--minutes", type=positive_number, default=40.0, help="planned infusion minutes"
    )
    pump.add_argument("--weight", type=positive_number, default=70.0, metavar="KG")
    _common(pump)
    pump.set_defaults(handler=cmd_pump)


def _serve(device: object, what: str) -> int:
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        path = device.start()  # type: ignore[attr-defined]
    except OSError as exc:
        raise UserError(f"cannot open a pseudo-terminal: {exc}") from None
    print(path, flush=True)
    print(f"{what}; Ctrl-C stops it", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        device.stop()  # type: ignore[attr-defined]
    return 0


def cmd_monitor(args: argparse.Namespace) -> int:
    from devices.sim.physiology import Physiology
    from devices.sim.pty_device import PtyDevice
    from devices.sim.sources import MonitorSource

    patient = Physiology(args.scenario, seed=args.seed)
    source = MonitorSource(args.protocol, patient, nibp_every_s=args.nibp_every * 60)
    device = PtyDevice(
        source, patient=patient, link=args.link, speed=args.speed, start_t=args.start_minute * 60
    )
    return _serve(device, f"{args.protocol} monitor, scenario {args.scenario}")


def cmd_pump(args: argparse.Namespace) -> int:
    from devices.sim.pty_device import PtyDevice
    from devices.sim.sources import PumpSource

    source = PumpSource(args.protocol, minutes=args.minutes, weight_kg=args.weight)
    device = PtyDevice(source, link=args.link, speed=args.speed, start_t=args.start_minute * 60)
    return _serve(device, f"{args.protocol} pump, {args.minutes:g} min")
