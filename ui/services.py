"""What the window asks of the world outside the Room, as small Protocols.

The UI never touches a device (import-linter forbids ``ui`` importing ``devices`` or ``app``):
the composition root builds the adapters and hands them in, and any object with these methods
will do, so the tests pass fakes and the app passes the real thing.

Errors: a service that fails raises :class:`OSError` (or a subclass, such as
``devices.audio.voice_notes.VoiceNoteError``) with the problem in words. The UI catches
exactly that, shows the message and carries on: a broken headphone jack or a missing
microphone must never stop the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class PreviewControl(Protocol):
    """The therapist's headphones: hear a soundscape before the room does.

    ``devices.audio.soundscape_stream.SoundscapePreview`` has exactly these methods. Neither
    may block (the stream opens on its own thread) and neither touches the room's sound.
    """

    def play(self, preset: str, level: float) -> None:
        """Play ``preset`` in the headphones, crossfading from the one previewed now."""
        ...

    def stop(self) -> None: ...


class VoiceNotes(Protocol):
    """The microphone beside the therapist: spoken notes stored with the session.

    ``devices.audio.voice_notes.VoiceRecorder`` implements it. Files are private to their
    owner (0600 in a 0700 folder); paths are relative, so the timeline never holds a path of
    this machine.
    """

    @property
    def max_seconds(self) -> float:
        """A recording stops here at the latest (the panel stops it itself at this length)."""
        ...

    def start(self) -> None:
        """Start recording from the input device; raises OSError when there is none."""
        ...

    def stop(self) -> tuple[str, float]:
        """Stop, save, and return ``(relative_path, seconds)`` for ``Room.voice_note``."""
        ...

    def play(self, path: str) -> None:
        """Play a saved note (a path :meth:`stop` returned) on the therapist's output."""
        ...


#: The fitted music plan of a playlist, as ``roomctl.music_plan.PlanItem.as_dict()`` rows
#: (``path``, ``start_s``, ``duration_s``...), or None when it cannot be computed (no
#: library, no track lengths). The composition root closes over the Room for the planned
#: length, so an Extend shows the re-fitted plan.
PlanFor = Callable[[str], list[dict[str, Any]] | None]
