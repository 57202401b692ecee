"""What the Room does with readings: keep them for the baseline, judge them against the alarm
limits, and tell the Room which samples to store and which alarm changes to record.

Pure and clock-free like the rest of the core; the Room passes session times in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from roomctl.alarms import AlarmChange, AlarmEngine
from roomctl.config import AlarmsConfig

#: Channels whose preparing-phase median becomes the patient's baseline.
BASELINE_CHANNELS = ("hr", "spo2", "rr", "etco2", "nibp_sys", "nibp_dia", "nibp_map")


@dataclass
class Monitoring:
    config: AlarmsConfig
    alarms: AlarmEngine = field(init=False)
    _collected: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    latest: dict[str, tuple[float, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.alarms = AlarmEngine(self.config)

    def readings(
        self, values: Mapping[str, float], t: float, *, collecting_baseline: bool
    ) -> list[AlarmChange]:
        """Numbers from a feed at session time ``t``: remembered, and judged."""
        changes: list[AlarmChange] = []
        for channel, value in values.items():
            self.latest[channel] = (t, value)
            if collecting_baseline and channel in BASELINE_CHANNELS:
                self._collected[channel].append(value)
            changes += self.alarms.observe(channel, value, t)
        return changes

    def baseline_from_preparation(self) -> dict[str, float]:
        """The median of each channel's preparing-phase readings (empty if none came)."""
        return self.alarms.set_baseline(dict(self._collected))

    def set_baseline(self, values: Mapping[str, float]) -> dict[str, float]:
        """Baseline values the nurse entered (or restored from the timeline on resume)."""
        return self.alarms.set_baseline({k: [float(v)] for k, v in values.items()})
