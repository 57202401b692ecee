"""The one place where a backend named in config becomes a device adapter.

Each builder returns the adapter and registers what must be shut down with it (a bridge
simulator's server, a player's threads) on :class:`Devices`, so the runtime can close
everything in reverse order however the session ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from devices.null import NullLights, NullMusicPlayer
from roomctl.config import Config
from roomctl.interfaces import Lights, MusicPlayer, Report, SoundscapeOutput
from soundscapes.null import NullSoundscapeOutput

ReportFor = Callable[[str], Report]


@dataclass
class Devices:
    lights: Lights
    music: MusicPlayer
    soundscape: SoundscapeOutput
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        """Close adapters, then whatever they depended on (simulators), newest first."""
        for closer in reversed(self.closers):
            closer()
        self.closers.clear()


def build_lights(config: Config, report: Report, closers: list[Callable[[], None]]) -> Lights:
    lights = NullLights(report)
    closers.append(lights.close)
    return lights


def build_music(config: Config, report: Report, closers: list[Callable[[], None]]) -> MusicPlayer:
    music = NullMusicPlayer(report)
    closers.append(music.close)
    return music


def build_soundscape(
    config: Config, report: Report, closers: list[Callable[[], None]]
) -> SoundscapeOutput:
    output = NullSoundscapeOutput(report)
    closers.append(output.close)
    return output


def build_devices(config: Config, report_for: ReportFor) -> Devices:
    closers: list[Callable[[], None]] = []
    return Devices(
        lights=build_lights(config, report_for("lights"), closers),
        music=build_music(config, report_for("music"), closers),
        soundscape=build_soundscape(config, report_for("soundscape"), closers),
        closers=closers,
    )
