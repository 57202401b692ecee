"""The session engine told as the room's story, on a fake clock: no Qt, no store, no hardware."""

from __future__ import annotations

import pytest

from roomctl.session import Phase, TransitionError, replay
from roomctl.timeline.events import Kind
from tests.roomkit import FAILING, PASSING, new_room, resume_room


def reminders(kit, text: str) -> list[float]:
    return [e.t for e in kit.sink.of_kind(Kind.REMINDER) if e.data["text"] == text]


def test_a_whole_session_from_ready_to_discharged() -> None:
    kit = new_room()
    assert kit.phase == Phase.READY

    kit.room.prepare()
    lights = kit.sink.of_kind(Kind.LIGHTS)
    assert lights[-1].data["scene"] == "preparing"
    assert lights[-1].data["brightness"] == 60
    kit.advance_minutes(5)

    kit.room.start_infusion()
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "infusing"
    music = kit.sink.of_kind(Kind.MUSIC)[-1]
    assert music.data == {
        "action": "play",
        "backend": "null",
        "playlist": "infusion",
        "path": "@demo/infusion",
        "planned_s": 2400.0,
        "position_s": 0.0,
    }
    start = kit.clock.now()

    kit.run_until(start + 2400 + 1)  # the planned end ends the infusion by itself
    assert kit.phase == Phase.RECOVERING
    assert reminders(kit, "BP check") == [start + 900, start + 1800]
    recovering = next(t for to, t in kit.sink.phases() if to == "recovering")
    assert recovering == pytest.approx(start + 2400)
    assert kit.room.state.infusion_s == pytest.approx(2400)
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "recovering"

    kit.advance_minutes(15)
    kit.room.recovery_check(aldrete=PASSING, moaas=5)
    with pytest.raises(TransitionError, match="minimum recovery time"):
        kit.room.discharge()
    kit.advance_minutes(15)
    kit.room.recovery_check(aldrete=PASSING, moaas=5)
    milestones = [e.data["milestone"] for e in kit.sink.of_kind(Kind.RECOVERY)]
    assert milestones[-1] == "discharge_ready"

    kit.room.discharge()
    assert kit.phase == Phase.DISCHARGED
    assert [to for to, _ in kit.sink.phases()] == [
        "ready",
        "preparing",
        "infusing",
        "recovering",
        "discharged",
    ]
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["action"] == "stop"
    assert not [j for j in kit.scheduler.job_ids() if j.startswith("cue:")]


def test_seq_strictly_increases_and_t_never_runs_backwards() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.advance_minutes(1)
    kit.room.start_infusion()
    kit.advance_minutes(41)
    seqs = [e.seq for e in kit.sink.events]
    assert seqs == list(range(1, len(seqs) + 1))
    ts = [e.t for e in kit.sink.events]
    assert ts == sorted(ts)


def test_pausing_shifts_every_pending_cue() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    start = kit.clock.now()
    kit.advance_minutes(10)
    kit.room.pause()
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["action"] == "pause"
    kit.advance_minutes(7)  # nothing fires while paused
    assert reminders(kit, "BP check") == []
    kit.room.resume_infusion()
    kit.run_until(start + 3000)
    assert reminders(kit, "BP check") == [start + 900 + 420, start + 1800 + 420]
    recovering = next(t for to, t in kit.sink.phases() if to == "recovering")
    assert recovering == pytest.approx(start + 2400 + 420)
    assert kit.room.state.infusion_s == pytest.approx(2400)


def test_extending_moves_the_end_and_adds_the_checks_that_now_fit() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    start = kit.clock.now()
    kit.advance_minutes(30)
    kit.room.extend(10)
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data == {
        "action": "refit",
        "backend": "null",
        "playlist": "infusion",
        "planned_s": 3000.0,
    }
    kit.room.extend(10)
    with pytest.raises(TransitionError, match="60-minute maximum"):
        kit.room.extend(5)
    with pytest.raises(TransitionError, match="extend by one of"):
        kit.room.extend(7)
    kit.run_until(start + 3700)
    assert reminders(kit, "BP check") == [start + 900, start + 1800, start + 2700]
    assert kit.room.state.infusion_s == pytest.approx(3600)


