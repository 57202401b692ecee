"""The errors of the timeline store, and the one line each is shown as.

Kept apart from the store so that every module of the package (engine set-up, migrations, the
append path) can raise them without importing :class:`~roomctl.timeline.store.TimelineStore`.
"""

from __future__ import annotations

from roomctl.timeline.location import scrub


class StoreError(Exception):
    """Anything the timeline store cannot do; the message is one line, safe to show."""


class UnknownSession(StoreError, LookupError):
    """No session with that id in this store."""

    def __init__(self, session_id: str) -> None:
        super().__init__(f"no session {session_id!r} in the timeline store")
        self.session_id = session_id


class SessionExists(StoreError):
    """``create_session`` with an id that already names a different session."""


class StoreUnavailable(StoreError):
    """The database cannot be reached or opened (server down, disk, permissions, locks)."""


def describe_error(exc: BaseException, url: str) -> str:
    """One line for ``exc``: the driver's own message when there is one, secrets of ``url`` hidden.

    SQLAlchemy's messages repeat the SQL, its parameters and a link over several lines; the
    driver's message ("connection refused", "database is locked") is what a nurse can act on.
    """
    if isinstance(exc, StoreError):
        return scrub(str(exc), url)
    orig = getattr(exc, "orig", None)
    source = orig if isinstance(orig, BaseException) else exc
    message = " ".join(str(source).split())
    return scrub(message or type(source).__name__, url)
