"""``roomctl sessions list|show|verify``: what the timeline holds."""

from __future__ import annotations

import argparse
import json
import sys

from app.commands._shared import load, open_store
from app.errors import UserError
from roomctl.timeline.events import iso_utc

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


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    sessions = sub.add_parser("sessions", help="list, show and verify recorded sessions")
    sessions.set_defaults(handler=cmd_sessions)
    ssub = sessions.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(sessions)
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


def cmd_sessions(args: argparse.Namespace) -> int:
    config = load(args)
    store = open_store(args, config)
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
