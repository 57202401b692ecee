"""The nurse's status cards, trends and pleth, each built on a real Room and following it:
the devices' reports (null backends, and the vlc player's reports as it sends them), the
feeds' readings and waves, the plan's reminders. Closed widgets stop their timers and stop
listening."""

from __future__ import annotations

import math
import os
from typing import TypeVar

import numpy as np
import pytest
import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from roomctl.session import Phase
from roomctl.timeline.events import Kind
from tests.roomkit import PASSING, Kit, new_room
from tests.ui_protocol import pinned_config
from ui.pleth import PlethView
from ui.status_panels import (
    LightsCard,
    MusicCard,
    PumpCard,
    RemindersCard,
    SoundscapeCard,
    StatusCards,
)
from ui.trends import Ring, StableRange, TrendsView

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.qt
PROTOCOL = pinned_config()

W = TypeVar("W", bound=QWidget)
PLAN = [
    {"path": "/music/infusion/01 Slow River.flac", "start_s": 0.0, "duration_s": 412.0},
    {"path": "/music/infusion/02 Cloud Harbour.flac", "start_s": 404.0, "duration_s": 380.0},
]


def shown(qtbot, widget: W) -> W:
    qtbot.addWidget(widget)
    widget.show()
    return widget


def infusing(planned_minutes: int = 40) -> Kit:
    kit = new_room(PROTOCOL, planned_minutes=planned_minutes)
    kit.room.prepare()
    kit.advance_minutes(5)
    kit.room.start_infusion()
    return kit


def lines(card) -> list[str]:
    return [label.text() for label in card.lines if label.text()]


# --------------------------------------------------------------------------- pump


def test_the_pump_card_shows_the_pump_feed_and_its_alarms(qtbot) -> None:
    kit = infusing()
    room = kit.room
    card = shown(qtbot, PumpCard(room))
    assert card.value.text() == "No pump data"
    assert card.figures["pump_rate_ml_h"].text() == "—"

    room.report("pump", Kind.FEED, {"feed": "pump", "pump_state": "RUN"})
    room.report("pump", Kind.FEED, {"feed": "pump", "pump_drug": "ketamine"})
    room.readings(
        "pump",
        {"pump_rate_ml_h": 52.5, "pump_vi_ml": 8.25, "pump_vtbi_ml": 26.7, "pump_conc_mg_ml": 1},
    )
    card.refresh()
    assert card.value.text() == "Running"
    assert [card.figures[k].text() for k in ("pump_rate_ml_h", "pump_vi_ml", "pump_vtbi_ml")] == [
        "52.5",
        "8.2",
        "26.7",
    ]
    assert lines(card) == ["ketamine 1 mg/mL"]

    room.report(
        "pump",
        Kind.ALARM,
        {
            "type": "technical",
            "condition": "pump_pump_alarm_OCCL",
            "state": "raised",
            "text": "Pump alarm OCCL (see the pump)",
            "priority": "medium",
        },
    )
    room.report("pump", Kind.FEED, {"feed": "pump", "pump_state": "ALARM"})
    assert card.value.text() == "Alarm — see the pump"
    assert lines(card)[0] == "Pump alarm OCCL (see the pump)"

    room.feed_link("pump", "disconnected")
    assert card.value.text() == "Link lost"
    kit.clock.advance(60)  # a silent feed: its last numbers are too old to show
    card.refresh()
    assert card.figures["pump_rate_ml_h"].text() == "—"


# --------------------------------------------------------------------------- lights


def bridge(room, state: str) -> None:
    """The Hue adapter's technical alarm, as it reports it."""
    text = "Lights unreachable (bridge 10.0.0.2)"
    data = {"type": "technical", "priority": "low", "condition": "lights_unreachable"}
    room.report("lights", Kind.ALARM, {**data, "state": state, "text": text})


def test_the_lights_card_follows_scenes_and_the_bridge_link(qtbot) -> None:
    kit = new_room(PROTOCOL)
    room = kit.room
    card = shown(qtbot, LightsCard(room))
    assert card.value.text() == "No scene yet"
    room.prepare()  # the null lights confirm at once
    assert card.value.text() == "Preparing"
    assert lines(card) == ["Confirmed", "Link ok", "Backend: null"]

    fading = {"action": "apply", "scene": "infusing", "step": 2, "steps": 10, "backend": "hue"}
    room.report("lights", Kind.LIGHTS, {**fading, "outcome": "ok"})
    assert card.value.text() == "Infusing"
    assert lines(card)[0] == "Confirmed · fading, step 2 of 10"

    bridge(room, "raised")
    assert lines(card)[1] == "Link lost: Lights unreachable (bridge 10.0.0.2) — retrying"
    room.report("lights", Kind.LIGHTS, {**fading, "outcome": "error", "error": "timed out"})
    assert lines(card)[0] == "Not confirmed: timed out"
    bridge(room, "cleared")
    room.report("lights", Kind.LIGHTS, {"action": "check", "outcome": "ok", "backend": "hue"})
    assert lines(card)[1] == "Link ok"


