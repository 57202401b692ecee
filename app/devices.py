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
    """``null``, ``sim`` (a bridge simulator on loopback, driven over HTTP through phue like a
    real one) or ``hue`` (the room's bridge, with the key stored by ``roomctl lights pair``)."""
    settings = config.lights
    if settings.backend == "null":
        lights: Lights = NullLights(report)
        closers.append(lights.close)
        return lights
    # Imported here: a room without Hue never loads phue or starts an HTTP server.
    from devices.lights.hue import HueLights
    from devices.lights.keys import key_file_path, load_key

    key_file = key_file_path(settings.key_file)
    if settings.backend == "sim":
        from devices.sim.hue_bridge import HueBridgeSim

        sim = HueBridgeSim(lights=settings.sim_lights)
        sim.start()
        closers.append(sim.stop)
        hue = HueLights(
            bridge=sim.address,
            username=sim.create_user("roomctl#demo"),
            report=report,
            key_file=key_file,  # handed to phue as config_file_path; never read or written
            group=settings.group,
            mired_range=settings.mired_range,
            backend="sim",
        )
    else:
        address = settings.bridge
        hue = HueLights(
            bridge=address,
            # Read at every attempt: pairing in another terminal heals a running session.
            username=lambda: load_key(key_file, address),
            report=report,
            key_file=key_file,
            group=settings.group,
            mired_range=settings.mired_range,
            backend="hue",
        )
    closers.append(hue.close)
    return hue


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
