"""Advisory alarm rules, pure: limits → alarm conditions with on-delays, latching,
acknowledgement and audio pause, in the manner of IEC 60601-1-8.

roomctl's alarms are advisory. The bedside monitor's alarms stay primary; every alarm text says
so through its ``advisory`` flag, and nothing here ever talks to a device. The engine is fed
readings with their session time and returns :class:`AlarmChange` records, which the Room turns
into ``alarm`` events; it keeps no clock of its own, so tests drive it with plain numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from statistics import median

from roomctl.config import AlarmLimitConfig, AlarmsConfig

PREFIX = {3: "***", 2: "**", 1: "*"}


class Priority(IntEnum):
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def named(cls, name: str) -> Priority:
        return cls[name.upper()]


@dataclass(frozen=True, slots=True)
class AlarmChange:
    """Something that happened to an alarm: becomes one ``alarm`` event."""

    alarm_id: str
    action: str  # raised | acknowledged | latched | cleared | audio_paused | audio_resumed
    priority: str
    text: str
    channel: str | None = None
    value: float | None = None
    limit: float | None = None

    def as_data(self) -> dict[str, object]:
        data: dict[str, object] = {
            "id": self.alarm_id,
            "action": self.action,
            "priority": self.priority,
            "text": self.text,
            "advisory": True,
        }
        if self.channel is not None:
            data["channel"] = self.channel
        if self.value is not None:
            data["value"] = self.value
        if self.limit is not None:
            data["limit"] = self.limit
        return data


@dataclass(slots=True)
class _Condition:
    """One rule's alarm state: pending (on-delay running), active, acknowledged, latched."""

    rule_id: str
    priority: Priority
    text: str
    channel: str | None
    limit: float | None
    latching: bool
    violating_since: float | None = None
    active: bool = False
    acknowledged: bool = False
    latched: bool = False  # the condition ended but a high alarm waits for acknowledgement
    last_value: float | None = None


def _rule_id(rule: AlarmLimitConfig) -> str:
    if rule.rise_from_baseline is not None:
        return f"{rule.channel}:rise>={rule.rise_from_baseline:g}"
    if rule.below is not None:
        return f"{rule.channel}<{rule.below:g}"
    return f"{rule.channel}>{rule.above:g}"


def _describe(rule: AlarmLimitConfig) -> str:
    name = rule.label or rule.channel.upper()
    if rule.rise_from_baseline is not None:
        return f"{name} up {rule.rise_from_baseline:g} from baseline"
    if rule.below is not None:
        return f"{name} below {rule.below:g}"
    return f"{name} above {rule.above:g}"


