"""The therapist panel, driven as a therapist (and a nurse, and staff) would, on a real Room.

The headphones and the microphone are fakes that remember what they were asked: the panel
only ever talks to them through ``ui/services.py``, and never to a device.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from roomctl.config import Config, load_config
from roomctl.roles import Role
from roomctl.timeline.events import Event, Kind
from tests.roomkit import Kit, new_room
from ui.therapist_panel import LEVEL_FADE_S, TAGS, TherapistPanel
from ui.therapist_widgets import note_time, plan_rows

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.qt

PRESETS = [
    ("warm-hush", "a soft, warm brown-noise hush, breathing very slowly"),
    ("rain", "steady rain on leaves, with a soft distant rumble"),
    ("ocean", "slow ocean swell: waves rolling in, now left, now right"),
]
PLAN = [
    {"path": "/music/journey/01 Arrival.flac", "start_s": 0.0, "duration_s": 412.0},
    {"path": "/music/journey/02 Open Water.flac", "start_s": 404.0, "duration_s": 905.0},
    {"path": "/music/journey/03 Return.flac", "start_s": 1301.0, "duration_s": 1099.0},
]
LEFT = Qt.MouseButton.LeftButton


class FakePreview:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def play(self, preset: str, level: float) -> None:
        self.calls.append(("play", preset, level))

    def stop(self) -> None:
        self.calls.append(("stop",))


class FakeVoice:
    """Records nothing, names files as the real recorder does."""

    max_seconds = 600.0

    def __init__(self, fail: str | None = None) -> None:
        self.fail = fail
        self.recording = False
        self.saved = 0
        self.played: list[str] = []

    def start(self) -> None:
        if self.fail:
            raise OSError(self.fail)
        self.recording = True

    def stop(self) -> tuple[str, float]:
        self.recording = False
        self.saved += 1
        return f"voice-{self.saved:04d}.wav", 14.25

    def play(self, path: str) -> None:
        self.played.append(path)


def journey_config(tmp_path: Path) -> Config:
    """The default config plus an infusion playlist, so the panel has a plan to show."""
    user = tmp_path / "roomctl.toml"
    user.write_text(
        '[music.playlists.journey]\npath = "@demo/journey"\n'
        '[phases.infusing]\nplaylist = "journey"\n'
    )
    return load_config(user)


def infusing(config: Config | None = None) -> Kit:
    """Five minutes of preparation, then the infusion (it starts at session time 300 s)."""
    kit = new_room(config, planned_minutes=40)
    kit.room.prepare()
    kit.advance_minutes(5)
    kit.room.start_infusion()
    return kit


@pytest.fixture
def make_panel(qtbot) -> Iterator[Callable[..., TherapistPanel]]:
    panels: list[TherapistPanel] = []

    def make(kit: Kit, role: Role | None = Role.THERAPIST, **services: Any) -> TherapistPanel:
        panel = TherapistPanel(
            kit.room,
            role=role,
            presets=PRESETS,
            preview=services.get("preview"),
            voice=services.get("voice"),
            plan_for=services.get("plan_for"),
            history=services.get("history", ()),
        )
        qtbot.addWidget(panel)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.shutdown()


def since(kit: Kit, mark: int, kind: Kind, **match: Any) -> list[Event]:
    return [
        e
        for e in kit.sink.events[mark:]
        if e.kind == kind and all(e.data.get(k) == v for k, v in match.items())
    ]


# ------------------------------------------------------------------ the therapist's story


def test_therapist_previews_plays_shapes_notes_and_records(qtbot, make_panel) -> None:
    kit = infusing()
    preview, voice = FakePreview(), FakeVoice()
    panel = make_panel(kit, preview=preview, voice=voice, history=list(kit.sink.events))
    before = panel.room_label.text()  # whatever the infusion's own cues started
    level = panel.level_slider.value()  # follows the room's level

    # Rain in the headphones: the room hears nothing of it, the timeline holds nothing of it.
    mark = len(kit.sink.events)
    panel.select_preset("rain")
    qtbot.mouseClick(panel.preview_button, LEFT)
    assert preview.calls == [("play", "rain", level)]
    panel.select_preset("ocean")  # the headphones follow the choice while previewing
    qtbot.mouseClick(panel.preview_button, LEFT)
    assert preview.calls[1:] == [("play", "ocean", level), ("stop",)]
    assert kit.sink.events[mark:] == []
    assert panel.room_label.text() == before
    assert "rain" not in before

    # Then rain in the room, over the crossfade the slider shows (the config's).
    panel.select_preset("rain")
    qtbot.mouseClick(panel.play_button, LEFT)
    (cue,) = since(kit, mark, Kind.CUE, action="soundscape")
    assert (cue.source, cue.data["preset"], cue.data["level"], cue.data["seconds"]) == (
        "therapist",
        "rain",
        level,
        kit.config.soundscape.crossfade_s,
    )
    (scape,) = since(kit, mark, Kind.SOUNDSCAPE)
    assert (scape.data["action"], scape.data["preset"]) == ("crossfade", "rain")
    assert panel.room_label.text() == f"In the room: rain · {round(level * 100)} %"
    assert "in the room" in panel.preset_rows["rain"].title.text()

    # A brightness drag: many slider steps, one shape cue with the last value.
    mark = len(kit.sink.events)
    brightness = panel.shape_sliders["brightness"].slider
    for value in (45, 38, 31, 24, 20):
        brightness.setValue(value)
    assert since(kit, mark, Kind.CUE, action="soundscape_shape") == []  # not yet: throttled
    qtbot.waitUntil(lambda: not panel.shape_throttle.pending, timeout=2000)
    (shape,) = since(kit, mark, Kind.CUE, action="soundscape_shape")
    assert shape.data == {"action": "soundscape_shape", "brightness": 0.2}
    assert since(kit, mark, Kind.SOUNDSCAPE)[-1].data["action"] == "shape"

    # Twelve and a half minutes into the infusion she is tearful: one tap.
    kit.advance_minutes(12.5)
    qtbot.keyClicks(panel.note_edit, "quiet tears, breathing slowly")
    qtbot.mouseClick(panel.tag_buttons["tearful"], LEFT)
    (note,) = [e for e in kit.sink.of_kind(Kind.NOTE) if e.data.get("tags")]
    assert note.data == {"text": "quiet tears, breathing slowly", "tags": ["tearful"]}
    assert panel.note_edit.text() == ""
    assert panel.notes_list.item(0).text() == "T+12:30   [tearful]   quiet tears, breathing slowly"

    # A voice note: Record, Stop, on the timeline with its file and length, playable.
    qtbot.mouseClick(panel.record_button, LEFT)
    assert voice.recording
    assert panel.record_button.text().startswith("■ Stop")
    qtbot.mouseClick(panel.record_button, LEFT)
    assert not voice.recording
    voice_note = kit.sink.of_kind(Kind.NOTE)[-1]
    assert voice_note.data == {
        "type": "voice",
        "path": "voice-0001.wav",
        "seconds": 14.25,
        "text": "",
        "tags": [],
    }
    assert panel.record_button.text() == "● Record"
    row = panel.voice_rows[0]
    assert row.label.text() == "T+12:30   voice-0001   00:14"
    qtbot.mouseClick(row.play_button, LEFT)
    assert voice.played == ["voice-0001.wav"]
    assert panel.problem_label.text() == ""


def test_the_level_slider_fades_what_plays_and_music_level_is_its_own(qtbot, make_panel) -> None:
    kit = infusing()
    panel = make_panel(kit)
    kit.room.choose_soundscape("ocean", 0.5, seconds=10)
    assert panel.level_slider.slider.value() == 50

    mark = len(kit.sink.events)
    panel.level_slider.slider.setValue(30)
    panel.level_slider.slider.sliderReleased.emit()  # the finger lifts: sent now, not later
    (cue,) = since(kit, mark, Kind.CUE, action="soundscape")
    assert (cue.data["preset"], cue.data["level"], cue.data["seconds"]) == (
        "ocean",
        0.3,
        LEVEL_FADE_S,
    )
    assert panel.room_label.text() == "In the room: ocean · 30 %"

    panel.music_slider.slider.setValue(40)
    qtbot.waitUntil(lambda: bool(since(kit, mark, Kind.CUE, action="music_level")), timeout=2000)
    assert since(kit, mark, Kind.MUSIC)[-1].data["volume"] == 0.4


def test_intention_is_saved_and_shown_with_its_time(qtbot, make_panel) -> None:
    kit = infusing()
    panel = make_panel(kit)
    panel.intention_edit.setPlainText("to meet my grief with kindness")
    qtbot.mouseClick(panel.intention_button, LEFT)
    intention = kit.sink.of_kind(Kind.NOTE)[-1]
    assert intention.data["type"] == "intention"
    assert intention.data["text"] == "to meet my grief with kindness"
    assert panel.intention_status.text() == "Saved at T+00:00"


# ------------------------------------------------------------------ roles


def test_a_staff_user_sees_the_panel_disabled(make_panel) -> None:
    kit = infusing()
    preview, voice = FakePreview(), FakeVoice()
    panel = make_panel(kit, Role.STAFF, preview=preview, voice=voice)
    controls = [
        panel.preset_list,
        panel.preview_button,
        panel.play_button,
        panel.level_slider,
        panel.crossfade_slider,
        *panel.shape_sliders.values(),
        panel.music_slider,
        panel.intention_edit,
        panel.intention_button,
        panel.note_edit,
        panel.note_button,
        *panel.tag_buttons.values(),
        panel.record_button,
    ]
    assert [c for c in controls if c.isEnabled()] == []

    # Even reached some other way (a shortcut, a stray call), nothing happens in the room.
    mark = len(kit.sink.events)
    panel.select_preset("rain")
    panel.play_in_room()
    panel.note_edit.setText("x")
    panel.add_note("calm")
    panel.toggle_recording()
    assert kit.sink.events[mark:] == []
    assert (preview.calls, voice.recording) == ([], False)
    assert "may not" in panel.problem_label.text()


def test_a_nurse_can_write_notes_but_not_choose_soundscapes(qtbot, make_panel) -> None:
    kit = infusing()
    panel = make_panel(kit, Role.NURSE, preview=FakePreview(), voice=FakeVoice())
    assert panel.note_edit.isEnabled()
    assert panel.tag_buttons["distress"].isEnabled()
    assert panel.music_slider.isEnabled()
    assert panel.intention_button.isEnabled()
    for control in (panel.preset_list, panel.preview_button, panel.play_button):
        assert not control.isEnabled()
    assert not panel.shape_sliders["density"].isEnabled()
    assert not panel.record_button.isEnabled()

    mark = len(kit.sink.events)
    qtbot.mouseClick(panel.tag_buttons["distress"], LEFT)
    (note,) = since(kit, mark, Kind.NOTE)
    assert (note.source, note.data["tags"]) == ("nurse", ["distress"])
    assert panel.notes_list.item(0).text().endswith("[distress]   (nurse)")

    panel.select_preset("rain")
    panel.play_in_room()
    assert since(kit, mark, Kind.CUE, action="soundscape") == []
    assert panel.problem_label.text() == "Your role may not soundscape."


def test_a_role_change_re_gates_the_controls(make_panel) -> None:
    kit = infusing()
    panel = make_panel(kit, None, voice=FakeVoice())
    assert not panel.note_edit.isEnabled()  # a locked window does nothing
    panel.set_role(Role.THERAPIST)
    assert panel.note_edit.isEnabled()
    assert panel.record_button.isEnabled()
    assert panel.play_button.isEnabled()


# ------------------------------------------------------------------ music plan


def test_the_phase_playlist_and_its_plan_with_the_track_playing_now(tmp_path, make_panel) -> None:
    kit = infusing(journey_config(tmp_path))
    asked: list[str] = []

    def plan_for(name: str) -> list[dict[str, Any]]:
        asked.append(name)
        return PLAN

    panel = make_panel(kit, plan_for=plan_for)
    assert asked == ["journey"]
    assert panel.playlist_label.text() == "Infusing playlist: journey"
    rows = [
        [panel.plan_list.topLevelItem(i).text(c) for c in range(4)]
        for i in range(panel.plan_list.topLevelItemCount())
    ]
    assert rows == [
        ["▶", "00:00", "01 Arrival", "06:52"],
        ["", "06:44", "02 Open Water", "15:05"],
        ["", "21:41", "03 Return", "18:19"],
    ]
    assert panel.plan_note.text() == "3 tracks · 40:00 · fitted to the infusion"

    kit.advance_minutes(7)
    panel.tick()
    marks = [panel.plan_list.topLevelItem(i).text(0) for i in range(3)]
    assert marks == ["", "▶", ""]

    kit.room.extend(5)  # the plan is fitted again to the new length
    assert asked == ["journey", "journey"]


def test_no_plan_or_no_playlist_says_so(tmp_path, make_panel) -> None:
    config = journey_config(tmp_path)
    panel = make_panel(infusing(config), plan_for=lambda name: None)
    assert panel.plan_note.text() == "Plan not available"
    assert panel.plan_list.topLevelItemCount() == 0
    assert make_panel(infusing(config)).plan_note.text() == "Plan not available"

    silent = config.phases.infusing.model_copy(update={"playlist": None})
    phases = config.phases.model_copy(update={"infusing": silent})
    bare = make_panel(infusing(config.model_copy(update={"phases": phases})))
    assert bare.playlist_label.text() == "No playlist for infusing"


def test_plan_rows_and_note_times_read_as_a_therapist_would() -> None:
    assert plan_rows(PLAN[:1]) == [("00:00", "01 Arrival", "06:52")]
    assert note_time(130.0, None) == "02:10"  # before the infusion: the session clock
    assert note_time(1050.0, 300.0) == "T+12:30"
    assert note_time(10.0, 300.0) == "T−04:50"  # a preparation note, once the infusion began


# ------------------------------------------------------------------ when things go wrong


def test_no_microphone_is_shown_and_the_session_goes_on(qtbot, make_panel) -> None:
    kit = infusing()
    voice = FakeVoice(fail="no default audio input (inputs: none)")
    panel = make_panel(kit, voice=voice)
    mark = len(kit.sink.events)
    qtbot.mouseClick(panel.record_button, LEFT)
    assert panel.problem_label.text() == "no default audio input (inputs: none)"
    assert panel.record_button.text() == "● Record"
    assert kit.sink.events[mark:] == []
    qtbot.mouseClick(panel.tag_buttons["calm"], LEFT)  # the session goes on
    assert since(kit, mark, Kind.NOTE)[0].data["tags"] == ["calm"]


def test_after_the_session_ends_sound_controls_are_off_but_notes_go_on(make_panel) -> None:
    kit = infusing()
    panel = make_panel(kit, preview=FakePreview())
    kit.room.abort("patient asked to stop")
    assert not panel.play_button.isEnabled()
    assert not panel.music_slider.isEnabled()
    assert panel.playlist_label.text() == "No music: the session has ended"
    panel.select_preset("rain")
    panel.play_in_room()  # refused by the Room: shown, not raised
    assert "ended" in panel.problem_label.text()
    panel.note_edit.setText("debrief: she felt safe throughout")
    panel.add_note()
    assert kit.sink.of_kind(Kind.NOTE)[-1].data["text"] == "debrief: she felt safe throughout"


def test_closing_while_recording_keeps_the_note_and_stops_every_timer(qtbot, make_panel) -> None:
    kit = infusing()
    voice = FakeVoice()
    panel = make_panel(kit, voice=voice)
    qtbot.mouseClick(panel.record_button, LEFT)
    panel.shape_sliders["movement"].slider.setValue(80)
    panel.close()
    assert kit.sink.of_kind(Kind.NOTE)[-1].data["path"] == "voice-0001.wav"
    assert kit.sink.of_kind(Kind.CUE)[-1].data == {"action": "soundscape_shape", "movement": 0.8}
    assert not panel._tick.isActive()
    assert not panel.shape_throttle.pending


def test_a_resumed_session_shows_its_earlier_notes_and_intention(make_panel) -> None:
    kit = infusing()
    kit.advance_minutes(3)
    kit.room.note("eyes closed, settled", ["calm"])
    kit.room.set_intention("to rest")
    kit.room.voice_note("voice-0001.wav", 9.0)
    history = list(kit.sink.events)
    panel = make_panel(kit, history=history, voice=FakeVoice())
    assert panel.notes_list.item(0).text() == "T+03:00   [calm]   eyes closed, settled"
    assert panel.intention_edit.toPlainText() == "to rest"
    assert [row.path for row in panel.voice_rows] == ["voice-0001.wav"]
    assert len(TAGS) == len(panel.tag_buttons) == 4
