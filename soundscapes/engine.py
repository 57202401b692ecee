"""The soundscape engine: synthesises the chosen scape live, block by block, and carries the
therapist's changes (colour controls, level fades, crossfades to another scape) into the sound
without a click.

Threads. ``render`` runs on one producer thread (never inside the audio callback: it allocates
and calls numpy). The control methods may be called from any thread: they only append to a
deque, which ``render`` drains when it starts.

Determinism. Internally the engine always synthesises ``CONTROL_FRAMES`` frames at a time and
hands them out from a buffer, whatever the caller's block size; controls drained by a ``render``
call take effect at the next internal block boundary. The output is therefore a function of the
seed and of the controls with the sample positions at which ``render`` saw them, and the same
for any block sizes: what ``roomctl soundscape render`` writes is what the room would hear.

Loudness. Levels glide in the cube-root domain (gain = u**3), which moves evenly in loudness:
half-way through a fade-out the sound is 18 dB down, not 6. A new engine fades in over
``START_S``: a person lying with eyes closed should never be met by a sound at full level.
The output passes a soft ceiling that keeps every sample under -1 dBFS.
"""

from __future__ import annotations

import math
import zlib
from collections import deque
from typing import Any

import numpy as np

from soundscapes.dsp import soft_ceiling
from soundscapes.layers import Block, Params
from soundscapes.presets import PresetInfo, UnknownPreset, presets, recipe
from soundscapes.wav import write_wav

__all__ = [
    "CONTROL_FRAMES",
    "SAMPLERATE",
    "Engine",
    "PresetInfo",
    "UnknownPreset",
    "presets",
    "render_seconds",
    "write_wav",
]

SAMPLERATE = 48000
#: The engine's internal block (85 ms at 48 kHz): controls take effect on its boundaries.
CONTROL_FRAMES = 4096
#: A new engine rises from silence to its level over this.
START_S = 1.0
#: How fast ``set_params`` moves the level, and the colour controls.
LEVEL_GLIDE_S = 0.5
PARAM_GLIDE_S = 2.0
#: The shortest fade or crossfade: anything faster would click.
MIN_RAMP_S = 0.05
_COLOURS = ("brightness", "density", "movement")


def _unit(name: str, value: float) -> float:
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must be a number in 0-1, not NaN")
    return min(1.0, max(0.0, value))


def _seconds(value: float) -> float:
    value = float(value)
    if not value >= 0 or math.isinf(value):
        raise ValueError(f"a fade takes a finite, non-negative number of seconds (got {value})")
    return max(value, MIN_RAMP_S)


class _Ramp:
    """A value that moves linearly from ``a`` (at frame ``t0``) to ``b`` (at ``t0 + length``)."""

    __slots__ = ("a", "b", "length", "t0")

    def __init__(self, value: float) -> None:
        self.a = self.b = value
        self.t0 = 0
        self.length = 0

    def at(self, n: int) -> float:
        if n >= self.t0 + self.length:
            return self.b
        if n <= self.t0:
            return self.a
        return self.a + (self.b - self.a) * (n - self.t0) / self.length

    def to(self, target: float, n: int, frames: int) -> None:
        self.a, self.b, self.t0, self.length = self.at(n), target, n, max(1, frames)

    def settled(self, n: int) -> bool:
        return n >= self.t0 + self.length

    def over(self, n0: int, frames: int) -> float | np.ndarray:
        """The value at each frame of a block: a float when it does not move, else a column."""
        if self.settled(n0) or n0 + frames <= self.t0:
            return self.at(n0)
        progress = (np.arange(n0, n0 + frames) - self.t0) / self.length
        return (self.a + (self.b - self.a) * np.clip(progress, 0.0, 1.0)).reshape(frames, 1)


class _Voice:
    """One scape sounding: its layers, its own sample clock, its place in a crossfade (0-1)."""

    def __init__(self, name: str, samplerate: int, seed: int, mix: float) -> None:
        layers = recipe(name).layers
        # The seed and the scape's name decide its randomness: the same scape from the same seed
        # sounds the same whether it starts the engine or arrives by a crossfade.
        seeds = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()),))
        self.name = name
        self.sounds = [
            layer.sound(samplerate, np.random.Generator(np.random.PCG64(child)))
            for layer, child in zip(layers, seeds.spawn(len(layers)), strict=True)
        ]
        self.n = 0
        self.mix = _Ramp(mix)

    def render(self, frames: int, samplerate: int, start: Params, end: Params) -> np.ndarray:
        block = Block(self.n, frames, samplerate, start, end)
        out = self.sounds[0].render(block)
        for sound in self.sounds[1:]:
            out += sound.render(block)
        self.n += frames
        return out