@dataclass
class AlarmEngine:
    """All physiological and technical alarm conditions of one session."""

    config: AlarmsConfig
    baseline: dict[str, float] = field(default_factory=dict)
    _conditions: dict[str, _Condition] = field(default_factory=dict)
    _rules: dict[str, AlarmLimitConfig] = field(default_factory=dict)
    _paused_until: float | None = None
    _paused_at_priority: int = 0

    def __post_init__(self) -> None:
        for rule in self.config.limits:
            rule_id = _rule_id(rule)
            self._rules[rule_id] = rule
            priority = Priority.named(rule.priority)
            self._conditions[rule_id] = _Condition(
                rule_id,
                priority,
                _describe(rule),
                rule.channel,
                rule.below if rule.below is not None else rule.above,
                latching=priority == Priority.HIGH,
            )

    # ----------------------------------------------------------------- baseline

    def set_baseline(self, readings: dict[str, list[float]]) -> dict[str, float]:
        """The median of each channel's readings (the preparing phase's, or typed values)."""
        for channel, values in readings.items():
            if values:
                self.baseline[channel] = float(median(values))
        return dict(self.baseline)

    # ----------------------------------------------------------------- inputs

    def observe(self, channel: str, value: float, t: float) -> list[AlarmChange]:
        """A reading arrived. Returns the changes it causes (possibly none)."""
        changes: list[AlarmChange] = []
        for rule_id, rule in self._rules.items():
            if rule.channel != channel:
                continue
            violating = self._violates(rule, value)
            if violating is None:
                continue
            condition = self._conditions[rule_id]
            condition.last_value = value
            changes += self._update(condition, violating, t, rule.on_delay_s)
        return changes

    def technical(
        self, condition_id: str, active: bool, t: float, text: str, priority: str = "low"
    ) -> list[AlarmChange]:
        """A technical condition (feed stale or lost, sensor off, bad-frame storm, pump alarm)."""
        alarm_id = f"technical:{condition_id}"
        condition = self._conditions.get(alarm_id)
        if condition is None:
            condition = _Condition(
                alarm_id, Priority.named(priority), text, None, None, latching=False
            )
            self._conditions[alarm_id] = condition
        condition.text = text
        return self._update(condition, active, t, on_delay_s=0.0)

    def tick(self, t: float) -> list[AlarmChange]:
        """Time passed: raise conditions whose on-delay ran out, end an expired audio pause."""
        changes: list[AlarmChange] = []
        for rule_id, condition in self._conditions.items():
            rule = self._rules.get(rule_id)
            delay = rule.on_delay_s if rule is not None else 0.0
            since = condition.violating_since
            if since is not None and not condition.active and t - since >= delay:
                changes += self._raise(condition, t)
        if self._paused_until is not None and t >= self._paused_until:
            changes.append(self._resume_audio())
        return changes

    def acknowledge(self, alarm_id: str, t: float) -> list[AlarmChange]:
        condition = self._conditions.get(alarm_id)
        if condition is None or not (condition.active or condition.latched):
            return []
        if condition.latched:
            condition.latched = False
            condition.active = False
            return [self._change(condition, "acknowledged"), self._change(condition, "cleared")]
        condition.acknowledged = True
        return [self._change(condition, "acknowledged")]

    def pause_audio(self, t: float) -> list[AlarmChange]:
        """Silence the (advisory) alarm sound for the configured minutes."""
        self._paused_until = t + self.config.audio_pause_minutes * 60.0
        self._paused_at_priority = max((c.priority for c in self.showing()), default=0)
        return [
            AlarmChange(
                "audio",
                "audio_paused",
                "none",
                f"Alarm audio paused until t={self._paused_until:.0f}",
            )
        ]

    # ----------------------------------------------------------------- views

    def showing(self) -> list[_Condition]:
        """Conditions on the banner (active or latched), highest priority first."""
        shown = [c for c in self._conditions.values() if c.active or c.latched]
        return sorted(shown, key=lambda c: (-c.priority, c.rule_id))

    def audio_priority(self, t: float) -> int:
        """Priority the alarm sound would have now (0: silent or paused)."""
        if self._paused_until is not None and t < self._paused_until:
            return 0
        unacknowledged = [c.priority for c in self.showing() if not c.acknowledged]
        return max(unacknowledged, default=0)

    def paused_remaining(self, t: float) -> float:
        return 0.0 if self._paused_until is None else max(0.0, self._paused_until - t)

    # ----------------------------------------------------------------- internals

    def _violates(self, rule: AlarmLimitConfig, value: float) -> bool | None:
        """True/False, or None when the rule cannot be judged (no baseline yet)."""
        if rule.rise_from_baseline is not None:
            base = self.baseline.get(rule.channel)
            return None if base is None else value - base >= rule.rise_from_baseline
        if rule.below is not None:
            return value < rule.below
        return value > (rule.above if rule.above is not None else float("inf"))

    def _update(
        self, condition: _Condition, violating: bool, t: float, on_delay_s: float
    ) -> list[AlarmChange]:
        if violating:
            condition.latched = False  # the condition is back: it is simply active again
            if condition.violating_since is None:
                condition.violating_since = t
            if not condition.active and t - condition.violating_since >= on_delay_s:
                return self._raise(condition, t)
            return []
        condition.violating_since = None
        if not condition.active:
            return []
        if condition.latching and not condition.acknowledged:
            if condition.latched:
                return []
            condition.latched = True
            return [self._change(condition, "latched")]
        condition.active = False
        condition.acknowledged = False
        return [self._change(condition, "cleared")]

    def _raise(self, condition: _Condition, t: float) -> list[AlarmChange]:
        condition.active = True
        condition.acknowledged = False
        condition.latched = False
        changes = [self._change(condition, "raised")]
        if self._paused_until is not None and condition.priority > self._paused_at_priority:
            changes.append(self._resume_audio())  # a worse alarm breaks through a pause
        return changes

    def _resume_audio(self) -> AlarmChange:
        self._paused_until = None
        self._paused_at_priority = 0
        return AlarmChange("audio", "audio_resumed", "none", "Alarm audio on")

    def _change(self, condition: _Condition, action: str) -> AlarmChange:
        prefix = PREFIX[int(condition.priority)]
        return AlarmChange(
            condition.rule_id,
            action,
            condition.priority.name.lower(),
            f"{prefix} {condition.text}",
            condition.channel,
            condition.last_value,
            condition.limit,
        )
