"""The layers a soundscape is made of, each a recipe (a frozen dataclass of numbers chosen by
ear) that makes a stateful sound for one voice.

Every layer reads the therapist's three colour controls, all in 0-1:

* ``brightness``: where the spectrum stops (cutoffs, the bowls' and drone's upper partials),
* ``density``: how much is happening (drops per second, waves per minute, strikes, partials),
* ``movement``: how much it wanders (swells, gusts, the drone's harmonic motion, the sea's
  irregularity).

A sound renders one block at a time from a :class:`Block` that says where it is (its own sample
clock) and the controls at the block's two ends. Randomness comes from the layer's own
generator, drawn in a fixed order per block, and every oscillator is a function of the sample
position: with blocks of a fixed size (the engine's) the output is a pure function of the seed
and the control history.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from soundscapes.dsp import (
    Coeffs,
    Filter,
    Tuned,
    bandpass,
    brown,
    cascade,
    db_to_gain,
    decay,
    drift,
    geometric,
    highpass,
    lowpass,
    pink,
    ramp,
    unit_power,
    white,
    widen,
)


@dataclass(frozen=True)
class Params:
    brightness: float = 0.5
    density: float = 0.5
    movement: float = 0.5


@dataclass(frozen=True)
class Block:
    """Where a block sits in its voice's life and what the controls are at its two ends."""

    n0: int
    frames: int
    samplerate: int
    start: Params
    end: Params

    @property
    def t0(self) -> float:
        return self.n0 / self.samplerate

    @property
    def t1(self) -> float:
        return (self.n0 + self.frames) / self.samplerate

    @property
    def mid(self) -> Params:
        s, e = self.start, self.end
        return Params(
            (s.brightness + e.brightness) / 2,
            (s.density + e.density) / 2,
            (s.movement + e.movement) / 2,
        )


class Sound(Protocol):
    def render(self, block: Block) -> np.ndarray:
        """The next ``block.frames`` stereo frames, float64, shape (frames, 2)."""
        ...


class Layer(Protocol):
    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound: ...


def _lerp(pair: tuple[float, float], x: float) -> float:
    return pair[0] + (pair[1] - pair[0]) * x


def _scaled(coeffs: Coeffs, gain: float) -> Coeffs:
    b, a = coeffs
    return b * gain, a


