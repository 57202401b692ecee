"""``roomctl users add ROLE NAME | remove NAME | list``: who may unlock the room's window.

The PIN is asked twice at a hidden prompt (or read from stdin with ``--pin-stdin`` for
provisioning scripts); it never appears in arguments, where ``ps`` and shell history would
keep it.
"""

from __future__ import annotations

import argparse
import getpass
import sys

from app.errors import UserError
from roomctl.roles import Role
from roomctl.users import UserBook, UsersError, users_path


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    users = sub.add_parser("users", help="the room's users, their roles and PINs")
    usub = users.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(users)
    )
    add = usub.add_parser("add", help="add a user with a PIN (asked at a hidden prompt)")
    add.add_argument("role", choices=[r.value for r in Role], metavar="ROLE")
    add.add_argument("name", metavar="NAME", help="the staff member's handle")
    add.add_argument("--pin-stdin", action="store_true", help="read the PIN from stdin")
    add.set_defaults(handler=cmd_add)
    remove = usub.add_parser("remove", help="remove a user")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=cmd_remove)
    listing = usub.add_parser("list", help="users and roles (never PINs)")
    listing.set_defaults(handler=cmd_list)


def _book() -> UserBook:
    try:
        return UserBook(users_path())
    except UsersError as exc:
        raise UserError(str(exc)) from None


def _read_pin(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().strip()
    first = getpass.getpass("PIN (4-8 digits): ")
    if getpass.getpass("PIN again: ") != first:
        raise UserError("the two PINs differ; nothing changed")
    return first


def cmd_add(args: argparse.Namespace) -> int:
    book = _book()
    try:
        user = book.add(Role(args.role), args.name, _read_pin(args.pin_stdin))
    except UsersError as exc:
        raise UserError(str(exc)) from None
    print(f"added {user.role.value} {user.name} to {book.path}")
    return 0


def cmd_remove(args: argparse.Namespace) -> int:
    book = _book()
    try:
        book.remove(args.name)
    except UsersError as exc:
        raise UserError(str(exc)) from None
    print(f"removed {args.name}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for user in _book().users():
        print(f"{user.role.value:<10} {user.name}")
    return 0
