"""A simulated sound card for the demo on a machine without one (a CI box, a server).

With no PortAudio output device the demo would only say "no audio device"; with jackd
installed it instead starts JACK's dummy backend, which runs the soundscape's audio callback
in real time exactly as a card would, so the demo exercises the real output path end to end.
A clinical room never does this: its missing card is a technical alarm.

The card runs 2048-frame periods (``jack_dummy.PERIOD``, 43 ms at 48 kHz), the soundscape's
block size: each period wakes every client once (the soundscape's PortAudio stream and
libvlc's JACK output), at about the same CPU whatever its size, so short periods would make
the demo's sound cost several times what a room's does (docs/decisions/0018). libvlc's
ducked samples enter the card no later than with 512-frame periods, but the card declares two
periods (85 ms) of playback latency that the music player's duck ramp does not count, so on
this simulated card a duck is nominally heard at 1.02-1.08 s instead of 0.96 s (see the
decision); a room's real card is untouched by this choice.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from roomctl.interfaces import Report
from roomctl.timeline.events import Kind


def has_output_device() -> bool:
    try:
        import sounddevice as sd
    except OSError:
        return False
    try:
        sd.query_devices(kind="output")
    except (ValueError, sd.PortAudioError):
        return False
    return True


def simulated_card_if_needed(samplerate: int, report: Report) -> Callable[[], None] | None:
    """Start the dummy card when there is no output device; returns what stops it, or None
    (a real card is there, or jackd is not installed: the stream then reports the problem)."""
    if has_output_device():
        return None
    from devices.audio.jack_dummy import PERIOD, JackUnavailable, jack_dummy_card

    stack = ExitStack()
    try:
        card = stack.enter_context(jack_dummy_card(samplerate=samplerate, period=PERIOD))
    except JackUnavailable as exc:
        stack.close()
        report(
            Kind.SOUNDSCAPE,
            {"action": "sound_card", "outcome": "error", "error": f"no simulated card: {exc}"},
        )
        return None
    report(
        Kind.SOUNDSCAPE,
        {
            "action": "sound_card",
            "outcome": "ok",
            "card": "simulated (JACK dummy)",
            "server": card.name,
            "realtime": card.realtime,
        },
    )
    return stack.close
