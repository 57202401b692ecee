"""What a reviewer sees of a session and of a course, derived once from the timeline, without Qt.

Review is read-only: it turns a stored session's events and readings into the tracks a timeline
draws (phase, music, soundscape and light bands; alarm episodes with their priority; notes and
voice notes; recovery milestones and intervals) and a course into one row per session. The
meaning of events comes from :mod:`roomctl.export.facts` (itself the live Room's own fold), so
the review screen, the PDF and the JSON export never disagree about a session.

Everything here is pure except :func:`load_review` and :func:`load_course`, which only read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePath
from typing import Any

import numpy as np

from roomctl.export.describe import describe
from roomctl.export.facts import (
    AlarmEpisode,
    BloodPressure,
    Facts,
    Milestone,
    NoteRow,
    blood_pressures,
    derive_facts,
)
from roomctl.timeline.arrays import SeriesArrays, WaveArrays
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.sessions import SessionInfo
from roomctl.timeline.store import TimelineStore

#: How an alarm's priority is written beside its text (IEC 60601-1-8 style markers).
PRIORITY_MARKS = {"high": "***", "medium": "**", "low": "*"}
PRIORITIES = ("high", "medium", "low")
#: Channels a course row needs: cuff pressures and the pump's volume.
COURSE_CHANNELS = ("nibp_sys", "nibp_dia", "nibp_map", "pump_vi_ml")
#: Sample channels the timeline draws (others stay in the store, and in the exports).
TIMELINE_CHANNELS = (
    "hr",
    "spo2",
    "rr",
    "etco2",
    "nibp_sys",
    "nibp_dia",
    "nibp_map",
    "pump_rate_ml_h",
    "pump_vi_ml",
)
#: Wave channels the timeline draws.
TIMELINE_WAVES = ("pleth",)
#: Event kinds a course row needs (the rest, feed and device reports, are left unread).
COURSE_KINDS = (Kind.PHASE, Kind.RECOVERY, Kind.ALARM, Kind.NOTE, Kind.SYSTEM)


# ------------------------------------------------------------------------------------ tracks
@dataclass(frozen=True, slots=True)
class Band:
    """A stretch of a track (a phase, a playlist or track, a preset, a light scene)."""

    start_t: float
    end_t: float
    label: str
    detail: str = ""
    #: 0..1: how bright a light scene was (None for other tracks).
    level: float | None = None
    kelvin: float | None = None


@dataclass(frozen=True, slots=True)
class AlarmMark:
    """An alarm episode as drawn: from raised to cleared (or the session's end)."""

    alarm_id: str
    priority: str
    label: str
    raised_t: float
    acknowledged_t: float | None
    end_t: float
    cleared: bool
    technical: bool
    #: The reading it is about (``spo2``, ``hr``...), None for a technical alarm.
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class NoteMark:
    """A note, an intention or a voice note (``path`` relative to the voice-note folder)."""

    t: float
    by: str
    kind: str
    text: str
    tags: tuple[str, ...]
    path: str
    seconds: float

    @property
    def voice(self) -> bool:
        return self.kind == "voice" and bool(self.path)

    def title(self) -> str:
        if self.voice:
            return f"Voice note ({self.seconds:.0f} s) by {self.by}"
        what = "Intention" if self.kind == "intention" else "Note"
        tags = f" [{', '.join(self.tags)}]" if self.tags else ""
        return f"{what} by {self.by}{tags}"


@dataclass(frozen=True, slots=True)
class EventRow:
    """One line of the event list."""

    seq: int
    t: float
    wall: datetime
    kind: str
    source: str
    text: str


def alarm_label(priority: str, text: str) -> str:
    """The alarm's text with its priority marker in front, exactly once."""
    mark = PRIORITY_MARKS.get(priority, "")
    bare = text.lstrip("* ").strip()
    return f"{mark} {bare}".strip()


def phase_bands(facts: Facts, end_t: float) -> tuple[Band, ...]:
    """The phases as bands; the one still running (or an unfinished session's) ends at
    ``end_t``. The terminal phases (discharged, aborted) are instants, not bands."""
    bands = []
    for span in facts.phases:
        if span.phase in ("discharged", "aborted"):
            continue
        end = span.end_t if span.end_t is not None else end_t
        bands.append(Band(span.start_t, max(span.start_t, end), span.phase, f"by {span.by}"))
    return tuple(bands)


def _close(bands: list[Band], open_: dict[str, Any] | None, t: float) -> None:
    if open_ is not None and t > open_["start_t"]:
        bands.append(Band(end_t=t, **open_))


class _Bands:
    """Bands from a run of player events: one open at a time, a new one closing it; ``pause``
    ends the open band and ``resume`` continues it as a new band with the same label; ``stop``
    ends it for good."""

    def __init__(self) -> None:
        self.bands: list[Band] = []
        self.current: dict[str, Any] | None = None
        self._paused: dict[str, Any] | None = None

    def open(self, t: float, label: str, detail: str) -> None:
        _close(self.bands, self.current, t)
        self.current = {"start_t": t, "label": label, "detail": detail}
        self._paused = None

    def close(self, t: float) -> None:
        _close(self.bands, self.current, t)
        self.current = None

    def pause(self, t: float) -> None:
        _close(self.bands, self.current, t)
        self._paused, self.current = self.current, None

    def resume(self, t: float) -> None:
        if self._paused is not None:
            self.current, self._paused = {**self._paused, "start_t": t}, None

    def stop(self, t: float) -> None:
        self.close(t)
        self._paused = None

    def follow(self, action: object, t: float) -> None:
        """The actions every player reports alike: pause, resume, stop."""
        if action == "pause":
            self.pause(t)
        elif action == "resume":
            self.resume(t)
        elif action == "stop":
            self.stop(t)

    def finish(self, end_t: float) -> tuple[Band, ...]:
        self.close(end_t)
        return tuple(self.bands)


def _music_events(events: Sequence[Event]) -> list[Event]:
    """The music player's reports of what it did (failures changed nothing audible)."""
    return [e for e in events if e.kind == Kind.MUSIC and e.data.get("outcome", "ok") == "ok"]


def music_bands(events: Sequence[Event], end_t: float) -> tuple[Band, ...]:
    """What music played when: each track, when the player reports tracks (libvlc does:
    ``track_start``/``track_end``), else each playlist. A pause or a stop ends a band and
    ``resume`` continues it; ducking for an alarm is a fade, not a stop."""
    music = _music_events(events)
    tracks = _track_bands(music, end_t)
    return tracks if tracks else _playlist_bands(music, end_t)


def _playlist_bands(music: Sequence[Event], end_t: float) -> tuple[Band, ...]:
    bands = _Bands()
    for e in music:
        action = e.data.get("action")
        if action in ("play", "plan"):
            planned = e.data.get("planned_s")
            detail = f"planned {float(planned) / 60:.0f} min" if planned else ""
            label = str(e.data.get("playlist") or PurePath(str(e.data.get("path", "music"))).name)
            bands.open(e.t, label, detail)
        else:
            bands.follow(action, e.t)
    return bands.finish(end_t)


def _track_bands(music: Sequence[Event], end_t: float) -> tuple[Band, ...]:
    """Tracks from ``track_start`` to their ``track_end`` (or the next track's start: a
    crossfade overlaps them, the band hands over at the new one's start)."""
    bands = _Bands()
    path: str | None = None
    for e in music:
        action = e.data.get("action")
        if action == "track_start":
            path = str(e.data.get("path", ""))
            label = PurePath(path).stem or "track"
            bands.open(e.t, label, str(e.data.get("playlist", "")))
        elif action == "track_end":
            if bands.current is not None and e.data.get("path") == path:
                bands.close(e.t)
        else:
            bands.follow(action, e.t)
    return bands.finish(end_t)


def soundscape_bands(events: Sequence[Event], end_t: float) -> tuple[Band, ...]:
    """Which soundscape preset sounded when, from its start or crossfade to the next or a stop."""
    bands = _Bands()
    for e in events:
        if e.kind != Kind.SOUNDSCAPE or e.data.get("outcome", "ok") != "ok":
            continue
        action = e.data.get("action")
        if action in ("start", "crossfade") and e.data.get("preset"):
            level = e.data.get("level")
            detail = f"level {float(level):.0%}" if isinstance(level, int | float) else ""
            bands.open(e.t, str(e.data["preset"]), detail)
        elif action == "stop":
            bands.close(e.t)
    return bands.finish(end_t)


def _light_state(data: Mapping[str, Any]) -> tuple[bool, float, float | None]:
    """(on, level 0..1, kelvin) of an applied scene: from the Hue body the bridge was sent
    (``state``: ``bri`` 1-254, ``ct`` in mireds) or from the scene's own figures (the null
    lights and the generator report ``brightness`` in percent and ``kelvin``)."""
    state = data.get("state")
    if isinstance(state, Mapping):
        on = bool(state.get("on", True))
        bri, ct = state.get("bri"), state.get("ct")
        level = float(bri) / 254.0 if isinstance(bri, int | float) else 1.0
        kelvin = 1e6 / float(ct) if isinstance(ct, int | float) and ct > 0 else None
    else:
        on = bool(data.get("on", True))
        brightness = float(data.get("brightness", 100.0))
        level = brightness / 100.0 if brightness > 1.0 else brightness
        raw = data.get("kelvin")
        kelvin = float(raw) if isinstance(raw, int | float) else None
    return on, (max(0.0, min(1.0, level)) if on else 0.0), kelvin


def light_bands(events: Sequence[Event], end_t: float) -> tuple[Band, ...]:
    """Which light scene the room was in, from each applied scene to the next.

    A scene the lights failed to apply (or that a newer one superseded) leaves the room as it
    was (the failure is in the event list); the steps of a slow rise and a re-apply after a
    reconnect continue their scene's band, at its latest level; a scene switched off is a band
    labelled "off" at level 0.
    """
    bands: list[Band] = []
    current: dict[str, Any] | None = None
    for e in events:
        data = e.data
        if e.kind != Kind.LIGHTS or data.get("action") not in ("apply", "reapply"):
            continue
        if data.get("outcome", "ok") != "ok":
            continue
        on, level, kelvin = _light_state(data)
        label = str(data.get("scene", "scene")) if on else "off"
        detail = f"{level:.0%}" + (f", {kelvin:.0f} K" if kelvin else "")
        if current is not None and current["label"] == label:
            current.update(level=level, kelvin=kelvin, detail=detail)
            continue
        _close(bands, current, e.t)
        current = {
            "start_t": e.t,
            "label": label,
            "detail": detail,
            "level": level,
            "kelvin": kelvin,
        }
    _close(bands, current, end_t)
    return tuple(bands)


def alarm_marks(episodes: Sequence[AlarmEpisode], end_t: float) -> tuple[AlarmMark, ...]:
    return tuple(
        AlarmMark(
            alarm_id=a.alarm_id,
            priority=a.priority,
            label=alarm_label(a.priority, a.text),
            raised_t=a.raised_t,
            acknowledged_t=a.acknowledged_t,
            end_t=a.ended_t if a.ended_t is not None else max(end_t, a.raised_t),
            cleared=a.ended_t is not None,
            technical=a.technical,
            channel=None if a.channel is None else str(a.channel),
        )
        for a in episodes
    )


def note_marks(notes: Sequence[NoteRow]) -> tuple[NoteMark, ...]:
    return tuple(NoteMark(n.t, n.by, n.kind, n.text, n.tags, n.path, n.seconds) for n in notes)


def event_rows(events: Sequence[Event]) -> tuple[EventRow, ...]:
    return tuple(EventRow(e.seq, e.t, e.wall, str(e.kind), e.source, describe(e)) for e in events)


def clock_text(seconds: float) -> str:
    """Session time as h:mm:ss (m:ss under an hour); negative times get a minus."""
    sign = "-" if seconds < 0 else ""
    whole = round(abs(float(seconds)))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}" if hours else f"{sign}{minutes}:{secs:02d}"


