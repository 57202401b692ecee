"""Where playlists live: a folder or M3U from config, or ``@demo/NAME``, the music roomctl
generates for the demo (nothing is downloaded).

The demo music is not patient data: it is kept in the user cache dir (``$ROOMCTL_DEMO_MUSIC``
overrides), generated once at set-up (``scripts/bootstrap`` runs ``roomctl playlist demo``)
or on first use, and shared by every demo and test run on the machine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from roomctl.config import Config

DEMO_PREFIX = "@demo/"
DEMO_MUSIC_ENV = "ROOMCTL_DEMO_MUSIC"


def demo_music_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get(DEMO_MUSIC_ENV):
        return Path(env[DEMO_MUSIC_ENV]).expanduser().absolute()
    return Path(platformdirs.user_cache_dir("roomctl", appauthor=False)) / "demo-music"


def ensure_demo_music(env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """The demo playlists' folders, generated when missing (a few seconds, once)."""
    from devices.audio.demo_music import ensure_demo_library

    return ensure_demo_library(demo_music_dir(env))


def resolve_playlists(config: Config, env: Mapping[str, str] | None = None) -> Config:
    """``config`` with every ``@demo/NAME`` playlist path made a real folder."""
    playlists = config.music.playlists
    if not any(p.path.startswith(DEMO_PREFIX) for p in playlists.values()):
        return config
    folders = ensure_demo_music(env)
    resolved = {}
    for name, playlist in playlists.items():
        if playlist.path.startswith(DEMO_PREFIX):
            which = playlist.path.removeprefix(DEMO_PREFIX)
            if which not in folders:
                from app.errors import UserError

                known = ", ".join(DEMO_PREFIX + k for k in sorted(folders))
                raise UserError(
                    f"music.playlists.{name}.path: no demo playlist {playlist.path!r} "
                    f"(known: {known})"
                )
            playlist = playlist.model_copy(update={"path": str(folders[which])})
        resolved[name] = playlist
    music = config.music.model_copy(update={"playlists": resolved})
    return config.model_copy(update={"music": music})
