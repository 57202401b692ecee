"""The room's configuration: defaults in ``config/roomctl.toml``, overridden by a user file.

Every key is declared in a pydantic model that forbids unknown keys, so a typo is an error
rather than a silently ignored setting. Errors come out as one line each,
``FILE: key.path: reason``, naming the file the offending key came from.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Self

import platformdirs
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

DEFAULTS_PATH = Path(__file__).resolve().parent.parent / "config" / "roomctl.toml"
MIN_INFUSION_MINUTES = 40
MAX_INFUSION_MINUTES = 60


class ConfigError(Exception):
    """A configuration that cannot be used. ``lines`` holds one ``FILE: key: reason`` each."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Percent = Annotated[float, Field(ge=0, le=100)]
Level = Annotated[float, Field(ge=0, le=1)]


class RoomConfig(_Strict):
    name: str = Field("Room 1", min_length=1, max_length=64)
    #: The window locks itself after this long without a touch or a key.
    lock_after_minutes: float = Field(5, gt=0, le=240)


class PlanConfig(_Strict):
    infusion_minutes: int = Field(40, ge=MIN_INFUSION_MINUTES, le=MAX_INFUSION_MINUTES)
    extend_steps_minutes: list[Annotated[int, Field(ge=1, le=20)]] = [5, 10]
    auto_end_infusion: bool = True


class RecoveryConfig(_Strict):
    minimum_minutes: int = Field(30, ge=0, le=480)
    check_every_minutes: int = Field(15, ge=1, le=120)
    discharge_aldrete: int = Field(9, ge=0, le=10)
    passing_checks_in_a_row: int = Field(2, ge=1, le=10)


FeedProtocol = Literal[
    "masimo-ascii1", "nonin-text", "nonin-oem3", "roomctl-line", "newera-basic", "ivy-ansarb"
]
FeedScenario = Literal[
    "steady", "desaturation", "bp-surge", "bradycardia", "cable-pull", "garbage", "sensor-off"
]


class FeedConfig(_Strict):
    """One serial feed. ``port`` is a pyserial URL (``/dev/ttyUSB0``, ``socket://host:port``)
    or ``sim``: a simulator on a pseudo-terminal speaking ``protocol`` (the demo)."""

    protocol: FeedProtocol
    port: str = Field(min_length=1)
    #: What the simulator's patient does (``port = "sim"`` only).
    scenario: FeedScenario = "steady"
    seed: int = 0
    #: Simulated monitors that carry NIBP (roomctl-line, ivy-ansarb): a cuff measurement this often.
    nibp_every_minutes: float = Field(5, gt=0, le=60)
    #: Keep every raw byte of the session (owner-only file beside the timeline).
    capture: bool = False
    #: Line settings when the device differs from its format's default (e.g. a Root on USB).
    baudrate: int | None = Field(None, ge=300, le=921_600)
    parity: Literal["N", "E", "O"] | None = None