def minutes_text(minutes: float | None) -> str:
    return "–" if minutes is None else f"{minutes:.0f} min"


# ----------------------------------------------------------------------------- one session
@dataclass(frozen=True)
class ReviewSession:
    """One session as review shows it: its readings and every track, derived once."""

    info: SessionInfo
    events: tuple[Event, ...]
    facts: Facts
    series: dict[str, SeriesArrays]
    waves: dict[str, WaveArrays]
    end_t: float
    phases: tuple[Band, ...]
    music: tuple[Band, ...]
    soundscape: tuple[Band, ...]
    lights: tuple[Band, ...]
    alarms: tuple[AlarmMark, ...]
    notes: tuple[NoteMark, ...]
    milestones: tuple[Milestone, ...]
    intervals: tuple[tuple[str, float | None], ...]
    rows: tuple[EventRow, ...]


def session_end_t(
    events: Sequence[Event], series: Mapping[str, SeriesArrays], waves: Mapping[str, WaveArrays]
) -> float:
    """The last session time anything was recorded at."""
    ends = [events[-1].t] if events else [0.0]
    ends += [float(s.t[-1]) for s in series.values() if len(s)]
    for w in waves.values():
        if len(w):
            ends.append(float(w.t0[-1] + w.counts[-1] / w.rate_hz[-1]))
    return max(ends)


