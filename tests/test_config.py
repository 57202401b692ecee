"""Config: the defaults load, a user file overrides them, and every mistake is one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from roomctl.config import DEFAULTS_PATH, ConfigError, load_config

REPO = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "room.toml"
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.lines


def test_the_shipped_defaults_describe_the_protocol() -> None:
    config = load_config(None)
    assert config.plan.infusion_minutes == 40
    assert config.recovery.minimum_minutes == 30
    assert config.lights.scenes["infusing"].brightness == 15
    assert config.lights.scenes["infusing"].kelvin == 2200
    assert config.lights.scenes["infusing"].transition_s == 60
    assert config.lights.scenes["emergency"].transition_s == 0
    assert config.phases.infusing.reminders[0].every_minutes == 15


def test_a_user_file_overrides_only_what_it_names(tmp_path: Path) -> None:
    config = load_config(
        write(tmp_path, "[plan]\ninfusion_minutes = 55\n[room]\nname = 'Room 3'\n")
    )
    assert config.plan.infusion_minutes == 55
    assert config.room.name == "Room 3"
    assert config.recovery.minimum_minutes == 30


def test_out_of_range_minutes_name_file_key_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "[plan]\ninfusion_minutes = 90\n")
    assert errors_of(path) == [
        f"{path}: plan.infusion_minutes: Input should be less than or equal to 60 (got 90)"
    ]


def test_a_word_for_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, '[plan]\ninfusion_minutes = "forty"\n')
    (line,) = errors_of(path)
    assert line.startswith(f"{path}: plan.infusion_minutes: ")
    assert "'forty'" in line


def test_an_unknown_section(tmp_path: Path) -> None:
    path = write(tmp_path, "[lightz]\nbackend = 'hue'\n")
    assert errors_of(path) == [f"{path}: lightz: unknown key"]


def test_a_toml_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, "[plan]\ninfusion_minutes = \n")
    (line,) = errors_of(path)
    assert line.startswith(f"{path}: TOML syntax error: ")
    assert "line 2" in line


def test_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    assert errors_of(path) == [f"{path}: no such file"]


def test_a_phase_naming_an_unknown_scene(tmp_path: Path) -> None:
    path = write(tmp_path, "[phases.infusing]\nlights = 'disco'\n")
    (line,) = errors_of(path)
    assert line.startswith(f"{path}: phases.infusing.lights: unknown scene 'disco'")


def test_a_reminder_needs_exactly_one_timing(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "[phases.infusing]\nreminders = [{ text = 'BP', at_minutes = 1, every_minutes = 2 }]\n",
    )
    (line,) = errors_of(path)
    assert line == (
        f"{path}: phases.infusing.reminders.0: give exactly one of at_minutes or every_minutes"
    )


def test_the_defaults_file_is_where_the_code_looks() -> None:
    assert DEFAULTS_PATH == REPO / "config" / "roomctl.toml"


@pytest.mark.system
@pytest.mark.parametrize(
    ("content", "key"),
    [
        ("[plan]\ninfusion_minutes = 90\n", "plan.infusion_minutes"),
        ('[plan]\ninfusion_minutes = "forty"\n', "plan.infusion_minutes"),
        ("[bogus]\nx = 1\n", "bogus"),
        ("[plan\n", None),
        (None, None),
    ],
    ids=["out-of-range", "wrong-type", "unknown-section", "syntax", "missing-file"],
)
def test_config_check_from_the_command_line(
    tmp_path: Path, content: str | None, key: str | None
) -> None:
    path = tmp_path / "user.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "config", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"{path}: ")
    if key is not None:
        assert f": {key}: " in lines[0]
    assert "Traceback" not in result.stderr


def test_config_check_passes_on_the_defaults() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "config", "check", str(DEFAULTS_PATH)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(": ok")