# --------------------------------------------------------------------------- music


def test_the_music_card_shows_the_null_backends_play(qtbot) -> None:
    kit = new_room(PROTOCOL)
    card = shown(qtbot, MusicCard(kit.room))
    assert card.value.text() == "Not playing"
    kit.room.prepare()
    assert card.value.text() == "Preparation playlist"
    kit.clock.advance(75)
    card.refresh()
    assert lines(card) == ["Plan 01:15"]


def player(room, action: str, **data: object) -> None:
    """What the vlc player reports (any key may be missing)."""
    room.report("music", Kind.MUSIC, {"action": action, "backend": "vlc", **data})


def test_the_music_card_follows_the_vlc_players_tracks(qtbot) -> None:
    kit = infusing()
    room = kit.room
    card = shown(qtbot, MusicCard(room))
    player(room, "plan", items=PLAN)
    player(room, "track_start", index=0, path=PLAN[0]["path"], position_s=0.0, start_s=0.0)
    assert card.value.text() == "01 Slow River"
    kit.clock.advance(90)
    card.refresh()
    assert lines(card)[:2] == ["01:30 / 06:52", "Next: 02 Cloud Harbour"]

    room.pause()  # the null player is told; the card follows the real player's report
    player(room, "pause")
    kit.clock.advance(30)
    card.refresh()
    assert lines(card)[0] == "01:30 / 06:52 · paused"
    player(room, "resume")
    kit.clock.advance(10)
    card.refresh()
    assert lines(card)[0] == "01:40 / 06:52"

    # A resumed session picks the second track up a minute in.
    player(room, "track_start", index=1, path=PLAN[1]["path"], position_s=464.0, start_s=404.0)
    assert card.value.text() == "02 Cloud Harbour"
    assert lines(card)[0] == "01:00 / 06:20"
    player(room, "track_start", path="/x/Unplanned.ogg")  # no index, no plan position
    assert card.value.text() == "Unplanned"
    assert lines(card)[0] == "00:00"

    room.readings("monitor", {"spo2": 85})  # a high SpO2 alarm after its on-delay ducks music
    kit.clock.advance(11)
    room.readings("monitor", {"spo2": 85})
    assert card.music.ducked
    assert lines(card)[-1].endswith("ducked for alarm/emergency")

    player(room, "track_start", outcome="error", error="file unreadable")
    assert lines(card)[0] == "Problem: file unreadable"


# --------------------------------------------------------------------------- soundscape


def test_the_soundscape_card_follows_preset_level_and_shape(qtbot) -> None:
    kit = new_room(PROTOCOL)
    room = kit.room
    card = shown(qtbot, SoundscapeCard(room))
    assert card.value.text() == "Not started"
    room.prepare()
    assert card.value.text() == "warm-hush"
    assert lines(card) == ["Level 40 %"]
    room.choose_soundscape("rain", 0.5, seconds=4)
    room.shape_soundscape(brightness=0.25)
    assert card.value.text() == "rain"
    assert lines(card) == ["Level 50 %", "brightness 25 %"]
    room.report(
        "soundscape",
        Kind.SOUNDSCAPE,
        {"action": "crossfade", "preset": "ocean", "outcome": "error", "error": "no such preset"},
    )
    assert lines(card)[-1] == "Problem: no such preset"
    room.report(
        "soundscape",
        Kind.SOUNDSCAPE,
        {"action": "start", "preset": "ocean", "level": 0.3, "output": "preview"},
    )
    assert card.value.text() == "rain"  # the therapist's headphones are not the room


# --------------------------------------------------------------------------- reminders