def test_emergency_is_an_overlay_that_any_phase_can_enter_and_leave() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    kit.advance_minutes(20)
    kit.room.emergency(True)
    assert kit.phase == Phase.INFUSING
    assert kit.room.state.emergency
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "emergency"
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["brightness"] == 100
    duck = kit.sink.of_kind(Kind.MUSIC)[-1].data
    assert (duck["action"], duck["volume"], duck["seconds"]) == ("fade", 0.0, 1.0)
    with pytest.raises(TransitionError, match="already in emergency"):
        kit.room.emergency(True)
    kit.room.emergency(False)
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "infusing"
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["volume"] == 0.7


def test_only_allowed_transitions_happen() -> None:
    kit = new_room()
    with pytest.raises(TransitionError, match="cannot go from ready to infusing"):
        kit.room.start_infusion()
    with pytest.raises(TransitionError):
        kit.room.pause()
    with pytest.raises(TransitionError, match="no infusion to end"):
        kit.room.end_infusion()
    with pytest.raises(TransitionError, match="not in recovery"):
        kit.room.discharge()
    kit.room.prepare()
    with pytest.raises(TransitionError, match="recovery checks belong to recovery"):
        kit.room.recovery_check(aldrete=PASSING)
    kit.room.abort("patient declined")
    assert kit.phase == Phase.ABORTED
    with pytest.raises(TransitionError):
        kit.room.emergency(True)


def test_a_failing_check_breaks_the_streak() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    kit.room.end_infusion()
    kit.advance_minutes(15)
    kit.room.recovery_check(aldrete=PASSING)
    kit.advance_minutes(15)
    kit.room.recovery_check(aldrete=FAILING)
    assert kit.room.state.discharge_ready_t is None
    kit.advance_minutes(15)
    kit.room.recovery_check(aldrete=PASSING)
    assert kit.room.state.discharge_ready_t is None
    kit.room.recovery_check(aldrete=PASSING)
    assert kit.room.state.discharge_ready_t == kit.clock.now()


def test_passing_checks_before_the_minimum_become_ready_when_it_is_reached() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    kit.room.end_infusion()
    ended = kit.clock.now()
    kit.advance_minutes(5)
    kit.room.recovery_check(aldrete=PASSING)
    kit.advance_minutes(5)
    kit.room.recovery_check(aldrete=PASSING)
    assert kit.room.state.discharge_ready_t is None
    kit.run_until(ended + 1800)
    assert kit.room.state.discharge_ready_t == pytest.approx(ended + 1800)


def test_resuming_replays_to_the_same_state_and_fires_what_was_missed_late() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    start = kit.clock.now()
    kit.advance_minutes(12)
    kit.room.note("tearful, then calm", ["tearful"])
    before = list(kit.sink.events)

    # The process dies here; a new one resumes 6 session-minutes later.
    resumed = resume_room(before, at_t=kit.clock.now() + 360)
    assert resumed.room.state.phase == Phase.INFUSING
    assert resumed.room.state.infusion_started_t == start
    gap = resumed.sink.events[len(before)]
    assert gap.kind == Kind.SYSTEM
    assert gap.data["action"] == "resumed"
    assert gap.data["gap_s"] == pytest.approx(360)
    assert gap.seq == before[-1].seq + 1
    # The room is set back to the phase's scene, and the 15-minute BP check fires late.
    assert resumed.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "infusing"
    resumed.scheduler.advance(0)
    late = [e for e in resumed.sink.of_kind(Kind.REMINDER) if e.data["text"] == "BP check"]
    assert [round(e.data["late_s"]) for e in late] == [180]
    resumed.run_until(start + 2500)
    assert resumed.room.state.phase == Phase.RECOVERING
    assert replay(resumed.sink.events) == resumed.room.state


def test_a_cue_never_fires_twice_across_a_resume() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    kit.advance_minutes(16)
    resumed = resume_room(list(kit.sink.events), at_t=kit.clock.now())
    resumed.advance_minutes(10)
    ids = [e.data["cue_id"] for e in resumed.sink.of_kind(Kind.REMINDER)]
    assert len(ids) == len(set(ids))


def test_notes_are_kept_with_their_tags() -> None:
    kit = new_room()
    kit.room.note("eyes open, talking", ["eyes open", "calm", "calm"])
    note = kit.sink.of_kind(Kind.NOTE)[-1]
    assert note.data == {"text": "eyes open, talking", "tags": ["calm", "eyes open"]}
    assert note.source == "therapist"
    with pytest.raises(TransitionError, match="empty note"):
        kit.room.note("   ")


