"""``roomctl``: the one entry point. Every subcommand has ``--help``; a user error prints one
line on stderr and exits non-zero, never a traceback.

Subcommands live in ``app/commands/``, one module per group, each with ``register``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from app.commands import (
    config,
    export,
    feed,
    lights,
    playlist,
    run,
    screenshots,
    sessions,
    sim,
    soundscape,
    users,
)
from app.errors import UserError
from roomctl.config import ConfigError
from roomctl.timeline.store import StoreError
from roomctl.users import UsersError

COMMANDS = (
    run,
    sessions,
    export,
    config,
    feed,
    lights,
    sim,
    users,
    playlist,
    soundscape,
    screenshots,
)


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the command, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


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
    for module in COMMANDS:
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigError as exc:
        for line in exc.lines:
            print(line, file=sys.stderr)
        return 2
    except (UserError, StoreError, UsersError) as exc:
        print(f"roomctl: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
