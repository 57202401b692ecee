"""The music player on real libvlc, heard through amem: what the room hears, and when.

Each player hands every block it would send to the sound card to ``Ears`` with its
presentation time on libvlc's clock (which is ``time.monotonic()`` in microseconds), so a test
can say "330 Hz was sounding 1 s after its track_start event" and "the level was down 1 s after
the duck" in terms of what a listener hears. Test tracks are
sine tones (220/330/440 Hz) so which track sounds is a frequency.

Two amem artefacts, measured, that the tests allow for (neither happens with a real ALSA output,
checked with an ALSA file-plugin capture): amem starts each new track at 100 % volume for its
first ~0.3 s (its pre-buffer, before the player's re-applied volume lands), and VLC scales
samples ``VOLUME_LEAD_S`` before they are heard, which the player's duck ramp accounts for.
"""

from __future__ import annotations

import math
import threading
import time
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from devices.audio.music_schedule import (
    Schedule,
    fade_out_now,
    file_position,
    to_vlc_volume,
)
from devices.audio.vlc_player import CONDITION, DUCK_MARGIN_S, VOLUME_LEAD_S, VlcMusicPlayer
from devices.audio.vlc_support import CAPTURE_RATE
from roomctl.config import Config, MusicConfig, PlaylistConfig, SoundscapeConfig
from roomctl.music_plan import MusicPlan, PlanItem, Track, fit_playlist, open_ended
from roomctl.timeline.events import Kind

vlc = pytest.importorskip("vlc")

FULL_RMS = 0.5 / math.sqrt(2)  # the test tones' level at volume 100


# ---------------------------------------------------------------- helpers


def write_tone(path: Path, hz: float, seconds: float, rate: int = 44100) -> Path:
    t = np.arange(int(seconds * rate)) / rate
    mono = (0.5 * np.sin(2 * np.pi * hz * t) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.repeat(mono, 2).tobytes())
    return path


class Ears:
    """Every block both players deliver, placed on libvlc's clock."""

    def __init__(self) -> None:
        self.blocks: list[tuple[int, bytes]] = []

    def __call__(self, player: int, pcm: bytes, pts: int) -> None:
        self.blocks.append((pts, pcm))  # list.append is atomic: no lock on libvlc's thread

    def heard(self, since: float, seconds: float) -> np.ndarray:
        """The left channel as heard from monotonic time ``since``, both players summed."""
        out = np.zeros(int(seconds * CAPTURE_RATE))
        for pts, pcm in list(self.blocks):
            left = np.frombuffer(pcm, dtype=np.int16)[::2] / 32768.0
            at = round((pts / 1e6 - since) * CAPTURE_RATE)
            lo, hi = max(0, at), min(len(out), at + len(left))
            if lo < hi:
                out[lo:hi] += left[lo - at : hi - at]
        return out

    def between(self, start: float, end: float) -> np.ndarray:
        return self.heard(start, end - start)


def window(audio: np.ndarray, start: float, end: float) -> np.ndarray:
    return audio[int(start * CAPTURE_RATE) : int(end * CAPTURE_RATE)]


def level(audio: np.ndarray, hz: float) -> float:
    """RMS of the ``hz`` component (single-bin DFT; the windows hold whole periods enough)."""
    n = len(audio)
    t = np.arange(n) / CAPTURE_RATE
    c = np.dot(audio, np.cos(2 * np.pi * hz * t))
    s = np.dot(audio, np.sin(2 * np.pi * hz * t))
    return math.sqrt(c * c + s * s) * math.sqrt(2) / n


def rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio**2))) if len(audio) else 0.0


