"""The therapist's side of the Room: the intention, the soundscape and music levels, notes in
voice. Kept apart from the nurse's commands so each reads on one screen.

Every change is recorded before it is sent to a device, as a ``cue`` (what was asked) or a
``note`` (what was said); the adapters then report what they did, so review shows both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomctl.config import Config
from roomctl.session import SessionState, TransitionError
from roomctl.stage import Stage
from roomctl.timeline.events import Event, Kind

SHAPES = ("brightness", "density", "movement")


class RoomSound:
    config: Config
    state: SessionState
    stage: Stage
    _record: Callable[[Kind, str, dict[str, Any]], Event]

    def _live(self) -> None:
        if not self.state.live:
            raise TransitionError(f"the session has ended ({self.state.phase})")

    def set_intention(self, text: str, by: str = "therapist") -> None:
        """The patient's intention for this session, in their words (shown, exported)."""
        text = text.strip()
        if not text:
            raise TransitionError("an empty intention")
        self._record(Kind.NOTE, by, {"type": "intention", "text": text[:2000], "tags": []})

    def choose_soundscape(
        self, preset: str, level: float, *, seconds: float | None = None, by: str = "therapist"
    ) -> None:
        self._live()
        if not 0.0 <= level <= 1.0:
            raise TransitionError(f"a level is 0-1 (got {level:g})")
        seconds = self.config.soundscape.crossfade_s if seconds is None else seconds
        self._record(
            Kind.CUE,
            by,
            {"action": "soundscape", "preset": preset, "level": level, "seconds": seconds},
        )
        self.stage.choose_soundscape(preset, level, seconds)

    def shape_soundscape(self, by: str = "therapist", **params: float) -> None:
        self._live()
        unknown = sorted(set(params) - set(SHAPES))
        if unknown:
            raise TransitionError(f"unknown soundscape parameter(s): {', '.join(unknown)}")
        for name, value in params.items():
            if not 0.0 <= value <= 1.0:
                raise TransitionError(f"{name} is 0-1 (got {value:g})")
        self._record(Kind.CUE, by, {"action": "soundscape_shape", **params})
        self.stage.shape_soundscape(**params)

    def set_music_level(self, level: float, by: str = "therapist") -> None:
        self._live()
        if not 0.0 <= level <= 1.0:
            raise TransitionError(f"a level is 0-1 (got {level:g})")
        self._record(Kind.CUE, by, {"action": "music_level", "level": level})
        self.stage.set_music_level(level)

    def voice_note(self, path: str, seconds: float, by: str = "therapist") -> None:
        """A voice note recorded beside the session; ``path`` is relative to its folder."""
        if seconds <= 0:
            raise TransitionError("an empty voice note")
        self._record(
            Kind.NOTE,
            by,
            {"type": "voice", "path": path, "seconds": round(seconds, 2), "text": "", "tags": []},
        )
