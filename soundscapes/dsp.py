"""The building blocks every soundscape layer shares: noise, filters that keep their state from
one block to the next, slow modulators driven by the sample clock, and the output ceiling.

Everything here works on ``(frames, channels)`` float64 blocks and is vectorised: a filter is one
``scipy.signal.lfilter`` call per block, a modulator is evaluated at a block's two ends and ramped
in between. Keeping state in the filter (``zi``) and deriving every oscillator from the sample
position is what makes a sound continue seamlessly across blocks and come out the same whatever
the blocks are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

_LFILTER: Any = None


def lfilter(b: Any, a: Any, x: Any, axis: int = -1, zi: Any = None) -> Any:
    """``scipy.signal.lfilter``, imported on first use: importing ``scipy.signal`` takes about
    1.7 s (it pulls in ``scipy.stats``), which would otherwise delay the window's cold start
    for a soundscape nobody has played yet."""
    global _LFILTER
    if _LFILTER is None:
        from scipy.signal import lfilter as scipy_lfilter

        _LFILTER = scipy_lfilter
    if zi is None:
        return _LFILTER(b, a, x, axis=axis)
    return _LFILTER(b, a, x, axis=axis, zi=zi)


#: The output never exceeds this (-1.05 dBFS): 16-bit rounding then still stays under -1 dBFS.
CEILING = 10 ** (-1.05 / 20)
#: Below this (-6 dBFS) the ceiling leaves the signal untouched; above it bends smoothly.
KNEE = 0.5

Coeffs = tuple[np.ndarray, np.ndarray]


def white(rng: np.random.Generator, frames: int, channels: int = 2) -> np.ndarray:
    """Unit-variance white noise. Uniform, not Gaussian: four times cheaper to draw, and after
    any filter it sounds (and is distributed) the same."""
    noise = rng.random((frames, channels))
    noise -= 0.5
    noise *= math.sqrt(12.0)
    return noise


class Filter:
    """An IIR filter (``b``, ``a``) with its state, applied along the frames of each channel.

    ``retune`` swaps coefficients of the same order and keeps the state, which is how a cutoff
    follows the brightness control or the wind's band moves: small changes at a slow rate make
    no audible step.
    """

    def __init__(self, coeffs: Coeffs, channels: int = 2) -> None:
        self.b, self.a = coeffs
        self._zi = np.zeros((max(len(self.a), len(self.b)) - 1, channels))

    def retune(self, coeffs: Coeffs) -> None:
        b, a = coeffs
        if len(a) != len(self.a) or len(b) != len(self.b):
            raise ValueError("retune keeps the filter's order")
        self.b, self.a = b, a

    def __call__(self, x: np.ndarray) -> np.ndarray:
        y, self._zi = lfilter(self.b, self.a, x, axis=0, zi=self._zi)
        return y


class Tuned:
    """A filter whose coefficients follow one number (a cutoff in Hz) and are recomputed only
    when it moves by more than ``tolerance`` (relative), so a steady control costs nothing."""

    def __init__(
        self,
        design: Callable[[float], Coeffs],
        value: float,
        channels: int = 2,
        tolerance: float = 0.002,
    ) -> None:
        self._design = design
        self._value = value
        self._tolerance = tolerance
        self.filter = Filter(self._design(value), channels)

    def __call__(self, x: np.ndarray, value: float) -> np.ndarray:
        if abs(value - self._value) > self._tolerance * self._value:
            self._value = value
            self.filter.retune(self._design(value))
        return self.filter(x)


# --- coefficient designs (RBJ audio-EQ cookbook and first-order forms) ---------------------


def _rbj(f: float, sr: int, q: float) -> tuple[float, float, float]:
    w = 2 * math.pi * min(f, 0.45 * sr) / sr
    return math.cos(w), math.sin(w) / (2 * q), w


def lowpass(f: float, sr: int, q: float = 0.7071) -> Coeffs:
    cos_w, alpha, _ = _rbj(f, sr, q)
    a0 = 1 + alpha
    b = np.array([(1 - cos_w) / 2, 1 - cos_w, (1 - cos_w) / 2]) / a0
    return b, np.array([1.0, -2 * cos_w / a0, (1 - alpha) / a0])


def highpass(f: float, sr: int, q: float = 0.7071) -> Coeffs:
    cos_w, alpha, _ = _rbj(f, sr, q)
    a0 = 1 + alpha
    b = np.array([(1 + cos_w) / 2, -(1 + cos_w), (1 + cos_w) / 2]) / a0
    return b, np.array([1.0, -2 * cos_w / a0, (1 - alpha) / a0])


def bandpass(f: float, sr: int, q: float) -> Coeffs:
    """Peak gain 0 dB at ``f``; the output power grows with the bandwidth (f / q)."""
    cos_w, alpha, _ = _rbj(f, sr, q)
    a0 = 1 + alpha
    b = np.array([alpha, 0.0, -alpha]) / a0
    return b, np.array([1.0, -2 * cos_w / a0, (1 - alpha) / a0])


def brown(sr: int, corner_hz: float = 25.0) -> Coeffs:
    """White noise to brown (-6 dB/octave) above ``corner_hz``, with a zero at DC below it: a
    leaky integrator and a DC blocker in one biquad, unit gain at 1 kHz."""
    p = math.exp(-2 * math.pi * corner_hz / sr)
    b = np.array([1.0, -1.0])
    a = np.convolve([1.0, -p], [1.0, -p])
    return _normalise(b, a, 1000.0, sr)


def pink(sr: int, corner_hz: float = 25.0) -> Coeffs:
    """White noise to pink (-3 dB/octave, Paul Kellet's three-pole fit, exact for 44.1-48 kHz)
    with a first-order DC blocker at ``corner_hz``, unit gain at 1 kHz."""
    b = np.array([0.049922035, -0.095993537, 0.050612699, -0.004408786])
    a = np.array([1.0, -2.494956002, 2.017265875, -0.522189400])
    p = math.exp(-2 * math.pi * corner_hz / sr)
    return _normalise(np.convolve(b, [1.0, -1.0]), np.convolve(a, [1.0, -p]), 1000.0, sr)


def cascade(*stages: Coeffs) -> Coeffs:
    """Filters in series as one: a single ``lfilter`` call costs about the same for order 2 or
    6, so fixed chains are merged. (Not for a stage that retunes: the merged state would not
    carry over as gently.)"""
    b, a = np.array([1.0]), np.array([1.0])
    for sb, sa in stages:
        b, a = np.convolve(b, sb), np.convolve(a, sa)
    return b, a


def decay(seconds: float, sr: int) -> Coeffs:
    """An impulse becomes an exponential decay with this time constant (peak 1)."""
    return np.array([1.0]), np.array([1.0, -math.exp(-1 / (seconds * sr))])


def _normalise(b: np.ndarray, a: np.ndarray, f: float, sr: int) -> Coeffs:
    z = np.exp(-1j * 2 * math.pi * f / sr * np.arange(max(len(a), len(b))))
    gain = abs(np.dot(b, z[: len(b)]) / np.dot(a, z[: len(a)]))
    return b / gain, a


# --- control-rate helpers -------------------------------------------------------------------


def geometric(lo: float, hi: float, x: float) -> float:
    """``lo`` at x=0, ``hi`` at x=1, evenly in octaves between: how a knob should move a cutoff."""
    return lo * (hi / lo) ** x


def db_to_gain(db: float) -> float:
    return 10 ** (db / 20)


def drift(t: float, rates_hz: tuple[float, ...], phases: np.ndarray) -> float:
    """A slow, never-repeating wander in [-1, 1]: a sum of sines at incommensurate rates, their
    phases from the seed. Evaluated from the time, so it is phase-continuous by construction."""
    total = 0.0
    for rate, phase in zip(rates_hz, phases, strict=True):
        total += math.sin(2 * math.pi * rate * t + phase)
    return total / len(rates_hz)


def ramp(a: float, b: float, frames: int) -> np.ndarray:
    """A column that goes from ``a`` (first frame) towards ``b`` (the frame after the last)."""
    if a == b:
        return np.full((frames, 1), a)
    return (a + (b - a) / frames * np.arange(frames)).reshape(frames, 1)


def widen(x: np.ndarray, width: float) -> np.ndarray:
    """Two independent channels made partly common: width 1 keeps them apart (wide, diffuse),
    0 makes them one (centred). The power of each channel is kept (cos^2 + sin^2 = 1)."""
    if width >= 1.0:
        return x
    theta = (1.0 - width) * math.pi / 4
    c, s = math.cos(theta), math.sin(theta)
    return x @ np.array([[c, s], [s, c]])


def soft_ceiling(x: np.ndarray, knee: float = KNEE, ceiling: float = CEILING) -> np.ndarray:
    """Leave everything below ``knee`` alone and bend what is above it smoothly (a tanh curve
    with slope 1 at the knee) so that no sample reaches ``ceiling``. In place; it costs one
    comparison per block unless something is actually loud."""
    if not x.size or float(np.max(np.abs(x))) <= knee:
        return x
    room = ceiling - knee
    over = np.abs(x) > knee
    y = x[over]
    y = np.sign(y) * (knee + room * np.tanh((np.abs(y) - knee) / room))
    x[over] = y
    return x


def unit_power(coeffs: Coeffs, sr: int, seconds: float = 2.0) -> Coeffs:
    """The same filter scaled so that unit-variance white noise comes out with unit variance:
    a layer's level in dB is then roughly its RMS in dBFS, whatever its colour."""
    b, a = coeffs
    impulse = np.zeros(int(seconds * sr))
    impulse[0] = 1.0
    energy = float(np.sum(lfilter(b, a, impulse) ** 2))
    return b / math.sqrt(energy), a