class Timeline:
    """The report callback: every event with the monotonic time it arrived."""

    def __init__(self) -> None:
        self.events: list[tuple[float, Kind, dict[str, Any]]] = []
        self._cond = threading.Condition()

    def __call__(self, kind: Kind, data: dict[str, Any]) -> None:
        with self._cond:
            self.events.append((time.monotonic(), kind, data))
            self._cond.notify_all()

    def music(self, action: str) -> list[tuple[float, dict[str, Any]]]:
        with self._cond:
            return [
                (at, d) for at, k, d in self.events if k == Kind.MUSIC and d["action"] == action
            ]

    def wait_for(
        self, test: Callable[[Kind, dict[str, Any]], bool], timeout: float = 15.0
    ) -> tuple[float, dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for at, kind, data in self.events:
                    if test(kind, data):
                        return at, data
                left = deadline - time.monotonic()
                assert left > 0, f"timed out; events: {[d for _, _, d in self.events]}"
                self._cond.wait(left)

    def wait_music(self, action: str, timeout: float = 15.0, **match: Any) -> tuple[float, dict]:
        return self.wait_for(
            lambda k, d: (
                k == Kind.MUSIC
                and d["action"] == action
                and all(d.get(key) == v for key, v in match.items())
            ),
            timeout,
        )


@pytest.fixture
def tones(tmp_path: Path) -> Path:
    folder = tmp_path / "tones"
    folder.mkdir()
    for name, hz in (("1 low.wav", 220), ("2 mid.wav", 330), ("3 high.wav", 440)):
        write_tone(folder / name, hz, 4.0)
    return folder


@pytest.fixture
def room() -> Iterator[Callable[..., tuple[VlcMusicPlayer, Timeline, Ears]]]:
    made: list[VlcMusicPlayer] = []

    def make(**options: Any) -> tuple[VlcMusicPlayer, Timeline, Ears]:
        timeline, ears = Timeline(), Ears()
        options.setdefault("now", time.monotonic)
        options.setdefault("crossfade_s", 1.0)
        options.setdefault("final_fade_s", 30.0)
        capture = options.pop("capture", True)
        player = VlcMusicPlayer(timeline, audio_capture=ears if capture else None, **options)
        made.append(player)
        return player, timeline, ears

    yield make
    for player in made:
        player.close()


def item(path: Path | str, start: float, seconds: float, fade_in=0.0, fade_out=0.0) -> PlanItem:
    return PlanItem(str(path), start, seconds, 0.0, fade_in, fade_out)


# ---------------------------------------------------------------- the plan, pure


def test_a_crossfade_keeps_the_power_and_a_final_fade_is_smooth_to_the_ear() -> None:
    plan = fit_playlist(
        [Track("a", 200.0), Track("b", 200.0)], 300.0, crossfade_s=8.0, final_fade_s=60.0
    )
    schedule = Schedule(plan)
    second = plan.items[1]
    for x in np.linspace(0.05, 0.95, 7):
        t = second.start_s + x * second.fade_in_s
        # VLC's volume is cubic: amplitude = gain ** 3; equal power means a² + b² = 1
        power = schedule.gain(0, t) ** 6 + schedule.gain(1, t) ** 6
        assert power == pytest.approx(1.0, abs=1e-6)
    fade_from = second.end_s - second.fade_out_s
    gains = [schedule.gain(1, fade_from + f * second.fade_out_s) for f in (0.25, 0.5, 0.75)]
    assert gains == pytest.approx([0.75, 0.5, 0.25], abs=1e-6)  # a straight line in VLC's volume
    assert schedule.gain(1, second.end_s) == 0.0
    assert to_vlc_volume(0.7, 1.0) == 70
    assert to_vlc_volume(0.7, 0.5) == 35


def test_an_open_ended_plan_repeats_with_a_crossfade_at_the_wrap() -> None:
    plan = open_ended([Track("a", 60.0), Track("b", 90.0)], crossfade_s=8.0)
    schedule = Schedule(plan)
    assert schedule.has(5)
    again = schedule.item(2)
    assert again.path == "a"
    assert again.start_s == pytest.approx(plan.cycle_s)
    assert again.fade_in_s == plan.items[-1].fade_out_s == 8.0
    assert schedule.crossfaded_in(2)
    assert schedule.first_sounding(plan.cycle_s + 70.0) == 3


def test_at_demo_speed_a_file_advances_in_real_time_and_a_short_end_fades_from_now() -> None:
    music = item("a", 100.0, 300.0)
    assert file_position(music, 160.0, speed=30.0) == pytest.approx(2.0)
    assert file_position(music, 160.0, speed=1.0) == pytest.approx(60.0)
    before = item("z", 0.0, 108.0, fade_out=8.0)
    cut = fade_out_now([before, music, item("b", 390.0, 100.0)], t=200.0, end_s=230.0)
    assert [i.path for i in cut] == ["z", "a"]
    assert cut[0] == before
    assert cut[1].end_s == 230.0
    assert cut[1].fade_out_s == pytest.approx(30.0)
    assert fade_out_now([music], t=200.0, end_s=500.0) == [music]


# ---------------------------------------------------------------- real libvlc


@pytest.mark.system
def test_tracks_sound_in_plan_order_crossfaded_at_roomctls_volume(room, tones: Path) -> None:
    player, timeline, ears = room(volume=0.5)
    player.play("infusion", PlaylistConfig(path=str(tones)), None)
    _, plan = timeline.wait_music("plan")
    assert plan["items"] == 3
    assert plan["looped"] is True
    timeline.wait_music("track_start", index=3)  # the second pass begins at 9 s
    time.sleep(0.6)
    at = [a for a, _ in timeline.music("track_start")]
    starts = [d for _, d in timeline.music("track_start")]
    assert [Path(d["path"]).name for d in starts[:4]] == [
        "1 low.wav",
        "2 mid.wav",
        "3 high.wav",
        "1 low.wav",
    ]
    assert [d["start_s"] for d in starts[:4]] == [0.0, 3.0, 6.0, 9.0]
    fades = [d for _, d in timeline.music("fade") if d["reason"] == "crossfade"]
    assert Path(fades[0]["from"]).name == "1 low.wav"
    assert Path(fades[0]["path"]).name == "2 mid.wav"

    # a new track is heard at once (amem's pre-buffer, ~0.3 s, at full volume), volume changes
    # VOLUME_LEAD_S later: the track before it fades out until 1 s (+ that lead) after it
    solo = {
        220: ears.between(at[0] + 0.8, at[1] - 0.05),
        330: ears.between(at[1] + 1.5, at[2] - 0.05),
        440: ears.between(at[2] + 1.5, at[3] - 0.05),
    }
    for hz, heard in solo.items():
        others = [level(heard, f) for f in solo if f != hz]
        assert level(heard, hz) > 10 * max(others), f"{hz} Hz should sound alone"
        # VLC's volume is cubic: 0.5 is 1/8 of full amplitude, re-applied on every new track
        assert level(heard, hz) == pytest.approx(FULL_RMS * 0.5**3, rel=0.25)
    overlap = ears.between(at[1] + 0.45, at[1] + 1.2)
    assert level(overlap, 220) > 0.25 * level(solo[220], 220)
    assert level(overlap, 330) > 0.25 * level(solo[330], 330)


@pytest.mark.system
def test_a_new_phases_playlist_crossfades_from_the_one_playing(room, tones, tmp_path) -> None:
    infusion = tmp_path / "infusion"
    infusion.mkdir()
    write_tone(infusion / "deep.wav", 440, 4.0)
    player, timeline, ears = room()
    player.play("preparation", PlaylistConfig(path=str(tones)), None)
    timeline.wait_music("track_start", index=0)
    time.sleep(1.5)
    player.play("infusion", PlaylistConfig(path=str(infusion)), 2400.0)
    at, start = timeline.wait_music("track_start", playlist="infusion")
    assert start["path"] == str(infusion / "deep.wav")
    _, fade = timeline.wait_music("fade", reason="playlist_change")
    assert fade["playlist"] == "preparation"  # said while the old playlist still sounds
    ended, old = timeline.wait_music("track_end", reason="replaced")
    assert old["path"] == str(tones / "1 low.wav")
    assert ended - at == pytest.approx(1.0, abs=0.3)  # when its side of the crossfade ended
    time.sleep(0.5)
    both = ears.between(at + 0.4, at + 0.9)
    assert level(both, 220) > 0.2 * FULL_RMS * 0.7**3
    assert level(both, 440) > 0.2 * FULL_RMS * 0.7**3
    after = ears.between(at + 1.6, at + 2.4)
    assert level(after, 220) < 0.01 * level(after, 440)


@pytest.mark.system
def test_a_duck_is_heard_within_one_second_and_the_level_comes_back(room, tmp_path) -> None:
    player, timeline, ears = room(volume=0.7)
    tone = write_tone(tmp_path / "long.wav", 330, 8.0)
    player.play_plan("infusion", MusicPlan(8.0, (item(tone, 0.0, 8.0),), False, ()))
    timeline.wait_music("track_start")
    time.sleep(1.8)
    ducked = time.monotonic()
    player.fade_to(0.1, 1.0)
    time.sleep(1.6)
    restored = time.monotonic()
    player.fade_to(0.7, 1.0)
    time.sleep(1.6)

    def heard_level(since: float, at: float) -> float:
        return rms(window(ears.heard(since, 2.0), at, at + 0.05))

    before = heard_level(ducked, 0.0)
    assert before == pytest.approx(FULL_RMS * 0.7**3, rel=0.1)
    down = FULL_RMS * 0.1**3 * 1.12  # the duck level, +1 dB
    steps = [round(0.05 * k, 2) for k in range(30)]
    reached = next(s for s in steps if heard_level(ducked, s) <= down)
    assert 0.2 < reached <= 1.0, f"the duck was heard complete after {reached} s"
    back = next(s for s in steps if heard_level(restored, s) >= before * 0.89)
    assert back <= 1.0, f"the level was back after {back} s"
    _, fade = timeline.wait_music("fade", reason="level", volume=0.1)
    assert fade["seconds"] == 1.0
    assert fade["path"] == str(tone)
    assert fade["position_s"] > 1.0


@pytest.mark.system
def test_a_missing_or_corrupt_file_is_skipped_and_the_plan_keeps_its_time(
    room, tones: Path, tmp_path: Path
) -> None:
    corrupt = tmp_path / "corrupt.ogg"
    corrupt.write_bytes(bytes(range(256)) * 400)
    plan = MusicPlan(
        6.5,
        (
            item(tones / "1 low.wav", 0.0, 2.0),
            item(tmp_path / "gone.wav", 2.0, 1.5),
            item(corrupt, 3.5, 1.5),
            item(tones / "3 high.wav", 5.0, 1.5),
        ),
        False,
        (),
    )
    player, timeline, ears = room()
    asked = time.monotonic()
    player.play_plan("infusion", plan)
    at, _ = timeline.wait_music("track_start", index=3)
    assert at - asked == pytest.approx(5.0, abs=0.35)
    skips = {Path(d["path"]).name: d for _, d in timeline.music("skip")}
    assert skips["gone.wav"]["reason"] == "missing"
    assert "decode" in skips["corrupt.ogg"]["reason"]
    assert all(d["level"] == "warning" for d in skips.values())
    assert skips["corrupt.ogg"]["start_s"] == 3.5
    timeline.wait_music("plan_end")
    first = timeline.music("track_start")[0][0]
    # where the two bad files would have played: the first track's end, silence, the last
    assert rms(ears.between(first + 2.5, at - 0.05)) < 0.01
    assert level(ears.between(at + 0.45, at + 1.4), 440) > 0.5 * FULL_RMS * 0.7**3


@pytest.mark.system
def test_pause_stops_the_plan_clock_and_resume_picks_up_where_it_was(room, tones) -> None:
    plan = MusicPlan(
        6.0, (item(tones / "1 low.wav", 0.0, 3.0), item(tones / "2 mid.wav", 3.0, 3.0)), False, ()
    )
    player, timeline, _ = room()
    asked = time.monotonic()
    player.play_plan("infusion", plan)
    timeline.wait_music("track_start", index=0)
    time.sleep(1.0)
    pause_at = time.monotonic() - asked  # the plan clock started at play_plan()
    player.pause()
    time.sleep(1.5)
    player.resume()
    at, _ = timeline.wait_music("track_start", index=1)
    assert at - asked == pytest.approx(4.5, abs=0.35)  # 3 s of plan + 1.5 s paused
    _, paused = timeline.wait_music("pause")
    _, resumed = timeline.wait_music("resume")
    assert paused["path"] == resumed["path"] == str(tones / "1 low.wav")
    assert paused["plan_t"] == resumed["plan_t"] == pytest.approx(pause_at, abs=0.15)
    assert resumed["position_s"] - paused["position_s"] < 0.3  # VLC held still meanwhile


@pytest.mark.system
def test_at_demo_speed_the_plan_runs_on_session_time_without_seeking(room, tones) -> None:
    speed = 30.0
    t0 = time.monotonic()
    player, timeline, _ = room(now=lambda: (time.monotonic() - t0) * speed, speed=speed)
    plan = MusicPlan(
        164.0,
        (
            item(tones / "1 low.wav", 0.0, 60.0, fade_out=8.0),
            item(tones / "2 mid.wav", 52.0, 60.0, fade_in=8.0, fade_out=8.0),
            item(tones / "3 high.wav", 104.0, 60.0, fade_in=8.0, fade_out=30.0),
        ),
        False,
        (),
    )
    asked = time.monotonic()
    player.play_plan("infusion", plan)
    starts = [timeline.wait_music("track_start", index=i)[0] - asked for i in range(3)]
    assert starts[0] < 0.8  # libvlc's start-up in a just-made player, at worst
    assert starts[1:] == pytest.approx([52 / speed, 104 / speed], abs=0.3)
    _, end = timeline.wait_music("track_end", index=0)
    assert end["position_s"] == pytest.approx(60 / speed, abs=0.5)  # VLC played 2 s, not 60
    timeline.wait_music("fade", reason="final")
    player.stop()
    timeline.wait_music("stop", timeout=3.0)
    assert not timeline.music("seek")
    assert [d["seconds"] for _, d in timeline.music("fade") if d["reason"] == "crossfade"] == [
        8.0,
        8.0,
    ]


@pytest.mark.system
def test_extend_replans_the_tail_while_the_track_sounding_plays_on(room, tones) -> None:
    player, timeline, _ = room()
    player.play("infusion", PlaylistConfig(path=str(tones)), 300.0)
    _, plan = timeline.wait_music("plan")
    assert plan["plan"][-1]["start_s"] + plan["plan"][-1]["duration_s"] == pytest.approx(300.0)
    timeline.wait_music("track_start", index=0)
    time.sleep(0.5)
    player.refit(360.0)
    _, refit = timeline.wait_music("refit")
    assert refit["how"] == "refit"
    last = refit["plan"][-1]
    assert last["start_s"] + last["duration_s"] == pytest.approx(360.0)
    assert refit["plan"][0] == plan["plan"][0]  # the sounding track keeps its place
    player.refit(30.0)  # too little left to plan a new tail: the music fades to the new end
    _, late = timeline.wait_music("refit", how="fade_now")
    assert late["plan"][-1]["start_s"] + late["plan"][-1]["duration_s"] == pytest.approx(30.0)
    assert late["plan"][-1]["fade_out_s"] > 0
    assert not timeline.music("track_end")  # nothing was cut by either re-plan
    assert not [d for _, d in timeline.music("track_start") if d["index"] != 0]


@pytest.mark.system
def test_a_sound_output_that_cannot_open_raises_the_alarm_and_the_plan_goes_on(room, tones):
    player, timeline, _ = room(
        capture=False,
        instance_args=("--aout=alsa",),
        output_device="roomctl-no-such-device",
    )
    plan = MusicPlan(
        3.0, (item(tones / "1 low.wav", 0.0, 1.5), item(tones / "2 mid.wav", 1.5, 1.5)), False, ()
    )
    asked = time.monotonic()
    player.play_plan("infusion", plan)
    _, output = timeline.wait_music("output", outcome="error", timeout=5.0)
    assert "roomctl-no-such-device" in output["text"]
    _, alarm = timeline.wait_for(lambda k, d: k == Kind.ALARM and d["condition"] == CONDITION)
    assert alarm["state"] == "raised"
    assert alarm["type"] == "technical"
    at, _ = timeline.wait_music("track_start", index=1)
    assert at - asked == pytest.approx(1.5, abs=0.35)  # the plan's clock does not need a card


@pytest.mark.system
def test_the_output_device_is_selectable(room, tones) -> None:
    """ALSA's ``null`` device exists wherever alsa-lib does: playing to it is no error."""
    player, timeline, _ = room(capture=False, instance_args=("--aout=alsa",), output_device="null")
    plan = MusicPlan(1.5, (item(tones / "1 low.wav", 0.0, 1.5),), False, ())
    player.play_plan("infusion", plan)
    _, end = timeline.wait_music("track_end", index=0)
    assert end["position_s"] > 0.8
    assert not timeline.music("output")


def test_without_libvlc_plugins_the_player_is_inert_and_says_so(monkeypatch) -> None:
    monkeypatch.setattr(vlc, "Instance", lambda *args, **kwargs: None)
    timeline = Timeline()
    player = VlcMusicPlayer(timeline, now=time.monotonic)
    try:
        _, output = timeline.wait_music("output", outcome="error", timeout=5.0)
        assert "vlc-plugin-base" in output["text"]
        _, alarm = timeline.wait_for(lambda k, d: k == Kind.ALARM)
        assert (alarm["condition"], alarm["state"]) == (CONDITION, "raised")
        player.play("infusion", PlaylistConfig(path="/nowhere"), 2400.0)
        player.fade_to(0.0, 1.0)
        player.pause()
        _, refused = timeline.wait_music("play", outcome="error", timeout=5.0)
        assert refused["playlist"] == "infusion"
    finally:
        started = time.monotonic()
        player.close()
        player.close()
        assert time.monotonic() - started < 2.0


# ---------------------------------------------------------------- the output's latency


@pytest.mark.system
def test_a_duck_ramp_is_shortened_by_the_outputs_latency_so_it_is_heard_in_time(
    room, tmp_path
) -> None:
    """amem hears the duck complete ``output_latency_s`` early: a card holding that much more
    sound (the demo's simulated card: two periods) then plays it within the 1 s."""
    latency = 0.3
    player, timeline, ears = room(volume=0.7, output_latency_s=latency)
    tone = write_tone(tmp_path / "long.wav", 330, 6.0)
    player.play_plan("infusion", MusicPlan(6.0, (item(tone, 0.0, 6.0),), False, ()))
    timeline.wait_music("track_start")
    time.sleep(1.8)
    ducked = time.monotonic()
    player.fade_to(0.1, 1.0)
    time.sleep(1.6)

    def heard_level(at: float) -> float:
        return rms(window(ears.heard(ducked, 2.0), at, at + 0.05))

    before = heard_level(0.0)
    assert before == pytest.approx(FULL_RMS * 0.7**3, rel=0.1)
    down = FULL_RMS * 0.1**3 * 1.12  # the duck level, +1 dB
    steps = [round(0.05 * k, 2) for k in range(30)]
    reached = next(s for s in steps if heard_level(s) <= down)
    assert reached + latency <= 1.0, (
        f"the duck would be heard complete after {reached} + {latency} s"
    )
    _, fade = timeline.wait_music("fade", reason="level", volume=0.1)
    assert fade["ramp_s"] == pytest.approx(1.0 - VOLUME_LEAD_S - DUCK_MARGIN_S - latency, abs=0.03)


def test_only_the_demos_simulated_card_gives_the_music_an_output_latency() -> None:
    from app.devices import build_music
    from devices.audio.jack_dummy import PERIOD

    def latency(config: Config, simulated_card: bool) -> float:
        closers: list[Callable[[], None]] = []
        music = build_music(
            config,
            Timeline(),
            closers,
            now=time.monotonic,
            speed=1.0,
            simulated_card=simulated_card,
        )
        try:
            assert isinstance(music, VlcMusicPlayer)
            return music.output_latency_s
        finally:
            for close in closers:
                close()

    config = Config(music=MusicConfig(backend="vlc"), soundscape=SoundscapeConfig(samplerate=44100))
    assert latency(config, simulated_card=True) == pytest.approx(2 * PERIOD / 44100)  # 93 ms
    assert latency(config, simulated_card=False) == 0.0  # a real card: libvlc does not say
    elsewhere = Config(music=MusicConfig(backend="vlc", output="adummy"))
    assert latency(elsewhere, simulated_card=True) == 0.0  # the music is not on the card