def test_spo2_drops_alarm_raised_music_ducked_then_restored() -> None:
    kit = new_room()
    kit.room.prepare()
    for _ in range(5):
        kit.room.readings("monitor", {"hr": 72, "spo2": 97, "nibp_sys": 118, "nibp_dia": 76})
        kit.advance_minutes(1)
    kit.room.start_infusion()
    baseline = [e for e in kit.sink.of_kind(Kind.SYSTEM) if e.data["action"] == "baseline"]
    assert baseline[0].data["values"] == {"hr": 72, "spo2": 97, "nibp_sys": 118, "nibp_dia": 76}
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "infusing"

    kit.advance_minutes(20)
    for _ in range(12):  # SpO2 drops and stays down past the on-delay
        kit.room.readings("monitor", {"spo2": 88})
        kit.scheduler.advance(1)
        kit.room.tick_alarms()
    alarms = kit.sink.of_kind(Kind.ALARM)
    assert [(a.data["id"], a.data["action"]) for a in alarms] == [("spo2<90", "raised")]
    assert alarms[0].data["text"] == "*** SpO2 below 90"
    assert alarms[0].data["advisory"] is True
    duck = kit.sink.of_kind(Kind.MUSIC)[-1].data
    assert (duck["action"], duck["volume"], duck["seconds"]) == ("fade", 0.0, 1.0)

    kit.room.acknowledge_alarm("spo2<90")
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["volume"] == 0.7  # acknowledged: sound back
    kit.room.readings("monitor", {"spo2": 96})
    actions = [a.data["action"] for a in kit.sink.of_kind(Kind.ALARM)]
    assert actions == ["raised", "acknowledged", "cleared"]
    assert len(kit.sink.samples) == 5 * 4 + 12 + 1


def test_a_bp_rise_from_the_nurses_baseline_is_a_medium_alarm() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.set_baseline({"nibp_sys": 112, "nibp_dia": 70})
    kit.room.start_infusion()
    assert not [e for e in kit.sink.of_kind(Kind.SYSTEM) if e.data.get("from") == "preparation"]
    kit.advance_minutes(38)
    kit.room.readings("nibp", {"nibp_sys": 154, "nibp_dia": 88})
    (alarm,) = kit.sink.of_kind(Kind.ALARM)
    assert (alarm.data["id"], alarm.data["priority"]) == ("nibp_sys:rise>=40", "medium")


def test_a_technical_condition_reported_by_a_device_is_an_alarm() -> None:
    kit = new_room()
    report = {"type": "technical", "condition": "lights_unreachable", "priority": "low"}
    kit.room.report(
        "lights", Kind.ALARM, {**report, "state": "raised", "text": "Lights unreachable"}
    )
    kit.room.report(
        "lights", Kind.ALARM, {**report, "state": "cleared", "text": "Lights unreachable"}
    )
    alarms = kit.sink.of_kind(Kind.ALARM)
    assert [(a.source, a.data["action"], a.data["text"]) for a in alarms] == [
        ("lights", "raised", "* Lights unreachable"),
        ("lights", "cleared", "* Lights unreachable"),
    ]
    assert kit.sink.of_kind(Kind.MUSIC) == []  # a technical alarm does not duck the music


def test_the_baseline_survives_a_resume() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.set_baseline({"nibp_sys": 110})
    resumed = resume_room(list(kit.sink.events), at_t=kit.clock.now() + 5)
    assert resumed.room.state.baseline == {"nibp_sys": 110}
    resumed.room.readings("nibp", {"nibp_sys": 151})
    assert resumed.sink.of_kind(Kind.ALARM)[-1].data["id"] == "nibp_sys:rise>=40"


def test_the_exam_light_floods_the_room_and_gives_the_scene_back() -> None:
    kit = new_room()
    kit.room.prepare()
    kit.room.start_infusion()
    kit.room.exam_light(True)
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "exam"
    kit.room.exam_light(False)
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "infusing"
    kit.room.emergency(True)
    kit.room.exam_light(True)  # in an emergency the lights are already full
    kit.room.exam_light(False)
    assert kit.sink.of_kind(Kind.LIGHTS)[-1].data["scene"] == "emergency"
