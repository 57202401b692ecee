"""Where the timeline lives, and how to name it without leaking a password.

One rule decides the store for every entry point (app, demo, ``sessions`` CLI), so a nurse's
``--db`` and a clinic's shared PostgreSQL URL in config behave the same everywhere. A URL shown in
a window title, a log line or an error message always goes through :func:`redact` first.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import platformdirs
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

ENV_DB = "ROOMCTL_DB"
ENV_DATA_DIR = "ROOMCTL_DATA_DIR"
DEFAULT_FILE = "timeline.db"
INVALID_URL = "<invalid url>"
_HIDDEN = "***"


def data_dir(env: Mapping[str, str]) -> Path:
    """The folder for roomctl's own files: ``ROOMCTL_DATA_DIR`` or the per-user data folder.

    Made absolute so a URL built from it does not depend on the working directory.
    """
    override = env.get(ENV_DATA_DIR, "").strip()
    if override:
        return Path(override).expanduser().absolute()
    return Path(platformdirs.user_data_dir("roomctl", appauthor=False)).absolute()


def default_store_url(env: Mapping[str, str]) -> str:
    """The SQLite file under :func:`data_dir`, as a URL (path characters escaped)."""
    path = data_dir(env) / DEFAULT_FILE
    return URL.create("sqlite", database=path.as_posix()).render_as_string(hide_password=False)


def resolve_store_url(cli_db: str | None, env: Mapping[str, str], config_url: str | None) -> str:
    """Pick the store URL: ``--db``, else ``ROOMCTL_DB``, else config, else the default file.

    Empty or blank values count as "not given", so an empty ``url = ""`` in a config file or an
    exported-but-empty variable falls through to the next source instead of breaking start-up.
    """
    for candidate in (cli_db, env.get(ENV_DB), config_url):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return default_store_url(env)


def redact(url: str) -> str:
    """``url`` with any password replaced by ``***``; never raises.

    Hides the password in the authority part and in query parameters such as ``password=`` or
    ``sslpassword=`` (libpq accepts both), so the result is safe for logs and the UI.
    """
    try:
        parsed = make_url(url)
        secret_keys = [key for key in parsed.query if "password" in key.lower()]
        if secret_keys:
            parsed = parsed.update_query_dict(dict.fromkeys(secret_keys, _HIDDEN))
        return parsed.render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError, AttributeError):
        return INVALID_URL


def secrets_in(url: str) -> list[str]:
    """The literal secrets in ``url`` (password, password-like query values), for scrubbing.

    Error messages from drivers normally carry no password, but a message is scrubbed of these
    strings before it is shown, so that "normally" is not what keeps a password off a screen.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError, AttributeError):
        return []
    found = [parsed.password] if parsed.password else []
    for key, value in parsed.query.items():
        if "password" in key.lower():
            found.extend([value] if isinstance(value, str) else list(value))
    return [str(secret) for secret in found if secret]


def scrub(text: str, url: str) -> str:
    """``text`` with every secret of ``url`` replaced by ``***``."""
    for secret in sorted(secrets_in(url), key=len, reverse=True):
        text = text.replace(secret, _HIDDEN)
    return text
