"""A simulated patient and pump, pure: what the vitals and the pump read at scenario time t.

The simulators turn these values into byte-exact frames of each wire format; keeping the
physiology apart means every format tells the same story for the same scenario and seed, and
tests can check a scenario's numbers without any port. Noise is a deterministic function of the
seed and the second, so a scenario replays identically.

Scenario times are in minutes from the start of the simulation (the demo runs them on the
session clock, so "minute 20" is minute 20 of the session, whatever the speed).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

SCENARIOS = (
    "steady",
    "desaturation",
    "bp-surge",
    "bradycardia",
    "cable-pull",
    "garbage",
    "sensor-off",
)

DESAT_START_MIN, DESAT_DROP_MIN, DESAT_HOLD_MIN = 20.0, 3.0, 2.0
SURGE_PEAK_MIN = 40.0
BRADY_START_MIN, BRADY_MIN = 25.0, 3.0
CABLE_PULL_AT_S, CABLE_PULL_S = 15 * 60.0, 10.0
SENSOR_OFF_AT_S, SENSOR_OFF_S = 12 * 60.0, 30.0


@dataclass(frozen=True, slots=True)
class Vitals:
    """One second of the monitor's numbers; None = the device shows a dash."""

    hr: float | None
    spo2: float | None
    pi: float | None
    rr: float | None
    etco2: float | None
    temp: float | None
    sensor_off: bool = False


@dataclass(frozen=True, slots=True)
class Cuff:
    """One NIBP measurement."""

    sys: int
    dia: int
    map: int
    hr: int


@dataclass(frozen=True, slots=True)
class PumpReading:
    state: str
    rate_ml_h: float
    vi_ml: float
    vtbi_ml: float
    drug: str = "ketamine"
    conc_mg_ml: float = 1.0


def _ramp(t_min: float, start: float, length: float) -> float:
    """0 before ``start``, rising linearly to 1 over ``length`` minutes, 1 after."""
    return min(1.0, max(0.0, (t_min - start) / length))


