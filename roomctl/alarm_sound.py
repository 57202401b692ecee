"""When the staff's alarm tone sounds: pure rules, no audio.

The tone follows the alarm engine's *audio priority* (the highest unacknowledged alarm showing,
silent while audio is paused): it sounds at once when that priority appears or rises, then
repeats while it holds, high every 10 s, medium every 20 s, low every 60 s (IEC 60601-1-8 lets
low-priority tones repeat slowly or not at all). Repeats count in real seconds: a demo's fast
session clock must not turn a tone into a drone.
"""

from __future__ import annotations

from dataclasses import dataclass

from roomctl.alarms import Priority

REPEAT_S = {Priority.HIGH: 10.0, Priority.MEDIUM: 20.0, Priority.LOW: 60.0}


@dataclass
class ToneSchedule:
    """Feed it the audio priority about once a second; it says when to sound which tone."""

    _last_priority: int = 0
    _last_sounded: float | None = None

    def due(self, priority: int, now_real: float) -> Priority | None:
        if priority <= 0:
            self._last_priority, self._last_sounded = 0, None
            return None
        rose = priority > self._last_priority
        self._last_priority = priority
        level = Priority(priority)
        if rose or self._last_sounded is None or now_real - self._last_sounded >= REPEAT_S[level]:
            self._last_sounded = now_real
            return level
        return None
