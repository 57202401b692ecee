"""``roomctl soundscape list|render``: the menu as the UI reads it, and a WAV that is exactly what
the engine would play in the room for the same seed and controls."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from app import cli
from app.cli import main
from app.commands import soundscape
from soundscapes.engine import presets, render_seconds


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command group as app/cli.py registers it (added here while it does not yet)."""
    if soundscape not in cli.COMMANDS:
        monkeypatch.setattr(cli, "COMMANDS", (*cli.COMMANDS, soundscape))


def read_pcm(path: Path) -> tuple[np.ndarray, int, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getsampwidth() == 2
        pcm = np.frombuffer(wav.readframes(wav.getnframes()), "<i2")
        return pcm.reshape(-1, wav.getnchannels()), wav.getframerate(), wav.getnchannels()


def as_pcm(x: np.ndarray) -> np.ndarray:
    return np.round(x.astype(np.float64) * 32767).astype("<i2")


def test_list_json_is_exactly_name_and_description_in_menu_order(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["soundscape", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == [{"name": p.name, "description": p.description} for p in presets()]
    assert all(list(item) == ["name", "description"] for item in doc)
    assert len(doc) >= 6


def test_list_shows_every_scape_with_its_description(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["soundscape", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [p.name for p in presets()]
    assert all(p.description in line for p, line in zip(presets(), lines, strict=True))


def test_render_writes_the_48k_wav_the_engine_would_play(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "rain.wav"
    args = ["soundscape", "render", "rain", "--seconds", "2.5", "--out", str(out), "--seed", "4"]
    assert main(args) == 0
    pcm, rate, channels = read_pcm(out)
    assert (rate, channels, len(pcm)) == (48000, 2, 120000)
    assert np.array_equal(pcm, as_pcm(render_seconds("rain", 2.5, seed=4)))
    said = capsys.readouterr().out
    assert "rain" in said
    assert "peak" in said


def test_render_takes_the_rate_and_the_controls(tmp_path: Path) -> None:
    out = tmp_path / "bowls.wav"
    args = ["soundscape", "render", "bowls", "--seconds", "3", "--out", str(out)]
    args += ["--samplerate", "44100", "--seed", "2", "--level", "0.5", "--brightness", "0.9"]
    args += ["--density", "1", "--movement", "0"]
    assert main(args) == 0
    pcm, rate, _ = read_pcm(out)
    expected = render_seconds(
        "bowls",
        3.0,
        samplerate=44100,
        seed=2,
        level=0.5,
        brightness=0.9,
        density=1.0,
        movement=0.0,
    )
    assert rate == 44100
    assert np.array_equal(pcm, as_pcm(expected))


def test_an_unknown_scape_is_one_line_naming_the_known_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "x.wav"
    assert main(["soundscape", "render", "thunder", "--seconds", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "unknown soundscape 'thunder'" in err[0]
    assert "warm-hush" in err[0]
    assert not out.exists()


def test_a_file_that_cannot_be_written_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no-such-folder" / "x.wav"
    assert main(["soundscape", "render", "wind", "--seconds", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "cannot write" in err[0]


@pytest.mark.parametrize(
    "bad",
    [
        ["--seconds", "0"],
        ["--seconds", "1", "--density", "1.5"],
        ["--seconds", "1", "--samplerate", "44.1k"],
        ["--seconds", "1", "--seed", "-1"],
    ],
)
def test_bad_values_are_refused_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: list[str]
) -> None:
    out = tmp_path / "x.wav"
    with pytest.raises(SystemExit) as exited:
        main(["soundscape", "render", "rain", "--out", str(out), *bad])
    assert exited.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert not out.exists()
