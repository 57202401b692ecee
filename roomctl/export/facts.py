"""What a session's timeline adds up to, for a reviewer and for a monitoring form.

Pure: events and samples in, plain records out, nothing read from anywhere. Phases and the
infusion come from :func:`roomctl.session.replay` (the same fold the live Room uses, so a report
never disagrees with the session); the rest (alarm episodes, recovery checks, notes, blood
pressures) is collected from the events and the NIBP samples.

The monitoring summary follows the shape of a REMS patient monitoring form: blood pressure
before dosing, at about 40 minutes after the start of dosing and at the end of monitoring; the
monitoring time and the time until the patient was ready to leave, both counted from the start
of dosing (the infusion's start).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from roomctl.session import Phase, SessionState, replay
from roomctl.timeline.events import Event, Kind

if TYPE_CHECKING:
    from roomctl.export.bundle import Series

#: "BP at about 40 minutes": the cuff reading nearest to dosing + 40 min, if within this.
BP_40_MINUTES = 40.0
BP_40_TOLERANCE_MINUTES = 10.0


@dataclass(frozen=True, slots=True)
class PhaseSpan:
    """A phase from ``start_t`` to ``end_t`` (None while it lasts), entered by ``by``."""

    phase: str
    start_t: float
    end_t: float | None
    by: str

    @property
    def duration_s(self) -> float | None:
        return None if self.end_t is None else self.end_t - self.start_t


@dataclass(frozen=True, slots=True)
class BloodPressure:
    """One cuff measurement (mmHg); a part the monitor did not give is NaN."""

    t: float
    sys: float
    dia: float
    map: float

    def text(self) -> str:
        def part(value: float) -> str:
            return "-" if math.isnan(value) else f"{value:.0f}"

        mean = "" if math.isnan(self.map) else f" ({self.map:.0f})"
        return f"{part(self.sys)}/{part(self.dia)}{mean}"


@dataclass(frozen=True, slots=True)
class AlarmEpisode:
    """One alarm from raised to cleared: what it said and who answered when."""

    alarm_id: str
    priority: str
    text: str
    raised_t: float
    acknowledged_t: float | None
    ended_t: float | None
    channel: str | None
    values: tuple[float, ...]

    @property
    def technical(self) -> bool:
        return self.alarm_id.startswith("technical:")


@dataclass(frozen=True, slots=True)
class RecoveryCheckRow:
    t: float
    n: int
    aldrete: int | None
    moaas: int | None
    passed: bool
    by: str


@dataclass(frozen=True, slots=True)
class NoteRow:
    """A note: ``kind`` is "note", "intention" or "voice" (a recording at ``path``)."""

    t: float
    by: str
    text: str
    tags: tuple[str, ...]
    kind: str = "note"
    seconds: float = 0.0
    path: str = ""


@dataclass(frozen=True, slots=True)
class Milestone:
    t: float
    label: str


@dataclass(frozen=True)
class Facts:
    """What the timeline of one session says, ready for a report (times in session seconds)."""

    state: SessionState
    phases: tuple[PhaseSpan, ...]
    preparing_t: float | None
    dosing_t: float | None
    infusion_end_t: float | None
    discharge_ready_t: float | None
    discharged_t: float | None
    aborted_t: float | None
    abort_reason: str | None
    end_t: float
    milestones: tuple[Milestone, ...]
    checks: tuple[RecoveryCheckRow, ...]
    alarms: tuple[AlarmEpisode, ...]
    notes: tuple[NoteRow, ...]
    blood_pressures: tuple[BloodPressure, ...]
    bp_before_dosing: BloodPressure | None
    bp_at_40: BloodPressure | None
    bp_at_end: BloodPressure | None
    pump_drug: str | None
    volume_infused_ml: float | None

    @property
    def monitoring_minutes(self) -> float | None:
        """Start of dosing to discharge (or to the session's end when it was not discharged)."""
        if self.dosing_t is None:
            return None
        end = self.discharged_t if self.discharged_t is not None else self.end_t
        return (end - self.dosing_t) / 60.0

    @property
    def ready_to_leave_minutes(self) -> float | None:
        """Start of dosing to discharge-ready (the protocol's conditions met)."""
        if self.dosing_t is None or self.discharge_ready_t is None:
            return None
        return (self.discharge_ready_t - self.dosing_t) / 60.0

    def intervals(self) -> list[Interval]:
        """The intervals a reviewer asks about, in minutes (None: it did not happen)."""

        def minutes(start: float | None, end: float | None) -> float | None:
            return None if start is None or end is None else (end - start) / 60.0

        infusion = self.state.infusion_s
        paused = self.state.paused_total_s if self.dosing_t is not None else None
        return [
            Interval("infusion", "Infusion (pauses excluded)", _per_minute(infusion)),
            Interval("paused", "Paused", _per_minute(paused)),
            Interval(
                "infusion_end_to_discharge_ready",
                "Infusion end → discharge-ready",
                minutes(self.infusion_end_t, self.discharge_ready_t),
            ),
            Interval(
                "infusion_end_to_discharged",
                "Infusion end → discharged",
                minutes(self.infusion_end_t, self.discharged_t),
            ),
            Interval(
                "dosing_to_ready_to_leave",
                "Start of dosing → ready to leave",
                self.ready_to_leave_minutes,
            ),
            Interval(
                "total_monitoring",
                "Total monitoring (start of dosing → discharge)",
                self.monitoring_minutes,
            ),
            Interval(
                "in_the_room",
                "In the room (preparation → end)",
                minutes(self.preparing_t, self.end_t),
            ),
        ]


@dataclass(frozen=True, slots=True)
class Interval:
    """A named stretch of the session: ``key`` for machines, ``label`` for people."""

    key: str
    label: str
    minutes: float | None


def _per_minute(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 60.0


def phase_spans(events: Sequence[Event]) -> tuple[PhaseSpan, ...]:
    changes = [e for e in events if e.kind == Kind.PHASE]
    spans = []
    for i, e in enumerate(changes):
        end = changes[i + 1].t if i + 1 < len(changes) else None
        if str(e.data.get("to")) in (Phase.DISCHARGED, Phase.ABORTED):
            end = e.t
        spans.append(PhaseSpan(str(e.data.get("to")), e.t, end, e.source))
    return tuple(spans)


def alarm_episodes(events: Sequence[Event]) -> tuple[AlarmEpisode, ...]:
    """Alarm events grouped from ``raised`` to ``cleared`` per alarm id (audio ones left out)."""
    open_: dict[str, dict[str, Any]] = {}
    done: list[AlarmEpisode] = []

    def close(alarm_id: str, ended_t: float | None) -> None:
        episode = open_.pop(alarm_id)
        values = tuple(episode.pop("values"))
        done.append(AlarmEpisode(ended_t=ended_t, values=values, **episode))

    for event in events:
        if event.kind != Kind.ALARM or "id" not in event.data:
            continue
        data, alarm_id = event.data, str(event.data["id"])
        action = data.get("action")
        value = data.get("value")
        if action == "raised":
            if alarm_id in open_:
                close(alarm_id, event.t)
            open_[alarm_id] = {
                "alarm_id": alarm_id,
                "priority": str(data.get("priority", "")),
                "text": str(data.get("text", alarm_id)),
                "raised_t": event.t,
                "acknowledged_t": None,
                "channel": data.get("channel"),
                "values": [],
            }
        episode = open_.get(alarm_id)
        if episode is None:
            continue
        if isinstance(value, int | float):
            episode["values"].append(float(value))
        if action == "acknowledged" and episode["acknowledged_t"] is None:
            episode["acknowledged_t"] = event.t
        elif action == "cleared":
            close(alarm_id, event.t)
    for alarm_id in list(open_):
        close(alarm_id, None)
    return tuple(sorted(done, key=lambda a: a.raised_t))


def blood_pressures(samples: Mapping[str, Series]) -> tuple[BloodPressure, ...]:
    """Cuff measurements: the NIBP channels' samples joined on their time."""
    by_t: dict[float, dict[str, float]] = {}
    for part in ("sys", "dia", "map"):
        series = samples.get(f"nibp_{part}")
        if series is None:
            continue
        for t, value in zip(series.t.tolist(), series.value.tolist(), strict=True):
            by_t.setdefault(t, {})[part] = value
    readings = []
    for t in sorted(by_t):
        parts = by_t[t]
        reading = BloodPressure(
            t, parts.get("sys", math.nan), parts.get("dia", math.nan), parts.get("map", math.nan)
        )
        if not (math.isnan(reading.sys) and math.isnan(reading.dia)):
            readings.append(reading)
    return tuple(readings)


def _bp_forms(
    readings: Sequence[BloodPressure], dosing_t: float | None, end_t: float
) -> tuple[BloodPressure | None, BloodPressure | None, BloodPressure | None]:
    """(before dosing, at ~40 min, at the end) as a monitoring form asks for them."""
    before = None
    at_40 = None
    if dosing_t is not None:
        earlier = [r for r in readings if r.t <= dosing_t]
        before = earlier[-1] if earlier else None
        target = dosing_t + BP_40_MINUTES * 60.0
        near = [r for r in readings if abs(r.t - target) <= BP_40_TOLERANCE_MINUTES * 60.0]
        at_40 = min(near, key=lambda r: abs(r.t - target)) if near else None
    after = [r for r in readings if r.t <= end_t and (dosing_t is None or r.t > dosing_t)]
    return before, at_40, (after[-1] if after else None)


def _milestones(events: Sequence[Event]) -> tuple[Milestone, ...]:
    found = []
    for e in events:
        label = _milestone_label(e)
        if label:
            found.append(Milestone(e.t, label))
    return tuple(found)


def _milestone_label(e: Event) -> str | None:
    data = e.data
    if e.kind == Kind.PHASE:
        to, reason = data.get("to"), data.get("reason")
        labels = {
            "preparing": "Preparation started",
            "infusing": "Infusion resumed" if data.get("from") == "paused" else "Dosing started",
            "paused": "Infusion paused",
            "recovering": "Infusion ended" + (f" ({reason})" if reason else ""),
            "discharged": "Discharged",
            "aborted": f"Session aborted: {reason}" if reason else "Session aborted",
        }
        return labels.get(str(to))
    if e.kind == Kind.SYSTEM:
        action = data.get("action")
        if action == "infusion_extended":
            return f"Infusion extended by {data.get('by_minutes')} min"
        if action == "baseline":
            return f"Baseline vitals ({data.get('from', 'nurse')})"
        if action in ("emergency_on", "emergency_off"):
            return "Emergency mode " + ("on" if action == "emergency_on" else "off")
        if action == "resumed":
            return f"roomctl resumed the session (gap {float(data.get('gap_s', 0)):.0f} s)"
        return None
    if e.kind == Kind.RECOVERY:
        milestone = data.get("milestone")
        if milestone == "minimum_time_reached":
            return "Minimum recovery time reached"
        if milestone == "discharge_ready":
            return "Discharge-ready"
    return None


def derive_facts(events: Sequence[Event], samples: Mapping[str, Series]) -> Facts:
    """Everything :class:`Facts` holds, from one session's events and samples."""
    state = replay(list(events)) if events else SessionState()
    ends = [events[-1].t] if events else [0.0]
    ends += [float(s.t[-1]) for s in samples.values() if len(s)]
    end_t = max(ends)

    def first(kind: Kind, key: str, value: str) -> Event | None:
        return next((e for e in events if e.kind == kind and e.data.get(key) == value), None)

    discharged = first(Kind.PHASE, "to", "discharged")
    aborted = first(Kind.PHASE, "to", "aborted")
    checks = tuple(
        RecoveryCheckRow(
            e.t,
            int(e.data.get("n", 0)),
            e.data.get("aldrete"),
            e.data.get("moaas"),
            bool(e.data.get("passed")),
            e.source,
        )
        for e in events
        if e.kind == Kind.RECOVERY and e.data.get("milestone") == "check"
    )
    notes = tuple(
        NoteRow(
            e.t,
            e.source,
            str(e.data.get("text", "")),
            tuple(str(tag) for tag in e.data.get("tags", ())),
            str(e.data.get("type", "note")),
            float(e.data.get("seconds", 0.0)),
            str(e.data.get("path", "")),
        )
        for e in events
        if e.kind == Kind.NOTE
    )
    drugs = [e.data["pump_drug"] for e in events if e.kind == Kind.FEED and "pump_drug" in e.data]
    volume = samples.get("pump_vi_ml")
    infused = volume.value[~np.isnan(volume.value)] if volume is not None else np.empty(0)
    readings = blood_pressures(samples)
    dosing_t = state.infusion_started_t
    before, at_40, at_end = _bp_forms(
        readings, dosing_t, discharged.t if discharged is not None else end_t
    )
    return Facts(
        state=state,
        phases=phase_spans(events),
        preparing_t=state.preparing_started_t,
        dosing_t=dosing_t,
        infusion_end_t=state.infusion_ended_t,
        discharge_ready_t=state.discharge_ready_t,
        discharged_t=discharged.t if discharged is not None else None,
        aborted_t=aborted.t if aborted is not None else None,
        abort_reason=str(aborted.data.get("reason")) if aborted is not None else None,
        end_t=end_t,
        milestones=_milestones(events),
        checks=checks,
        alarms=alarm_episodes(events),
        notes=notes,
        blood_pressures=readings,
        bp_before_dosing=before,
        bp_at_40=at_40,
        bp_at_end=at_end,
        pump_drug=str(drugs[-1]) if drugs else None,
        volume_infused_ml=float(infused.max()) if infused.size else None,
    )