def _phases(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.uniform(0, 2 * math.pi, n)


def _colour(name: str, sr: int) -> Coeffs:
    """White, pink or brown noise from white, at unit power (pink and brown with no DC)."""
    if name == "white":
        return np.array([1.0]), np.array([1.0])
    design = {"brown": brown, "pink": pink}[name]
    return unit_power(design(sr), sr)


# --- Hush: coloured noise, the bed of most scapes ----------------------------------------------


@dataclass(frozen=True)
class Hush:
    """Coloured noise through a soft low-pass, breathing slowly: brown noise under 500 Hz is the
    warm hush of a womb or a distant ventilator; pink noise higher up is air."""

    colour: str = "brown"
    level_db: float = -24.0
    tone_hz: tuple[float, float] = (200.0, 800.0)  # low-pass cutoff at brightness 0 and 1
    highpass_hz: float = 0.0
    width: float = 1.0  # 0 centred, 1 fully wide
    density_db: tuple[float, float] = (0.0, 0.0)  # level change at density 0 and 1
    swell_hz: float = 0.05  # the breathing's rate
    swell_depth: float = 0.0  # its relative depth at movement 1

    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound:
        return _HushSound(self, samplerate, rng)


class _HushSound:
    def __init__(self, spec: Hush, sr: int, rng: np.random.Generator) -> None:
        self.spec, self.sr, self.rng = spec, sr, rng
        colour = _colour(spec.colour, sr)
        if spec.highpass_hz:
            colour = cascade(colour, highpass(spec.highpass_hz, sr))
        self.colour = Filter(colour) if len(colour[1]) > 1 else None
        self.tone = Tuned(lambda f: lowpass(f, sr), geometric(*spec.tone_hz, 0.5))
        self.phases = _phases(rng, 2)

    def _gain(self, p: Params, t: float) -> float:
        s = self.spec
        swell = 1 + s.swell_depth * p.movement * drift(
            t, (s.swell_hz, s.swell_hz * 1.618), self.phases
        )
        return db_to_gain(s.level_db + _lerp(s.density_db, p.density)) * swell

    def render(self, block: Block) -> np.ndarray:
        s = self.spec
        x = white(self.rng, block.frames)
        if self.colour is not None:
            x = self.colour(x)
        x = self.tone(x, geometric(*s.tone_hz, block.mid.brightness))
        x = widen(x, s.width)
        x *= ramp(self._gain(block.start, block.t0), self._gain(block.end, block.t1), block.frames)
        return x


# --- Patter: rain -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Patter:
    """Rain: a scatter of tiny noise grains, each a drop landing, over a fine steady hiss, through
    a band-pass that keeps it soft. Density is drops per second; movement lets the shower swell
    and ease."""

    level_db: float = -24.0
    rate_hz: tuple[float, float] = (500.0, 3000.0)  # drops per second per channel
    decay_s: float = 0.004
    hiss_db: float = -6.0  # the steady hiss relative to the drops
    tone_hz: tuple[float, float] = (2500.0, 7000.0)
    highpass_hz: float = 400.0
    swell_hz: float = 0.03
    swell_depth: float = 0.6

    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound:
        return _PatterSound(self, samplerate, rng)


class _PatterSound:
    def __init__(self, spec: Patter, sr: int, rng: np.random.Generator) -> None:
        self.spec, self.sr, self.rng = spec, sr, rng
        self.envelope = Filter(decay(spec.decay_s, sr))
        lo, hi = spec.tone_hz
        self.tone = Tuned(lambda f: lowpass(f, sr), geometric(lo, hi, 0.5))
        self.highpass = Filter(highpass(spec.highpass_hz, sr))
        self.phases = _phases(rng, 2)
        self.reference = math.sqrt(spec.rate_hz[0] * spec.rate_hz[1])
        self.tone_reference = geometric(lo, hi, 0.5)

    def _grain_gain(self, rate: float) -> float:
        """Scales the drops' envelope to unit power (shot noise: drops of size a = u**2, E[a] =
        1/3, E[a^2] = 1/5, decaying with time constant tau have mean power rate * tau / 10 +
        (rate * tau / 3) ** 2), then lets it grow by only an eighth power of the rate: more
        drops thicken the rain, they hardly make it louder."""
        tau = self.spec.decay_s
        power = rate * tau / 10 + (rate * tau / 3) ** 2
        return (rate / self.reference) ** 0.125 / math.sqrt(power)

    def _shower(self, p: Params, t: float) -> float:
        """How hard it is raining now, around 1: the shower swells and eases with movement."""
        s = self.spec
        wander = drift(t, (s.swell_hz, s.swell_hz * 2.7), self.phases)
        return max(0.05, 1 + s.swell_depth * p.movement * wander)

    def render(self, block: Block) -> np.ndarray:
        s, n, rng = self.spec, block.frames, self.rng
        shower = self._shower(block.mid, (block.t0 + block.t1) / 2)
        rate = geometric(*s.rate_hz, block.mid.density) * shower
        counts = rng.poisson(rate * n / self.sr, 2)
        drops = np.empty((n, 2))
        for channel in (0, 1):
            where = rng.integers(0, n, counts[channel])
            size = rng.random(counts[channel]) ** 2
            drops[:, channel] = np.bincount(where, weights=size, minlength=n)
        # Each drop is a burst of noise that dies away in a few milliseconds; between them the
        # same noise, quieter, is the hiss.
        grains = self.envelope(drops)
        grains *= self._grain_gain(rate)
        grains += db_to_gain(s.hiss_db)
        grains *= white(rng, n)
        cutoff = geometric(*s.tone_hz, block.mid.brightness)
        x = self.tone(grains, cutoff)
        x = self.highpass(x)
        # Brighter lets more through: taken back by half, so brightness is colour, not volume.
        x *= db_to_gain(s.level_db) * math.sqrt(self.tone_reference / cutoff * shower)
        return x


# --- Surf: the ocean ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Surf:
    """Ocean swell: each channel has its own wave cycle (a slow rise, a long draw-back), so waves
    break now on the left, now on the right. The body of a wave is low rumbling noise, its foam a
    brighter band that only opens near the crest."""

    level_db: float = -24.0
    period_s: tuple[float, float] = (13.0, 7.0)  # wave period at density 0 and 1
    body_hz: tuple[float, float] = (250.0, 800.0)  # the body's low-pass at brightness 0 and 1
    foam_hz: tuple[float, float] = (800.0, 2400.0)  # the centre of the foam's broad band
    foam_db: float = -6.0
    rise: float = 0.4  # the part of a cycle a wave spends building
    calm: float = 0.25  # the body's level between waves, relative to a crest

    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound:
        return _SurfSound(self, samplerate, rng)


class _SurfSound:
    RIGHT_PERIOD = 1.09  # the right channel's waves are a little slower: they never line up

    def __init__(self, spec: Surf, sr: int, rng: np.random.Generator) -> None:
        self.spec, self.sr, self.rng = spec, sr, rng
        self.body_colour = Filter(unit_power(brown(sr), sr))
        self.body = Tuned(lambda f: lowpass(f, sr), geometric(*spec.body_hz, 0.5))
        self.foam = Tuned(lambda f: bandpass(f, sr, 0.6), geometric(*spec.foam_hz, 0.5))
        self.phase = np.array([rng.uniform(0.1, 0.3), rng.uniform(0.55, 0.75)])
        self.height = 0.7 + 0.3 * rng.random(2)
        self.pace = np.ones(2)  # this wave's speed, relative to the period
        self.level = self._envelope()

    def _envelope(self) -> np.ndarray:
        x = self.phase % 1.0
        r = self.spec.rise
        rising = np.sin(np.pi / 2 * np.minimum(x / r, 1.0)) ** 2
        falling = ((1 + np.cos(np.pi * np.clip((x - r) / (1 - r), 0.0, 1.0))) / 2) ** 2
        return self.height * np.where(x < r, rising, falling)

    def render(self, block: Block) -> np.ndarray:
        s, n = self.spec, block.frames
        mid = block.mid
        period = _lerp(s.period_s, mid.density)
        step = n / self.sr / period * self.pace * np.array([1.0, 1 / self.RIGHT_PERIOD])
        before = np.floor(self.phase)
        self.phase = self.phase + step
        for channel in np.flatnonzero(np.floor(self.phase) > before):
            # Every wave its own size and pace: a sea, not a metronome.
            self.height[channel] = 0.55 + 0.45 * self.rng.random()
            irregular = 0.1 + 0.4 * mid.movement
            self.pace[channel] = 1 + irregular * (2 * self.rng.random() - 1)
        start, self.level = self.level, self._envelope()
        swell = start + (self.level - start) / n * np.arange(n)[:, None]
        x = white(self.rng, n)
        body = self.body(self.body_colour(x), geometric(*s.body_hz, mid.brightness))
        foam = self.foam(x, geometric(*s.foam_hz, mid.brightness))
        body *= s.calm + (1 - s.calm) * swell
        foam *= db_to_gain(s.foam_db) * swell * swell
        body += foam
        body = widen(body, 0.55)
        body *= db_to_gain(s.level_db)
        return body


# --- Gust: wind --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Gust:
    """Wind: pink noise through a resonant band that lifts with each gust and sinks as it
    passes, the gusts louder now on one side, now on the other; with density a faint whistle
    above it. Pink noise through a band-pass carries the same power wherever the band is, so a
    gust's loudness is its strength alone."""

    level_db: float = -24.0
    centre_hz: tuple[float, float] = (260.0, 700.0)  # the band at brightness 0 and 1, calm air
    q: float = 1.6
    sweep_octaves: float = 1.5  # how far a gust lifts the band at movement 1
    gust_hz: tuple[float, float, float] = (0.031, 0.053, 0.089)
    whistle_ratio: float = 2.3
    whistle_q: float = 7.0
    whistle_db: tuple[float, float] = (-28.0, -10.0)  # the whistle at density 0 and 1
    rumble_hz: tuple[float, float] = (110.0, 240.0)  # the low roar's low-pass, brightness 0-1
    rumble_db: tuple[float, float] = (-12.0, -3.0)  # the low roar at density 0 and 1

    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound:
        return _GustSound(self, samplerate, rng)


#: Power of unit pink noise through a 0 dB band-pass, times q (the 1/f density at the centre
#: times the band's noise width, pi/2 * f/q; the density integrates to 1 from 25 Hz to 24 kHz).
_PINK_BAND = math.pi / 2 / math.log(24000 / 25)


class _GustSound:
    SPREAD = 0.41  # the typical size of drift(), for keeping the mean power as gusts deepen

    def __init__(self, spec: Gust, sr: int, rng: np.random.Generator) -> None:
        self.spec, self.sr, self.rng = spec, sr, rng
        self.pink = Filter(_colour("pink", sr))
        centre = geometric(*spec.centre_hz, 0.5)
        # The gains that bring each band to unit power ride in the filters' numerators.
        self.band = Tuned(
            lambda f: _scaled(bandpass(f, sr, spec.q), math.sqrt(spec.q / _PINK_BAND)),
            centre,
            tolerance=0.001,
        )
        self.whistle = Tuned(
            lambda f: _scaled(
                bandpass(f, sr, spec.whistle_q), math.sqrt(spec.whistle_q / _PINK_BAND)
            ),
            centre * spec.whistle_ratio,
            tolerance=0.001,
        )
        self.rumble = Tuned(
            lambda f: _scaled(lowpass(f, sr), 2.0),  # about unit power from pink
            geometric(*spec.rumble_hz, 0.5),
        )
        self.phases = _phases(rng, 6)

    def _state(self, p: Params, t: float) -> tuple[float, np.ndarray]:
        """The gust now: the band's centre and each channel's strength (mean power 1)."""
        s = self.spec
        sides = np.array(
            [drift(t, s.gust_hz, self.phases[:3]), drift(t, s.gust_hz, self.phases[3:])]
        )
        centre = geometric(*s.centre_hz, p.brightness) * 2 ** (
            s.sweep_octaves * p.movement * float(np.mean(sides))
        )
        k = 0.4 + 1.0 * p.movement
        strength = np.exp(k * sides - (k * self.SPREAD) ** 2)
        return centre, strength

    def render(self, block: Block) -> np.ndarray:
        s, n = self.spec, block.frames
        c0, g0 = self._state(block.start, block.t0)
        c1, g1 = self._state(block.end, block.t1)
        centre, mid = (c0 + c1) / 2, block.mid
        x = self.pink(white(self.rng, n))
        air = self.band(x, centre)
        whistle = self.whistle(x, centre * s.whistle_ratio)
        whistle *= db_to_gain(_lerp(s.whistle_db, mid.density))
        air += whistle
        level = db_to_gain(s.level_db)
        air *= (level * g0) + (level * (g1 - g0) / n) * np.arange(n)[:, None]
        # The roar under it all follows the gusts only a little: it is the far-off wind.
        rumble = self.rumble(x, geometric(*s.rumble_hz, mid.brightness))
        rumble *= (level * db_to_gain(_lerp(s.rumble_db, mid.density))) * np.sqrt(
            0.7 + 0.3 * (g0 + g1) / 2
        )
        air += rumble
        return air


# --- Drone ---------------------------------------------------------------------------------------

#: Oscillator banks are summed in sub-blocks of this many frames: one small table that stays in
#: cache, and one matrix product per block for all sub-blocks, oscillators and channels.
SUB = 256


def _subblocks(frames: int) -> int:
    return -(-frames // SUB)


def _unfold(x: np.ndarray, frames: int) -> np.ndarray:
    """(SUB, J * 2) from the bank's matrix product to (frames, 2) in time order."""
    jobs = x.shape[1] // 2
    return x.reshape(SUB, jobs, 2).transpose(1, 0, 2).reshape(SUB * jobs, 2)[:frames]


@dataclass(frozen=True)
class Drone:
    """A low drone: a handful of harmonics of one root, each played by two oscillators a fraction
    of a hertz apart (slow beating, a wide image), each harmonic swelling and fading on its own
    slow cycle: the harmonic motion. Brightness tilts the spectrum, density lets the upper
    harmonics in, movement speeds and deepens the motion."""

    level_db: float = -24.0
    root_hz: float = 73.42  # D2, the key of the bowls
    harmonics: tuple[float, ...] = (1, 2, 3, 4, 5, 6, 8, 10)
    beat_hz: float = 0.09  # the two oscillators' distance at the root (grows as sqrt(h))
    tilt: tuple[float, float] = (1.7, 0.8)  # amplitude ~ h^-tilt at brightness 0 and 1
    motion_hz: tuple[float, float] = (0.008, 0.06)  # the motion's rate at movement 0 and 1
    motion_depth: float = 0.85

    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound:
        return _DroneSound(self, samplerate, rng)


class _DroneSound:
    """All oscillators at once. With ``E[k, m] = exp(i w_m k)`` over one sub-block, the phasor
    ``s_mj`` of oscillator m at the start of sub-block j and its amplitude ``a_mj`` there, a
    block is ``Re([E, E*k/SUB] @ [s*a, s*da])``: every oscillator's amplitude ramps linearly
    across the block, so the harmonic motion never steps."""

    def __init__(self, spec: Drone, sr: int, rng: np.random.Generator) -> None:
        self.spec, self.sr = spec, sr
        h = np.asarray(spec.harmonics, dtype=float)
        beat = spec.beat_hz * np.sqrt(h)
        self.freqs = np.concatenate([spec.root_hz * h - beat / 2, spec.root_hz * h + beat / 2])
        self.h = h
        lean = np.array([[0.88, 0.47], [0.47, 0.88]])  # oscillator A leans left, B right
        self.pan = np.repeat(lean, len(h), axis=0)
        self.offsets = rng.uniform(0, 1, len(self.freqs))  # start phases, in cycles
        self.motion = _phases(rng, len(h))
        self.motion_ratio = np.linspace(0.6, 1.55, len(h))[rng.permutation(len(h))]
        self.motion_ratio[0] = 0.5  # the root moves least and slowest
        k = np.arange(SUB)[:, None]
        table = np.exp(2j * np.pi * self.freqs[None, :] / sr * k)
        self.table = np.hstack([table, table * (k / SUB)])
        self.amps = self._amplitudes(Params())

    def _amplitudes(self, p: Params) -> np.ndarray:
        s = self.spec
        weight = self.h ** -_lerp(s.tilt, p.brightness)
        present = 3 + p.density * (len(self.h) - 3)  # how many harmonics sound
        weight *= np.clip(present - np.arange(len(self.h)), 0.0, 1.0)
        weight /= np.sqrt(np.sum(weight**2))  # the same power whatever the colour
        depths = np.full(len(self.h), s.motion_depth * (0.3 + 0.7 * p.movement))
        depths[0] *= 0.3
        amps = weight * (1 - depths * (0.5 + 0.5 * np.sin(self.motion)))
        return np.concatenate([amps, amps])

    def render(self, block: Block) -> np.ndarray:
        s, n = self.spec, block.frames
        rate = geometric(*s.motion_hz, block.mid.movement)
        self.motion = self.motion + 2 * np.pi * rate * self.motion_ratio * n / self.sr
        start, self.amps = self.amps, self._amplitudes(block.end)
        jobs = _subblocks(n)
        at = block.n0 + SUB * np.arange(jobs)
        cycles = (np.outer(self.freqs, at) / self.sr + self.offsets[:, None]) % 1.0
        phasor = np.exp(2j * np.pi * cycles)  # (oscillators, sub-blocks)
        step = (self.amps - start)[:, None] * (SUB / n)
        amp = start[:, None] + step * np.arange(jobs)
        weights = (
            np.concatenate([phasor * amp, phasor * step])[:, :, None]
            * np.concatenate([self.pan, self.pan])[:, None, :]
        )
        x = _unfold((self.table @ weights.reshape(len(weights), -1)).real, n)
        x *= db_to_gain(s.level_db) * math.sqrt(2)
        return x


# --- Bowls ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bowls:
    """Singing bowls struck softly now and then: each bowl is a bank of decaying resonators at
    its inharmonic partials, every partial a close pair (the slow "wah" of a real bowl), struck
    with a soft mallet (a few milliseconds of rise), ringing for most of a minute."""

    level_db: float = -24.0
    notes_hz: tuple[float, ...] = (146.83, 174.61, 196.0, 220.0, 261.63)  # D minor pentatonic
    ratios: tuple[float, ...] = (1.0, 2.71, 5.15, 8.43)
    weights: tuple[float, ...] = (1.0, 0.42, 0.2, 0.09)
    decays_s: tuple[float, ...] = (9.0, 5.5, 3.2, 1.8)  # each partial's time constant
    split_hz: tuple[float, ...] = (0.4, 0.9, 1.5, 2.2)  # the two halves of each partial
    attack_s: float = 0.009
    interval_s: tuple[float, float] = (22.0, 6.0)  # mean time between strikes, density 0 and 1
    first_s: float = 1.5  # just after a new engine has faded in

    def sound(self, samplerate: int, rng: np.random.Generator) -> Sound:
        return _BowlsSound(self, samplerate, rng)


class _BowlsSound:
    """Every partial of every bowl is a decaying complex resonator, ``y[k] = state * pole**k``
    between strikes, so a block is one matrix product (as for the drone). Each resonator has a
    twin that decays in a few milliseconds and starts opposite it: their sum rises softly
    instead of clicking, the mallet's felt. A strike adds to the states; the rest of its first
    block is computed from the strike's offset."""

    SILENT = 1e-7  # below this a twin has done its work (-140 dB)

    def __init__(self, spec: Bowls, sr: int, rng: np.random.Generator) -> None:
        self.spec, self.sr, self.rng = spec, sr, rng
        notes = np.asarray(spec.notes_hz)
        split = np.array([-0.5, 0.5])[:, None] * np.asarray(spec.split_hz)[None, :]
        # Columns per bowl: [p0a, p1a, ..., p0b, p1b, ...]; all bowls side by side.
        freqs = notes[:, None, None] * np.asarray(spec.ratios)[None, None, :] + split[None]
        self.per_bowl = freqs.shape[1] * freqs.shape[2]
        tau = np.tile(np.asarray(spec.decays_s), 2 * len(notes))
        omega = 2 * np.pi * freqs.reshape(-1) / sr
        self.log_poles = -1 / (tau * sr) + 1j * omega
        self.log_twins = self.log_poles - 1 / (spec.attack_s * sr)
        k = np.arange(SUB)[:, None]
        self.ring = np.exp(self.log_poles[None, :] * k)
        self.twin = np.exp(self.log_twins[None, :] * k)
        self.state = np.zeros((len(self.log_poles), 2), complex)
        self.twins = np.zeros_like(self.state)
        self.next_at = int(spec.first_s * sr)
        self.last = -1

    def _bank(self, table: np.ndarray, logs: np.ndarray, state: np.ndarray, n: int) -> np.ndarray:
        """The free ring of a bank over ``n`` frames; advances ``state`` in place."""
        jobs = _subblocks(n)
        starts = np.exp(logs[:, None] * (SUB * np.arange(jobs)))[:, :, None] * state[:, None, :]
        state *= np.exp(logs * n)[:, None]
        return _unfold((table @ starts.reshape(len(state), -1)).real, n)

    def _strike(self, block: Block, offset: int, out: np.ndarray) -> None:
        s, rng, p = self.spec, self.rng, block.mid
        choices = [b for b in range(len(s.notes_hz)) if b != self.last]
        bowl = choices[int(rng.integers(len(choices)))]
        self.last = bowl
        force = 0.6 + 0.4 * rng.random()
        spread = 0.25 + 0.6 * p.movement
        pan = np.clip(spread * (2 * bowl / (len(s.notes_hz) - 1) - 1) + 0.2 * rng.normal(), -1, 1)
        side = np.array([math.cos((pan + 1) * math.pi / 4), math.sin((pan + 1) * math.pi / 4)])
        tilt = (0.3 + 1.4 * p.brightness) ** np.arange(len(s.ratios))
        amps = np.tile(np.asarray(s.weights) * tilt, 2) * force / 2
        hit = amps[:, None] * side[None, :] * math.sqrt(2)
        cols = slice(bowl * self.per_bowl, (bowl + 1) * self.per_bowl)
        rest = np.arange(block.frames - offset + 1)[:, None]
        ring = np.exp(self.log_poles[cols][None, :] * rest)
        twin = np.exp(self.log_twins[cols][None, :] * rest)
        out[offset:] += (ring[:-1] @ hit).real - (twin[:-1] @ hit).real
        self.state[cols] += hit * ring[-1][:, None]
        self.twins[cols] -= hit * twin[-1][:, None]
        interval = _lerp(s.interval_s, p.density)
        jitter = 0.2 + 0.5 * p.movement
        self.next_at += int(max(2.0, interval * (1 + jitter * (2 * rng.random() - 1))) * self.sr)

    def render(self, block: Block) -> np.ndarray:
        n = block.frames
        out = self._bank(self.ring, self.log_poles, self.state, n)
        if np.max(np.abs(self.twins)) >= self.SILENT:
            out += self._bank(self.twin, self.log_twins, self.twins, n)
        else:
            self.twins[:] = 0
        while self.next_at < block.n0 + n:
            self._strike(block, max(0, self.next_at - block.n0), out)
        out *= db_to_gain(self.spec.level_db)
        return out
