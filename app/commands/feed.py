"""``roomctl feed tap``: open a port exactly as the app does and print what it reads, one JSON
object per line, so a person (or a script) can see a device's numbers in canonical terms."""

from __future__ import annotations

import argparse
import json
import queue
import sys
import time
from pathlib import Path

from app.commands._shared import positive_number
from app.errors import UserError


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    feed = sub.add_parser("feed", help="read serial feeds (read-only)")
    fsub = feed.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(feed)
    )
    tap = fsub.add_parser(
        "tap",
        help="print a port's records as JSON lines, then a stats line",
        description="Opens the port as the app does (line settings of the protocol, the "
        "read-only guard, reconnects) and prints one JSON object per record: "
        '{"kind", "t", "values", "flags", "device_time"}; absent values are left out. '
        'On exit a last line {"kind": "stats", "frames", "bad_frames", "reconnects"}.',
    )
    tap.add_argument("--protocol", required=True, metavar="P")
    tap.add_argument("--port", required=True, metavar="URL", help="device, pty or pyserial URL")
    tap.add_argument("--seconds", type=positive_number, metavar="N", help="stop after N seconds")
    tap.set_defaults(handler=cmd_tap)
    replay = fsub.add_parser(
        "replay",
        help="replay a raw capture through a pseudo-terminal at the device's pace",
        description="Creates a pseudo-terminal, prints its path, and writes the capture into it "
        "frame by frame at the format's rate (divided by --speed), so `roomctl feed tap` or the "
        "app can read it as if the device were there. Exits when the capture is played.",
    )
    replay.add_argument("capture", metavar="CAPTURE", type=Path)
    replay.add_argument("--protocol", required=True, metavar="P")
    replay.add_argument(
        "--speed", type=positive_number, default=1.0, metavar="N", help="N times faster"
    )
    replay.add_argument(
        "--wait",
        type=positive_number,
        default=60.0,
        metavar="S",
        help="wait up to S seconds for a reader to open the port (default 60)",
    )
    replay.add_argument(
        "--lead-in",
        type=float,
        default=0.5,
        metavar="S",
        help="seconds between the reader's arrival and the first byte (default 0.5)",
    )
    replay.set_defaults(handler=cmd_replay)


def cmd_replay(args: argparse.Namespace) -> int:
    from devices.feeds.registry import protocol
    from devices.sim.replay import Replay

    try:
        spec = protocol(args.protocol)
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None
    try:
        data = args.capture.read_bytes()
    except OSError as exc:
        raise UserError(f"{args.capture}: {exc.strerror or exc}") from None
    replay = Replay(data, spec, speed=args.speed)
    print(replay.path, flush=True)
    try:
        replay.run(lead_in_s=args.lead_in, wait_s=args.wait)
    except KeyboardInterrupt:
        pass
    finally:
        replay.stop()
    return 0


def cmd_tap(args: argparse.Namespace) -> int:
    from devices.feeds.registry import protocol
    from devices.feeds.transport import FeedReader, Stamped

    try:
        spec = protocol(args.protocol)
    except KeyError as exc:
        raise UserError(str(exc.args[0])) from None
    records: queue.Queue[Stamped] = queue.Queue()
    reader = FeedReader(args.port, spec, lambda batch: [records.put(r) for r in batch], name="tap")
    started = time.monotonic()
    deadline = started + args.seconds if args.seconds else None
    reader.start()
    try:
        while deadline is None or time.monotonic() < deadline:
            left = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
            try:
                item = records.get(timeout=left)
            except queue.Empty:
                continue
            line = item.record.as_tap(round(item.t - started, 3))
            print(json.dumps(line), flush=True)
    except KeyboardInterrupt:
        pass
    finally:
        reader.stop()
    while not records.empty():
        item = records.get_nowait()
        print(json.dumps(item.record.as_tap(round(item.t - started, 3))), flush=True)
    print(json.dumps(reader.stats.as_json()), flush=True)
    if reader.stats.frames == 0 and reader.stats.last_error:
        print(f"roomctl: {args.port}: {reader.stats.last_error}", file=sys.stderr)
        return 1
    return 0
