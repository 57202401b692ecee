"""What every subcommand needs: the config, the store, and whether there is a screen."""

from __future__ import annotations

import argparse
import os

from app.errors import UserError
from roomctl.config import Config, load_config, user_config_path
from roomctl.timeline.location import resolve_store_url
from roomctl.timeline.store import StoreError, TimelineStore


def load(args: argparse.Namespace) -> Config:
    """The defaults plus ``--config FILE`` (else the user's file); ConfigError on problems."""
    return load_config(args.config if args.config is not None else user_config_path())


def open_store(args: argparse.Namespace, config: Config) -> TimelineStore:
    """The timeline store named by ``--db``, ``$ROOMCTL_DB``, ``[store] url`` or the default."""
    store = TimelineStore(resolve_store_url(args.db, os.environ, config.store.url))
    try:
        store.open()
    except StoreError as exc:
        raise UserError(str(exc)) from None
    return store


def has_display() -> bool:
    if os.environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def positive_number(text: str) -> float:
    """An argparse type: a number above zero (seconds, a speed factor, minutes...)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive (got {text})")
    return value
