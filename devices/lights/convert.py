"""Scene → Hue state: the exact conversions from the room's units to the bridge's.

Kept pure (no phue, no I/O, no clock) so that the values the bridge receives can be stated and
property-tested exactly: brightness % → ``bri`` 1..254, kelvin → ``ct`` mired within the lights'
range, seconds → ``transitiontime`` in tenths. ``round`` is Python's (half to even), which is the
formula as the issue writes it; it differs from half-up by one step only at exact halves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from roomctl.config import SceneConfig

BRI_MIN, BRI_MAX = 1, 254
#: What Hue's white-ambiance lights accept, coolest (6500 K) to warmest (2000 K).
DEFAULT_MIRED_RANGE = (153, 500)
#: ``transitiontime`` is a uint16 of deciseconds on the bridge.
TRANSITIONTIME_MAX = 65535


def bri_from_percent(percent: float) -> int:
    """``round(% × 254 / 100)`` kept in 1..254: Hue has no bri 0, "off" is ``on: false``."""
    return min(BRI_MAX, max(BRI_MIN, round(percent * 254 / 100)))


def percent_from_bri(bri: int) -> float:
    """For people reading a bridge's state (status, the simulator's log)."""
    return round(bri * 100 / 254, 1)


def mired_from_kelvin(kelvin: float, mired_range: tuple[int, int] = DEFAULT_MIRED_RANGE) -> int:
    """``round(1,000,000 / K)`` kept in the lights' range (a warmer ask gets the warmest)."""
    low, high = mired_range
    return min(high, max(low, round(1_000_000 / kelvin)))


def kelvin_from_mired(mired: int) -> int:
    return round(1_000_000 / mired)


def transitiontime_from_seconds(seconds: float) -> int:
    """Tenths of a second, 0 for instant, never beyond what the bridge can hold."""
    return min(TRANSITIONTIME_MAX, max(0, round(seconds * 10)))


@dataclass(frozen=True, slots=True)
class HueState:
    """One group action as the bridge receives it."""

    on: bool
    bri: int | None = None
    ct: int | None = None
    xy: tuple[float, float] | None = None
    transitiontime: int = 0

    def body(self) -> dict[str, Any]:
        """The JSON body of ``PUT .../groups/<id>/action`` (off carries no colour)."""
        body: dict[str, Any] = {"on": self.on}
        if self.on:
            if self.bri is not None:
                body["bri"] = self.bri
            if self.ct is not None:
                body["ct"] = self.ct
            if self.xy is not None:
                body["xy"] = [self.xy[0], self.xy[1]]
        body["transitiontime"] = self.transitiontime
        return body


def _state(
    scene: SceneConfig, percent: float, seconds: float, mired_range: tuple[int, int]
) -> HueState:
    if not scene.on:
        return HueState(on=False, transitiontime=transitiontime_from_seconds(seconds))
    return HueState(
        on=True,
        bri=bri_from_percent(percent),
        ct=None if scene.kelvin is None else mired_from_kelvin(scene.kelvin, mired_range),
        xy=None if scene.xy is None else (round(scene.xy[0], 4), round(scene.xy[1], 4)),
        transitiontime=transitiontime_from_seconds(seconds),
    )


def scene_states(
    scene: SceneConfig,
    mired_range: tuple[int, int] = DEFAULT_MIRED_RANGE,
    elapsed_s: float = 0.0,
) -> tuple[HueState, ...]:
    """The group actions that put the room where ``scene`` is ``elapsed_s`` after it began.

    At 0 this is the scene as configured: one action, or for a rise (``from_brightness``) an
    instant step to the start level and then the rise. Later (re-applying after the bridge was
    away) the lights go where the scene would be by now and finish on its schedule, rather than
    replaying a 10-minute rise from the start.
    """
    elapsed = max(0.0, elapsed_s)
    total = scene.transition_s
    remaining = max(0.0, total - elapsed)
    if scene.on and scene.from_brightness is not None and remaining > 0:
        start = scene.from_brightness
        now = start + (scene.brightness - start) * (elapsed / total)
        return (
            _state(scene, now, 0.0, mired_range),
            _state(scene, scene.brightness, remaining, mired_range),
        )
    return (_state(scene, scene.brightness, remaining, mired_range),)
