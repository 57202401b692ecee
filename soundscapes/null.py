"""A soundscape output that plays nothing and reports what it would play (backend "null")."""

from __future__ import annotations

from roomctl.interfaces import Report
from roomctl.timeline.events import Kind


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