def review_session(
    info: SessionInfo,
    events: Sequence[Event],
    series: Mapping[str, SeriesArrays],
    waves: Mapping[str, WaveArrays],
) -> ReviewSession:
    """Every track of a session from what the store holds (pure)."""
    series = {name: s for name, s in series.items() if len(s)}
    waves = {name: w for name, w in waves.items() if len(w)}
    facts = derive_facts(events, series)
    end_t = session_end_t(events, series, waves)
    return ReviewSession(
        info=info,
        events=tuple(events),
        facts=facts,
        series=series,
        waves=waves,
        end_t=end_t,
        phases=phase_bands(facts, end_t),
        music=music_bands(events, end_t),
        soundscape=soundscape_bands(events, end_t),
        lights=light_bands(events, end_t),
        alarms=alarm_marks(facts.alarms, end_t),
        notes=note_marks(facts.notes),
        milestones=facts.milestones,
        intervals=tuple((i.label, i.minutes) for i in facts.intervals()),
        rows=event_rows(events),
    )


def load_review(store: TimelineStore, session_id: str) -> ReviewSession:
    """Read one session for review: its row, its events, and the channels the timeline draws
    (:data:`TIMELINE_CHANNELS`, :data:`TIMELINE_WAVES`)."""
    info = store.session(session_id)
    events = store.events(session_id)
    series = store.sample_arrays(session_id, TIMELINE_CHANNELS)
    waves = {name: store.wave_arrays(session_id, name) for name in TIMELINE_WAVES}
    return review_session(info, events, series, waves)


