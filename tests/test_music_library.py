"""A playlist's tracks come from real files, their lengths from libvlc: what the fitting plans is
what the player can play, and a bad file is named, not guessed around."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
import vlc

from devices.audio import library as audio_library
from devices.audio.library import LibraryError, Skipped, load_library, load_tracks

pytestmark = pytest.mark.system  # real libvlc

RATE = 8000


def write_wav(path: Path, seconds: float, *, rate: int = RATE) -> Path:
    """A quiet 220 Hz tone, 16-bit mono: a real file libvlc decodes."""
    t = np.arange(round(seconds * rate)) / rate
    samples = (0.1 * 32767 * np.sin(2 * np.pi * 220 * t)).astype("<i2")
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return path


def write_corrupt(path: Path) -> Path:
    path.write_bytes(b"this is not audio, whatever its name says\n" * 200)
    return path


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    music = tmp_path / "infusion"
    write_wav(music / "10 Return.wav", 3.0)
    write_wav(music / "2 Drift.wav", 2.25)
    write_wav(music / "1 Arrival.wav", 1.5)
    (music / "cover.jpg").write_bytes(b"\xff\xd8 not music")
    write_wav(music / ".hidden.wav", 1.0)
    write_wav(music / "bonus" / "Extra.wav", 1.0)
    return music


def names(tracks: object) -> list[str]:
    return [Path(t.path).name for t in tracks]  # type: ignore[attr-defined]


def test_a_folder_gives_its_audio_files_in_name_order_with_libvlc_lengths(folder: Path) -> None:
    library = load_library(folder)
    assert names(library.tracks) == ["1 Arrival.wav", "2 Drift.wav", "10 Return.wav"]
    assert [t.duration_s for t in library.tracks] == pytest.approx([1.5, 2.25, 3.0], abs=0.05)
    assert all(Path(t.path).is_absolute() for t in library.tracks)
    assert library.skipped == ()
    assert library.source == str(folder)


def test_an_m3u_keeps_its_order_resolves_relative_paths_and_skips_what_it_cannot_play(
    folder: Path, tmp_path: Path
) -> None:
    write_corrupt(folder / "broken.mp3")
    playlist = folder / "arc.m3u"
    playlist.write_text(
        "#EXTM3U\n"
        "#EXTINF:3,Return\n"
        "10 Return.wav\n"
        "\n"
        f"{folder / '1 Arrival.wav'}\n"
        "missing.wav\n"
        "https://radio.example/stream.mp3\n"
        "broken.mp3\n"
        f"file://{(folder / '2 Drift.wav').as_posix().replace(' ', '%20')}\n",
        encoding="utf-8",
    )
    library = load_library(playlist)
    assert names(library.tracks) == ["10 Return.wav", "1 Arrival.wav", "2 Drift.wav"]
    assert [t.duration_s for t in library.tracks] == pytest.approx([3.0, 1.5, 2.25], abs=0.05)
    reasons = {Path(s.path).name: s.reason for s in library.skipped}
    assert reasons == {
        "stream.mp3": "not a local file (streams are not planned)",
        "missing.wav": "missing",
        "broken.mp3": "not decodable (libvlc finds no audio in it)",
    }


def test_an_m3u8_is_utf8_and_tilde_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    write_wav(tmp_path / "Music" / "Überfahrt.wav", 2.0)
    write_wav(tmp_path / "Music" / "Ankunft.wav", 1.25)
    (tmp_path / "Music" / "reise.m3u8").write_text(
        "\ufeff#EXTM3U\nÜberfahrt.wav\n~/Music/Ankunft.wav\n", encoding="utf-8"
    )
    tracks = load_tracks("~/Music/reise.m3u8")
    assert names(tracks) == ["Überfahrt.wav", "Ankunft.wav"]
    assert [t.duration_s for t in tracks] == pytest.approx([2.0, 1.25], abs=0.05)


def test_a_latin1_m3u_is_read_too(tmp_path: Path) -> None:
    write_wav(tmp_path / "Café.wav", 1.5)
    (tmp_path / "old.m3u").write_bytes("Café.wav\n".encode("latin-1"))
    assert names(load_tracks(tmp_path / "old.m3u")) == ["Café.wav"]


def test_a_single_audio_file_is_a_one_track_playlist(folder: Path) -> None:
    (track,) = load_tracks(folder / "2 Drift.wav")
    assert track.duration_s == pytest.approx(2.25, abs=0.05)


def test_unreadable_files_among_good_ones_are_skipped_and_listed(folder: Path) -> None:
    write_corrupt(folder / "3 Broken.mp3")
    (folder / "4 Empty.flac").write_bytes(b"")
    library = load_library(folder)
    assert names(library.tracks) == ["1 Arrival.wav", "2 Drift.wav", "10 Return.wav"]
    assert library.skipped == (
        Skipped(str(folder / "3 Broken.mp3"), "not decodable (libvlc finds no audio in it)"),
        Skipped(str(folder / "4 Empty.flac"), "not decodable (libvlc could not open it)"),
    )


def test_a_file_without_read_permission_is_named_as_unreadable(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = write_wav(folder / "5 Locked.wav", 1.0)
    opened = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self == locked:  # what chmod 000 does for anyone but root
            raise PermissionError(13, "Permission denied", str(self))
        return opened(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "open", refuse)
    library = load_library(folder)
    assert Skipped(str(locked), "unreadable: Permission denied") in library.skipped
    assert names(library.tracks) == ["1 Arrival.wav", "2 Drift.wav", "10 Return.wav"]


def test_a_folder_of_only_broken_files_is_an_error_naming_them(tmp_path: Path) -> None:
    write_corrupt(tmp_path / "a.mp3")
    write_corrupt(tmp_path / "b.ogg")
    with pytest.raises(LibraryError) as caught:
        load_library(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path}: no playable track: a.mp3 (not decodable (libvlc finds no audio in it)), "
        "b.ogg (not decodable (libvlc finds no audio in it))"
    )


def test_a_missing_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(LibraryError) as caught:
        load_library(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: no such folder or playlist"


def test_an_empty_folder_is_an_error_naming_it_and_what_was_looked_for(tmp_path: Path) -> None:
    write_wav(tmp_path / "sub" / "deeper.wav", 1.0)
    with pytest.raises(LibraryError) as caught:
        load_library(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{tmp_path}: no audio files in this folder (subfolders are not")
    assert ".flac" in message
    assert ".mp3" in message


def test_an_empty_playlist_and_a_non_audio_file_are_errors(tmp_path: Path) -> None:
    (tmp_path / "empty.m3u").write_text("#EXTM3U\n# nothing yet\n")
    with pytest.raises(LibraryError) as empty:
        load_library(tmp_path / "empty.m3u")
    assert str(empty.value) == f"{tmp_path / 'empty.m3u'}: the playlist lists no files"
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(LibraryError) as text:
        load_library(tmp_path / "notes.txt")
    assert str(text.value).startswith(
        f"{tmp_path / 'notes.txt'}: not a folder, an .m3u/.m3u8 playlist or an audio file ("
    )


def test_libvlc_without_plugins_is_a_clear_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(vlc, "Instance", lambda *args: None)
    with pytest.raises(LibraryError) as caught:
        load_library(folder)
    assert str(caught.value) == "libvlc has no plugins: install vlc-plugin-base"


def test_a_given_instance_is_used_and_left_open(folder: Path) -> None:
    instance = vlc.Instance(list(audio_library.VLC_OPTIONS))
    try:
        first = load_tracks(folder, instance=instance)
        again = load_tracks(folder, instance=instance)  # still usable: not released
    finally:
        instance.release()
    assert first == again
    assert len(first) == 3


def test_many_files_are_read_in_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio_library, "_BATCH", 4)
    for i in range(10):
        write_wav(tmp_path / f"{i:02d}.wav", 1.0 + i / 10)
    tracks = load_tracks(tmp_path)
    assert [t.duration_s for t in tracks] == pytest.approx(
        [1.0 + i / 10 for i in range(10)], abs=0.05
    )
