"""Alarm tones for the staff, on their own output device: never the patient's music path.

Three patterns in the spirit of IEC 60601-1-8 (advisory: the bedside monitor's alarms stay
primary): high, two bursts of five pulses (3 + 2); medium, three pulses; low, two slow pulses.
Each pulse is a soft-edged tone of a fundamental and four harmonics, so it is easy to locate
and not shrill. The samples are made once; playing is ``sounddevice.play`` on the staff
device, which returns at once.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from roomctl.alarms import Priority
from roomctl.interfaces import Report
from roomctl.timeline.events import Kind

SAMPLERATE = 48000
PEAK = 10 ** (-6 / 20)  # −6 dBFS: audible at the desk, never clipping
#: (fundamental Hz, pulse s, gap s, pulses per burst, bursts, gap between bursts s)
SHAPES: dict[Priority, tuple[float, float, float, tuple[int, ...], float]] = {
    Priority.HIGH: (660.0, 0.15, 0.08, (3, 2), 0.35),
    Priority.MEDIUM: (550.0, 0.20, 0.15, (3,), 0.0),
    Priority.LOW: (440.0, 0.25, 0.30, (2,), 0.0),
}


def _pulse(freq: float, seconds: float, samplerate: int) -> np.ndarray:
    t = np.arange(int(seconds * samplerate)) / samplerate
    tone = sum(np.sin(2 * np.pi * freq * k * t) / k for k in range(1, 6))
    edge = min(len(t) // 2, int(0.02 * samplerate))  # 20 ms in and out: no clicks
    envelope = np.ones(len(t))
    ramp = np.sin(np.linspace(0, np.pi / 2, edge)) ** 2
    envelope[:edge], envelope[len(t) - edge :] = ramp, ramp[::-1]
    return tone * envelope


def pattern(priority: Priority, samplerate: int = SAMPLERATE) -> np.ndarray:
    """The tone of ``priority`` as float32 mono samples, peak −6 dBFS."""
    freq, pulse_s, gap_s, bursts, burst_gap_s = SHAPES[priority]
    pulse = _pulse(freq, pulse_s, samplerate)
    gap = np.zeros(int(gap_s * samplerate))
    parts: list[np.ndarray] = []
    for i, count in enumerate(bursts):
        if i:
            parts.append(np.zeros(int(burst_gap_s * samplerate)))
        for j in range(count):
            if j:
                parts.append(gap)
            parts.append(pulse)
    out = np.concatenate(parts)
    return (out * (PEAK / np.max(np.abs(out)))).astype(np.float32)


class AlarmTones:
    """Plays a priority's pattern on ``device``; a device that fails is reported once."""

    def __init__(self, device: str | int, report: Report, samplerate: int = SAMPLERATE) -> None:
        self.device = device
        self._report = report
        self._samplerate = samplerate
        self._patterns = {p: pattern(p, samplerate) for p in Priority}
        self._failed = False
        self._text = ""

    def sound(self, priority: Priority) -> None:
        try:
            import sounddevice as sd

            sd.play(self._patterns[priority], self._samplerate, device=self.device)
        except (OSError, ValueError, RuntimeError) as exc:  # PortAudioError is a RuntimeError
            if not self._failed:
                self._failed = True
                self._report(Kind.ALARM, self._alarm(f"{exc}".splitlines()[0] or "no device"))
            return
        if self._failed:
            self._failed = False
            self._report(Kind.ALARM, self._alarm(None))

    def _alarm(self, error: str | None) -> dict[str, Any]:
        if error is not None:  # cleared later under the text it was raised with
            self._text = f"Alarm tones unavailable on {self.device} ({error})"
        return {
            "type": "technical",
            "priority": "low",
            "condition": "alarm_tones",
            "state": "raised" if error is not None else "cleared",
            "text": self._text,
        }
