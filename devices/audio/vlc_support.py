"""The libvlc plumbing under the music player: its options, hearing what it plays (amem),
reading its log for a sound output it could not open, and listing output devices.

Kept apart from ``vlc_player`` because it is ctypes work with rules of its own: every callback
handed to libvlc must stay referenced for as long as libvlc may call it, and runs on one of
libvlc's threads, where it may only copy bytes or bump a counter.
"""

from __future__ import annotations

import ctypes
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

#: Local files need little read-ahead; libvlc's default 1000 ms would delay every volume change
#: by ~1.15 s (VLC applies volume when it decodes), 200 ms makes it ~0.35 s.
FILE_CACHING_MS = 200
DEFAULT_INSTANCE_ARGS = (
    "--intf=dummy",
    "--no-video",
    "--quiet",
    f"--file-caching={FILE_CACHING_MS}",
)
CAPTURE_RATE = 44100
CAPTURE_CHANNELS = 2

#: ``audio_capture(player_number, s16_stereo_bytes, pts_us)`` on libvlc's audio thread; ``pts``
#: is when the samples would be heard, on libvlc's clock (``vlc.libvlc_clock()``, which is
#: ``time.monotonic()`` in microseconds).
AudioCapture = Callable[[int, bytes, int], None]

_LOG_ERROR = 4  # libvlc's LIBVLC_ERROR
_AOUT_FAILED = b"failed to create audio output"
_GENERIC_ERRORS = (_AOUT_FAILED, b"module not functional", b"%s", b"buffer deadlock prevented")
_alsa_handler: Any = None


def quiet_alsa_errors() -> None:
    """Silence libasound's stderr complaints (no card, no PulseAudio) for the whole process.

    They are harmless and libvlc's own log already tells the player what failed; left alone
    they fill the terminal at every track. Best effort: without libasound nothing happens.
    """
    global _alsa_handler
    if _alsa_handler is not None:
        return
    try:
        libasound = ctypes.CDLL("libasound.so.2")
    except OSError:
        return
    handler_type = ctypes.CFUNCTYPE(
        None, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p
    )
    _alsa_handler = handler_type(lambda *_: None)
    libasound.snd_lib_error_set_handler(_alsa_handler)


def capture_callback(vlc: Any, number: int, capture: AudioCapture) -> Any:
    """amem's play callback for player ``number`` (S16 stereo, set with ``audio_set_format``).
    The caller keeps the returned object referenced while the player lives."""

    @vlc.CallbackDecorators.AudioPlayCb
    def play(_data: Any, samples: Any, count: int, pts: int) -> None:
        capture(number, ctypes.string_at(samples, count * 2 * CAPTURE_CHANNELS), pts)

    return play


class OutputWatch:
    """libvlc's log, reduced to what the player must know: how often it failed to create a
    sound output (it then plays on silently and raises no event), and the error lines that
    said why. Installing it also replaces libvlc's chatter on stderr.

    libvlc's threads write ``failures`` and ``errors``; the player's worker only reads them.
    """

    def __init__(self) -> None:
        self.failures = 0
        self.errors: deque[str] = deque(maxlen=6)
        self._callback: Any = None

    def install(self, vlc: Any, instance: Any) -> None:
        vsnprintf = _vsnprintf()

        @vlc.CallbackDecorators.LogCb
        def on_log(_data: Any, level: int, _ctx: Any, fmt: bytes | None, args: Any) -> None:
            if level < _LOG_ERROR or not fmt:
                return
            if fmt == _AOUT_FAILED:
                self.failures += 1
            elif fmt not in _GENERIC_ERRORS:
                text = fmt
                if vsnprintf is not None:
                    buffer = ctypes.create_string_buffer(512)
                    vsnprintf(buffer, 512, fmt, args)
                    text = buffer.value
                self.errors.append(text.decode(errors="replace").replace("\n", " "))

        self._callback = on_log
        instance.log_set(on_log, None)

    def why(self) -> str:
        return "; ".join(dict.fromkeys(self.errors)) or "no audio output"


def _vsnprintf() -> Any:
    try:
        function = ctypes.CDLL(None).vsnprintf
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_void_p]
    return function


def output_devices(instance_args: Sequence[str] = ()) -> list[tuple[str, str]]:
    """The output devices libvlc offers, as ``(id, description)``: the ids ``output_device``
    takes. Empty when libvlc is missing or its output module lists none (``adummy``)."""
    try:
        import vlc
    except (ImportError, OSError, NotImplementedError):
        return []
    instance = vlc.Instance([*DEFAULT_INSTANCE_ARGS, *instance_args])
    if instance is None:
        return []
    player = instance.media_player_new()
    found: list[tuple[str, str]] = []
    try:
        head = player.audio_output_device_enum()
        node = head
        while node:
            found.append(
                (
                    (node.contents.device or b"").decode(errors="replace"),
                    (node.contents.description or b"").decode(errors="replace"),
                )
            )
            node = node.contents.next
        if head:
            vlc.libvlc_audio_output_device_list_release(head)
    finally:
        player.release()
        instance.release()
    return found