class Physiology:
    """A calm adult under IV ketamine, and the scripted trouble of one scenario."""

    def __init__(self, scenario: str = "steady", seed: int = 0) -> None:
        if scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {scenario!r} (known: {', '.join(SCENARIOS)})")
        self.scenario = scenario
        self.seed = seed

    def _noise(self, t_s: float, channel: int, spread: float) -> float:
        rng = random.Random(self.seed * 1_000_003 + int(t_s) * 31 + channel)
        return rng.uniform(-spread, spread)

    # ------------------------------------------------------------------ numbers

    def spo2(self, t_s: float) -> float:
        base = 97.5 + self._noise(t_s, 1, 0.6)
        if self.scenario == "desaturation":
            t_min = t_s / 60.0
            down = _ramp(t_min, DESAT_START_MIN, DESAT_DROP_MIN)
            up = _ramp(t_min, DESAT_START_MIN + DESAT_DROP_MIN + DESAT_HOLD_MIN, 2.0)
            base -= 11.5 * (down - up)
        return round(min(100.0, base))

    def hr(self, t_s: float) -> float:
        t_min = t_s / 60.0
        base = 72.0 + 3.0 * math.sin(t_s / 47.0) + self._noise(t_s, 2, 1.5)
        if self.scenario == "bradycardia":
            dip = _ramp(t_min, BRADY_START_MIN, 1.0) - _ramp(
                t_min, BRADY_START_MIN + BRADY_MIN, 1.0
            )
            base -= 30.0 * dip
        if self.scenario == "bp-surge":
            base += 12.0 * self._surge(t_min)
        return round(base)

    def _surge(self, t_min: float) -> float:
        """0 → 1 from minute 36 to the peak at 40, back to 0 by minute 50."""
        return _ramp(t_min, SURGE_PEAK_MIN - 4.0, 4.0) - _ramp(t_min, SURGE_PEAK_MIN, 10.0)

    def sensor_off(self, t_s: float) -> bool:
        return self.scenario == "sensor-off" and (
            SENSOR_OFF_AT_S <= t_s < SENSOR_OFF_AT_S + SENSOR_OFF_S
        )

    def vitals(self, t_s: float) -> Vitals:
        if self.sensor_off(t_s):
            # The oximeter reads nothing; capnography and temperature go on.
            return Vitals(None, None, None, self.rr(t_s), self.etco2(t_s), self.temp(t_s), True)
        pi = round(2.4 + self._noise(t_s, 3, 0.3), 1)
        return Vitals(
            self.hr(t_s), self.spo2(t_s), pi, self.rr(t_s), self.etco2(t_s), self.temp(t_s)
        )

    def rr(self, t_s: float) -> float:
        return round(14.0 + self._noise(t_s, 4, 1.2))

    def etco2(self, t_s: float) -> float:
        return round(36.0 + self._noise(t_s, 5, 1.5))

    def temp(self, t_s: float) -> float:
        return round(36.7 + self._noise(t_s // 60, 6, 0.1), 1)

    def cuff(self, t_s: float) -> Cuff:
        t_min = t_s / 60.0
        surge = self._surge(t_min) if self.scenario == "bp-surge" else 0.0
        # Ketamine raises blood pressure a little on its own over the infusion.
        drift = 8.0 * _ramp(t_min, 5.0, 20.0)
        sys = round(118 + drift + 40.0 * surge + self._noise(t_s, 7, 3))
        dia = round(76 + drift / 2 + 25.0 * surge + self._noise(t_s, 8, 2))
        return Cuff(sys, dia, round((sys + 2 * dia) / 3), round(self.hr(t_s)))

    # ------------------------------------------------------------------ waves and links

    def pleth(self, t_s: float) -> float:
        """The plethysmogram, 0..1, at any instant: a systolic peak and a dicrotic notch."""
        if self.sensor_off(t_s):
            return 0.0
        beat = (t_s * self.hr(t_s) / 60.0) % 1.0
        value = math.exp(-(((beat - 0.18) / 0.07) ** 2)) + 0.35 * math.exp(
            -(((beat - 0.45) / 0.1) ** 2)
        )
        return round(0.1 + 0.75 * value / 1.05, 4)

    def link_down(self, t_s: float) -> bool:
        """Cable pulled: the port is gone for 10 s from minute 15."""
        return (
            self.scenario == "cable-pull"
            and CABLE_PULL_AT_S <= t_s < CABLE_PULL_AT_S + CABLE_PULL_S
        )

    def link_down_since(self, t_s: float) -> bool:
        """True once the cable-pull moment has come (a simulator pulls the cable once)."""
        return self.scenario == "cable-pull" and t_s >= CABLE_PULL_AT_S

    def garbage_bytes(self, t_s: float) -> bytes:
        """Random bytes to interleave this second (only in the garbage scenario)."""
        if self.scenario != "garbage":
            return b""
        rng = random.Random(self.seed * 7919 + int(t_s))
        return bytes(rng.randrange(256) for _ in range(rng.randrange(4, 40)))


def ketamine_pump(
    t_s: float, *, weight_kg: float = 70.0, minutes: float = 40.0, starts_at_s: float = 0.0
) -> PumpReading:
    """0.5 mg/kg over the planned minutes at 1 mg/mL, started by the nurse at ``starts_at_s``;
    stopped before that, keep-vein-open once it is all in."""
    vtbi = round(0.5 * weight_kg, 1)
    rate = round(vtbi * 60.0 / minutes, 1)
    if t_s < starts_at_s:
        return PumpReading("STOP", 0.0, 0.0, vtbi)
    infused = min(vtbi, rate * (t_s - starts_at_s) / 3600.0)
    state = "RUN" if infused < vtbi else "KVO"
    return PumpReading(state, rate if state == "RUN" else 1.0, round(infused, 2), vtbi)
