"""Voice notes reach the disk as private 16-bit mono WAVs, play back, and a missing microphone is
a clear error, never a crash.

The microphone is JACK's dummy backend (its capture ports deliver silence in real time, which is
all a recording test needs: the length and the format, not the voice). jackd runs once for the
module under a server name of its own, so a soundscape test's jackd (or anyone's) is never
touched. Without jackd these tests are skipped, unless ``ROOMCTL_REQUIRE_AUDIO=1`` (CI), where
they fail instead of hiding. The error cases need no card and run everywhere.
"""

from __future__ import annotations

import os
import stat
import time
import wave
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from devices.audio.voice_notes import VoiceNoteError, VoiceRecorder
from tests.audio_card import dummy_card

RATE = 48000


@pytest.fixture(scope="module")
def jack() -> Iterator[str]:
    """A JACK dummy card (2 in, 2 out at 48 kHz) that PortAudio sees as its default devices."""
    with ExitStack() as stack:
        name = dummy_card(
            stack, samplerate=RATE, period=512, name=f"roomctl-voice-test-{os.getpid()}"
        )
        import sounddevice as sd

        inputs = [d for d in sd.query_devices() if d["max_input_channels"] > 0]
        if not inputs:
            pytest.fail(f"jackd {name} is running but PortAudio lists no input", pytrace=False)
        yield name


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    """Poll a real-time condition (the card runs at its own pace), failing after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"still waiting after {timeout_s} s", pytrace=False)
        time.sleep(0.02)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_spoken_note_is_saved_private_numbered_and_plays_back(jack, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    folder = data_dir / "voice" / "20261125-142501-3fa9c2"
    recorder = VoiceRecorder(folder, relative_to=data_dir)
    try:
        recorder.start()
        assert recorder.recording
        wait_for(lambda: recorder.recorded_s >= 1.0)
        path, seconds = recorder.stop()
        assert not recorder.recording

        assert path == "voice/20261125-142501-3fa9c2/voice-0001.wav"
        file = data_dir / path
        with wave.open(str(file), "rb") as wav:
            assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, RATE)
            assert wav.getnframes() == round(seconds * RATE)
        assert 1.0 <= seconds < 5.0
        assert mode(file) == 0o600
        assert mode(folder) == 0o700
        assert mode(folder.parent) == 0o700  # data_dir/voice, made by the recorder too

        recorder.start()  # the next note gets the next number
        wait_for(lambda: recorder.recorded_s > 0.1)
        second, _ = recorder.stop()
        assert second.endswith("voice-0002.wav")

        recorder.play(path)
        assert recorder.playing
        wait_for(lambda: not recorder.playing)  # the whole second went through the card
    finally:
        recorder.close()


def test_a_note_longer_than_the_budget_keeps_the_budget(jack, tmp_path: Path) -> None:
    recorder = VoiceRecorder(tmp_path / "voice", max_seconds=0.25)
    recorder.start()
    wait_for(lambda: recorder.recorded_s >= 0.25)
    time.sleep(0.2)  # the card keeps delivering: the callback must drop, not overrun
    path, seconds = recorder.stop()
    assert seconds == 0.25
    with wave.open(str(tmp_path / "voice" / path), "rb") as wav:
        assert wav.getnframes() == RATE // 4


def test_no_default_microphone_is_a_clear_error(monkeypatch, tmp_path: Path) -> None:
    import sounddevice as sd

    # sd.default.device is a live pair (setting it writes in place), so swap its list instead:
    # monkeypatch then puts the untouched original back.
    monkeypatch.setattr(sd.default.device, "_pair", [-1, -1])
    recorder = VoiceRecorder(tmp_path / "voice")
    with pytest.raises(VoiceNoteError, match=r"no default audio input \(inputs: "):
        recorder.start()
    assert not recorder.recording
    assert not (tmp_path / "voice").exists()  # nothing recorded, nothing created


def test_an_unknown_microphone_is_named_in_the_error(tmp_path: Path) -> None:
    recorder = VoiceRecorder(tmp_path / "voice", device="Therapist Headset Mic 9000")
    with pytest.raises(VoiceNoteError, match="Therapist Headset Mic 9000") as caught:
        recorder.start()
    assert isinstance(caught.value, OSError)  # what the panel catches
    assert "inputs:" in str(caught.value)


def test_stop_without_a_recording_and_foreign_paths_are_refused(tmp_path: Path) -> None:
    recorder = VoiceRecorder(tmp_path / "data" / "voice" / "s1", relative_to=tmp_path / "data")
    with pytest.raises(VoiceNoteError, match="not recording"):
        recorder.stop()
    with pytest.raises(VoiceNoteError, match="not a voice note of this session"):
        recorder.play("../../../etc/passwd")
    with pytest.raises(VoiceNoteError, match="cannot read the voice note"):
        recorder.play("voice/s1/voice-0042.wav")
