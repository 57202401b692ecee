"""Running the room's window: a QApplication, the main window, and the runtime behind it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from PySide6.QtWidgets import QApplication

from app.pages import review_tab, therapist_tab, voice_recorder_for
from app.runtime import RoomRuntime, resume_session, start_session
from roomctl.config import Config
from roomctl.roles import Role
from roomctl.room import Room
from roomctl.timeline.events import iso_utc
from roomctl.timeline.location import data_dir
from roomctl.timeline.store import TimelineStore
from roomctl.users import UserBook, users_path
from ui.main_window import Auth, MainWindow, Resumable
from ui.services import PreviewControl

#: The demo's users and PINs, shown on its lock screen. Only their scrypt hashes are stored.
DEMO_USERS = (
    (Role.NURSE, "demo-nurse", "1111"),
    (Role.THERAPIST, "demo-therapist", "2222"),
    (Role.STAFF, "demo-staff", "3333"),
)


def demo_user_book() -> UserBook:
    """A user book of its own for the demo (never the clinic's), created on first use."""
    book = UserBook(data_dir(os.environ) / "demo-users.json")
    known = {user.name for user in book.users()}
    for role, name, pin in DEMO_USERS:
        if name not in known:
            book.add(role, name, pin)
    return book


def window_auth(config: Config, demo: bool) -> Auth:
    book = demo_user_book() if demo else UserBook(users_path())
    hint = (
        "Demo PINs: " + ", ".join(f"{name} {pin}" for _, name, pin in DEMO_USERS)
        if demo
        else "Users are added with: roomctl users add nurse|therapist|staff NAME"
    )
    return Auth(
        users=book.users(),
        verify=book.verify,
        lock_after_minutes=config.room.lock_after_minutes,
        hint=hint,
    )


def interrupted_sessions(store: TimelineStore, room_name: str) -> list[Resumable]:
    return [
        Resumable(
            info.id, info.patient, info.phase, iso_utc(info.started_at)[:16].replace("T", " ")
        )
        for info in store.sessions(room=room_name, status="interrupted")
    ]


def build_window(
    config: Config,
    store: TimelineStore,
    *,
    speed: float | None,
    minutes: int | None,
    demo: bool,
    runtimes: list[RoomRuntime],
    closers: list[Callable[[], None]] | None = None,
) -> MainWindow:
    """The window with its session factories; every runtime it starts lands in ``runtimes``,
    and what must be closed with the window (the headphone preview) in ``closers``."""
    closers = closers if closers is not None else []

    def new_session(patient: str, course: int, planned: int) -> Room:
        runtime = start_session(
            config,
            store,
            speed=speed or 1.0,
            minutes=planned,
            patient=patient,
            course=course,
            demo=demo,
            auto_nurse=False,
        )
        runtimes.append(runtime)
        return runtime.room

    def resume(session_id: str) -> Room:
        runtime = resume_session(config, store, session_id, speed=speed, auto_nurse=False)
        runtimes.append(runtime)
        return runtime.room

    tabs = {
        "Therapist": therapist_tab(
            preview=_preview(config, closers), voice_for=voice_recorder_for(config)
        ),
        "Review": review_tab(store),
    }
    return MainWindow(
        room_name=config.room.name,
        new_session=new_session,
        resume_session=resume,
        resumables=interrupted_sessions(store, config.room.name),
        patient=config.demo.patient if demo else "",
        course=config.demo.course,
        minutes=minutes or config.plan.infusion_minutes,
        auth=window_auth(config, demo),
        tabs=tabs,
    )


def _preview(config: Config, closers: list[Callable[[], None]]) -> PreviewControl | None:
    """The therapist's headphones (``[soundscape] preview_device``), or None without audio."""
    if config.soundscape.backend == "null":
        return None
    from devices.audio.soundscape_stream import SoundscapePreview

    device = config.soundscape.preview_device
    preview = SoundscapePreview(
        int(device) if device.isdigit() else (device or None),
        samplerate=config.soundscape.samplerate,
    )
    closers.append(preview.close)
    return preview


def run_window(
    config: Config,
    store: TimelineStore,
    *,
    speed: float | None,
    minutes: int | None,
    demo: bool,
    resume_id: str | None = None,
) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    runtimes: list[RoomRuntime] = []
    closers: list[Callable[[], None]] = []
    window = build_window(
        config,
        store,
        speed=speed,
        minutes=minutes,
        demo=demo,
        runtimes=runtimes,
        closers=closers,
    )
    if resume_id is not None:
        window.open_resumed(resume_id)
    window.show()
    try:
        return app.exec()
    finally:
        for close in closers:
            close()
        for runtime in runtimes:
            runtime.close()
