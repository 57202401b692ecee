"""``roomctl``: the one entry point. Every subcommand has ``--help``; a user error prints one
line on stderr and exits non-zero, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from app.errors import UserError
from roomctl.config import (
    MAX_INFUSION_MINUTES,
    MIN_INFUSION_MINUTES,
    Config,
    ConfigError,
    load_config,
    user_config_path,
)
from roomctl.timeline.events import Event, iso_utc
from roomctl.timeline.location import resolve_store_url
from roomctl.timeline.store import StoreError, TimelineStore

STATUSES = (
    "ready",
    "preparing",
    "infusing",
    "paused",
    "recovering",
    "discharged",
    "aborted",
    "interrupted",
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        help="timeline store URL (else $ROOMCTL_DB, "
        "else [store] url, else SQLite in the user data dir)",
    )
    common.add_argument(
        "--config",
        metavar="FILE",
        type=Path,
        help="user config file (else $ROOMCTL_CONFIG or the user config dir)",
    )

    parser = _Parser(
        prog="roomctl",
        description="Treatment-room controller for "
        "ketamine-assisted therapy: sessions, cues, timeline.",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    run_options = _Parser(add_help=False)
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
    sub.add_parser(
        "demo",
        parents=[common, run_options],
        help="run a whole simulated session (window if there is a display)",
    )

    sessions = sub.add_parser("sessions", help="list, show and verify recorded sessions")
    ssub = sessions.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    listing = ssub.add_parser("list", parents=[common], help="sessions, newest first")
    listing.add_argument("--json", action="store_true", help="a JSON array")
    listing.add_argument("--room")
    listing.add_argument("--patient", help="patient pseudonym")
    listing.add_argument("--status", choices=STATUSES)
    show = ssub.add_parser("show", parents=[common], help="one session and its events")
    show.add_argument("id", metavar="ID")
    show.add_argument("--json", action="store_true", help='{"session": ..., "events": [...]}')
    verify = ssub.add_parser(
        "verify",
        parents=[common],
        help="check the session's audit chain; name the first broken link",
    )
    verify.add_argument("id", metavar="ID")

    resume = sub.add_parser(
        "resume", parents=[common], help="continue an interrupted session from its phase and clock"
    )
    resume.add_argument("id", metavar="ID")
    resume.add_argument("--headless", action="store_true", help="no window")
    resume.add_argument(
        "--speed", type=_speed, metavar="N", help="clock speed (default: the session's own)"
    )

    config = sub.add_parser("config", help="check configuration files")
    csub = config.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=_Parser
    )
    check = csub.add_parser("check", help="validate the defaults plus FILE (or the user file)")
    check.add_argument("file", metavar="FILE", nargs="?", type=Path)
    return parser


# ------------------------------------------------------------------------ helpers


def _config(args: argparse.Namespace) -> Config:
    return load_config(args.config if args.config is not None else user_config_path())


def _open_store(args: argparse.Namespace, config: Config) -> TimelineStore:
    from app.runtime import open_store

    return open_store(resolve_store_url(args.db, os.environ, config.store.url))


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


# ------------------------------------------------------------------------ commands


def cmd_run(args: argparse.Namespace, *, demo: bool) -> int:
    config = _config(args)
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
    store = _open_store(args, config)
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
    config = _config(args)
    store = _open_store(args, config)
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


def cmd_sessions(args: argparse.Namespace) -> int:
    config = _config(args)
    store = _open_store(args, config)
    try:
        if args.action == "list":
            rows = store.sessions(room=args.room, patient=args.patient, status=args.status)
            if args.json:
                print(json.dumps([row.as_json() for row in rows], indent=2))
                return 0
            if not rows:
                print(f"no sessions in {store.url_for_display}")
            for row in rows:
                print(
                    f"{row.id}  {iso_utc(row.started_at)[:16].replace('T', ' ')}Z  "
                    f"{row.room:<10} {row.patient:<14} course {row.course:<3} "
                    f"{row.planned_minutes} min  {row.status}"
                )
            return 0
        try:
            info = store.session(args.id)
        except LookupError:
            raise UserError(f"no session {args.id!r} in {store.url_for_display}") from None
        if args.action == "show":
            events = store.events(args.id)
            if args.json:
                doc = {"session": info.as_json(), "events": [e.as_json() for e in events]}
                print(json.dumps(doc, indent=2, ensure_ascii=False))
                return 0
            from app.summary import clock_text, render

            print(render(info, events, store.url_for_display, None))
            print()
            for e in events:
                print(
                    f"{e.seq:>6} {clock_text(e.t):>9} {e.kind:<10} {e.source:<11} "
                    f"{json.dumps(e.data, ensure_ascii=False)}"
                )
            return 0
        result = store.verify(args.id)
        if result.ok:
            print(f"session {args.id}: audit chain intact ({result.checked} events)")
            return 0
        print(
            f"session {args.id}: audit chain broken at seq {result.first_bad_seq}: {result.reason}",
            file=sys.stderr,
        )
        return 1
    finally:
        store.close()


def cmd_config(args: argparse.Namespace) -> int:
    target = args.file if args.file is not None else user_config_path()
    load_config(target)
    print(f"{target if target is not None else 'defaults'}: ok")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command in ("app", "demo"):
            return cmd_run(args, demo=args.command == "demo" or args.demo)
        if args.command == "resume":
            return cmd_resume(args)
        if args.command == "sessions":
            return cmd_sessions(args)
        return cmd_config(args)
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    except (UserError, StoreError) as exc:
        print(f"roomctl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