def with_gaps(t: np.ndarray, value: np.ndarray, max_step: float) -> tuple[np.ndarray, np.ndarray]:
    """``t`` and ``value`` with a NaN wherever readings stop for longer than ``max_step``, so a
    line plot breaks there instead of drawing a straight line across the silence (a monitor
    link that went stale must look like one)."""
    if len(t) < 2:
        return t, value
    cut = np.flatnonzero(np.diff(t) > max_step) + 1
    if not len(cut):
        return t, value
    at = t[cut - 1] + max_step / 2
    return (
        np.insert(t.astype(float, copy=False), cut, at),
        np.insert(value.astype(float, copy=False), cut, np.nan),
    )


def wave_line(wave: WaveArrays) -> tuple[np.ndarray, np.ndarray]:
    """A wave's sample times and values for a line plot, broken where chunks do not follow on
    (more than two samples missing between them)."""
    t = wave.times()
    if len(wave.t0) < 2:
        return t, wave.values
    step = float(np.max(1.0 / wave.rate_hz))
    ends = wave.t0[:-1] + wave.counts[:-1] / wave.rate_hz[:-1]
    if not np.any(wave.t0[1:] - ends > 2 * step):
        return t, wave.values
    return with_gaps(t, wave.values, 2.5 * step)


# ------------------------------------------------------------------------------------ a course
@dataclass(frozen=True)
class CourseRow:
    """One session of a course, in the figures a course review compares."""

    session_id: str
    course: int
    started_at: datetime
    status: str
    infusion_minutes: float | None
    paused_minutes: float | None
    end_to_ready_minutes: float | None
    ready_to_leave_minutes: float | None
    baseline: BloodPressure | None
    peak: BloodPressure | None
    alarms: dict[str, int]
    technical_alarms: int
    notes: int
    voice_notes: int
    volume_ml: float | None

    @property
    def alarm_count(self) -> int:
        return sum(self.alarms.values())

    @property
    def peak_rise_mmhg(self) -> float | None:
        """How far systolic pressure rose above the baseline at its highest."""
        if self.peak is None or self.baseline is None:
            return None
        rise = self.peak.sys - self.baseline.sys
        return None if math.isnan(rise) else rise


