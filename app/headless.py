"""Running a room with no window: a QCoreApplication event loop drives the cues and the writer's
callbacks, exactly as the window's loop would; the run ends when the session's last phase is
durable on the timeline (or on Ctrl-C, leaving the session resumable)."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Callable
from typing import TextIO

from PySide6.QtCore import QCoreApplication, QTimer

from app import summary
from app.runtime import RoomRuntime
from roomctl.session import TERMINAL, Phase
from roomctl.timeline.events import Event, Kind


def core_app() -> QCoreApplication:
    app = QCoreApplication.instance()
    return app if app is not None else QCoreApplication(sys.argv[:1])


def run_until_done(
    runtime: RoomRuntime,
    *,
    out: TextIO = sys.stdout,
    on_phase: Callable[[Event], None] | None = None,
) -> int:
    """Run the event loop until the session ends; print the summary. Returns an exit code."""
    app = core_app()
    started = time.monotonic()
    interrupted = False

    echo = bool(os.environ.get("ROOMCTL_ECHO_COMMITS"))

    def committed(events: list[Event]) -> None:
        if echo and events:
            # For crash tests: a line per durable batch, so a killer knows what must survive.
            out.write(f"committed {events[-1].seq}\n")
            out.flush()
        for event in events:
            if event.kind != Kind.PHASE:
                continue
            if on_phase is not None:
                on_phase(event)
            if Phase(event.data["to"]) in TERMINAL:
                app.quit()

    def stop(*_: object) -> None:
        nonlocal interrupted
        interrupted = True
        app.quit()

    runtime.room.subscribe_committed(committed)
    previous = signal.signal(signal.SIGINT, stop)
    previous_term = signal.signal(signal.SIGTERM, stop)
    # Python only runs signal handlers between bytecodes: give it a chance every 200 ms.
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        if runtime.room.state.live:
            app.exec()
    finally:
        wake.stop()
        signal.signal(signal.SIGINT, previous)
        signal.signal(signal.SIGTERM, previous_term)
        runtime.close()
    session_id = runtime.room.session_id
    store = runtime.store
    info, events = store.session(session_id), store.events(session_id)
    out.write(summary.render(info, events, store.url_for_display, time.monotonic() - started))
    out.write("\n")
    if interrupted:
        out.write(f"Stopped before the end: resume with `roomctl resume {session_id}`.\n")
        return 130
    return 0
