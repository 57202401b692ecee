"""16-bit PCM WAV files with the standard library: what ``roomctl soundscape render`` writes.

16-bit because every player and editor reads it. Samples are scaled by 32767 and rounded, so a
float at the engine's ceiling (-1.05 dBFS) is still under -1 dBFS as an integer. ``WavWriter``
takes the audio block by block, so an hour of soundscape never has to sit in memory at once.
"""

from __future__ import annotations

import wave
from pathlib import Path
from types import TracebackType

import numpy as np

FULL_SCALE = 32767


def _pcm(samples: np.ndarray) -> np.ndarray:
    data = np.asarray(samples, dtype=np.float64)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise ValueError(f"samples must be (frames, channels), not shape {data.shape}")
    return np.clip(np.round(data * FULL_SCALE), -FULL_SCALE, FULL_SCALE).astype("<i2")


class WavWriter:
    """A 16-bit WAV file written block by block: ``with WavWriter(path, sr) as w: w.write(x)``."""

    def __init__(self, path: str | Path, samplerate: int, channels: int = 2) -> None:
        self.path = Path(path)
        self.channels = channels
        # Opened here, not by wave.open(path): a path that cannot be opened then raises a plain
        # OSError instead of also leaving a half-made Wave_write to complain when collected.
        self._handle = self.path.open("wb")
        self._file = wave.open(self._handle, "wb")  # noqa: SIM115 (closed by close())
        self._file.setnchannels(channels)
        self._file.setsampwidth(2)
        self._file.setframerate(int(samplerate))

    def write(self, samples: np.ndarray) -> None:
        """Append (frames, channels) floats in [-1, 1]."""
        pcm = _pcm(samples)
        if pcm.shape[1] != self.channels:
            raise ValueError(f"{pcm.shape[1]} channels given to a {self.channels}-channel file")
        self._file.writeframes(pcm.tobytes())

    def close(self) -> None:
        try:
            self._file.close()  # writes the final lengths into the header
        finally:
            self._handle.close()

    def __enter__(self) -> WavWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()


def write_wav(path: str | Path, samples: np.ndarray, samplerate: int) -> None:
    """Write ``samples`` (frames, channels) or (frames,), floats in [-1, 1], as 16-bit PCM."""
    data = np.asarray(samples)
    with WavWriter(path, samplerate, 1 if data.ndim == 1 else data.shape[-1]) as out:
        out.write(data)


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """A 16-bit PCM WAV as float32 (frames, channels) and its sample rate."""
    with wave.open(str(path), "rb") as src:
        if src.getsampwidth() != 2:
            raise ValueError(f"{path}: {8 * src.getsampwidth()}-bit, expected 16-bit PCM")
        pcm = np.frombuffer(src.readframes(src.getnframes()), dtype="<i2")
        data = pcm.reshape(-1, src.getnchannels()).astype(np.float32) / FULL_SCALE
        return data, src.getframerate()
