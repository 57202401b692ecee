"""Numbers that say how a rendered soundscape sounds: level (RMS, peak, loudness), DC, and the
shape of its spectrum. The tests, the benchmark and ``roomctl soundscape render`` use them.

Loudness follows ITU-R BS.1770 (K-weighting, 400 ms blocks, absolute and relative gates), the
measure behind "LUFS": it is how loud a scape *sounds*, where RMS over-counts the rumble of
brown noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

#: Third-octave band centres (Hz) for a spectrum's shape, 31.5 Hz to 16 kHz.
BANDS_HZ = tuple(1000 * 2 ** (k / 3) for k in range(-15, 13))


def db(power_or_amplitude: float, *, power: bool = False) -> float:
    if power_or_amplitude <= 0:
        return -math.inf
    return (10 if power else 20) * math.log10(power_or_amplitude)


def rms_db(x: np.ndarray) -> float:
    """RMS over all channels, dBFS."""
    return db(float(np.mean(np.square(x, dtype=np.float64))), power=True)


def peak_db(x: np.ndarray) -> float:
    return db(float(np.max(np.abs(x))))


def _k_weighting(sr: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """BS.1770's two K-weighting stages designed for any rate (the 48 kHz coefficients of the
    standard come out of these to 1e-8)."""
    k = math.tan(math.pi * 1681.974450955533 / sr)
    q = 0.7071752369554196
    vh = 10 ** (3.999843853973347 / 20)
    vb = vh**0.4996667741545416
    a0 = 1 + k / q + k * k
    shelf = (
        np.array([vh + vb * k / q + k * k, 2 * (k * k - vh), vh - vb * k / q + k * k]) / a0,
        np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]),
    )
    k = math.tan(math.pi * 38.13547087602444 / sr)
    q = 0.5003270373238773
    a0 = 1 + k / q + k * k
    highpass = (
        np.array([1.0, -2.0, 1.0]),
        np.array([1.0, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0]),
    )
    return [shelf, highpass]


def loudness_lufs(x: np.ndarray, sr: int) -> float:
    """Integrated loudness (BS.1770-4) of (frames, channels) audio; -inf when silent."""
    y = np.asarray(x, dtype=np.float64)
    for b, a in _k_weighting(sr):
        y = lfilter(b, a, y, axis=0)
    block, hop = int(0.4 * sr), int(0.1 * sr)
    if len(y) < block:
        return -math.inf
    energy = np.cumsum(np.concatenate([np.zeros((1, y.shape[1])), y**2]), axis=0)
    starts = np.arange(0, len(y) - block + 1, hop)
    z = (energy[starts + block] - energy[starts]).sum(axis=1) / block
    with np.errstate(divide="ignore"):
        blocks = -0.691 + 10 * np.log10(z)
    gated = z[blocks > -70]
    if not gated.size:
        return -math.inf
    relative = -0.691 + 10 * math.log10(float(np.mean(gated))) - 10
    gated = z[(blocks > -70) & (blocks > relative)]
    return -0.691 + 10 * math.log10(float(np.mean(gated)))


def power_spectrum(x: np.ndarray, sr: int, size: int = 8192) -> tuple[np.ndarray, np.ndarray]:
    """Average power spectrum of the channels' mean (Hann windows, half overlap)."""
    mono = np.asarray(x, dtype=np.float64).mean(axis=1) if x.ndim == 2 else x
    window = np.hanning(size)
    starts = range(0, len(mono) - size + 1, size // 2)
    frames = np.stack([mono[s : s + size] * window for s in starts])
    power = np.mean(np.abs(np.fft.rfft(frames, axis=1)) ** 2, axis=0)
    return np.fft.rfftfreq(size, 1 / sr), power


def centroid_hz(x: np.ndarray, sr: int) -> float:
    """The spectrum's centre of mass: low for a hush, higher for rain."""
    freqs, power = power_spectrum(x, sr)
    return float(np.sum(freqs * power) / np.sum(power))


def band_profile(x: np.ndarray, sr: int, floor_db: float = -60.0) -> np.ndarray:
    """Third-octave band levels in dB relative to the loudest band, floored at ``floor_db``:
    the shape of a spectrum, whatever its loudness."""
    freqs, power = power_spectrum(x, sr)
    levels = []
    for centre in BANDS_HZ:
        inside = (freqs >= centre / 2 ** (1 / 6)) & (freqs < centre * 2 ** (1 / 6))
        levels.append(float(np.sum(power[inside])) + 1e-30)
    profile = 10 * np.log10(np.asarray(levels))
    return np.maximum(profile - profile.max(), floor_db)


def profile_distance_db(a: np.ndarray, b: np.ndarray) -> float:
    """How differently two spectra are shaped: the RMS difference of their band profiles."""
    return float(np.sqrt(np.mean((a - b) ** 2)))


@dataclass(frozen=True)
class Summary:
    seconds: float
    rms_dbfs: float
    peak_dbfs: float
    loudness_lufs: float
    dc: tuple[float, ...]
    centroid_hz: float

    def line(self) -> str:
        return (
            f"{self.seconds:g} s, RMS {self.rms_dbfs:.1f} dBFS, peak {self.peak_dbfs:.1f} dBFS, "
            f"{self.loudness_lufs:.1f} LUFS, centroid {self.centroid_hz:.0f} Hz"
        )


def summarise(x: np.ndarray, sr: int) -> Summary:
    return Summary(
        seconds=len(x) / sr,
        rms_dbfs=round(rms_db(x), 2),
        peak_dbfs=round(peak_db(x), 2),
        loudness_lufs=round(loudness_lufs(x, sr), 2),
        dc=tuple(round(float(v), 6) for v in np.mean(x, axis=0, dtype=np.float64)),
        centroid_hz=round(centroid_hz(x, sr), 1),
    )
