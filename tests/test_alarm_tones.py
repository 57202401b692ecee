"""The staff's alarm tones: SpO2 drops → high alarm → the high pattern sounds at once and every
10 s → acknowledged → silence; audio paused → silence; three patterns told apart by ear."""

from __future__ import annotations

from contextlib import ExitStack

import numpy as np
import pytest

from devices.audio.alarm_tones import SAMPLERATE, AlarmTones, pattern
from roomctl.alarm_sound import REPEAT_S, ToneSchedule
from roomctl.alarms import Priority
from roomctl.timeline.events import Kind
from tests.audio_card import dummy_card


def _pulses(samples: np.ndarray) -> int:
    """Count tone bursts: runs of loud 10 ms windows."""
    frames = samples[: len(samples) // 480 * 480].reshape(-1, 480)
    loud = np.abs(frames).max(axis=1) > 0.05
    return int(np.sum(loud[1:] & ~loud[:-1]) + loud[0])


def test_three_patterns_by_priority() -> None:
    high, medium, low = (pattern(p) for p in (Priority.HIGH, Priority.MEDIUM, Priority.LOW))
    assert (_pulses(high), _pulses(medium), _pulses(low)) == (5, 3, 2)
    for tone in (high, medium, low):
        assert tone.dtype == np.float32
        assert np.max(np.abs(tone)) <= 10 ** (-6 / 20) + 1e-6
        assert abs(float(np.mean(tone))) < 0.01
    # No click: the first and last samples of each pattern are near silence.
    assert abs(high[0]) < 0.01
    assert abs(high[-1]) < 0.01


def test_the_tone_follows_the_audio_priority_and_repeats_in_real_time() -> None:
    schedule = ToneSchedule()
    assert schedule.due(0, 0.0) is None
    assert schedule.due(Priority.MEDIUM, 1.0) == Priority.MEDIUM  # appears: at once
    assert schedule.due(Priority.MEDIUM, 2.0) is None
    assert schedule.due(Priority.HIGH, 3.0) == Priority.HIGH  # rises: at once
    assert schedule.due(Priority.HIGH, 3.0 + REPEAT_S[Priority.HIGH] - 0.5) is None
    assert schedule.due(Priority.HIGH, 3.0 + REPEAT_S[Priority.HIGH]) == Priority.HIGH
    assert schedule.due(0, 20.0) is None  # acknowledged or paused: silent
    assert schedule.due(Priority.HIGH, 21.0) == Priority.HIGH  # back: at once again


def test_a_missing_staff_device_is_one_technical_alarm() -> None:
    reports: list[tuple[Kind, dict]] = []
    tones = AlarmTones("no-such-staff-device", lambda kind, data: reports.append((kind, data)))
    tones.sound(Priority.HIGH)
    tones.sound(Priority.HIGH)
    assert len(reports) == 1
    kind, data = reports[0]
    assert kind == Kind.ALARM
    assert (data["condition"], data["state"]) == ("alarm_tones", "raised")
    assert "no-such-staff-device" in data["text"]


@pytest.mark.system
def test_the_high_tone_plays_on_a_staff_card(monkeypatch) -> None:
    """On JACK's dummy card the whole pattern plays through PortAudio in real time."""
    with ExitStack() as stack:
        card = dummy_card(stack, samplerate=SAMPLERATE)
        import sounddevice as sd

        reports: list[tuple[Kind, dict]] = []
        tones = AlarmTones(sd.default.device[1], lambda k, d: reports.append((k, d)))
        tones.sound(Priority.HIGH)
        sd.wait()
        assert reports == []
        assert card.name
