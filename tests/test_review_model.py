"""Review's read model, without Qt: what a reviewer's timeline and course table are made of.

The first tests tell small sessions by hand, event by event; the last ones read generated
sessions back from a store, as the Review tab does.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from roomctl.review import (
    CourseRow,
    alarm_label,
    clock_text,
    course_order,
    course_row,
    event_rows,
    light_bands,
    load_course,
    load_review,
    music_bands,
    review_session,
    soundscape_bands,
    wave_line,
    with_gaps,
)
from roomctl.timeline.arrays import SeriesArrays, WaveArrays
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.generate import generate_session
from roomctl.timeline.sessions import NewSession, SessionInfo
from roomctl.timeline.store import TimelineStore

T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


class Story:
    """A session told event by event, with seq and wall time filled in."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def at(self, t: float, kind: Kind, source: str = "room", **data: Any) -> Story:
        seq = len(self.events) + 1
        self.events.append(Event("s1", seq, t, T0 + timedelta(seconds=t), source, kind, data))
        return self

    def phase(self, t: float, to: str, source: str = "nurse", **data: Any) -> Story:
        return self.at(t, Kind.PHASE, source, to=to, **data)


def info(status: str = "discharged", course: int = 1, sid: str = "s1") -> SessionInfo:
    return SessionInfo(
        id=sid,
        room="Room 1",
        patient="heron-07",
        course=course,
        planned_minutes=40,
        speed=1.0,
        mode="clinical",
        phase=status,
        started_at=T0 + timedelta(days=course),
        ended_at=None,
        last_t=0.0,
        last_wall=T0,
        owner_host=None,
        owner_pid=None,
        heartbeat_at=None,
        meta={},
        status=status,
    )


def series(channel: str, t: list[float], values: list[float]) -> SeriesArrays:
    return SeriesArrays(channel, np.array(t, dtype=float), np.array(values, dtype=float))


def a_session() -> Story:
    """Prepared; 35 minutes of infusion (40 planned) around a 5-minute pause; an SpO2 alarm,
    notes, a voice note, two recovery checks and a discharge."""
    s = Story()
    s.at(0, Kind.SYSTEM, action="session_opened", planned_minutes=40)
    s.phase(0, "ready", "room")
    s.phase(60, "preparing")
    s.at(60, Kind.MUSIC, "music", action="play", playlist="preparation")
    s.at(
        60,
        Kind.LIGHTS,
        "lights",
        action="apply",
        scene="preparing",
        on=True,
        brightness=60.0,
        kelvin=2700,
        outcome="ok",
    )
    s.at(61, Kind.SOUNDSCAPE, "soundscape", action="start", preset="rain", level=0.4)
    s.at(120, Kind.NOTE, "therapist", type="intention", text="To rest", tags=[])
    s.at(
        600,
        Kind.SYSTEM,
        action="baseline",
        values={"nibp_sys": 120.0, "nibp_dia": 78.0, "hr": 70.0},
    )
    s.phase(600, "infusing", planned_minutes=40.0)
    s.at(600, Kind.MUSIC, "music", action="play", playlist="infusion", planned_s=2400.0)
    s.at(
        600,
        Kind.LIGHTS,
        "lights",
        action="apply",
        scene="infusing",
        on=True,
        brightness=15.0,
        kelvin=2200,
        outcome="ok",
    )
    s.at(
        600,
        Kind.SOUNDSCAPE,
        "soundscape",
        action="crossfade",
        preset="ocean",
        level=0.3,
        seconds=10.0,
    )
    raised = {"id": "spo2<94", "priority": "medium", "text": "** SpO2 below 94", "channel": "spo2"}
    s.at(1200, Kind.ALARM, "monitor", action="raised", value=91.0, **raised)
    s.at(1200, Kind.MUSIC, "music", action="fade", volume=0.0, seconds=1.0)  # ducked, still playing
    s.at(1200, Kind.SOUNDSCAPE, "soundscape", action="fade", preset="ocean", level=0.0, seconds=1.0)
    s.at(1220, Kind.ALARM, "nurse", action="acknowledged", **raised)
    s.at(1235, Kind.ALARM, "monitor", action="cleared", value=95.0, **raised)
    s.phase(1500, "paused")
    s.at(1500, Kind.MUSIC, "music", action="pause", playlist="infusion")
    s.at(
        1510,
        Kind.LIGHTS,
        "lights",
        action="apply",
        scene="exam",
        on=True,
        brightness=100.0,
        outcome="error",
    )
    s.phase(1800, "infusing")
    s.at(1800, Kind.MUSIC, "music", action="resume", playlist="infusion")
    s.at(
        2000,
        Kind.NOTE,
        "therapist",
        type="voice",
        path="voice/0001.ogg",
        seconds=12.5,
        text="",
        tags=[],
    )
    s.phase(3000, "recovering", "plan", reason="planned", infusion_s=2100.0)
    s.at(3000, Kind.MUSIC, "music", action="play", playlist="recovery")
    s.at(
        3000,
        Kind.LIGHTS,
        "lights",
        action="apply",
        scene="recovering",
        on=True,
        brightness=50.0,
        kelvin=2700,
        outcome="ok",
    )
    s.at(3000, Kind.RECOVERY, "plan", milestone="recovery_start", infusion_s=2100.0)
    s.at(3600, Kind.NOTE, "nurse", text="Talking, oriented", tags=["oriented"])
    s.at(3900, Kind.RECOVERY, "nurse", milestone="check", n=1, aldrete=8, moaas=4, passed=False)
    raised_tech = {
        "id": "technical:monitor_link",
        "priority": "low",
        "text": "* Monitor feed stale",
    }
    s.at(4000, Kind.ALARM, "monitor", action="raised", **raised_tech)
    s.at(4030, Kind.ALARM, "monitor", action="cleared", **raised_tech)
    s.at(4800, Kind.RECOVERY, "nurse", milestone="check", n=2, aldrete=10, moaas=5, passed=True)
    s.at(4800, Kind.RECOVERY, "room", milestone="discharge_ready", recovery_s=1800.0)
    s.at(5000, Kind.RECOVERY, "nurse", milestone="discharged", recovery_s=2000.0)
    s.phase(5000, "discharged")
    s.at(5000, Kind.MUSIC, "music", action="stop", playlist="recovery")
    s.at(5000, Kind.SOUNDSCAPE, "soundscape", action="stop", preset="ocean")
    return s