class AlarmLimitConfig(_Strict):
    """One advisory limit: below, above, or a rise from the patient's baseline."""

    channel: str = Field(min_length=1)
    label: str | None = None
    below: float | None = None
    above: float | None = None
    rise_from_baseline: float | None = Field(None, gt=0)
    priority: Literal["high", "medium", "low"]
    on_delay_s: float = Field(10, ge=0, le=300)

    @model_validator(mode="after")
    def _one_limit(self) -> Self:
        given = [x for x in (self.below, self.above, self.rise_from_baseline) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of below, above or rise_from_baseline")
        return self


class AlarmsConfig(_Strict):
    audio_pause_minutes: float = Field(2, ge=1, le=3)
    #: The staff's output device for alarm tones (name fragment or index); empty: no tones.
    #: Never the room's speakers: the patient hears music, not alarms.
    tones_device: str = ""
    limits: list[AlarmLimitConfig] = []


class StoreConfig(_Strict):
    url: str = ""


class ReminderConfig(_Strict):
    text: str = Field(min_length=1, max_length=200)
    at_minutes: float | None = Field(None, ge=0)
    every_minutes: float | None = Field(None, gt=0)
    #: What the reminder asks for; a recovery check prompt opens the check form.
    purpose: Literal["reminder", "recovery_check"] = "reminder"

    @model_validator(mode="after")
    def _one_timing(self) -> Self:
        if (self.at_minutes is None) == (self.every_minutes is None):
            raise ValueError("give exactly one of at_minutes or every_minutes")
        return self


class PhaseCuesConfig(_Strict):
    lights: str | None = None
    playlist: str | None = None
    soundscape: str | None = None
    soundscape_level: Level = 0.5
    #: The music level in this phase (0-1); unset: ``[music] volume``.
    music_level: Level | None = None
    reminders: list[ReminderConfig] = []


class PhasesConfig(_Strict):
    preparing: PhaseCuesConfig = PhaseCuesConfig()
    infusing: PhaseCuesConfig = PhaseCuesConfig()
    recovering: PhaseCuesConfig = PhaseCuesConfig()
    emergency: PhaseCuesConfig = PhaseCuesConfig()


class SceneConfig(_Strict):
    on: bool = True
    brightness: Percent = 100
    from_brightness: Percent | None = None
    kelvin: int | None = Field(None, ge=2000, le=6500)
    xy: tuple[Annotated[float, Field(ge=0, le=1)], Annotated[float, Field(ge=0, le=1)]] | None = (
        None
    )
    transition_s: float = Field(0, ge=0, le=3600)

    @model_validator(mode="after")
    def _one_colour(self) -> Self:
        if self.kelvin is not None and self.xy is not None:
            raise ValueError("give kelvin or xy, not both")
        if self.from_brightness is not None and not self.on:
            raise ValueError("from_brightness is a rise: it needs on = true")
        return self


_BRIDGE_ADDRESS = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
Mired = Annotated[int, Field(ge=153, le=500)]


class LightsConfig(_Strict):
    """Where the room's lights are. ``sim`` runs the Hue bridge simulator in-process on
    loopback (the demo); ``hue`` drives the room's real bridge, paired once with
    ``roomctl lights pair``; ``null`` only records what it would have done."""

    backend: Literal["null", "sim", "hue"] = "null"
    #: The room's bridge, ``HOST`` or ``HOST:PORT``; required for backend "hue".
    bridge: str = Field("", validate_default=True)
    #: The Hue group (room or zone) that holds this room's lights; 0 is every light.
    group: int = Field(1, ge=0, le=255)
    #: Where the pairing key is kept; empty: ``hue-keys.json`` in the user config dir.
    key_file: str = ""
    #: The coolest and warmest colour temperature the room's lights take, in mired.
    mired_range: tuple[Mired, Mired] = (153, 500)
    #: How many lights the simulator has (backend "sim").
    sim_lights: int = Field(3, ge=1, le=50)
    scenes: dict[str, SceneConfig] = {}

    @field_validator("bridge")
    @classmethod
    def _bridge_address(cls, value: str, info: ValidationInfo) -> str:
        value = value.strip()
        if not value and info.data.get("backend") == "hue":
            raise ValueError("give the room's bridge (HOST or HOST:PORT) for backend 'hue'")
        if value and not _BRIDGE_ADDRESS.match(value):
            raise ValueError("not a bridge address (HOST or HOST:PORT)")
        return value

    @field_validator("mired_range")
    @classmethod
    def _coolest_first(cls, value: tuple[int, int]) -> tuple[int, int]:
        if value[0] >= value[1]:
            raise ValueError("give [coolest, warmest], coolest (smaller) first")
        return value


class PlaylistConfig(_Strict):
    #: A folder of audio files or an M3U/M3U8 playlist; ``@demo/NAME`` is the music roomctl
    #: generates for the demo (under the user data dir).
    path: str = Field(min_length=1)
    #: ``fitted``: roomctl chooses and orders tracks to fill the infusion; ``fixed``: the
    #: therapist's order, kept (looped if short, the last one trimmed and faded).
    order: Literal["fitted", "fixed"] = "fitted"


class MusicConfig(_Strict):
    """Music through libvlc (``vlc``), or ``null``: nothing plays, the timeline says what would."""

    backend: Literal["null", "vlc"] = "null"
    volume: Level = 0.7
    duck_level: Level = 0.0
    crossfade_s: float = Field(8.0, ge=0, le=30)
    #: The last track's fade, ending at the infusion's planned end (at least 30 s).
    final_fade_s: float = Field(60.0, ge=30, le=300)
    #: libvlc's audio output module and device (empty: libvlc's default).
    output: str = ""
    output_device: str = ""
    playlists: dict[str, PlaylistConfig] = {}


class SoundscapeConfig(_Strict):
    """Live soundscapes through PortAudio (``sounddevice``), or ``null``."""

    backend: Literal["null", "sounddevice"] = "null"
    #: The room's output device, by name fragment or index (empty: the system default).
    device: str = ""
    #: The therapist's headphones, for previewing a preset without touching the room.
    preview_device: str = ""
    crossfade_s: float = Field(10.0, ge=0, le=120)
    samplerate: Literal[44100, 48000] = 48000
    #: Frames per audio callback. Large (43 ms at 48 kHz): each callback costs the same CPU
    #: whatever its size, and ambient sound heard ~0.3 s late is fine (docs/decisions/0018).
    blocksize: int = Field(2048, ge=64, le=8192)


class DemoConfig(_Strict):
    patient: str = Field("demo-heron", min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.-]+$")
    course: int = Field(1, ge=1)
    preparing_minutes: float = Field(5, ge=0, le=60)
    window_speed: float = Field(30, gt=0, le=10000)
    headless_speed: float = Field(240, gt=0, le=10000)


class Config(_Strict):
    room: RoomConfig = RoomConfig()
    plan: PlanConfig = PlanConfig()
    recovery: RecoveryConfig = RecoveryConfig()
    store: StoreConfig = StoreConfig()
    alarms: AlarmsConfig = AlarmsConfig()
    feeds: dict[str, FeedConfig] = {}
    phases: PhasesConfig = PhasesConfig()
    lights: LightsConfig = LightsConfig()
    music: MusicConfig = MusicConfig()
    soundscape: SoundscapeConfig = SoundscapeConfig()
    demo: DemoConfig = DemoConfig()

    @model_validator(mode="after")
    def _references_resolve(self) -> Self:
        problems = []
        for phase in ("preparing", "infusing", "recovering", "emergency"):
            cues: PhaseCuesConfig = getattr(self.phases, phase)
            if cues.lights is not None and cues.lights not in self.lights.scenes:
                known = ", ".join(sorted(self.lights.scenes)) or "none"
                problems.append(
                    f"phases.{phase}.lights: unknown scene {cues.lights!r} (known: {known})"
                )
            if cues.playlist is not None and cues.playlist not in self.music.playlists:
                known = ", ".join(sorted(self.music.playlists)) or "none"
                problems.append(
                    f"phases.{phase}.playlist: unknown playlist {cues.playlist!r} (known: {known})"
                )
        if problems:
            raise ValueError("; ".join(problems))
        return self


def user_config_path(env: Mapping[str, str] | None = None) -> Path | None:
    """The user's override file: env ``ROOMCTL_CONFIG``, else ``<user config dir>/roomctl.toml``."""
    env = os.environ if env is None else env
    if env.get("ROOMCTL_CONFIG"):
        return Path(env["ROOMCTL_CONFIG"])
    candidate = Path(platformdirs.user_config_dir("roomctl")) / "roomctl.toml"
    return candidate if candidate.exists() else None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file"]) from None
    except IsADirectoryError:
        raise ConfigError([f"{path}: is a directory, not a TOML file"]) from None
    except PermissionError:
        raise ConfigError([f"{path}: permission denied"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text ({exc.reason})"]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"{path}: TOML syntax error: {exc}"]) from None


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge tables; any other value (lists included) in ``override`` replaces the base."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _has_path(data: Mapping[str, Any], path: tuple[Any, ...]) -> bool:
    node: Any = data
    for part in path:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return False
    return True


def _reason(error: Mapping[str, Any]) -> str:
    kind = error.get("type", "")
    if kind == "extra_forbidden":
        return "unknown key"
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if kind != "missing" and "input" in error and not isinstance(error["input"], Mapping):
        message += f" (got {error['input']!r})"
    return message


def _origin(loc: tuple[Any, ...], sources: list[tuple[Path, dict[str, Any]]]) -> Path:
    """The last file that set ``loc`` (or, for a missing key, its enclosing table)."""
    for wanted in (loc, loc[:-1]):
        for path, data in reversed(sources):
            if wanted and _has_path(data, wanted):
                return path
    return sources[-1][0]


def _format_errors(exc: ValidationError, sources: list[tuple[Path, dict[str, Any]]]) -> list[str]:
    """One line per problem, naming the last file that set the offending key."""
    lines = []
    for error in exc.errors():
        loc = tuple(error.get("loc", ()))
        key = ".".join(str(part) for part in loc)
        origin = _origin(loc, sources)
        if key:
            lines.append(f"{origin}: {key}: {_reason(error)}")
        else:
            # Cross-field problems carry their own key paths ("phases.x.lights: ...").
            for part in _reason(error).split("; "):
                lines.append(f"{sources[-1][0]}: {part}")
    return lines


def load_config(user_file: Path | None = None, defaults_file: Path = DEFAULTS_PATH) -> Config:
    """Read the defaults, overlay the user's file, validate. Raises :class:`ConfigError`."""
    sources: list[tuple[Path, dict[str, Any]]] = []
    if defaults_file.exists():
        sources.append((defaults_file, _read_toml(defaults_file)))
    if user_file is not None:
        sources.append((user_file, _read_toml(user_file)))
    merged: dict[str, Any] = {}
    for _, data in sources:
        merged = _merge(merged, data)
    try:
        return Config.model_validate(merged)
    except ValidationError as exc:
        if not sources:
            sources.append((defaults_file, {}))
        raise ConfigError(_format_errors(exc, sources)) from None
