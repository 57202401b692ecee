"""Null twins of the room's devices: they do nothing but report what they would have done.

Used when the config names backend "null" (no bridge, no speakers): the session runs and
the timeline shows every light scene and music change it would have made, so review and
tests see the same story as with real hardware.
"""

from __future__ import annotations

from roomctl.config import PlaylistConfig, SceneConfig
from roomctl.interfaces import Report
from roomctl.timeline.events import Kind


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
