"""The demo's music, made by roomctl itself at set-up: three playlists of gentle ambient pieces.

A demo must play real music through the real player without downloading anything or shipping
someone else's recordings, so the pieces are synthesised here, deterministically (same version,
same files), and written as Ogg Vorbis that libvlc decodes like any other library:

* ``preparation``: 3 pieces, 8 minutes; ``infusion``: 12 pieces of 4-6 minutes, 62 minutes, so
  any planned infusion of 40-60 minutes is fitted without repeating (crossfades included);
  ``recovery``: 3 pieces, 11 minutes (open-ended phases repeat their playlist).
* Each piece is a slow chord progression in its own key: pads of soft partials, each partial a
  narrow band of random phases (rendered as one inverse FFT per chord, so a pad is a seamless,
  gently beating loop, and minutes of music cost milliseconds), a soft low root, a quiet
  bell-like voice picking chord tones with a ping-pong echo, slow swells in timbre and width,
  no percussion; faded in and out at its edges; normalised to -18 dBFS RMS with peaks under
  -1 dBFS.
* ``SAMPLERATE`` is 32 kHz: the pads and bells live below 6 kHz, and Vorbis encoding dominates
  the set-up time (two threads; libsndfile releases the GIL).

``ensure_demo_library`` writes each file under a temporary name and renames it when complete,
and keeps a manifest (version, scale, sizes), so a second call only checks, and an interrupted
set-up finishes what is missing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

VERSION = 1
SAMPLERATE = 22050
MANIFEST = "demo-music.json"
TARGET_RMS_DBFS = -18.0
PEAK_DBFS = -1.0
#: One pad loop: 2**18 samples, 11.9 s at 22.05 kHz; bins 0.08 Hz apart, fine for slow beating.
LOOP = 2**18
#: libsndfile's Vorbis quality knob (0 best .. 1 smallest): 0.3 is ~60 kbit/s here, clean bells.
VORBIS_LEVEL = 0.3
_WRITE_BLOCK = 16384  # libsndfile's Vorbis encoder crashes on very large single writes

# Scales as semitones from the key's root, and chords as degrees of the scale (stacked thirds).
_MAJOR = (0, 2, 4, 5, 7, 9, 11)
_LYDIAN = (0, 2, 4, 6, 7, 9, 11)
_DORIAN = (0, 2, 3, 5, 7, 9, 10)
_AEOLIAN = (0, 2, 3, 5, 7, 8, 10)
_MODES = {"major": _MAJOR, "lydian": _LYDIAN, "dorian": _DORIAN, "aeolian": _AEOLIAN}
_PROGRESSIONS = {
    "major": ((0, 5, 3, 4), (0, 3, 5, 3), (0, 2, 3, 0), (3, 0, 4, 5)),
    "lydian": ((0, 1, 0, 4), (0, 4, 1, 5)),
    "dorian": ((0, 3, 0, 6), (0, 2, 3, 6)),
    "aeolian": ((0, 5, 2, 6), (0, 3, 5, 4), (0, 5, 3, 6)),
}


@dataclass(frozen=True)
class Piece:
    title: str
    seconds: float
    root: int  # MIDI note of the key's root, octave 3 (48 = C3)
    mode: str
    progression: int  # index into the mode's progressions
    brightness: float  # 0 dark .. 1 bright pads
    bells: float  # 0 none .. 1 busy bell voice
    chord_s: float  # seconds per chord


def _pieces(names: Sequence[tuple[str, float]], salt: str) -> tuple[Piece, ...]:
    """Keys, modes and colours per piece, picked by a seeded generator: varied, repeatable."""
    rng = np.random.default_rng(int(hashlib.sha256(salt.encode()).hexdigest()[:8], 16))
    roots = (48, 50, 51, 53, 55, 45, 46, 52)
    modes = tuple(_MODES)
    out = []
    for title, seconds in names:
        mode = modes[int(rng.integers(len(modes)))]
        out.append(
            Piece(
                title=title,
                seconds=seconds,
                root=roots[int(rng.integers(len(roots)))],
                mode=mode,
                progression=int(rng.integers(len(_PROGRESSIONS[mode]))),
                brightness=float(rng.uniform(0.2, 0.7)),
                bells=float(rng.uniform(0.3, 1.0)),
                chord_s=float(rng.uniform(24, 40)),
            )
        )
    return tuple(out)


PLAYLISTS: dict[str, tuple[Piece, ...]] = {
    "preparation": _pieces(
        [("Arrival", 150), ("Settling", 170), ("Threshold", 160)], "preparation"
    ),
    "infusion": _pieces(
        [
            ("Drift", 290),
            ("Slow Water", 330),
            ("Lanterns", 280),
            ("Open Field", 360),
            ("Low Tide", 280),
            ("Cloud Harbour", 310),
            ("Stillness", 340),
            ("Far Shore", 270),
            ("Breathing Room", 300),
            ("Evening Glass", 320),
            ("Quiet Orbit", 300),
            ("Homeward Light", 350),
        ],
        "infusion",
    ),
    "recovery": _pieces([("Return", 210), ("Shoreline", 230), ("Daylight", 200)], "recovery"),
}


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69) / 12)


def _chord_notes(piece: Piece, degree: int) -> tuple[list[float], float]:
    """The pad's notes (MIDI) of a chord on ``degree``, voiced in C3-C5, and its bass note."""
    scale = _MODES[piece.mode]

    def step(n: int) -> int:
        return scale[n % 7] + 12 * (n // 7)

    tones = [step(degree), step(degree + 2), step(degree + 4), step(degree + 8)]  # add9
    pad: list[float] = []
    for i, tone in enumerate(tones):
        note = piece.root + tone
        while note > 72:
            note -= 12
        while note < 50:
            note += 12
        pad.append(note)
        if i == 0:
            pad.append(note + 12)
    bass = piece.root + step(degree)
    while bass > 47:
        bass -= 12
    while bass < 36:
        bass += 12
    return pad, float(bass)


def _pad_loop(
    notes: Sequence[float],
    bass: float,
    brightness: float,
    rng: np.random.Generator,
    sr: int,
    loop: int = LOOP,
) -> np.ndarray:
    """One seamless loop (``loop`` x 2) of a chord: every partial a narrow band of random
    phases, independent per channel (a wide, slowly beating pad). Unit RMS."""
    bins = loop // 2 + 1
    per_hz = loop / sr
    mag = np.zeros(bins)
    rolloff = 900.0 + 2600.0 * brightness
    for note in notes:
        f0 = _midi_hz(note)
        for k in range(1, 9):
            f = f0 * k
            if f > 6000:
                break
            amp = k**-1.4 * math.exp(-f / rolloff)
            width = (0.2 + 0.0015 * f) * per_hz  # bins; wider up high: a slow chorus shimmer
            _add_band(mag, f * per_hz, width, amp)
    fb = _midi_hz(bass)
    _add_band(mag, fb * per_hz, 0.15 * per_hz, 1.2)
    _add_band(mag, 2 * fb * per_hz, 0.2 * per_hz, 0.25)
    out = np.empty((loop, 2), dtype=np.float32)
    for ch in range(2):
        # complex Gaussian bins: each band a true narrow-band noise, Rayleigh in magnitude
        spectrum = rng.standard_normal(bins) + 1j * rng.standard_normal(bins)
        spectrum *= mag
        wave = np.fft.irfft(spectrum, n=loop)
        out[:, ch] = wave * (1.0 / (math.sqrt(float(np.dot(wave, wave)) / loop) + 1e-12))
    return out


def _add_band(mag: np.ndarray, center: float, width: float, amp: float) -> None:
    half = max(2, int(3 * width) + 1)
    lo = max(1, int(center) - half)
    hi = min(len(mag), int(center) + half + 1)
    if lo >= hi:
        return
    idx = np.arange(lo, hi)
    shape = np.exp(-0.5 * ((idx - center) / max(width, 0.5)) ** 2)
    mag[lo:hi] += amp * shape / math.sqrt(shape.sum())


@functools.lru_cache(maxsize=32)
def _raised(n: int) -> np.ndarray:
    """A raised-cosine rise over ``n`` samples (cached and shared: read-only)."""
    curve = (0.5 - 0.5 * np.cos(np.linspace(0.0, math.pi, n))).astype(np.float32)
    curve.setflags(write=False)
    return curve


def _bell(note: float, sr: int, seconds: float = 4.0) -> np.ndarray:
    """A soft glass-bell note: a few partials, slightly inharmonic, a 5 ms attack."""
    n = int(seconds * sr)
    t = np.arange(n, dtype=np.float32) / sr
    f = _midi_hz(note)
    out = np.zeros(n, dtype=np.float32)
    for ratio, amp, decay in (
        (1.0, 1.0, 1.3),
        (2.0, 0.28, 0.8),
        (3.01, 0.1, 0.5),
        (4.2, 0.05, 0.35),
    ):
        if f * ratio < sr / 2.5:
            out += amp * np.exp(-t / decay) * np.sin(2 * math.pi * f * ratio * t)
    attack = min(n, int(0.005 * sr))
    out[:attack] *= np.linspace(0.0, 1.0, attack, dtype=np.float32)
    return out


def render_piece(piece: Piece, *, samplerate: int = SAMPLERATE, scale: float = 1.0) -> np.ndarray:
    """A piece as float32 ``(frames, 2)``; ``scale`` shortens it (tests), keeping its shape."""
    sr = samplerate
    seconds = max(2.0, piece.seconds * scale)
    n = int(seconds * sr)
    seed = int(hashlib.sha256(piece.title.encode()).hexdigest()[:8], 16)
    rng = np.random.default_rng(seed)
    progression = _PROGRESSIONS[piece.mode][piece.progression]
    chord_s = max(1.0, min(piece.chord_s * max(scale, 0.05), seconds / 2))
    chords = max(1, round(seconds / chord_s))
    step = n / chords
    x = int(min(chord_s / 3, 10.0) * sr)
    loop = min(LOOP, 1 << max(14, math.ceil(math.log2(n))))  # short (test) pieces: small loops
    # the timbre swells slowly between a darker and a brighter rendering of each chord
    swell = _slow_sine(n, sr, 47.0, rng.uniform(0, 6.28), 0.5, 0.5)
    pads = np.zeros((n, 2), dtype=np.float32)
    bell_notes: list[tuple[int, float]] = []
    loops: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # per degree: dark, bright - dark
    for c in range(chords):
        degree = progression[c % len(progression)]
        notes, bass = _chord_notes(piece, degree)
        if degree not in loops:
            dark = _pad_loop(notes, bass, piece.brightness * 0.5, rng, sr, loop)
            bright = _pad_loop(notes, bass, min(1.0, piece.brightness + 0.35), rng, sr, loop)
            loops[degree] = dark, bright - dark
        dark, lift = loops[degree]
        shift = int(rng.integers(loop))  # a chord heard again starts elsewhere in its loop
        dark, lift = np.roll(dark, shift, axis=0), np.roll(lift, shift, axis=0)
        start = max(0, int(c * step) - x // 2)
        end = min(n, int((c + 1) * step) + x // 2)
        fade = min(x, (end - start) // 2)
        rise = _raised(fade) if c > 0 and fade else None
        fall = _raised(fade)[::-1] if c < chords - 1 and fade else None
        for at in range(start, end, loop):  # the loop tiled by slices, no index arrays
            m = min(loop, end - at)
            block = lift[:m] * swell[at : at + m, None]
            block += dark[:m]
            if rise is not None and at < start + fade:  # the chord's own crossfades
                k = min(m, start + fade - at)
                block[:k] *= rise[at - start : at - start + k, None]
            if fall is not None and at + m > end - fade:
                k = max(0, end - fade - at)
                block[k:] *= fall[at + k - (end - fade) : at + m - (end - fade), None]
            pads[at : at + m] += block
        for when in np.arange(start / sr + 1.0, end / sr - 1.0, 1.0):
            if rng.random() < 0.22 * piece.bells:
                pitch = notes[int(rng.integers(len(notes)))] + 12 * int(rng.integers(1, 3))
                bell_notes.append((int(when * sr + rng.uniform(0, 0.8) * sr), min(pitch, 88)))
    # slow breathing in the stereo image: one side swells as the other recedes
    pads[:, 0] *= _slow_sine(n, sr, 23.0, 0.0, 0.12, 1.0)
    pads[:, 1] *= _slow_sine(n, sr, 23.0, 0.0, -0.12, 1.0)
    pads += _bell_track(bell_notes, n, sr, rng) * np.float32(0.35)
    edge_in, edge_out = min(n // 4, int(4 * sr)), min(n // 4, int(8 * sr))
    pads[:edge_in] *= _raised(edge_in)[:, None]
    pads[n - edge_out :] *= _raised(edge_out)[::-1, None]
    return normalise(pads)


def _slow_sine(
    n: int, sr: int, period_s: float, phase: float, depth: float, centre: float
) -> np.ndarray:
    """``centre + depth * sin(2 pi t / period + phase)`` as float32, computed in place."""
    out = np.arange(n, dtype=np.float32)
    out *= np.float32(2 * math.pi / (period_s * sr))
    out += np.float32(phase)
    np.sin(out, out=out)
    out *= np.float32(depth)
    out += np.float32(centre)
    return out


def _bell_track(
    notes: Sequence[tuple[int, float]], n: int, sr: int, rng: np.random.Generator
) -> np.ndarray:
    out = np.zeros((n, 2), dtype=np.float32)
    cache: dict[float, np.ndarray] = {}
    for at, pitch in notes:
        tone = cache.get(pitch)
        if tone is None:
            tone = cache[pitch] = _bell(pitch, sr)
        length = min(len(tone), n - at)
        if length <= 0:
            continue
        pan = rng.uniform(0.15, 0.85)
        gain = rng.uniform(0.5, 1.0)
        out[at : at + length, 0] += tone[:length] * gain * math.cos(pan * math.pi / 2)
        out[at : at + length, 1] += tone[:length] * gain * math.sin(pan * math.pi / 2)
    for delay_s, amount in ((0.43, 0.35), (0.86, 0.15)):  # a ping-pong echo: some space
        d = int(delay_s * sr)
        if d < n:
            out[d:, 0] += amount * out[: n - d, 1]
            out[d:, 1] += amount * out[: n - d, 0]
    rms = _rms(out)
    if rms > 0:
        out *= np.float32(1.0 / rms)
    return out


def _rms(x: np.ndarray) -> float:
    flat = x.reshape(-1)
    return math.sqrt(float(np.dot(flat, flat)) / max(1, flat.size))


def normalise(x: np.ndarray) -> np.ndarray:
    """To ``TARGET_RMS_DBFS`` RMS; peaks above ``PEAK_DBFS`` are rounded off (tanh knee).
    A float32 ``x`` is scaled in place (pieces are minutes long: no copies)."""
    rms = _rms(x)
    if rms <= 0:
        return x.astype(np.float32, copy=False)
    y = x.astype(np.float32, copy=False)
    y *= np.float32(10 ** (TARGET_RMS_DBFS / 20) / rms)
    ceiling = 10 ** ((PEAK_DBFS - 0.5) / 20)  # 0.5 dB for the codec's overshoot
    knee = 0.7 * ceiling
    if max(float(y.max()), -float(y.min())) <= knee:
        return y
    over = np.abs(y) > knee
    if over.any():
        a = np.abs(y[over])
        y[over] = np.sign(y[over]) * (
            knee + (ceiling - knee) * np.tanh((a - knee) / (ceiling - knee))
        )
    return y


def write_ogg(path: Path, samples: np.ndarray, samplerate: int, title: str) -> None:
    """Ogg Vorbis via libsndfile, written in blocks, under a temporary name, then renamed."""
    import soundfile

    tmp = path.with_name(f".{path.name}.part")
    with soundfile.SoundFile(
        tmp,
        "w",
        samplerate=samplerate,
        channels=2,
        format="OGG",
        subtype="VORBIS",
        compression_level=VORBIS_LEVEL,
    ) as out:
        out.title = title
        out.artist = "roomctl demo"
        for i in range(0, len(samples), _WRITE_BLOCK):
            out.write(samples[i : i + _WRITE_BLOCK])
    os.replace(tmp, path)


def _file_name(index: int, piece: Piece) -> str:
    return f"{index + 1:02d} {piece.title}.ogg"


def ensure_demo_library(
    folder: Path, *, scale: float = 1.0, workers: int | None = None
) -> dict[str, Path]:
    """The three demo playlists under ``folder`` (``{name: folder/name}``), generating what is
    missing. A complete library with the same version and scale is left as it is."""
    folder = Path(folder)
    manifest_path = folder / MANIFEST
    wanted = {
        name: [(folder / name / _file_name(i, p), p) for i, p in enumerate(pieces)]
        for name, pieces in PLAYLISTS.items()
    }
    manifest = _read_manifest(manifest_path)
    same = manifest.get("version") == VERSION and manifest.get("scale") == scale
    sizes: dict[str, int] = manifest.get("sizes", {}) if same else {}
    todo = [
        (path, piece)
        for files in wanted.values()
        for path, piece in files
        if not path.is_file() or path.stat().st_size != sizes.get(_key(folder, path))
    ]
    if todo:
        for name in wanted:
            (folder / name).mkdir(parents=True, exist_ok=True)
        if not same:
            manifest_path.unlink(missing_ok=True)
        count = workers or min(2, os.cpu_count() or 1)

        def make(job: tuple[Path, Piece]) -> None:
            path, piece = job
            write_ogg(path, render_piece(piece, scale=scale), SAMPLERATE, piece.title)

        longest_first = sorted(todo, key=lambda job: -job[1].seconds)
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(make, longest_first))
        sizes = {
            _key(folder, path): path.stat().st_size
            for files in wanted.values()
            for path, _ in files
        }
        tmp = manifest_path.with_name(f".{MANIFEST}.part")
        tmp.write_text(
            json.dumps(
                {"version": VERSION, "scale": scale, "samplerate": SAMPLERATE, "sizes": sizes},
                indent=1,
                sort_keys=True,
            )
        )
        os.replace(tmp, manifest_path)
    return {name: folder / name for name in wanted}


def _key(folder: Path, path: Path) -> str:
    return path.relative_to(folder).as_posix()


def _read_manifest(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
