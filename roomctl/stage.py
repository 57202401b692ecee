"""The room's ambience for each moment of a session: which light scene, playlist and
soundscape a phase asks for, the emergency overlay, and ducking the sound for alarms.

Every instruction to a device is first recorded as a ``cue`` event (what was asked); the
adapters then report what happened. Kept apart from the Room so the session logic and the
ambience logic can each be read on one screen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomctl.config import Config, PhaseCuesConfig
from roomctl.interfaces import Lights, MusicPlayer, SoundscapeOutput
from roomctl.session import Phase

RecordCue = Callable[[dict[str, Any]], None]

DUCK_S = 1.0  # music and soundscape down within a second of an alarm or emergency
RESTORE_S = 3.0


class Stage:
    def __init__(
        self,
        config: Config,
        lights: Lights,
        music: MusicPlayer,
        soundscape: SoundscapeOutput,
        record_cue: RecordCue,
    ) -> None:
        self._config = config
        self._lights = lights
        self._music = music
        self._soundscape = soundscape
        self._cue = record_cue
        self._duck_reasons: set[str] = set()
        self._soundscape_level = 0.0
        self._music_level = config.music.volume

    def cues_for(self, phase: Phase) -> PhaseCuesConfig | None:
        if phase in (Phase.PREPARING, Phase.INFUSING, Phase.RECOVERING):
            return getattr(self._config.phases, str(phase))
        return None

    @property
    def ducked(self) -> bool:
        return bool(self._duck_reasons)

    def enter(
        self,
        phase: Phase,
        *,
        previous: Phase | None,
        planned_s: float,
        emergency: bool,
        resumed: bool = False,
        position_s: float = 0.0,
    ) -> None:
        """Phase entry cues: the scene, the playlist and the soundscape configured for it.

        ``position_s``: how far into the phase's music plan a resumed session picks it up.
        """
        if phase == Phase.PAUSED:
            self._cue({"action": "music_pause", "phase": str(phase)})
            self._music.pause()
            return
        if phase == Phase.INFUSING and previous == Phase.PAUSED:
            self._cue({"action": "music_resume", "phase": str(phase)})
            self._music.resume()
            return
        if phase in (Phase.DISCHARGED, Phase.ABORTED):
            self._cue({"action": "stop_sound", "phase": str(phase)})
            self._music.stop()
            self._soundscape.stop()
            return
        cues = self.cues_for(phase)
        if cues is None:
            return
        extra = {"resumed": True} if resumed else {}
        if cues.lights is not None and not emergency:
            self._apply_scene(cues.lights, phase=str(phase), **extra)
        music_level = (
            cues.music_level if cues.music_level is not None else self._config.music.volume
        )
        if music_level != self._music_level:
            self._music_level = music_level
            if not self.ducked:
                self._cue(
                    {"action": "music_level", "phase": str(phase), "level": music_level, **extra}
                )
                self._music.fade_to(music_level, RESTORE_S)
        if cues.playlist is not None:
            planned = planned_s if phase == Phase.INFUSING else None
            if position_s:
                extra["position_s"] = round(position_s, 3)
            self._cue({"action": "music", "phase": str(phase), "playlist": cues.playlist, **extra})
            self._music.play(
                cues.playlist, self._config.music.playlists[cues.playlist], planned, position_s
            )
        if cues.soundscape is not None:
            self._soundscape_level = cues.soundscape_level
            level = 0.0 if self.ducked else cues.soundscape_level
            self._cue(
                {
                    "action": "soundscape",
                    "phase": str(phase),
                    "preset": cues.soundscape,
                    "level": level,
                    **extra,
                }
            )
            self._soundscape.crossfade_to(cues.soundscape, level, 10.0)

    def refit(self, planned_s: float) -> None:
        self._music.refit(planned_s)

    def choose_soundscape(self, preset: str, level: float, seconds: float) -> None:
        """The therapist's choice replaces the phase's until the next phase."""
        self._soundscape_level = level
        heard = 0.0 if self.ducked else level
        self._soundscape.crossfade_to(preset, heard, seconds)

    def shape_soundscape(self, **params: float) -> None:
        self._soundscape.set_params(**params)

    def set_music_level(self, level: float) -> None:
        """A new music level holds until the next phase; a duck defers it to its release."""
        self._music_level = level
        if not self.ducked:
            self._music.fade_to(level, RESTORE_S)

    def emergency(self, on: bool, phase: Phase) -> None:
        """Emergency: lights full and cool at once, sound down within 1 s; undone after."""
        if on:
            scene = self._config.phases.emergency.lights
            if scene is not None:
                self._apply_scene(scene, phase="emergency")
        else:
            cues = self.cues_for(phase)
            if cues is not None and cues.lights is not None:
                self._apply_scene(cues.lights, phase=str(phase))
        self.duck("emergency", on)

    def exam(self, on: bool, phase: Phase, emergency: bool) -> None:
        """Exam light: full cool light while held; then back to what the moment asks for."""
        if on and not emergency:
            self._apply_scene("exam", phase="exam")
            return
        if not on:
            scene = self._config.phases.emergency.lights if emergency else None
            if scene is None:
                cues = self.cues_for(phase)
                scene = cues.lights if cues is not None else None
            if scene is not None:
                self._apply_scene(scene, phase="emergency" if emergency else str(phase))

    def duck(self, reason: str, on: bool) -> None:
        """Sound down while any reason holds (an emergency, an alarm); back up when none do."""
        was = self.ducked
        if on:
            self._duck_reasons.add(reason)
        else:
            self._duck_reasons.discard(reason)
        if self.ducked == was:
            return
        music = self._config.music
        if self.ducked:
            self._cue(
                {"action": "duck", "level": music.duck_level, "seconds": DUCK_S, "reason": reason}
            )
            self._music.fade_to(music.duck_level, DUCK_S)
            self._soundscape.fade_to(0.0, DUCK_S)
        else:
            self._cue({"action": "unduck", "level": self._music_level, "seconds": RESTORE_S})
            self._music.fade_to(self._music_level, RESTORE_S)
            self._soundscape.fade_to(self._soundscape_level, RESTORE_S)

    def _apply_scene(self, scene: str, **data: Any) -> None:
        self._cue({"action": "lights", "scene": scene, **data})
        self._lights.apply(scene, self._config.lights.scenes[scene])
