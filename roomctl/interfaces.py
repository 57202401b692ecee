"""The small interfaces the core owns; adapters in ``devices/`` and ``soundscapes/`` implement them.

The Room calls these and never waits on them: an adapter that talks to hardware does its I/O
off the GUI thread and tells the Room what happened through its ``report`` callback, which the
composition root routes back to the GUI thread. That is how "what was asked" (a ``cue`` event)
and "what happened" (a ``lights``/``music``/``soundscape`` event with its outcome) both land on
the timeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from roomctl.config import PlaylistConfig, SceneConfig
from roomctl.timeline.events import Event, Kind, Sample, WaveChunk

#: Hands a callable to the thread that owns the Room (Qt's event loop in the app).
Dispatch = Callable[[Callable[[], None]], None]

#: How an adapter tells the Room what it did: (kind, data) becomes an event from that source.
Report = Callable[[Kind, dict[str, Any]], None]


class Lights(Protocol):
    def apply(self, name: str, scene: SceneConfig) -> None:
        """Set the room to ``scene`` (its own transition time). Never blocks the caller."""
        ...

    def close(self) -> None: ...


class MusicPlayer(Protocol):
    def play(
        self,
        name: str,
        playlist: PlaylistConfig,
        planned_s: float | None,
        position_s: float = 0.0,
    ) -> None:
        """Start ``playlist``; ``planned_s`` is the length to fit it to, when there is one.

        ``position_s`` is how far into the plan to begin: a resumed session's infusion picks
        the music up where the plan says it should be, not from the first track.
        """
        ...

    def refit(self, planned_s: float) -> None:
        """The infusion was extended: re-plan the playlist's tail to the new length."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def fade_to(self, volume: float, seconds: float) -> None:
        """Fade the output level (0-1): ducking and its release both go through here."""
        ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class SoundscapeOutput(Protocol):
    def start(self, preset: str, level: float) -> None: ...

    def crossfade_to(self, preset: str, level: float, seconds: float) -> None: ...

    def fade_to(self, level: float, seconds: float) -> None: ...

    def set_params(self, **params: float) -> None:
        """The therapist's live shaping: brightness, density, movement (each 0-1)."""
        ...

    def stop(self) -> None: ...

    def close(self) -> None: ...


class TimelineSink(Protocol):
    """Where the Room's events go: the store's writer thread in the app, a list in tests."""

    def create_session(self, session: Any, owner_host: str, owner_pid: int) -> None: ...

    def append(self, event: Event) -> None: ...

    def append_samples(self, samples: Sequence[Sample]) -> None: ...

    def append_wave(self, chunk: WaveChunk) -> None: ...

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None: ...
