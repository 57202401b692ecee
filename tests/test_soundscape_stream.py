"""The live soundscape reaches a sound card in real time, and a missing card never stops a session.

The card is JACK's dummy backend: it runs the audio callback paced by the clock, like a real
card, on a machine with no sound hardware. jackd is started once for the module under a
server name of its own (so another jackd on the machine does not matter), and PortAudio is
re-initialised to see it. Without jackd (or PortAudio) these tests are skipped, unless
``ROOMCTL_REQUIRE_AUDIO=1`` (CI), where a missing card fails instead of hiding.

The sound is the real ``Engine`` ("warm-hush"); the card's capture is compared sample for
sample with the same engine rendered offline, so these prove real samples flowed, in order.
The tests that need no card (a missing device, a stalled card, a broken engine, close) run
everywhere, on a stand-in card whose callback the test calls by hand.

PortAudio's ``output_underflow`` flag also counts cycles the machine itself lost (the server
or a client thread woken late), which a busy two-core machine causes even for a callback that
does nothing (measured: 1-4 per 10 s with three CPU hogs). The ten-second test therefore
requires zero ring underflows always, and zero card underflows unless a do-nothing client on
the same card at the same time (or jackd itself) was late too.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.cli import main
from devices.audio import outputs, soundscape_stream
from devices.audio.jack_dummy import (
    PERIOD,
    DummyCard,
    idle_client,
)
from devices.audio.outputs import OutputDeviceError, resolve_output_device
from devices.audio.soundscape_stream import (
    BLOCKSIZE,
    CONDITION,
    SoundscapePreview,
    SoundscapeStream,
    default_ahead_blocks,
)
from roomctl.timeline.events import Kind
from soundscapes.engine import Engine
from tests.audio_card import dummy_card

REPO = Path(__file__).resolve().parent.parent
RATE = 48000
BLOCK = BLOCKSIZE  # the room's (and the streams' default) block: 2048 frames


# ------------------------------------------------------------------------- the fake card


@pytest.fixture(scope="module")
def jack() -> Iterator[DummyCard]:
    """The demo's JACK dummy card (48 kHz, 2048-frame periods), PortAudio's default output."""
    with ExitStack() as stack:
        yield dummy_card(stack, samplerate=RATE, period=PERIOD)


# ------------------------------------------------------------------------- helpers


class Events:
    """The report callback: what the stream told the Room, from any thread."""

    def __init__(self) -> None:
        self.items: list[tuple[Kind, dict[str, Any]]] = []
        self._cond = threading.Condition()

    def __call__(self, kind: Kind, data: dict[str, Any]) -> None:
        with self._cond:
            self.items.append((kind, data))
            self._cond.notify_all()

    def of(self, kind: Kind, **match: Any) -> list[dict[str, Any]]:
        with self._cond:
            return [
                d
                for k, d in self.items
                if k == kind and all(d.get(key) == value for key, value in match.items())
            ]

    def wait_for(self, kind: Kind, timeout_s: float = 5.0, **match: Any) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                found = self.of(kind, **match)
                if found:
                    return found[0]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {kind} event {match} in {self.items}")
                self._cond.wait(left)


def wait_until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


class SlowEngine(Engine):
    """The real engine on a machine too slow for it: 1.5 blocks of time for every block."""

    def render(self, out: np.ndarray) -> None:
        time.sleep(1.5 * len(out) / self.samplerate)
        super().render(out)


def as_the_room_hears(preset: str, level: float, frames: int, fade_s: float = 1.0) -> np.ndarray:
    """What a stream started at ``level`` plays first: an engine from silence, faded in."""
    engine = Engine(preset, samplerate=RATE, seed=0, level=0.0)
    engine.fade_to(level, fade_s)
    out = np.zeros((frames, 2), dtype=np.float32)
    engine.render(out)
    return out


class CapturingStream(SoundscapeStream):
    """Keeps a copy of what reached the card, into a buffer allocated before the first call."""

    def __init__(self, *args: Any, capture_blocks: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.captured = np.zeros((capture_blocks * self.blocksize, 2), dtype=np.float32)
        self.captured_frames = 0

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        super()._callback(outdata, frames, time_info, status)
        at = self.captured_frames
        if at + frames <= len(self.captured):
            self.captured[at : at + frames] = outdata
            self.captured_frames = at + frames


class _FakeStream:
    """A card that opens and starts but whose callback never runs: a card gone quiet."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def abort(self) -> None: ...

    def close(self) -> None: ...


