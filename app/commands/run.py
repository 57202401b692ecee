"""``roomctl app``, ``roomctl demo`` and ``roomctl resume``: running a room."""

from __future__ import annotations

import argparse
import sys

from app.commands._shared import has_display, load, open_store
from app.errors import UserError
from roomctl.config import MAX_INFUSION_MINUTES, MIN_INFUSION_MINUTES
from roomctl.timeline.events import Event


def _minutes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of minutes: {text!r}") from None
    if not MIN_INFUSION_MINUTES <= value <= MAX_INFUSION_MINUTES:
        raise argparse.ArgumentTypeError(
            f"infusion minutes must be {MIN_INFUSION_MINUTES}-{MAX_INFUSION_MINUTES} (got {value})"
        )
    return value


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value <= 10000:
        raise argparse.ArgumentTypeError(f"speed must be in (0, 10000] (got {text})")
    return value


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    run_options = argparse.ArgumentParser(add_help=False)
    run_options.add_argument(
        "--headless",
        action="store_true",
        help="no window: run the room in the terminal, print a summary",
    )
    run_options.add_argument(
        "--speed",
        type=_speed,
        metavar="N",
        help="session clock speed factor (demo: default from [demo])",
    )
    run_options.add_argument(
        "--minutes",
        type=_minutes,
        metavar="M",
        help=f"planned infusion minutes ({MIN_INFUSION_MINUTES}-"
        f"{MAX_INFUSION_MINUTES}; default from [plan])",
    )
    app = sub.add_parser("app", parents=[common, run_options], help="open the room's window")
    app.add_argument(
        "--demo",
        action="store_true",
        help="a simulated patient and nurse (no hardware, no real patient)",
    )
    app.set_defaults(handler=lambda args: cmd_run(args, demo=args.demo))
    demo = sub.add_parser(
        "demo",
        parents=[common, run_options],
        help="run a whole simulated session (window if there is a display)",
    )
    demo.set_defaults(handler=lambda args: cmd_run(args, demo=True))
    resume = sub.add_parser(
        "resume",
        parents=[common],
        help="continue an interrupted session from its phase and clock",
    )
    resume.add_argument("id", metavar="ID")
    resume.add_argument("--headless", action="store_true", help="no window")
    resume.add_argument(
        "--speed", type=_speed, metavar="N", help="clock speed (default: the session's own)"
    )
    resume.set_defaults(handler=cmd_resume)


def cmd_run(args: argparse.Namespace, *, demo: bool) -> int:
    config = load(args)
    headless = args.headless
    if not headless and not has_display():
        print("roomctl: no display found; running headless", file=sys.stderr)
        headless = True
    if headless and not demo:
        raise UserError(
            "a clinical session needs the window; use `roomctl demo --headless` for a simulated run"
        )
    default_speed = config.demo.headless_speed if headless else config.demo.window_speed
    speed = args.speed or (default_speed if demo else 1.0)
    store = open_store(args, config)
    try:
        if headless:
            from app.headless import core_app, run_until_done
            from app.runtime import start_session

            core_app()
            runtime = start_session(
                config,
                store,
                speed=speed,
                minutes=args.minutes,
                patient=config.demo.patient,
                course=config.demo.course,
                demo=True,
                auto_nurse=True,
            )
            print(
                f"roomctl demo: session {runtime.room.session_id} at {speed:g}x "
                f"({store.url_for_display})",
                flush=True,
            )
            return run_until_done(runtime, on_phase=_print_phase)
        from app.gui import run_window

        return run_window(config, store, speed=speed, minutes=args.minutes, demo=demo)
    finally:
        store.close()


def _print_phase(event: Event) -> None:
    """A line per durable phase change, so a headless run shows its progress."""
    from app.summary import clock_text

    source = event.data.get("from") or ""
    print(f"  {clock_text(event.t):>9}  {source:>10} → {event.data['to']}", flush=True)


def cmd_resume(args: argparse.Namespace) -> int:
    config = load(args)
    store = open_store(args, config)
    try:
        from app.runtime import resumable

        try:
            info = store.session(args.id)
        except LookupError:
            raise UserError(f"no session {args.id!r} in {store.url_for_display}") from None
        resumable(info)
        headless = args.headless or not has_display()
        if headless:
            if info.mode != "demo":
                raise UserError(
                    f"session {args.id} is a clinical session: resume it in the "
                    "window (`roomctl resume ID` with a display)"
                )
            from app.headless import core_app, run_until_done
            from app.runtime import resume_session

            core_app()
            runtime = resume_session(config, store, args.id, speed=args.speed, auto_nurse=True)
            print(
                f"roomctl: resumed session {args.id} in {runtime.room.state.phase} at "
                f"t={runtime.clock.now():.0f} s",
                flush=True,
            )
            return run_until_done(runtime, on_phase=_print_phase)
        from app.gui import run_window

        return run_window(
            config,
            store,
            speed=args.speed,
            minutes=None,
            demo=info.mode == "demo",
            resume_id=args.id,
        )
    finally:
        store.close()
