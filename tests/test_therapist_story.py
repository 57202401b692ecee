"""The therapist's story: intention set → soundscape chosen and shaped → music level lowered →
an alarm ducks everything → acknowledged: the therapist's levels come back, not the defaults."""

from __future__ import annotations

import pytest

from roomctl.session import TransitionError
from roomctl.timeline.events import Kind
from tests.roomkit import new_room


def _infusing():
    kit = new_room(planned_minutes=40)
    kit.room.prepare()
    kit.advance_minutes(5)
    kit.room.start_infusion()
    return kit


def test_intention_is_a_note_of_its_own_type() -> None:
    kit = new_room()
    kit.room.set_intention("  to meet my grief with kindness ")
    note = kit.sink.of_kind(Kind.NOTE)[-1]
    assert note.source == "therapist"
    assert note.data == {"type": "intention", "text": "to meet my grief with kindness", "tags": []}
    with pytest.raises(TransitionError):
        kit.room.set_intention("   ")


def test_therapist_levels_survive_an_alarm_duck() -> None:
    kit = _infusing()
    kit.room.choose_soundscape("rain", 0.6, seconds=5)
    scape = kit.sink.of_kind(Kind.SOUNDSCAPE)[-1].data
    assert (scape["action"], scape["preset"], scape["level"], scape["seconds"]) == (
        "crossfade",
        "rain",
        0.6,
        5,
    )
    kit.room.shape_soundscape(brightness=0.2, movement=0.8)
    assert kit.sink.of_kind(Kind.SOUNDSCAPE)[-1].data["action"] == "shape"
    kit.room.set_music_level(0.4)
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["volume"] == 0.4

    kit.advance_minutes(10)
    for _ in range(12):
        kit.room.readings("monitor", {"spo2": 87})
        kit.scheduler.advance(1)
        kit.room.tick_alarms()
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["volume"] == 0.0
    assert kit.sink.of_kind(Kind.SOUNDSCAPE)[-1].data["level"] == 0.0

    kit.room.set_music_level(0.5)  # while ducked: remembered, not heard yet
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["volume"] == 0.0
    kit.room.acknowledge_alarm("spo2<90")
    assert kit.sink.of_kind(Kind.MUSIC)[-1].data["volume"] == 0.5
    assert kit.sink.of_kind(Kind.SOUNDSCAPE)[-1].data["level"] == 0.6


def test_shaping_rejects_unknown_or_out_of_range_parameters() -> None:
    kit = _infusing()
    with pytest.raises(TransitionError, match="unknown"):
        kit.room.shape_soundscape(loudness=0.3)
    with pytest.raises(TransitionError, match="0-1"):
        kit.room.shape_soundscape(density=1.5)
    with pytest.raises(TransitionError, match="0-1"):
        kit.room.set_music_level(2.0)


def test_a_voice_note_is_recorded_with_its_file_and_length() -> None:
    kit = _infusing()
    kit.room.voice_note("voice/0001.wav", 12.345)
    note = kit.sink.of_kind(Kind.NOTE)[-1].data
    assert (note["type"], note["path"], note["seconds"]) == ("voice", "voice/0001.wav", 12.35)


def test_a_resumed_infusion_picks_the_music_up_where_the_plan_is() -> None:
    from tests.roomkit import resume_room

    kit = _infusing()
    kit.advance_minutes(12)
    resumed = resume_room(list(kit.sink.events), at_t=kit.clock.now() + 30)
    play = [e.data for e in resumed.sink.of_kind(Kind.MUSIC) if e.data["action"] == "play"][-1]
    assert play["playlist"] == "infusion"
    assert play["position_s"] == pytest.approx(12 * 60 + 30, abs=1)