class _Status:
    output_underflow = False


def alarms(events: Events, state: str) -> list[dict[str, Any]]:
    return events.of(Kind.ALARM, condition=CONDITION, state=state)


# ------------------------------------------------------------------------- on the card


@pytest.mark.system
def test_a_soundscape_plays_ten_seconds_in_real_time_without_an_underflow(
    jack: DummyCard,
) -> None:
    events = Events()
    stream = CapturingStream(events, device=None, capture_blocks=50)
    try:
        stream.start("warm-hush", 0.5)
        events.wait_for(Kind.SOUNDSCAPE, action="start", outcome="ok")
        assert stream.stats.running
        with idle_client(samplerate=RATE, blocksize=BLOCK) as idle:
            first, server_late = stream.stats, jack.server_xruns()
            started = time.monotonic()
            time.sleep(10.0)  # the point of the test: ten seconds of a real-time card
            last, wall = stream.stats, time.monotonic() - started
            server_late = jack.server_xruns() - server_late
        machine_late = idle.stop() + server_late
        stream.stop()
        events.wait_for(Kind.SOUNDSCAPE, action="stop", outcome="ok")
        wait_until(lambda: not stream.stats.running)
    finally:
        stream.close()
    callbacks = last.callbacks - first.callbacks
    expected = wall * RATE / BLOCK  # ~234 callbacks in 10 s
    assert abs(callbacks - expected) <= 0.1 * expected, (callbacks, expected)
    # The producer never let the card run dry...
    assert last.ring_underflows == 0
    # ...and the callback was never late, unless the machine itself was too busy: then a
    # do-nothing client on the same card was late too, and ours may be as often, not more.
    late = last.portaudio_underflows - first.portaudio_underflows
    if machine_late == 0:
        assert late == 0
    else:
        assert late <= 2 * machine_late + 1, (late, machine_late)
    if late == 0:
        assert events.of(Kind.SOUNDSCAPE, action="underflow") == []
    assert events.of(Kind.ALARM) == []
    # What reached the card is the engine's sound, sample for sample, in order.
    np.testing.assert_array_equal(
        stream.captured, as_the_room_hears("warm-hush", 0.5, len(stream.captured))
    )
    assert np.abs(stream.captured[-RATE // 2 :]).max() > 0.01  # sound, not silence


@pytest.mark.system
def test_a_producer_slower_than_real_time_shows_counted_and_reported_underflows(
    jack: DummyCard,
) -> None:
    events = Events()
    stream = SoundscapeStream(
        events, engine_factory=SlowEngine, ahead_blocks=4, underflow_check_s=0.5
    )
    try:
        stream.start("warm-hush", 0.5)
        events.wait_for(Kind.SOUNDSCAPE, action="start", outcome="ok")
        report = events.wait_for(Kind.SOUNDSCAPE, timeout_s=5.0, action="underflow")
    finally:
        stream.close()
    stats = stream.stats
    assert stats.ring_underflows > 0
    assert report["count"] > 0
    assert report["total"] >= report["count"]
    assert report["ring"] > 0
    # The card kept its pace: silence where the producer was late, not a stalled stream.
    assert stats.callbacks > stats.blocks_played


@pytest.mark.system
def test_the_therapist_previews_a_preset_without_touching_the_room(jack: DummyCard) -> None:
    room_events, preview_events = Events(), Events()
    room = SoundscapeStream(room_events)
    preview = SoundscapePreview("system", report=preview_events)
    try:
        room.start("warm-hush", 0.4)
        room_events.wait_for(Kind.SOUNDSCAPE, action="start", outcome="ok")
        preview.play("rain", level=0.6)
        preview_events.wait_for(Kind.SOUNDSCAPE, action="crossfade", outcome="ok")
        preview.play("ocean", level=0.6)
        preview_events.wait_for(Kind.SOUNDSCAPE, preset="ocean", outcome="ok")
        assert preview.stream.engine is not None
        assert preview.stream.engine.preset == "ocean"
        assert room.engine is not None
        assert room.engine.preset == "warm-hush"
        preview.stop()
        preview_events.wait_for(Kind.SOUNDSCAPE, action="stop", outcome="ok")
        wait_until(lambda: not preview.stream.stats.running)
        played = room.stats.blocks_played
        wait_until(lambda: room.stats.blocks_played > played + 10)  # the room plays on
        assert room.stats.running
    finally:
        preview.close()
        room.close()
    assert room.preset == "warm-hush"
    assert [(d["action"], d["output"]) for _, d in room_events.items] == [("start", "room")]
    assert {d["output"] for _, d in preview_events.items} == {"preview"}


@pytest.mark.system
def test_devices_are_chosen_by_name_fragment_or_index_and_a_wrong_one_is_named(
    jack: DummyCard,
) -> None:
    by_name = resolve_output_device("SYST")
    assert by_name.name == "system"
    assert by_name.default
    assert resolve_output_device(by_name.index) == by_name
    assert resolve_output_device(str(by_name.index)) == by_name
    assert resolve_output_device(None) == by_name
    with pytest.raises(OutputDeviceError, match=r"'headphones'.*system"):
        resolve_output_device("headphones")


@pytest.mark.system
def test_the_card_coming_back_is_retried_quietly_and_the_alarm_cleared(jack: DummyCard) -> None:
    class FlakyCard(SoundscapeStream):
        tries = 0

        def _open_stream(self) -> Any:
            self.tries += 1
            if self.tries < 3:
                raise OutputDeviceError("the USB interface is unplugged")
            return super()._open_stream()

    events = Events()
    stream = FlakyCard(events, retry_s=0.2)
    try:
        stream.crossfade_to("warm-hush", 0.3, 10.0)
        events.wait_for(Kind.ALARM, state="raised")
        events.wait_for(Kind.SOUNDSCAPE, action="start", outcome="ok", retry=True)
        events.wait_for(Kind.ALARM, state="cleared")
        assert stream.stats.running
    finally:
        stream.close()
    assert stream.tries == 3
    assert len(alarms(events, "raised")) == 1  # the failed second try said nothing
    assert [d["outcome"] for d in events.of(Kind.SOUNDSCAPE)] == ["error", "ok"]


# ------------------------------------------------------------------------- the command line


@pytest.fixture
def room_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ROOMCTL_CONFIG", str(REPO / "config" / "roomctl.toml"))


@pytest.mark.system
@pytest.mark.usefixtures("room_config")
def test_soundscape_play_plays_on_the_card_and_counts_underflows(
    jack: DummyCard, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["soundscape", "play", "warm-hush", "--seconds", "1.5", "--level", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "playing warm-hush on system [JACK Audio Connection Kit] at level 0.3 for 1.5 s" in out
    summary = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"played \d+\.\d s: \d+ blocks of 2048, \d+ underflows "
        r"\(0 producer late, \d+ reported by the card\)",
        summary,
    ), summary


@pytest.mark.system
def test_ctrl_c_fades_the_soundscape_out_and_exits_cleanly(jack: DummyCard) -> None:
    env = {**os.environ, "ROOMCTL_CONFIG": str(REPO / "config" / "roomctl.toml")}
    player = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "soundscape", "play", "rain", "--level", "0.2"],
        cwd=REPO,
        env=env,  # JACK_DEFAULT_SERVER from the fixture: the child plays on the same card
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert player.stdout is not None
        first = player.stdout.readline()
        assert first.startswith("playing rain on system"), first + player.stderr.read()
        time.sleep(0.5)
        player.send_signal(signal.SIGINT)
        out, err = player.communicate(timeout=15)
    finally:
        if player.poll() is None:
            player.kill()
            player.communicate()
    assert player.returncode == 0, err
    assert out.splitlines()[0] == "stopping"
    assert re.match(r"played \d+\.\d s: \d+ blocks of 2048", out.splitlines()[1])


@pytest.mark.system
@pytest.mark.usefixtures("room_config")
def test_soundscape_play_on_a_missing_device_says_which_outputs_there_are(
    jack: DummyCard, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["soundscape", "play", "warm-hush", "--device", "headphones"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "no audio output matching 'headphones'" in err
    assert "0: system [JACK Audio Connection Kit, 2 ch, 48000 Hz] (default)" in err


@pytest.mark.system
@pytest.mark.usefixtures("room_config")
def test_soundscape_devices_lists_the_outputs(
    jack: DummyCard, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["soundscape", "devices"]) == 0
    assert "system [JACK Audio Connection Kit" in capsys.readouterr().out
    assert main(["soundscape", "devices", "--json"]) == 0
    (card,) = json.loads(capsys.readouterr().out)
    assert card["name"] == "system"
    assert card["default"] is True


# ------------------------------------------------------------------------- no card at all


def test_no_such_device_raises_one_technical_alarm_and_the_room_goes_on() -> None:
    events = Events()
    stream = SoundscapeStream(events, device="no-such-card")
    try:
        stream.start("warm-hush", 0.4)
        assert stream.flush()
        stream.crossfade_to("rain", 0.3, 10.0)
        stream.fade_to(0.0, 1.0)
        stream.set_params(brightness=0.2)
        stream.start("warm-hush", 0.4)
        stream.stop()
        assert stream.flush()
    finally:
        stream.close()
    raised = alarms(events, "raised")
    assert len(raised) == 1
    assert raised[0]["priority"] == "low"
    assert raised[0]["type"] == "technical"
    assert raised[0]["text"].startswith("No audio output for the soundscape: 'no-such-card'")
    start = events.of(Kind.SOUNDSCAPE, action="start")[0]
    assert start["outcome"] == "error"
    assert "no-such-card" in start["error"]
    outcomes = [(d["action"], d["outcome"]) for d in events.of(Kind.SOUNDSCAPE)]
    assert outcomes == [
        ("start", "error"),
        ("crossfade", "error"),
        ("fade", "error"),
        ("shape", "idle"),
        ("start", "error"),
        ("stop", "idle"),
    ]
    assert alarms(events, "cleared") != []  # nothing is wanted of the card after stop


def test_an_unknown_preset_is_an_error_event_not_an_alarm() -> None:
    events = Events()
    stream = SoundscapeStream(events, device="no-such-card")
    try:
        stream.start("no-such-scape", 0.4)
        assert stream.flush()
    finally:
        stream.close()
    (start,) = events.of(Kind.SOUNDSCAPE)
    assert start["outcome"] == "error"
    assert "no-such-scape" in start["error"]
    assert events.of(Kind.ALARM) == []


def test_without_portaudio_the_session_gets_one_alarm_not_an_exception(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_portaudio() -> Any:
        raise OutputDeviceError("PortAudio is not available (libportaudio2 not found)")

    monkeypatch.setattr(outputs, "portaudio", no_portaudio)
    events = Events()
    stream = SoundscapeStream(events)
    stream.crossfade_to("warm-hush", 0.4, 10.0)
    stream.crossfade_to("warm-hush", 0.2, 10.0)
    assert stream.flush()
    stream.close()
    raised = alarms(events, "raised")
    assert [a["text"] for a in raised] == [
        "No audio output for the soundscape: default output "
        "(PortAudio is not available (libportaudio2 not found))"
    ]


def test_a_card_that_stops_calling_back_raises_the_alarm_and_clears_it_when_it_resumes() -> None:
    class QuietCard(SoundscapeStream):
        def _open_stream(self) -> Any:
            return _FakeStream()

    events = Events()
    stream = QuietCard(events, stall_s=0.2)
    out = np.empty((3 * BLOCK, 2), dtype=np.float32)
    try:
        stream.start("warm-hush", 0.4)
        raised = events.wait_for(Kind.ALARM, state="raised")
        assert "stalled" in raised["text"]
        for i in range(3):  # the card comes back: its callback takes the ready blocks
            stream._callback(out[i * BLOCK : (i + 1) * BLOCK], BLOCK, None, _Status())
        events.wait_for(Kind.ALARM, state="cleared")
    finally:
        stream.close()
    np.testing.assert_array_equal(out, as_the_room_hears("warm-hush", 0.4, len(out)))
    assert stream.stats.ring_underflows == 0


def test_the_ring_holds_a_quarter_second_and_is_refilled_at_half_not_polled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The producer sleeps until the callback says the ring is half empty, then refills it
    in one go; a command wakes it at once however long it would sleep."""
    monkeypatch.setattr(soundscape_stream, "TICK_S", 30.0)  # only a wake-up can wake it

    class QuietCard(SoundscapeStream):
        def _open_stream(self) -> Any:
            return _FakeStream()

    events = Events()
    stream = QuietCard(events, stall_s=60)
    out = np.empty((BLOCK, 2), dtype=np.float32)
    assert (stream.blocksize, stream.ahead_blocks, stream.low_water) == (2048, 6, 3)
    assert stream.ahead_blocks * stream.blocksize / RATE <= 0.3  # a change heard within 0.3 s
    try:
        stream.start("warm-hush", 0.4)
        assert stream.flush()
        assert stream.stats.blocks_rendered == 6
        for _ in range(2):  # 4 blocks left: above the low-water mark, nothing to do yet
            stream._callback(out, BLOCK, None, _Status())
        time.sleep(0.2)
        assert stream.stats.blocks_rendered == 6
        stream._callback(out, BLOCK, None, _Status())  # 3 left: the producer is woken
        wait_until(lambda: stream.stats.blocks_rendered == 9, timeout_s=1.0)
        time.sleep(0.1)
        assert stream.stats.blocks_rendered == 9  # back to 6 ahead, and asleep again
        asked = time.monotonic()
        stream.fade_to(0.1, 2.0)
        events.wait_for(Kind.SOUNDSCAPE, timeout_s=1.0, action="fade", outcome="ok")
        assert time.monotonic() - asked < 0.1
    finally:
        stream.close()
    assert stream.stats.ring_underflows == 0
    assert stream.stats.lowest_lead == 3


def test_the_ring_holds_about_a_quarter_second_whatever_the_block_size() -> None:
    assert default_ahead_blocks(48000, 2048) == 6  # 256 ms
    assert default_ahead_blocks(44100, 2048) == 6  # 279 ms
    assert default_ahead_blocks(48000, 512) == 24  # 256 ms
    assert default_ahead_blocks(48000, 8192) == 4  # never fewer than 4
    with pytest.raises(ValueError, match="at least 2"):
        SoundscapeStream(Events(), ahead_blocks=1)


def test_the_therapists_shaping_is_kept_while_there_is_no_card_and_reaches_the_engine() -> None:
    class LateCard(SoundscapeStream):
        """No card at first; it appears on the first retry (and never calls back)."""

        tries = 0

        def _open_stream(self) -> Any:
            self.tries += 1
            if self.tries == 1:
                raise OutputDeviceError("not plugged in yet")
            return _FakeStream()

    class ShapedEngine(Engine):
        def __init__(self, preset: str, **kwargs: Any) -> None:
            super().__init__(preset, **kwargs)
            made.append({"preset": preset, **kwargs})

        def set_params(self, **params: Any) -> None:
            shaped.append(params)
            super().set_params(**params)

    made: list[dict[str, Any]] = []
    shaped: list[dict[str, Any]] = []
    events = Events()
    stream = LateCard(events, engine_factory=ShapedEngine, stall_s=60, retry_s=0.3)
    try:
        stream.start("warm-hush", 0.4)
        stream.set_params(brightness=0.2, density=1.5)
        stream.set_params(warmth=0.3)
        events.wait_for(Kind.SOUNDSCAPE, action="start", outcome="ok", retry=True)
        stream.set_params(movement=0.9)
        assert stream.flush()
    finally:
        stream.close()
    shapes = [
        (s["outcome"], s.get("error", "")) for s in events.of(Kind.SOUNDSCAPE, action="shape")
    ]
    assert shapes == [("idle", ""), ("error", "unknown parameter(s): warmth"), ("ok", "")]
    # The engine that finally plays starts with the shaping given while there was no card,
    # clamped to the controls' range.
    assert made[-1] == {
        "preset": "warm-hush",
        "samplerate": RATE,
        "seed": 0,
        "level": 0.0,
        "brightness": 0.2,
        "density": 1.0,
    }
    assert shaped == [{"movement": 0.9}]


def test_an_engine_that_breaks_stops_the_sound_with_an_alarm_not_silently(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class QuietCard(SoundscapeStream):
        def _open_stream(self) -> Any:
            return _FakeStream()

    class BrokenEngine(Engine):
        renders = 0

        def render(self, out: np.ndarray) -> None:
            BrokenEngine.renders += 1
            if BrokenEngine.renders > 8:  # after the first fill (6 blocks), mid-play
                raise RuntimeError("a bug in a layer")
            super().render(out)

    events = Events()
    stream = QuietCard(events, engine_factory=BrokenEngine, stall_s=60)
    out = np.empty((BLOCK, 2), dtype=np.float32)
    try:
        stream.start("warm-hush", 0.4)
        assert stream.flush()
        for _ in range(8):  # the card takes blocks: the producer renders more, and breaks
            stream._callback(out, BLOCK, None, _Status())
        raised = events.wait_for(Kind.ALARM, state="raised")
        wait_until(lambda: stream._thread is not None and not stream._thread.is_alive())
    finally:
        stream.close()
    assert raised["text"] == "Soundscape stopped: default output (a bug in a layer)"
    assert "soundscape producer failed" in caplog.text


def test_close_is_idempotent_joins_the_producer_and_ignores_later_calls() -> None:
    class QuietCard(SoundscapeStream):
        def _open_stream(self) -> Any:
            return _FakeStream()

    events = Events()
    never_started = SoundscapeStream(events)
    never_started.close()
    never_started.close()
    stream = QuietCard(events, stall_s=60)
    stream.start("warm-hush", 0.4)
    assert stream.flush()
    producer = stream._thread
    assert producer is not None
    assert producer.is_alive()
    stream.close()
    stream.close()
    assert not producer.is_alive()
    before = len(events.items)
    stream.start("rain", 0.5)
    stream.stop()
    assert stream.flush()  # a closed stream does not wait
    assert len(events.items) == before


# ------------------------------------------------------------------------- ducking on time


class _LatentStream(_FakeStream):
    """A card gone quiet that reports an output latency (and no DAC time: no callback runs)."""

    latency = 0.05


def test_a_duck_is_shortened_by_the_sound_already_on_its_way_and_a_fade_up_is_not() -> None:
    """A duck asked for over 1 s is heard down within 1 s: the fade the engine gets is shorter
    by the ring's lead, the engine's synthesised rest of a control block, and the card's share
    (here its reported latency plus the wait for the next callback, one block)."""

    class QuietCard(SoundscapeStream):
        def _open_stream(self) -> Any:
            return _LatentStream()

    class FadeEngine(Engine):
        def fade_to(self, level: float, seconds: float) -> None:
            fades.append((level, seconds))
            super().fade_to(level, seconds)

    fades: list[tuple[float, float]] = []
    events = Events()
    stream = QuietCard(events, engine_factory=FadeEngine, stall_s=60)
    block_s = BLOCK / RATE
    out = np.empty((BLOCK, 2), dtype=np.float32)
    try:
        stream.start("warm-hush", 0.4)
        assert stream.flush()
        assert stream.stats.blocks_rendered == 6  # 3 engine control blocks exactly: no rest
        fades.clear()
        stream.fade_to(0.1, 1.0)
        assert stream.flush()
        card_s = 0.05 + block_s
        (level, seconds) = fades.pop()
        assert level == 0.1
        assert seconds == pytest.approx(1.0 - 6 * block_s - card_s, abs=0.005)
        for _ in range(3):  # the card takes 3 blocks: the producer renders 3 more
            stream._callback(out, BLOCK, None, _Status())
        wait_until(lambda: stream.stats.blocks_rendered == 9, timeout_s=1.0)
        stream.fade_to(0.05, 1.0)  # 6 blocks ahead, and half a control block not handed out
        stream.fade_to(0.4, 1.0)  # a fade up keeps its length
        stream.fade_to(0.0, 0.2)  # less time than is on its way: at once, never negative
        assert stream.flush()
    finally:
        stream.close()
    assert fades[0] == (0.05, pytest.approx(1.0 - 7 * block_s - card_s, abs=0.005))
    assert fades[1:] == [(0.4, 1.0), (0.0, 0.0)]
    told = [
        (d["level"], d["seconds"], d["fade_s"]) for d in events.of(Kind.SOUNDSCAPE, action="fade")
    ]
    assert told[-2:] == [(0.4, 1.0, 1.0), (0.0, 0.2, 0.0)]


class TimedCapture(CapturingStream):
    """Also keeps, for every block captured, when the card plays it (PortAudio's DAC time)."""

    def __init__(self, *args: Any, capture_blocks: int, **kwargs: Any) -> None:
        super().__init__(*args, capture_blocks=capture_blocks, **kwargs)
        self.dac_times = np.zeros(capture_blocks)

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        block = self.captured_frames // self.blocksize
        super()._callback(outdata, frames, time_info, status)
        if block < len(self.dac_times):
            self.dac_times[block] = time_info.outputBufferDacTime

    def now(self) -> float:
        """Now on the stream's clock, the one DAC times are on."""
        return float(self._stream.time)


@pytest.mark.system
def test_a_duck_is_heard_down_within_its_seconds_on_the_card(jack: DummyCard) -> None:
    """The alarm's duck, ``fade_to(0, 1 s)``: the last audible sample is *played by the card*
    (its DAC time) within 1 s of the ask, though 0.13-0.26 s of sound was rendered ahead and
    the dummy card holds two periods."""
    events = Events()
    stream = TimedCapture(events, capture_blocks=120)  # 5.1 s
    try:
        stream.start("warm-hush", 0.5)
        events.wait_for(Kind.SOUNDSCAPE, action="start", outcome="ok")
        time.sleep(1.5)  # the start's fade-in is over
        asked = stream.now()
        stream.fade_to(0.0, 1.0)
        fade = events.wait_for(Kind.SOUNDSCAPE, action="fade", outcome="ok")
        wait_until(lambda: stream.now() > asked + 2.0)
    finally:
        stream.close()
    frames = stream.captured_frames
    loud = np.flatnonzero(np.abs(stream.captured[:frames]).max(axis=1) > 1e-6)
    assert len(loud) > 0
    last = loud[-1]
    assert last < frames - RATE // 2  # silent for the last 0.5 s at least
    heard = stream.dac_times[last // BLOCK] + (last % BLOCK) / RATE - asked
    assert 0.8 < heard <= 1.01, f"the duck was heard complete {heard:.3f} s after the ask"
    # the fade itself was shortened by the ring (>= 3 blocks) and the card (two periods)
    assert fade["fade_s"] <= 1.0 - 3 * BLOCK / RATE - 2 * PERIOD / RATE
