"""``roomctl playlist plan``: a therapist checks how a folder fills the planned infusion before the
session; the JSON is exactly what the player would follow, and bad folders are named in one line."""

from __future__ import annotations

import itertools
import json
import wave
from pathlib import Path

import numpy as np
import pytest

import app.cli
from app.cli import main
from app.commands import playlist

pytestmark = pytest.mark.system  # real libvlc reads the files

LENGTHS = {
    "01 Arrival.wav": 150.0,
    "02 Drift.wav": 200.0,
    "03 Deep.wav": 250.0,
    "04 Return.wav": 320.0,
}
ITEM_KEYS = {"path", "start_s", "duration_s", "offset_s", "fade_in_s", "fade_out_s"}


def write_wav(path: Path, seconds: float) -> None:
    """Silence at 8 kHz, 8-bit mono: minutes of real audio in a few hundred kB."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(np.full(round(seconds * 8000), 128, np.uint8).tobytes())


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command as app/cli.py registers it (added here until it is in COMMANDS)."""
    if playlist not in app.cli.COMMANDS:
        monkeypatch.setattr(app.cli, "COMMANDS", (*app.cli.COMMANDS, playlist))
    monkeypatch.delenv("ROOMCTL_CONFIG", raising=False)


@pytest.fixture(scope="module")
def music(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("music") / "infusion"
    folder.mkdir()
    for name, seconds in LENGTHS.items():
        write_wav(folder / name, seconds)
    return folder


def plan_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, object]:
    assert main(["playlist", "plan", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_plan_has_exactly_the_promised_shape(
    music: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = plan_json(capsys, str(music), "--minutes", "14")
    assert doc["minutes"] == 14
    items = doc["items"]
    assert isinstance(items, list)
    assert all(set(item) == ITEM_KEYS for item in items)
    assert [Path(i["path"]).name for i in items] == list(LENGTHS)
    assert items[0] == {
        "path": str(music / "01 Arrival.wav"),
        "start_s": 0.0,
        "duration_s": 150.0,
        "offset_s": 0.0,
        "fade_in_s": 0.0,
        "fade_out_s": 8.0,
    }
    for prev, nxt in itertools.pairwise(items):
        assert nxt["start_s"] == pytest.approx(prev["start_s"] + prev["duration_s"] - 8.0)
        assert nxt["fade_in_s"] == prev["fade_out_s"] == 8.0
    assert items[-1]["start_s"] + items[-1]["duration_s"] == pytest.approx(840.0, abs=0.002)
    assert items[-1]["fade_out_s"] == 60.0
    assert doc["end_s"] == 840.0
    assert doc["looped"] is False
    assert doc["skipped"] == []


def test_options_reach_the_plan(music: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = plan_json(
        capsys,
        str(music),
        "--minutes",
        "30",
        "--crossfade",
        "0",
        "--final-fade",
        "90",
        "--order",
        "fixed",
    )
    items = doc["items"]
    assert isinstance(items, list)
    assert doc["looped"] is True
    assert doc["notes"][0] == "library 15:20 < plan 30:00: looped"  # type: ignore[index]
    names = [Path(i["path"]).name for i in items]
    assert names[:6] == [*LENGTHS, *list(LENGTHS)[:2]]  # the given order, round again
    assert all(i["fade_in_s"] == 0.0 for i in items)
    assert items[-1]["fade_out_s"] == 90.0
    assert doc["end_s"] == 1800.0


def test_human_output_is_a_table_with_the_end_and_the_notes(
    music: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["playlist", "plan", str(music), "--minutes", "12"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == (
        f"{music}: 4 track(s) · fitted · crossfade 8 s · final fade 60 s · plan 12:00"
    )
    assert out[1].split() == ["#", "start", "length", "offset", "fade", "in/out", "file"]
    # fitted: 02, 03, 04 cut only 34 s from 04's end, where all four would cut 2:56
    assert out[2].split() == ["1", "0:00", "3:20", "0:00", "0", "/", "8", "02", "Drift.wav"]
    assert out[4].split()[-2:] == ["04", "Return.wav"]
    assert "ends at 12:00 (720.000 s) with a 60 s fade" in out
    assert any(line.startswith("note: last track") for line in out)


def test_an_m3u_is_planned_in_its_order(
    music: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m3u = tmp_path / "arc.m3u"
    m3u.write_text(f"#EXTM3U\n{music / '04 Return.wav'}\n{music / '02 Drift.wav'}\n")
    doc = plan_json(capsys, str(m3u), "--minutes", "8", "--order", "fixed")
    assert [Path(i["path"]).name for i in doc["items"]] == ["04 Return.wav", "02 Drift.wav"]  # type: ignore[union-attr,index]


def test_a_configured_playlist_name_works_with_its_order(
    music: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "roomctl.toml"
    config.write_text(f'[music.playlists.calm]\npath = "{music}"\norder = "fixed"\n')
    doc = plan_json(capsys, "calm", "--minutes", "10", "--config", str(config))
    assert doc["order"] == "fixed"
    assert doc["source"] == str(music)


def test_unreadable_files_are_skipped_and_reported(
    music: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    write_wav(folder / "good.wav", 300.0)
    (folder / "scratched.flac").write_bytes(b"\x00garbage" * 100)
    doc = plan_json(capsys, str(folder), "--minutes", "4")
    assert doc["skipped"] == [
        {
            "path": str(folder / "scratched.flac"),
            "reason": "not decodable (libvlc finds no audio in it)",
        }
    ]
    assert main(["playlist", "plan", str(folder), "--minutes", "4"]) == 0
    assert "skipped: scratched.flac: not decodable (libvlc finds no audio in it)" in (
        capsys.readouterr().out.splitlines()
    )


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["playlist", "plan", *args]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


def test_a_missing_folder_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_line_error(capsys, str(tmp_path / "nowhere"), "--minutes", "40")
    assert line == f"roomctl: {tmp_path / 'nowhere'}: no such folder or playlist"


def test_an_unknown_playlist_name_lists_the_configured_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    line = one_line_error(capsys, "nowhere-xyz", "--minutes", "40")
    assert line == (
        "roomctl: nowhere-xyz: no such folder or playlist "
        "(nor a [music.playlists] name: infusion, preparation, recovery)"
    )


def test_an_empty_folder_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = one_line_error(capsys, str(tmp_path), "--minutes", "40")
    assert line.startswith(f"roomctl: {tmp_path}: no audio files in this folder")


def test_a_folder_of_unreadable_files_is_one_line_naming_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.mp3").write_bytes(b"not audio " * 300)
    (tmp_path / "b.wav").write_bytes(b"RIFF broken")
    line = one_line_error(capsys, str(tmp_path), "--minutes", "40")
    assert line.startswith(f"roomctl: {tmp_path}: no playable track: a.mp3 (not decodable")
    assert "b.wav (not decodable" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--minutes", "0.5"], "argument --minutes: minutes is 1-120 (got 0.5)"),
        (["--minutes", "121"], "argument --minutes: minutes is 1-120 (got 121)"),
        (["--minutes", "forty"], "argument --minutes: not a number: 'forty'"),
        (["--minutes", "40", "--crossfade", "31"], "crossfade is 0-30 (got 31)"),
        (["--minutes", "40", "--final-fade", "20"], "final fade is 30-600 (got 20)"),
    ],
)
def test_out_of_range_numbers_are_usage_errors(
    music: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["playlist", "plan", str(music), *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