BP = {
    "nibp_sys": series("nibp_sys", [300, 900, 1500, 2100, 4000], [118, 131, 152, 140, 124]),
    "nibp_dia": series("nibp_dia", [300, 900, 1500, 2100, 4000], [77, 84, 95, 90, 80]),
}


# ----------------------------------------------------------------------------------- tracks
def test_music_plays_from_start_to_pause_resume_and_stop_ducking_does_not_end_it() -> None:
    bands = music_bands(a_session().events, end_t=5100)
    assert [(b.label, b.start_t, b.end_t) for b in bands] == [
        ("preparation", 60, 600),
        ("infusion", 600, 1500),  # the alarm's duck at 1200 is a fade, not a stop
        ("infusion", 1800, 3000),  # silence while paused
        ("recovery", 3000, 5000),
    ]
    assert bands[1].detail == "planned 40 min"


def test_a_music_player_that_reports_tracks_shows_tracks() -> None:
    """libvlc's player says which file starts and ends; a crossfade overlaps two tracks."""
    s = Story()
    s.at(0, Kind.MUSIC, "music", action="plan", playlist="infusion", planned_s=900.0)
    s.at(0, Kind.MUSIC, "music", action="track_start", path="infusion/01 Stillness.flac")
    s.at(290, Kind.MUSIC, "music", action="track_start", path="infusion/02 Open Sky.ogg")
    s.at(300, Kind.MUSIC, "music", action="track_end", path="infusion/01 Stillness.flac")
    s.at(400, Kind.MUSIC, "music", action="pause", path="infusion/02 Open Sky.ogg")
    s.at(460, Kind.MUSIC, "music", action="resume", path="infusion/02 Open Sky.ogg")
    s.at(600, Kind.MUSIC, "music", action="track_end", path="infusion/02 Open Sky.ogg")
    s.at(600, Kind.MUSIC, "music", action="track_start", path="infusion/03.flac", outcome="error")
    s.at(601, Kind.MUSIC, "music", action="track_start", path="infusion/04 Return.flac")
    assert [(b.label, b.start_t, b.end_t) for b in music_bands(s.events, 900)] == [
        ("01 Stillness", 0, 290),  # hands over where the next one starts
        ("02 Open Sky", 290, 400),
        ("02 Open Sky", 460, 600),
        ("04 Return", 601, 900),  # the failed track never sounded; this one still plays
    ]


