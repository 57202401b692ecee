"""The demo's own music: made at set-up, decodable by libvlc, sane levels, made only once, and
long enough that any planned infusion is fitted without repeating a piece.

Generation is tested at ``scale=0.01`` (each piece a few seconds, same shape); the full-length
rendering is checked on the shortest piece, and the full-length playlist through the plan.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from devices.audio.demo_music import (
    MANIFEST,
    PEAK_DBFS,
    PLAYLISTS,
    SAMPLERATE,
    TARGET_RMS_DBFS,
    ensure_demo_library,
    render_piece,
)
from roomctl.music_plan import Track, fit_playlist

soundfile = pytest.importorskip("soundfile")

SCALE = 0.01


def dbfs(value: float) -> float:
    return 20 * math.log10(max(value, 1e-12))


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return ensure_demo_library(tmp_path_factory.mktemp("music"), scale=SCALE)


def test_the_three_playlists_are_made_as_ogg_files(library: dict[str, Path]) -> None:
    assert sorted(library) == ["infusion", "preparation", "recovery"]
    for name, folder in library.items():
        files = sorted(p.name for p in folder.iterdir())
        assert len(files) == len(PLAYLISTS[name])
        assert all(f.endswith(".ogg") for f in files)
        assert files[0].startswith("01 ")


@pytest.mark.system  # real libvlc reads the files
def test_libvlc_decodes_every_piece_at_its_length(library: dict[str, Path]) -> None:
    from devices.audio.library import load_library

    for name, folder in library.items():
        loaded = load_library(folder)
        assert not loaded.skipped
        lengths = [t.duration_s for t in loaded.tracks]
        expected = [max(2.0, p.seconds * SCALE) for p in PLAYLISTS[name]]
        assert lengths == pytest.approx(expected, abs=0.1)


def test_levels_are_moderate_and_peaks_leave_headroom(library: dict[str, Path]) -> None:
    for folder in library.values():
        for path in folder.iterdir():
            samples, rate = soundfile.read(path, dtype="float32")
            assert rate == SAMPLERATE
            assert samples.shape[1] == 2
            assert dbfs(float(np.abs(samples).max())) <= PEAK_DBFS
            rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
            assert dbfs(rms) == pytest.approx(TARGET_RMS_DBFS, abs=1.0), path.name


def test_a_second_call_only_checks_and_a_lost_file_is_made_again(tmp_path: Path) -> None:
    first = ensure_demo_library(tmp_path, scale=SCALE)
    files = sorted(p for folder in first.values() for p in folder.iterdir())
    stamps = {p: p.stat().st_mtime_ns for p in files}
    assert ensure_demo_library(tmp_path, scale=SCALE) == first
    assert {p: p.stat().st_mtime_ns for p in files} == stamps
    lost = files[3]
    lost.unlink()
    ensure_demo_library(tmp_path, scale=SCALE)
    assert lost.is_file()
    assert {p: p.stat().st_mtime_ns for p in files if p != lost} == {
        p: s for p, s in stamps.items() if p != lost
    }
    assert (tmp_path / MANIFEST).is_file()
    assert not list(tmp_path.rglob("*.part"))


def test_a_piece_is_the_same_every_time_and_sounds_like_a_gentle_pad() -> None:
    piece = min(PLAYLISTS["preparation"], key=lambda p: p.seconds)
    music = render_piece(piece)  # full length: the real thing, once
    assert len(music) == int(piece.seconds * SAMPLERATE)
    assert np.array_equal(music[:50000], render_piece(piece)[:50000])
    assert dbfs(float(np.sqrt(np.mean(music.astype(np.float64) ** 2)))) == pytest.approx(
        -18, abs=0.1
    )
    assert abs(float(music.mean())) < 1e-3  # no DC
    spectrum = np.abs(np.fft.rfft(music[:, 0] + music[:, 1]))
    freqs = np.fft.rfftfreq(len(music), 1 / SAMPLERATE)
    centroid = float((spectrum * freqs).sum() / spectrum.sum())
    assert 150 < centroid < 1500  # warm, not bright
    assert spectrum[freqs > 6500].sum() < 0.01 * spectrum.sum()
    stereo = float(np.corrcoef(music[:, 0], music[:, 1])[0, 1])
    assert -0.2 < stereo < 0.9  # wide, not two copies
    edge = int(0.2 * SAMPLERATE)
    assert np.abs(music[:edge]).max() < 0.05  # faded in
    assert np.abs(music[-edge:]).max() < 0.05  # and out


@pytest.mark.parametrize("minutes", [40, 55, 60])
def test_the_infusion_playlist_fills_a_planned_infusion_without_repeating(minutes: int) -> None:
    tracks = [Track(f"{i:02d}.ogg", p.seconds) for i, p in enumerate(PLAYLISTS["infusion"])]
    plan = fit_playlist(tracks, minutes * 60.0)
    assert not plan.looped
    paths = [i.path for i in plan.items]
    assert len(paths) == len(set(paths))
    assert plan.items[-1].end_s == pytest.approx(minutes * 60.0)
    assert plan.items[-1].fade_out_s == pytest.approx(60.0)
