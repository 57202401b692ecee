"""``roomctl config check [FILE]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from roomctl.config import load_config, user_config_path


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    config = sub.add_parser("config", help="check configuration files")
    csub = config.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(config)
    )
    check = csub.add_parser("check", help="validate the defaults plus FILE (or the user file)")
    check.add_argument("file", metavar="FILE", nargs="?", type=Path)
    check.set_defaults(handler=cmd_config)


def cmd_config(args: argparse.Namespace) -> int:
    target = args.file if args.file is not None else user_config_path()
    load_config(target)
    print(f"{target if target is not None else 'defaults'}: ok")
    return 0