def test_soundscape_bands_follow_presets_and_stop() -> None:
    bands = soundscape_bands(a_session().events, end_t=5100)
    assert [(b.label, b.start_t, b.end_t, b.detail) for b in bands] == [
        ("rain", 61, 600, "level 40%"),
        ("ocean", 600, 5000, "level 30%"),
    ]


def test_light_scenes_are_bands_and_a_failed_scene_leaves_the_room_as_it_was() -> None:
    bands = light_bands(a_session().events, end_t=5100)
    assert [(b.label, b.start_t, b.end_t) for b in bands] == [
        ("preparing", 60, 600),
        ("infusing", 600, 3000),  # the exam scene at 1510 failed: still infusing light
        ("recovering", 3000, 5100),
    ]
    assert bands[1].level == pytest.approx(0.15)
    assert bands[1].kelvin == 2200
    assert bands[1].detail == "15%, 2200 K"
    off = Story().at(
        10, Kind.LIGHTS, "lights", action="apply", scene="dark", on=False, outcome="ok"
    )
    (dark,) = light_bands(off.events, 20)
    assert (dark.label, dark.level) == ("off", 0.0)


def test_hue_scenes_read_their_level_from_what_the_bridge_was_sent() -> None:
    """The Hue adapter reports the body it sent: bri 1-254, ct in mireds; a slow rise comes
    in steps of one scene, and a superseded step never reached the lamps."""
    s = Story()
    for t, bri in ((0, 20), (60, 120), (120, 254)):
        state = {"on": True, "bri": bri, "ct": 370, "transitiontime": 600}
        s.at(t, Kind.LIGHTS, "lights", action="apply", scene="rise", state=state, outcome="ok")
    s.at(150, Kind.LIGHTS, "lights", action="apply", scene="dim", outcome="coalesced")
    s.at(
        200,
        Kind.LIGHTS,
        "lights",
        action="reapply",
        scene="rise",
        state={"on": True, "bri": 254, "ct": 370},
        outcome="ok",
    )
    s.at(300, Kind.LIGHTS, "lights", action="apply", scene="off", state={"on": False}, outcome="ok")
    rise, off = light_bands(s.events, 400)
    assert (rise.label, rise.start_t, rise.end_t) == ("rise", 0, 300)
    assert rise.level == 1.0
    assert rise.kelvin == pytest.approx(2703, abs=1)
    assert rise.detail == "100%, 2703 K"
    assert (off.label, off.level, off.end_t) == ("off", 0.0, 400)


def test_alarm_labels_carry_their_priority_marker_once() -> None:
    assert alarm_label("high", "SpO2 below 88") == "*** SpO2 below 88"
    assert alarm_label("medium", "** SpO2 below 94") == "** SpO2 below 94"
    assert alarm_label("low", "*** wrongly marked") == "* wrongly marked"
    assert alarm_label("unknown", "odd") == "odd"


def test_a_session_has_every_track() -> None:
    story = a_session()
    review = review_session(info(), story.events, BP, {})
    assert [b.label for b in review.phases] == [
        "ready",
        "preparing",
        "infusing",
        "paused",
        "infusing",
        "recovering",
    ]
    assert review.phases[-1].end_t == 5000  # discharged is an instant, not a band
    spo2, link = review.alarms
    assert (spo2.label, spo2.raised_t, spo2.acknowledged_t, spo2.end_t) == (
        "** SpO2 below 94",
        1200,
        1220,
        1235,
    )
    assert spo2.cleared
    assert spo2.channel == "spo2"
    assert not spo2.technical
    assert link.technical
    assert link.priority == "low"
    assert link.label == "* Monitor feed stale"
    kinds = [(n.kind, n.voice) for n in review.notes]
    assert kinds == [("intention", False), ("voice", True), ("note", False)]
    voice = review.notes[1]
    assert (voice.path, voice.seconds, voice.title()) == (
        "voice/0001.ogg",
        12.5,
        "Voice note (12 s) by therapist",
    )
    labels = [m.label for m in review.milestones]
    assert "Dosing started" in labels
    assert "Discharge-ready" in labels
    assert "Discharged" in labels
    intervals = dict(review.intervals)
    assert intervals["Infusion (pauses excluded)"] == pytest.approx(35.0)
    assert intervals["Paused"] == pytest.approx(5.0)
    assert intervals["Infusion end → discharge-ready"] == pytest.approx(30.0)
    assert review.end_t == 5000
    assert len(review.rows) == len(story.events)


