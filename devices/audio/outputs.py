"""The machine's audio outputs as PortAudio sees them, and choosing one by name or index.

sounddevice is imported here only when asked for: importing it without PortAudio
(libportaudio2) raises OSError, and a machine without a sound library must still run sessions
(with a technical alarm instead of sound), list what it has, and say clearly what is missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType


class OutputDeviceError(Exception):
    """No usable audio output: PortAudio missing, no such device, or no default device."""


def portaudio() -> ModuleType:
    """sounddevice, or OutputDeviceError when PortAudio (libportaudio2) is not installed."""
    try:
        import sounddevice
    except OSError as exc:  # the library itself is missing
        raise OutputDeviceError(f"PortAudio is not available ({exc})") from None
    return sounddevice


@dataclass(frozen=True)
class OutputDevice:
    """One PortAudio output, as ``roomctl soundscape devices`` lists it."""

    index: int
    name: str
    hostapi: str
    channels: int
    samplerate: float
    default: bool

    def __str__(self) -> str:
        mark = " (default)" if self.default else ""
        return (
            f"{self.index}: {self.name} [{self.hostapi}, {self.channels} ch, "
            f"{self.samplerate:g} Hz]{mark}"
        )


def list_output_devices() -> list[OutputDevice]:
    """Every device PortAudio can play to, in PortAudio's order (its index is stable per run)."""
    sd = portaudio()
    try:
        hostapis, devices = sd.query_hostapis(), sd.query_devices()
    except sd.PortAudioError as exc:
        raise OutputDeviceError(f"PortAudio cannot list devices ({exc})") from None
    try:
        default = int(sd.default.device[1])
    except (TypeError, ValueError, IndexError):
        default = -1
    found = []
    for index, info in enumerate(devices):
        if info["max_output_channels"] <= 0:
            continue
        found.append(
            OutputDevice(
                index=index,
                name=str(info["name"]),
                hostapi=str(hostapis[info["hostapi"]]["name"]),
                channels=int(info["max_output_channels"]),
                samplerate=float(info["default_samplerate"]),
                default=index == default,
            )
        )
    return found


def resolve_output_device(device: str | int | None) -> OutputDevice:
    """The output ``device`` names: None/"" the default, an index, or a name fragment.

    A name matches exactly first, then as a case-insensitive substring; two substring matches
    are ambiguous. Every failure says what was asked and which outputs exist.
    """
    outputs = list_output_devices()
    known = "; ".join(str(d) for d in outputs) or "none"
    if device is None or (isinstance(device, str) and not device.strip()):
        for candidate in outputs:
            if candidate.default:
                return candidate
        raise OutputDeviceError(f"no default audio output (outputs: {known})")
    if isinstance(device, int) or device.strip().isdigit():
        index = int(device)
        for candidate in outputs:
            if candidate.index == index:
                return candidate
        raise OutputDeviceError(f"no audio output with index {index} (outputs: {known})")
    wanted = device.strip().casefold()
    exact = [d for d in outputs if d.name.casefold() == wanted]
    if exact:
        return exact[0]
    partial = [d for d in outputs if wanted in d.name.casefold()]
    if len(partial) == 1:
        return partial[0]
    if partial:
        names = ", ".join(repr(d.name) for d in partial)
        raise OutputDeviceError(f"audio output {device!r} is ambiguous: {names}")
    raise OutputDeviceError(f"no audio output matching {device!r} (outputs: {known})")


def audio_errors() -> tuple[type[Exception], ...]:
    """What opening, starting or stopping a stream raises when the card is the problem."""
    errors: tuple[type[Exception], ...] = (OSError, ValueError, OutputDeviceError)
    try:
        import sounddevice
    except OSError:
        return errors
    return (*errors, sounddevice.PortAudioError)
