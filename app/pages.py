"""The window's extra tabs, built here because they need things the UI may not build itself:
the soundscape presets, the headphone preview and the voice recorder (devices), the fitted
music plan (libvlc reads the track lengths), and the timeline store for review.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from roomctl.config import Config
from roomctl.music_plan import Track, fit_playlist, open_ended
from roomctl.roles import Action
from roomctl.room import Room
from roomctl.session import Phase
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.location import data_dir
from roomctl.timeline.store import TimelineStore
from ui.main_window import Tab
from ui.services import PreviewControl


def plan_source(room: Room) -> Callable[[str], list[dict[str, Any]] | None]:
    """The fitted plan of a playlist: the player's own (from its ``plan`` event) once it has
    started, else fitted here to the Room's current planned length from the library. The
    Room's config already has its ``@demo`` playlists resolved (the runtime did that)."""
    played: dict[str, list[dict[str, Any]]] = {}
    tracks: dict[str, list[Track]] = {}
    config = room.config

    def remember(event: Event) -> None:
        if event.kind == Kind.MUSIC and event.data.get("action") == "plan":
            rows = event.data.get("plan")
            if isinstance(rows, list):
                played[str(event.data.get("playlist"))] = rows

    room.subscribe(remember)

    def plan_for(name: str) -> list[dict[str, Any]] | None:
        if name in played:
            return played[name]
        playlist = config.music.playlists.get(name)
        if playlist is None:
            return None
        if name not in tracks:
            from devices.audio.library import LibraryError, load_tracks

            try:
                tracks[name] = load_tracks(playlist.path)
            except LibraryError:
                return None
        music = config.music
        if name == "infusion" or room.state.phase in (Phase.INFUSING, Phase.PAUSED):
            plan = fit_playlist(
                tracks[name],
                room.state.planned_s,
                crossfade_s=music.crossfade_s,
                final_fade_s=music.final_fade_s,
                order=playlist.order,
            )
        else:
            plan = open_ended(tracks[name], crossfade_s=music.crossfade_s, order=playlist.order)
        return [item.as_dict() for item in plan.items]

    return plan_for


def therapist_tab(*, preview: PreviewControl | None, voice_for) -> Tab:
    """The therapist panel for a room (a placeholder before a session opens)."""
    from soundscapes.engine import presets
    from ui.therapist_panel import TherapistPanel

    names = [(p.name, p.description) for p in presets()]

    def build(room: Room | None) -> QWidget:
        if room is None:
            from PySide6.QtWidgets import QLabel

            label = QLabel("The therapist panel opens with the session.")
            label.setObjectName("subtle")
            return label
        return TherapistPanel(
            room,
            role=None,
            presets=names,
            preview=preview,
            voice=voice_for(room) if voice_for is not None else None,
            plan_for=plan_source(room),
            history=room.resumed_from,
        )

    return (Action.VIEW_LIVE, build)


def review_tab(store: TimelineStore, *, play_voice: Callable[[str], None] | None = None) -> Tab:
    """Review of every session in the store (every room's, on a shared PostgreSQL)."""

    def build(room: Room | None) -> QWidget:
        # Imported when the tab is first built (after unlocking), not at cold start: the
        # review screens bring pyqtgraph and the exporters.
        from ui.review.review_page import ReviewPage

        return ReviewPage(
            store,
            room=room,
            play_voice=play_voice,
            export_folder=data_dir(os.environ) / "exports",
        )

    return (Action.REVIEW, build)


def voice_recorder_for(config: Config) -> Callable[[Room], Any] | None:
    """A voice recorder per session, or None when the soundscape backend is null (no audio)."""
    if config.soundscape.backend == "null":
        return None

    def make(room: Room) -> Any:
        from devices.audio.voice_notes import VoiceRecorder

        base = data_dir(os.environ)
        return VoiceRecorder(
            base / "voice" / room.session_id,
            relative_to=base,
            output_device=config.soundscape.preview_device or None,
        )

    return make