def test_an_unfinished_session_runs_its_last_phase_and_alarm_to_its_end() -> None:
    s = Story().phase(0, "ready", "room").phase(60, "preparing").phase(600, "infusing")
    s.at(
        900,
        Kind.ALARM,
        "monitor",
        action="raised",
        id="hr>120",
        priority="high",
        text="HR above 120",
    )
    review = review_session(
        info("interrupted"), s.events, {"hr": series("hr", [1000, 1500], [80, 82])}, {}
    )
    assert review.end_t == 1500
    assert review.phases[-1].label == "infusing"
    assert review.phases[-1].end_t == 1500
    (alarm,) = review.alarms
    assert (alarm.label, alarm.end_t, alarm.cleared) == ("*** HR above 120", 1500, False)


def test_event_rows_say_what_happened_in_words() -> None:
    rows = event_rows(a_session().events)
    by_kind = {r.kind: r for r in reversed(rows)}
    assert by_kind["phase"].text == "Phase start → ready"
    assert "SpO2 below 94" in by_kind["alarm"].text
    assert rows[0].seq == 1
    assert rows[0].wall == T0


def test_clock_text_reads_like_a_clock() -> None:
    assert clock_text(0) == "0:00"
    assert clock_text(59.6) == "1:00"
    assert clock_text(3599) == "59:59"
    assert clock_text(3600 + 62) == "1:01:02"
    assert clock_text(-90) == "-1:30"


# ------------------------------------------------------------------------------ gaps, waves
def test_a_silent_monitor_leaves_a_gap_in_the_line() -> None:
    t = np.array([0.0, 1.0, 2.0, 40.0, 41.0])
    v = np.array([70.0, 71.0, 72.0, 90.0, 91.0])
    gt, gv = with_gaps(t, v, max_step=15.0)
    assert gt.tolist()[:4] == [0.0, 1.0, 2.0, 9.5]
    assert gt.tolist()[4:] == [40.0, 41.0]
    assert math.isnan(gv[3])
    assert gv[[0, 1, 2, 4, 5]].tolist() == [70, 71, 72, 90, 91]
    same_t, same_v = with_gaps(t[:3], v[:3], 15.0)
    assert same_t.tolist() == [0.0, 1.0, 2.0]  # no silence: unchanged
    assert not np.isnan(same_v).any()


def _wave(t0: list[float], counts: list[int], rate: float = 4.0) -> WaveArrays:
    values = np.arange(sum(counts), dtype=np.float32)
    return WaveArrays(
        "pleth",
        np.array(t0),
        np.full(len(t0), rate),
        np.array(counts, dtype=np.int64),
        values,
    )


def test_a_wave_is_one_line_until_chunks_stop_following_on() -> None:
    joined = _wave([0.0, 1.0, 2.0], [4, 4, 4])
    t, v = wave_line(joined)
    assert t.tolist() == [i / 4 for i in range(12)]
    assert not np.isnan(v).any()
    broken = _wave([0.0, 1.0, 10.0], [4, 4, 4])  # the monitor was silent for 8 s
    t, v = wave_line(broken)
    assert len(t) == 13
    assert np.isnan(v).sum() == 1
    assert t[8] > 1.75
    assert t[8] < 10.0