def test_reminders_count_down_fire_and_clear(qtbot) -> None:
    kit = infusing()
    room = kit.room
    card = shown(qtbot, RemindersCard(room))
    assert card.value.text() == "BP check in 15:00"
    assert lines(card) == ["BP check — in 15:00", "Infusion ends — in 40:00"]
    kit.advance_minutes(15)
    assert card.value.text() == "Due: BP check"
    kit.advance_minutes(2)
    card.refresh()
    assert lines(card)[0] == "BP check — due 02:00 ago"

    due: list[str] = []
    card.check_due.connect(due.append)
    kit.advance_minutes(23)  # the plan ends the infusion: a new phase, new reminders
    assert kit.phase == Phase.RECOVERING
    assert card.value.text() == "Due: BP at infusion end"
    kit.advance_minutes(15)
    assert due == ["Recovery check due"]
    assert card.value.text() == "Due: Recovery check due"
    room.recovery_check(aldrete=PASSING, moaas=5)
    assert "Recovery check due — due" not in " ".join(lines(card))


# --------------------------------------------------------------------------- trends and pleth


def test_trends_take_each_new_reading_once_and_mark_the_baseline(qtbot) -> None:
    kit = new_room(PROTOCOL)
    room = kit.room
    trends = shown(qtbot, TrendsView(room))
    trends.resize(1200, 700)
    assert trends.visible_rows() == ["HR", "SpO2", "NIBP", "RR"]  # no capnography yet
    room.set_baseline({"hr": 70, "nibp_sys": 120, "nibp_dia": 80})
    for minute in range(5):
        kit.clock.advance(60)
        room.readings("monitor", {"hr": 70 + minute, "spo2": 97})
        trends.refresh()
        trends.refresh()  # the same reading twice is kept once
    hr = trends.rows["HR"]
    t, v = hr.rings["hr"].arrays()
    assert list(v) == [70, 71, 72, 73, 74]
    assert list(t) == [60, 120, 180, 240, 300]
    x, _y = hr.curves["hr"].getData()
    assert list(x) == [-4, -3, -2, -1, 0]  # minutes before now
    assert hr.baselines["hr"].value() == 70
    nibp = trends.rows["NIBP"]
    assert {c: line.value() for c, line in nibp.baselines.items()} == {
        "nibp_sys": 120,
        "nibp_dia": 80,
    }

    kit.clock.advance(60)
    room.readings("monitor", {"etco2": 38, "hr": 190})
    trends.refresh()
    assert trends.visible_rows() == ["HR", "SpO2", "NIBP", "RR", "EtCO2"]
    low, high = hr.plot.viewRange()[1]
    assert low == 40
    assert high > 190


def pulse(second: int) -> tuple[float, ...]:
    """One second of a 50 Hz pleth, as the Ivy 450C sends it (once a second)."""
    return tuple(50 + 40 * math.sin(2 * math.pi * (second + i / 50)) for i in range(50))


def test_the_pleth_view_sweeps_the_last_seconds_and_says_when_the_wave_is_lost(qtbot) -> None:
    kit = new_room(PROTOCOL)
    room = kit.room
    view = shown(qtbot, PlethView(room, seconds=6.0))
    view.repaint_if_due()
    assert view.lost  # nothing yet
    for second in range(1, 9):
        kit.clock.advance(1.0)
        room.wave("pleth", 50.0, pulse(second))
        room.wave("ecg", 250.0, (0.1,) * 250)  # other waves are not the pleth's
    view.repaint_if_due()
    x, y = view.screen()
    assert len(y) == 300  # six seconds at 50 Hz
    assert (x[0], x[-1]) == (0.0, 5.98)
    # A backlog is not replayed: the screen runs one second behind the newest sample, and the
    # sweep holds the six seconds before that, each sample where the sweep wrote it.
    shown_until = 350  # 8 s received, 1 s behind
    assert view.sweep_position == shown_until % 300
    wave = np.concatenate([pulse(s) for s in range(1, 9)])
    gap = np.isnan(y)
    assert gap.sum() == 12  # the erased gap ahead of the sweep: 0.25 s (12.5 samples)
    assert gap[50:62].all()
    for i in np.flatnonzero(~gap):
        received = i + 300 if i < 50 else i  # the current pass left of the sweep, the last right
        assert y[i] == wave[received]
    assert not view.lost
    assert view.repaints == 1
    view.repaint_if_due()
    assert view.repaints == 1  # no time passed, nothing new: nothing drawn

    kit.clock.advance(0.5)  # between bursts the wave keeps sweeping at its own rate
    view.repaint_if_due()
    assert view.repaints == 2
    assert view.sweep_position == 75
    assert view.screen()[1][74] == pulse(8)[24]
    kit.clock.advance(2.0)  # a probe slipped: nothing for two seconds, then the wave again
    room.wave("pleth", 50.0, (50.0,) * 50)
    kit.clock.advance(1.0)
    view.repaint_if_due()
    x, y = view.screen()
    before = view.sweep_position
    assert np.isnan(y[before - 51])  # the gap is a break in the line, not a joined-up lie
    assert (y[before - 50 : before] == 50.0).all()
    kit.clock.advance(4.0)
    view.repaint_if_due()
    assert view.lost


