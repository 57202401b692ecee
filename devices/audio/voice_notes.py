"""Voice notes: the therapist speaks a note, it is stored with the session, and can be replayed.

A note is recorded from an input device (the system default unless configured) through a
sounddevice ``InputStream`` and saved as a 16-bit mono WAV named by sequence
(``voice-0001.wav``, ``voice-0002.wav``...) in the session's folder. The recordings are the
most private thing roomctl keeps, so the folder is made 0700 and every file is written 0600
through :func:`roomctl.private_files.write_private` (atomically: no half-written note after a
crash, no moment where others may read it).

The audio callback (PortAudio's real-time thread) only copies the block into a buffer
allocated at :meth:`VoiceRecorder.start`; it allocates nothing, takes no lock and never
reports. The buffer holds ``max_seconds`` (default 10 min) and is allocated with
``np.empty``, whose pages the kernel only maps when written: a 20-second note costs 2 MB, not
the 58 MB of the whole budget. Whatever arrives past the budget is dropped and counted.

Every failure (PortAudio missing, no input, a device that refuses the format, a full disk) is
one :class:`VoiceNoteError` whose message says what is wrong in words. It is an ``OSError``,
which is what the UI catches (``ui/services.py``): the panel shows it, the session goes on.

sounddevice is imported only when a device is needed, so this module imports on a machine
without PortAudio.
"""

from __future__ import annotations

import io
import logging
import os
import re
import wave
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from roomctl.private_files import PRIVATE_DIR, write_private

log = logging.getLogger(__name__)

#: The longest note; the panel stops a recording here by itself.
DEFAULT_MAX_S = 600.0
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
_NAME = re.compile(r"^voice-(\d{4,})\.wav$")


class VoiceNoteError(OSError):
    """No usable microphone or speaker, or the note could not be saved or read."""


def _sounddevice() -> ModuleType:
    try:
        import sounddevice
    except OSError as exc:  # libportaudio2 is not installed
        raise VoiceNoteError(f"PortAudio is not available ({exc})") from None
    return sounddevice


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _devices(sd: ModuleType, kind: str) -> str:
    """``"0: system [JACK Audio Connection Kit]; ..."``: the devices of ``kind``, for messages."""
    key = f"max_{kind}_channels"
    hostapis = sd.query_hostapis()
    found = [
        f"{i}: {d['name']} [{hostapis[d['hostapi']]['name']}]"
        for i, d in enumerate(sd.query_devices())
        if d[key] > 0
    ]
    return "; ".join(found) or "none"


def find_device(sd: ModuleType, device: str | int | None, kind: str) -> tuple[int, str]:
    """``(index, name)`` of the ``kind`` ("input"/"output") device ``device`` names.

    None or "" is the system default; an int or digits an index; anything else a name
    fragment (sounddevice's own matching). The error lists the devices that do exist.
    """
    if device is None or (isinstance(device, str) and not device.strip()):
        default = sd.default.device[0 if kind == "input" else 1]
        try:
            index = int(default) if default is not None else -1
        except (TypeError, ValueError):
            index = -1
        if index < 0:
            try:
                index = int(sd.query_devices(kind=kind)["index"])
            except (sd.PortAudioError, ValueError, KeyError):
                index = -1
        if index < 0:
            raise VoiceNoteError(f"no default audio {kind} ({kind}s: {_devices(sd, kind)})")
        device = index
    elif isinstance(device, str) and device.strip().isdigit():
        device = int(device)
    try:
        info = sd.query_devices(device, kind)
    except (sd.PortAudioError, ValueError) as exc:
        raise VoiceNoteError(
            f"no audio {kind} {device!r}: {_reason(exc)} ({kind}s: {_devices(sd, kind)})"
        ) from None
    return int(info["index"]), str(info["name"])


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and any missing parent) owner-only, and make it 0700 if it was not."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for path in reversed(missing):
        path.mkdir(mode=PRIVATE_DIR)
        os.chmod(path, PRIVATE_DIR)  # mkdir's mode is filtered by the umask
    os.chmod(folder, PRIVATE_DIR)


