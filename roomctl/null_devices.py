"""Null twins of the room's devices and the late report that routes them to a Room.

A twin does nothing but report what it would have done: used when the config names backend
"null" (no bridge, no speakers), by tests, and by the session generator and screenshots, so
review sees the same story as with real hardware. They touch no hardware and live in the core
beside the interfaces they implement, so the core's own generator can use them too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from roomctl.config import PlaylistConfig, SceneConfig
from roomctl.interfaces import Report
from roomctl.timeline.events import Kind

if TYPE_CHECKING:
    from roomctl.room import Room


class NullLights:
    def __init__(self, report: Report) -> None:
        self._report = report

    def apply(self, name: str, scene: SceneConfig) -> None:
        self._report(
            Kind.LIGHTS,
            {
                "action": "apply",
                "scene": name,
                "on": scene.on,
                "brightness": scene.brightness,
                "kelvin": scene.kelvin,
                "transition_s": scene.transition_s,
                "backend": "null",
                "outcome": "ok",
            },
        )

    def close(self) -> None:
        """Nothing to release."""


class NullMusicPlayer:
    def __init__(self, report: Report) -> None:
        self._report = report
        self.volume = 1.0
        self.playing: str | None = None

    def _tell(self, action: str, **data: object) -> None:
        self._report(Kind.MUSIC, {"action": action, "backend": "null", **data})

    def play(
        self,
        name: str,
        playlist: PlaylistConfig,
        planned_s: float | None,
        position_s: float = 0.0,
    ) -> None:
        self.playing = name
        self._tell(
            "play", playlist=name, path=playlist.path, planned_s=planned_s, position_s=position_s
        )

    def refit(self, planned_s: float) -> None:
        self._tell("refit", playlist=self.playing, planned_s=planned_s)

    def pause(self) -> None:
        self._tell("pause", playlist=self.playing)

    def resume(self) -> None:
        self._tell("resume", playlist=self.playing)

    def fade_to(self, volume: float, seconds: float) -> None:
        self.volume = volume
        self._tell("fade", volume=volume, seconds=seconds)

    def stop(self) -> None:
        self._tell("stop", playlist=self.playing)
        self.playing = None

    def close(self) -> None:
        """Nothing to release."""


class NullSoundscapeOutput:
    def __init__(self, report: Report) -> None:
        self._report = report
        self.preset: str | None = None
        self.level = 0.0

    def _tell(self, action: str, **data: object) -> None:
        self._report(Kind.SOUNDSCAPE, {"action": action, "backend": "null", **data})

    def start(self, preset: str, level: float) -> None:
        self.preset, self.level = preset, level
        self._tell("start", preset=preset, level=level)

    def crossfade_to(self, preset: str, level: float, seconds: float) -> None:
        if self.preset == preset and self.level == level:
            return
        self.preset, self.level = preset, level
        self._tell("crossfade", preset=preset, level=level, seconds=seconds)

    def fade_to(self, level: float, seconds: float) -> None:
        self.level = level
        self._tell("fade", preset=self.preset, level=level, seconds=seconds)

    def set_params(self, **params: float) -> None:
        self._tell("shape", preset=self.preset, **params)

    def stop(self) -> None:
        self._tell("stop", preset=self.preset)
        self.preset = None

    def close(self) -> None:
        """Nothing to release."""


class LateReport:
    """Adapters are built before the Room; this keeps their reports until :meth:`bind`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.room: Room | None = None
        self._waiting: list[tuple[Kind, dict[str, Any]]] = []

    def __call__(self, kind: Kind, data: dict[str, Any]) -> None:
        if self.room is None:
            self._waiting.append((kind, data))
        else:
            self.room.report(self.source, kind, data)

    def bind(self, room: Room) -> None:
        self.room = room
        for kind, data in self._waiting:
            room.report(self.source, kind, data)
        self._waiting.clear()