class Engine:
    """Synthesises one soundscape (or, during a crossfade, two) into stereo float32 blocks."""

    def __init__(
        self,
        preset: str,
        *,
        samplerate: int = SAMPLERATE,
        seed: int = 0,
        level: float = 1.0,
        brightness: float = 0.5,
        density: float = 0.5,
        movement: float = 0.5,
    ) -> None:
        recipe(preset)
        if not 8000 <= samplerate <= 192000:
            raise ValueError(f"sample rate {samplerate} Hz: expected 8000-192000")
        if seed < 0:
            raise ValueError(f"seed must be >= 0 (got {seed})")
        self._sr = int(samplerate)
        self._seed = int(seed)
        self._preset = preset
        self._target_level = _unit("level", level)
        self._controls: deque[tuple[Any, ...]] = deque()
        self._pending: list[tuple[Any, ...]] = []
        self._colours = {
            "brightness": _Ramp(_unit("brightness", brightness)),
            "density": _Ramp(_unit("density", density)),
            "movement": _Ramp(_unit("movement", movement)),
        }
        self._level = _Ramp(0.0)  # the cube root of the gain
        self._level.to(self._target_level ** (1 / 3), 0, int(START_S * self._sr))
        self._voices = [_Voice(preset, self._sr, self._seed, mix=1.0)]
        self._n = 0  # the first frame of the next internal block
        self._buffer = np.zeros((CONTROL_FRAMES, 2), np.float32)
        self._used = CONTROL_FRAMES

    # --- what the room asked for (any thread) --------------------------------------------------

    @property
    def preset(self) -> str:
        """The scape last asked for (the one sounding once a crossfade is over)."""
        return self._preset

    @property
    def level(self) -> float:
        """The level last asked for, 0-1 (where a fade is going, not where it is)."""
        return self._target_level

    @property
    def samplerate(self) -> int:
        return self._sr

    def set_params(
        self,
        *,
        level: float | None = None,
        brightness: float | None = None,
        density: float | None = None,
        movement: float | None = None,
    ) -> None:
        """Move any of the controls (0-1): the level glides over 0.5 s, colours over 2 s."""
        given = {"level": level, "brightness": brightness, "density": density, "movement": movement}
        changes = {k: _unit(k, v) for k, v in given.items() if v is not None}
        if "level" in changes:
            self._target_level = changes["level"]
        if changes:
            self._controls.append(("params", changes))

    def crossfade_to(self, preset: str, seconds: float = 10.0) -> None:
        """Fade the current scape out and ``preset`` in (equal power). Back to a scape that is
        still fading out, it turns round from where it is. UnknownPreset at once, here."""
        recipe(preset)
        self._preset = preset
        self._controls.append(("crossfade", preset, _seconds(seconds)))

    def fade_to(self, level: float, seconds: float) -> None:
        """Move the level (0-1) over ``seconds``, evenly in loudness; 0 is silence."""
        level = _unit("level", level)
        self._target_level = level
        self._controls.append(("fade", level, _seconds(seconds)))

    # --- the producer thread -------------------------------------------------------------------

    def render(self, out: np.ndarray) -> None:
        """Fill ``out`` (frames, 2) with the next frames. Controls queued before this call take
        effect at the next internal block boundary."""
        if out.ndim != 2 or out.shape[1] != 2:
            raise ValueError(f"render fills (frames, 2) arrays, not shape {out.shape}")
        while True:
            try:
                self._pending.append(self._controls.popleft())
            except IndexError:
                break
        frames, done = len(out), 0
        while done < frames:
            if self._used == CONTROL_FRAMES:
                self._synthesise()
            take = min(frames - done, CONTROL_FRAMES - self._used)
            out[done : done + take] = self._buffer[self._used : self._used + take]
            done += take
            self._used += take

    def _apply(self, command: tuple[Any, ...], n: int) -> None:
        sr = self._sr
        if command[0] == "params":
            for name, value in command[1].items():
                if name == "level":
                    self._level.to(value ** (1 / 3), n, int(LEVEL_GLIDE_S * sr))
                else:
                    self._colours[name].to(value, n, int(PARAM_GLIDE_S * sr))
        elif command[0] == "fade":
            _, level, seconds = command
            self._level.to(level ** (1 / 3), n, int(seconds * sr))
        elif command[0] == "crossfade":
            _, name, seconds = command
            target = next((v for v in reversed(self._voices) if v.name == name), None)
            if target is None:
                target = _Voice(name, sr, self._seed, mix=0.0)
                self._voices.append(target)
            for voice in self._voices:
                voice.mix.to(1.0 if voice is target else 0.0, n, int(seconds * sr))

    def _colours_at(self, n: int) -> Params:
        return Params(*(self._colours[name].at(n) for name in _COLOURS))

    def _synthesise(self) -> None:
        n0, frames = self._n, CONTROL_FRAMES
        for command in self._pending:
            self._apply(command, n0)
        self._pending.clear()
        self._voices = [v for v in self._voices if not (v.mix.settled(n0) and v.mix.at(n0) == 0.0)]
        level = self._level.over(n0, frames)
        mix = np.zeros((frames, 2))
        if not (isinstance(level, float) and level == 0.0):  # silent and staying so: rest
            start, end = self._colours_at(n0), self._colours_at(n0 + frames)
            for voice in self._voices:
                sound = voice.render(frames, self._sr, start, end)
                share = voice.mix.over(n0, frames)
                if isinstance(share, float):
                    if share != 1.0:
                        sound *= math.sin(math.pi / 2 * share)
                else:
                    sound *= np.sin(np.pi / 2 * share)
                mix += sound
            mix *= level**3
            soft_ceiling(mix)
        self._buffer[:] = mix
        self._n = n0 + frames
        self._used = 0


def render_seconds(
    preset: str,
    seconds: float,
    *,
    samplerate: int = SAMPLERATE,
    seed: int = 0,
    **params: float,
) -> np.ndarray:
    """The first ``seconds`` of ``preset`` as a live engine with these settings would play them:
    float32, shape (frames, 2)."""
    engine = Engine(preset, samplerate=samplerate, seed=seed, **params)
    out = np.empty((round(seconds * samplerate), 2), np.float32)
    engine.render(out)
    return out
