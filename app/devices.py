"""The one place where a backend named in config becomes a device adapter.

Each builder returns the adapter and registers what must be shut down with it (a bridge
simulator's server, a player's threads) on :class:`Devices`, so the runtime can close
everything in reverse order however the session ends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from roomctl.config import Config
from roomctl.interfaces import Lights, MusicPlayer, Report, SoundscapeOutput
from roomctl.null_devices import NullLights, NullMusicPlayer, NullSoundscapeOutput

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


def build_music(
    config: Config,
    report: Report,
    closers: list[Callable[[], None]],
    *,
    now: Callable[[], float],
    speed: float,
    simulated_card: bool = False,
) -> MusicPlayer:
    """``null`` or ``vlc``: two libvlc players following the fitted plan by session time.

    On the demo's simulated card libvlc plays into JACK too, so the music really sounds on a
    paced card rather than failing over to nothing; that card holds two periods of playback
    latency, which a duck's ramp is shortened by so the duck is still heard within 1 s."""
    settings = config.music
    if settings.backend == "null":
        music: MusicPlayer = NullMusicPlayer(report)
    else:
        from devices.audio.vlc_player import VlcMusicPlayer

        output_latency_s = 0.0
        if simulated_card and settings.output in ("", "jack"):
            from devices.audio.jack_dummy import PERIOD

            # The dummy card runs at the soundscape's rate (build_devices) and declares two
            # periods of playback latency.
            output_latency_s = 2 * PERIOD / config.soundscape.samplerate
        # A real card: libvlc reports no output latency, so 0 (kept simple); its periods are
        # the system's, typically far shorter than the dummy card's.
        music = VlcMusicPlayer(
            report,
            now=now,
            speed=speed,
            volume=settings.volume,
            crossfade_s=settings.crossfade_s,
            final_fade_s=settings.final_fade_s,
            output_device=settings.output_device or None,
            instance_args=(f"--aout={settings.output}",)
            if settings.output
            else ("--aout=jack",)
            if simulated_card
            else (),
            output_latency_s=output_latency_s,
        )
    closers.append(music.close)
    return music


def _device(text: str) -> str | int | None:
    if not text:
        return None
    return int(text) if text.isdigit() else text


def build_soundscape(
    config: Config, report: Report, closers: list[Callable[[], None]]
) -> SoundscapeOutput:
    """``null`` or ``sounddevice``; a missing card raises the technical alarm and the session
    goes on."""
    settings = config.soundscape
    if settings.backend == "null":
        output: SoundscapeOutput = NullSoundscapeOutput(report)
        closers.append(output.close)
        return output
    from devices.audio.soundscape_stream import SoundscapeStream

    device = _device(settings.device)
    stream = SoundscapeStream(
        report, device=device, samplerate=settings.samplerate, blocksize=settings.blocksize
    )
    closers.append(stream.close)
    return stream


def build_devices(
    config: Config,
    report_for: ReportFor,
    *,
    now: Callable[[], float],
    speed: float = 1.0,
    demo: bool = False,
) -> Devices:
    """``now`` is session time: the music plan is followed by it (a demo runs it faster)."""
    closers: list[Callable[[], None]] = []
    simulated_card = False
    wants_card = config.music.backend == "vlc" and not config.music.output_device
    wants_card |= config.soundscape.backend == "sounddevice" and not config.soundscape.device
    if demo and wants_card:
        # A demo on a machine without a sound card plays into JACK's dummy card (a paced
        # simulated card, like the other simulators) when jackd is installed, so PortAudio and
        # libvlc really output audio; a clinical room never does this.
        from devices.audio.sound_card import simulated_card_if_needed

        card = simulated_card_if_needed(config.soundscape.samplerate, report_for("soundscape"))
        if card is not None:
            closers.append(card)
            simulated_card = True
    return Devices(
        lights=build_lights(config, report_for("lights"), closers),
        music=build_music(
            config,
            report_for("music"),
            closers,
            now=now,
            speed=speed,
            simulated_card=simulated_card,
        ),
        soundscape=build_soundscape(config, report_for("soundscape"), closers),
        closers=closers,
    )