def test_a_pleth_tick_repaints_only_the_strip_the_sweep_crossed(qtbot) -> None:
    kit = new_room(PROTOCOL)
    room = kit.room
    view = shown(qtbot, PlethView(room, seconds=6.0))
    view.resize(1048, 150)  # a 1000 px plot: 300 samples, 3.3 px each
    for second in range(1, 4):
        kit.clock.advance(1.0)
        room.wave("pleth", 50.0, pulse(second))
    view.repaint_if_due()
    kit.clock.advance(0.1)  # five samples on, and the erased gap moves with them
    view.repaint_if_due()
    (strip,) = view.painted_rects
    assert strip.height() == view.height()
    assert 20 < strip.width() < 80  # of 1000 px: (5 + 12 gap + 2) samples and a margin
    image = view.grab().toImage()  # and the wave is really drawn, in its colour
    colours = {image.pixelColor(x, y).name() for x in range(48, 1040, 4) for y in range(150)}
    assert "#5f9aa6" in colours


def test_a_ring_keeps_the_newest_samples_in_order() -> None:
    ring = Ring(4)
    ring.extend([1.0, 2.0, 3.0], [10.0, 20.0, 30.0])
    ring.extend([4.0, 5.0, 6.0], [40.0, 50.0, 60.0])
    t, v = ring.arrays()
    assert list(t) == [3.0, 4.0, 5.0, 6.0]
    assert list(v) == [30.0, 40.0, 50.0, 60.0]
    ring.extend(list(range(10)), list(range(10)))
    assert list(ring.arrays()[1]) == [6, 7, 8, 9]
    assert ring.last_t == 9


def test_a_stable_range_only_widens() -> None:
    span = StableRange(40, 140)
    assert not span.include(60, 120)
    assert span.include(30, 120)
    assert span.low == 20
    assert span.high == 140
    assert not span.include(float("nan"), 200)


def test_cards_opened_late_catch_up_from_the_stored_events(qtbot) -> None:
    kit = infusing()
    kit.room.choose_soundscape("rain", 0.5, seconds=4)
    kit.advance_minutes(56)  # the plan ended the infusion; a recovery check came due
    cards = shown(qtbot, StatusCards(kit.room))
    assert cards.lights.value.text() == "No scene yet"
    due: list[str] = []
    cards.reminders.check_due.connect(due.append)
    cards.replay(kit.sink.events)
    assert cards.lights.value.text() == "Recovering"
    assert cards.soundscape.value.text() == "warm-hush"  # the phase's choice replaced rain
    assert cards.music.value.text() == "Recovery playlist"
    assert cards.reminders.value.text() == "Due: Recovery check due"
    assert due == []  # the past is shown, not announced again


# --------------------------------------------------------------------------- lifetimes


def test_no_timer_runs_and_nothing_listens_after_close(qtbot) -> None:
    kit = new_room(PROTOCOL)
    room = kit.room
    cards = shown(qtbot, StatusCards(room))
    trends = shown(qtbot, TrendsView(room))
    pleth = shown(qtbot, PlethView(room))
    widgets: list[QWidget] = [cards, trends, pleth]
    for widget in widgets:
        assert any(timer.isActive() for timer in widget.findChildren(QTimer))
        widget.close()
        assert not any(timer.isActive() for timer in widget.findChildren(QTimer))
    room.prepare()
    room.wave("pleth", 50.0, (1.0,) * 50)
    assert cards.lights.value.text() == "No scene yet"
    assert pleth.ring.count == 0


def test_a_deleted_card_never_breaks_the_room(qtbot) -> None:
    kit = new_room(PROTOCOL)
    card = LightsCard(kit.room)
    card.deleteLater()
    qtbot.waitUntil(lambda: not _alive(card))
    kit.room.prepare()  # its listener is still subscribed, and must simply do nothing
    assert kit.phase == Phase.PREPARING


def _alive(widget: QWidget) -> bool:
    return shiboken6.isValid(widget)