def wav_bytes(samples: np.ndarray, samplerate: int) -> bytes:
    """A 16-bit mono WAV file holding ``samples`` (int16)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(samplerate)
        wav.writeframes(np.ascontiguousarray(samples, dtype="<i2").tobytes())
    return out.getvalue()


class VoiceRecorder:
    """Records voice notes into ``folder`` (the session's own: ``data_dir/voice/<session>/``).

    ``device`` is the microphone, ``output_device`` where notes are played back (the
    therapist's headphones, never the room's music); both None for the system defaults.
    Paths returned by :meth:`stop` are relative to ``relative_to`` (default: ``folder``
    itself), so the timeline never records this machine's directory layout.

    Not thread-safe: call it from one thread (the GUI thread in the app).
    """

    def __init__(
        self,
        folder: Path,
        *,
        device: str | int | None = None,
        output_device: str | int | None = None,
        samplerate: int = 48000,
        max_seconds: float = DEFAULT_MAX_S,
        relative_to: Path | None = None,
    ) -> None:
        if max_seconds <= 0:
            raise ValueError("max_seconds must be positive")
        self.folder = Path(folder)
        self.device = device
        self.output_device = output_device
        self.samplerate = samplerate
        self._max_seconds = float(max_seconds)
        self.relative_to = Path(relative_to) if relative_to is not None else self.folder
        if not self.folder.is_relative_to(self.relative_to):
            raise ValueError(f"{self.folder} is not under {self.relative_to}")
        self._stream: Any = None
        self._played: Any = None
        self.device_name: str | None = None
        self._buffer: np.ndarray | None = None
        self._capacity = 0
        self._pos = 0  # written by the callback only (read once the stream has stopped)
        self._dropped = 0  # callback only
        self._overflows = 0  # callback only

    # ------------------------------------------------------------------ recording

    @property
    def max_seconds(self) -> float:
        return self._max_seconds

    @property
    def recording(self) -> bool:
        return self._stream is not None

    @property
    def recorded_s(self) -> float:
        """Seconds recorded so far in the current note (0 when not recording)."""
        return self._pos / self.samplerate if self._stream is not None else 0.0

    def start(self) -> None:
        """Open the input and start recording. Raises VoiceNoteError when that cannot be done."""
        if self._stream is not None:
            raise VoiceNoteError("already recording a voice note")
        sd = _sounddevice()
        index, name = find_device(sd, self.device, "input")
        self._capacity = round(self._max_seconds * self.samplerate)
        self._buffer = np.empty(self._capacity, dtype=np.int16)
        self._pos = self._dropped = self._overflows = 0
        try:
            stream = sd.InputStream(
                samplerate=self.samplerate,
                device=index,
                channels=1,
                dtype="int16",
                callback=self._callback,
            )
        except (sd.PortAudioError, ValueError, OSError) as exc:
            self._buffer = None
            raise VoiceNoteError(f"cannot record from {name!r}: {_reason(exc)}") from None
        try:
            stream.start()
        except (sd.PortAudioError, OSError) as exc:
            stream.close(ignore_errors=True)
            self._buffer = None
            raise VoiceNoteError(f"cannot record from {name!r}: {_reason(exc)}") from None
        self._stream = stream
        self.device_name = name

    def _callback(self, indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's real-time thread: copy the block into the buffer, nothing else."""
        if status.input_overflow:
            self._overflows += 1
        buffer = self._buffer
        if buffer is None:
            return
        pos = self._pos
        n = min(frames, self._capacity - pos)
        if n > 0:
            buffer[pos : pos + n] = indata[:n, 0]
            self._pos = pos + n
        if n < frames:
            self._dropped += frames - n

    def stop(self) -> tuple[str, float]:
        """Stop recording and save the note; returns ``(relative_path, seconds)``."""
        stream, self._stream = self._stream, None
        if stream is None:
            raise VoiceNoteError("not recording")
        sd = _sounddevice()
        try:
            stream.stop()
        except (sd.PortAudioError, OSError) as exc:  # a vanished device: keep what we have
            log.info("voice note stream stop: %s", _reason(exc))
        finally:
            stream.close(ignore_errors=True)
        buffer, self._buffer = self._buffer, None
        frames = self._pos
        if buffer is None or frames == 0:
            raise VoiceNoteError(f"nothing was recorded: {self.device_name!r} delivered no sound")
        if self._dropped:
            log.warning(
                "voice note longer than %.0f s: %d frames dropped", self._max_seconds, self._dropped
            )
        path = self._next_path()
        try:
            write_private(path, wav_bytes(buffer[:frames], self.samplerate))
        except OSError as exc:
            raise VoiceNoteError(f"cannot save the voice note {path.name}: {exc}") from None
        return path.relative_to(self.relative_to).as_posix(), frames / self.samplerate

    def _next_path(self) -> Path:
        """``voice-NNNN.wav``, one past the highest number already in the folder."""
        try:
            private_folder(self.folder)
            numbers = [int(m.group(1)) for p in self.folder.iterdir() if (m := _NAME.match(p.name))]
        except OSError as exc:
            raise VoiceNoteError(f"cannot use the voice note folder {self.folder}: {exc}") from None
        return self.folder / f"voice-{max(numbers, default=0) + 1:04d}.wav"

    # ------------------------------------------------------------------ playback

    def path_of(self, relative: str) -> Path:
        """The file a relative note path names; refuses anything outside ``relative_to``."""
        base = self.relative_to.resolve()
        path = (base / relative).resolve()
        if not path.is_relative_to(base):
            raise VoiceNoteError(f"not a voice note of this session: {relative!r}")
        return path

    def play(self, path: str) -> None:
        """Play the note at ``path`` (relative, as :meth:`stop` returned it); returns at once.

        A note already playing is cut for the new one.
        """
        file = self.path_of(path)
        try:
            with wave.open(str(file), "rb") as wav:
                if wav.getsampwidth() != SAMPLE_WIDTH:
                    raise VoiceNoteError(f"{path}: not a 16-bit WAV")
                rate, channels = wav.getframerate(), wav.getnchannels()
                data = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
        except (OSError, wave.Error, EOFError) as exc:
            if isinstance(exc, VoiceNoteError):
                raise
            raise VoiceNoteError(f"cannot read the voice note {path}: {_reason(exc)}") from None
        sd = _sounddevice()
        index, name = find_device(sd, self.output_device, "output")
        try:
            sd.play(data.reshape(-1, channels), samplerate=rate, device=index)
            self._played = sd.get_stream()
        except (sd.PortAudioError, ValueError, OSError) as exc:
            raise VoiceNoteError(f"cannot play on {name!r}: {_reason(exc)}") from None

    @property
    def playing(self) -> bool:
        stream = self._played
        return bool(stream is not None and stream.active)

    def stop_playback(self) -> None:
        if self._played is not None:
            self._played.abort(ignore_errors=True)
            self._played = None

    def close(self) -> None:
        """Stop playback; a recording still running is saved (speech is never thrown away)."""
        self.stop_playback()
        if self._stream is not None:
            try:
                self.stop()
            except VoiceNoteError as exc:
                log.warning("voice note on close: %s", exc)