def baseline_pressure(events: Sequence[Event], facts: Facts) -> BloodPressure | None:
    """The baseline the nurse recorded (its cuff values), else the last cuff reading before
    dosing."""
    for e in reversed(events):
        if e.kind == Kind.SYSTEM and e.data.get("action") == "baseline":
            values = dict(e.data.get("values") or {})
            if "nibp_sys" in values:
                return BloodPressure(
                    e.t,
                    float(values["nibp_sys"]),
                    float(values.get("nibp_dia", math.nan)),
                    float(values.get("nibp_map", math.nan)),
                )
    return facts.bp_before_dosing


def peak_pressure(facts: Facts) -> BloodPressure | None:
    """The highest systolic cuff reading from the start of dosing to the session's end."""
    if facts.dosing_t is None:
        return None
    after = [r for r in facts.blood_pressures if r.t >= facts.dosing_t and not math.isnan(r.sys)]
    return max(after, key=lambda r: r.sys) if after else None


def course_row(
    info: SessionInfo, events: Sequence[Event], series: Mapping[str, SeriesArrays]
) -> CourseRow:
    """One session's row of the course table (pure)."""
    facts = derive_facts(events, series)
    clinical = [a for a in facts.alarms if not a.technical]
    counts = {p: sum(1 for a in clinical if a.priority == p) for p in PRIORITIES}
    state = facts.state
    end_to_ready = None
    if facts.infusion_end_t is not None and facts.discharge_ready_t is not None:
        end_to_ready = (facts.discharge_ready_t - facts.infusion_end_t) / 60.0
    return CourseRow(
        session_id=info.id,
        course=info.course,
        started_at=info.started_at,
        status=info.status,
        infusion_minutes=None if state.infusion_s is None else state.infusion_s / 60.0,
        paused_minutes=state.paused_total_s / 60.0 if facts.dosing_t is not None else None,
        end_to_ready_minutes=end_to_ready,
        ready_to_leave_minutes=facts.ready_to_leave_minutes,
        baseline=baseline_pressure(events, facts),
        peak=peak_pressure(facts),
        alarms=counts,
        technical_alarms=sum(1 for a in facts.alarms if a.technical),
        notes=sum(1 for n in facts.notes if n.kind != "voice"),
        voice_notes=sum(1 for n in facts.notes if n.kind == "voice"),
        volume_ml=facts.volume_infused_ml,
    )


def course_order(sessions: Sequence[SessionInfo]) -> list[SessionInfo]:
    """A course in the order it happened: by course number, then start."""
    return sorted(sessions, key=lambda s: (s.course, s.started_at, s.id))


def load_course(store: TimelineStore, patient: str) -> list[CourseRow]:
    """Every session of one patient (a pseudonym), oldest first, one row each."""
    rows = []
    for info in course_order(store.sessions(patient=patient)):
        events = store.events(info.id, kinds=COURSE_KINDS)
        series = store.sample_arrays(info.id, COURSE_CHANNELS)
        rows.append(course_row(info, events, series))
    return rows


__all__ = [
    "PRIORITY_MARKS",
    "AlarmMark",
    "Band",
    "BloodPressure",
    "CourseRow",
    "EventRow",
    "NoteMark",
    "ReviewSession",
    "alarm_label",
    "blood_pressures",
    "clock_text",
    "course_row",
    "load_course",
    "load_review",
    "review_session",
]