# ---------------------------------------------------------------------------------- a course
def test_a_course_row_holds_the_figures_a_team_compares() -> None:
    row = course_row(info(course=3), a_session().events, BP)
    assert isinstance(row, CourseRow)
    assert (row.course, row.status) == (3, "discharged")
    assert row.infusion_minutes == pytest.approx(35.0)
    assert row.paused_minutes == pytest.approx(5.0)
    assert row.end_to_ready_minutes == pytest.approx(30.0)
    assert row.ready_to_leave_minutes == pytest.approx(70.0)
    # The baseline the nurse recorded, not the last cuff before dosing (118/77).
    assert (row.baseline.sys, row.baseline.dia) == (120.0, 78.0)
    assert (row.peak.sys, row.peak.dia, row.peak.t) == (152.0, 95.0, 1500)
    assert row.peak_rise_mmhg == 32.0
    assert row.alarms == {"high": 0, "medium": 1, "low": 0}
    assert (row.alarm_count, row.technical_alarms) == (1, 1)
    assert (row.notes, row.voice_notes) == (2, 1)


def test_without_a_recorded_baseline_the_last_cuff_before_dosing_is_the_baseline() -> None:
    events = [e for e in a_session().events if e.data.get("action") != "baseline"]
    row = course_row(info(), events, BP)
    assert (row.baseline.sys, row.baseline.dia) == (118.0, 77.0)


def test_an_aborted_session_has_no_recovery_figures() -> None:
    s = Story().phase(0, "ready", "room").phase(60, "preparing").phase(600, "infusing")
    s.phase(900, "aborted", reason="nausea")
    row = course_row(info("aborted"), s.events, {})
    assert row.infusion_minutes is None
    assert row.end_to_ready_minutes is None
    assert row.peak is None
    assert row.peak_rise_mmhg is None
    assert row.baseline is None


def test_a_course_is_ordered_by_course_number_then_start() -> None:
    later_first = [info(course=2, sid="b"), info(course=1, sid="a"), info(course=3, sid="c")]
    assert [s.id for s in course_order(later_first)] == ["a", "b", "c"]


# --------------------------------------------------------------------------- from a store
def test_a_generated_session_reads_back_with_every_track(store: TimelineStore) -> None:
    sid = generate_session(store, patient="heron-07", seed=4, pleth_hz=25, pause_minutes=3.0)
    review = load_review(store, sid)
    assert review.info.id == sid
    assert review.info.status == "discharged"
    assert {"hr", "spo2", "rr", "etco2", "nibp_sys", "pump_rate_ml_h", "pump_vi_ml"} <= set(
        review.series
    )
    pleth = review.waves["pleth"]
    assert pleth.values.dtype == np.float32
    assert len(pleth) > 25 * 3600
    assert review.music
    assert review.soundscape
    assert review.lights
    assert review.phases
    assert any(a.label.startswith("** SpO2") for a in review.alarms)
    assert review.facts.checks
    assert review.notes
    assert dict(review.intervals)["Paused"] == pytest.approx(3.0)


def test_a_course_reads_every_session_of_one_patient_oldest_first(store: TimelineStore) -> None:
    for course, minutes in ((2, 45), (1, 40)):
        generate_session(
            store,
            patient="heron-07",
            course=course,
            seed=course,
            pleth=False,
            minutes_infusion=minutes,
            started_at=T0 + timedelta(days=7 * course),
        )
    generate_session(store, patient="otter-03", seed=9, pleth=False, started_at=T0)
    rows = load_course(store, "heron-07")
    assert [(r.course, round(r.infusion_minutes or 0)) for r in rows] == [(1, 40), (2, 45)]
    assert all(r.baseline is not None and r.peak is not None for r in rows)
    assert all(r.end_to_ready_minutes and r.end_to_ready_minutes > 0 for r in rows)
    assert load_course(store, "nobody") == []


def test_a_session_that_recorded_nothing_yet_still_opens(store: TimelineStore) -> None:
    store.create_session(
        NewSession("empty", "Room 1", "wren-11", 1, 40, 1.0, "clinical", T0), "host", 1
    )
    review = load_review(store, "empty")
    assert review.events == ()
    assert review.series == {}
    assert review.waves == {}
    assert (review.phases, review.alarms, review.notes) == ((), (), ())
    assert review.end_t == 0.0
    assert dict(review.intervals)["Infusion (pauses excluded)"] is None
