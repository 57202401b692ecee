"""A playlist's tracks and their lengths, read by libvlc: what ``roomctl.music_plan`` fits.

Lengths come from libvlc's own parser, never from file sizes or tags, because the player is
libvlc: a file it cannot decode has no length here and is skipped, so what is planned is what
will play. Anything libvlc decodes (FLAC, MP3, Ogg/Opus, AAC/M4A, WAV, AIFF...) works.

A playlist is one of:

* a folder: its own audio files (by extension, hidden files ignored), **not** its subfolders, so
  the playlist is exactly what the therapist sees in that folder; sorted by name with numbers
  read as numbers ("2 Arrival" before "10 Return"), which is the library order "fitted" keeps;
* an ``.m3u``/``.m3u8`` file: its entries in order, ``#`` lines skipped, relative paths resolved
  against the playlist's folder, ``file://`` URLs accepted, stream URLs skipped; ``.m3u8`` is
  UTF-8, ``.m3u`` UTF-8 or else Latin-1;
* a single audio file (a one-track playlist).

``~`` is expanded everywhere. Files that are missing, unreadable or undecodable among good ones
are skipped and listed in ``Library.skipped``; when nothing is playable, or the folder has no
audio files, or the path does not exist, ``LibraryError`` says which path and why.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from roomctl.music_plan import Track

AUDIO_EXTENSIONS = frozenset(
    {
        ".aac",
        ".aif",
        ".aiff",
        ".alac",
        ".ape",
        ".flac",
        ".m4a",
        ".mka",
        ".mp2",
        ".mp3",
        ".mpc",
        ".oga",
        ".ogg",
        ".opus",
        ".wav",
        ".wma",
        ".wv",
    }
)
PLAYLIST_EXTENSIONS = frozenset({".m3u", ".m3u8"})
VLC_OPTIONS = ("--intf=dummy", "--no-video", "--quiet")
#: libvlc's limit for reading one file's length (a stalled network share is skipped, not awaited).
PARSE_TIMEOUT_S = 5.0
_BATCH = 32  # files queued on libvlc's preparser at a time
_POLL_S = 0.002
_LISTED = 8  # files named in an error before "... and N more"


class LibraryError(Exception):
    """The playlist cannot be used: the message names the folder or file and the reason."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass(frozen=True)
class Library:
    source: str  # the folder, playlist or file, ``~`` expanded
    tracks: tuple[Track, ...]
    skipped: tuple[Skipped, ...]


def load_tracks(path: str | Path, *, instance: Any = None) -> list[Track]:
    """The playable tracks of ``path`` (see :func:`load_library`; skipped files are dropped)."""
    return list(load_library(path, instance=instance).tracks)


def load_library(
    path: str | Path, *, instance: Any = None, timeout_s: float = PARSE_TIMEOUT_S
) -> Library:
    """The tracks of a folder, an M3U/M3U8 or one audio file, with libvlc's lengths.

    ``instance``: a ``vlc.Instance`` to use (and leave open); else one is made and released.
    """
    source = Path(path).expanduser()
    files, skipped = list_files(source)
    if not files:
        raise LibraryError(f"{source}: {_nothing_to_play(source, skipped)}")
    own = instance is None
    vlc_instance = new_instance() if own else instance
    try:
        lengths = parse_lengths(vlc_instance, files, timeout_s=timeout_s)
    finally:
        if own:
            vlc_instance.release()
    tracks: list[Track] = []
    for file in files:
        length = lengths[file]
        if isinstance(length, str):
            skipped.append(Skipped(str(file), length))
        else:
            tracks.append(Track(str(file), length))
    if not tracks:
        raise LibraryError(f"{source}: no playable track: {_listing(skipped)}")
    return Library(str(source), tuple(tracks), tuple(skipped))


def new_instance() -> Any:
    """A headless ``vlc.Instance``; LibraryError when libvlc or its plugins are missing."""
    try:
        import vlc
    except (ImportError, OSError, NotImplementedError) as exc:
        raise LibraryError(f"libvlc is not available ({exc}): install libvlc5") from None
    instance = vlc.Instance(list(VLC_OPTIONS))
    if instance is None:
        raise LibraryError("libvlc has no plugins: install vlc-plugin-base")
    return instance


def list_files(source: Path) -> tuple[list[Path], list[Skipped]]:
    """The files a playlist names, in order, and the entries already known to be unusable."""
    if source.is_dir():
        return _readable(_folder(source))
    if not source.exists():
        raise LibraryError(f"{source}: no such folder or playlist")
    suffix = source.suffix.lower()
    if suffix in PLAYLIST_EXTENSIONS:
        return read_m3u(source)
    if suffix in AUDIO_EXTENSIONS:
        return _readable([source])
    raise LibraryError(
        f"{source}: not a folder, an .m3u/.m3u8 playlist or an audio file "
        f"({', '.join(sorted(AUDIO_EXTENSIONS))})"
    )


def _natural_key(name: str) -> tuple[tuple[int, int | str], ...]:
    parts = re.split(r"(\d+)", name.casefold())
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts if p)


def _folder(folder: Path) -> list[Path]:
    try:
        entries = list(os.scandir(folder))
    except OSError as exc:
        raise LibraryError(f"{folder}: cannot read the folder: {exc.strerror}") from None
    names = [
        e.name
        for e in entries
        if not e.name.startswith(".")
        and Path(e.name).suffix.lower() in AUDIO_EXTENSIONS
        and e.is_file()
    ]
    names.sort(key=lambda n: (_natural_key(n), n))
    return [folder.absolute() / name for name in names]


def read_m3u(playlist: Path) -> tuple[list[Path], list[Skipped]]:
    """An M3U/M3U8's entries as paths (relative ones against its folder), in order."""
    try:
        raw = playlist.read_bytes()
    except OSError as exc:
        raise LibraryError(f"{playlist}: cannot read the playlist: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        if playlist.suffix.lower() == ".m3u8":
            raise LibraryError(f"{playlist}: not UTF-8 (an .m3u8 must be)") from None
        text = raw.decode("latin-1")
    base = playlist.absolute().parent
    files: list[Path] = []
    skipped: list[Skipped] = []
    for line in text.splitlines():
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        if entry.lower().startswith("file://"):
            entry = unquote(urlparse(entry).path)
        elif re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]+://", entry):
            skipped.append(Skipped(entry, "not a local file (streams are not planned)"))
            continue
        path = Path(entry).expanduser()
        if not path.is_absolute() and not (base / path).exists() and "\\" in entry:
            path = Path(entry.replace("\\", "/"))  # a playlist written on Windows
        files.append(Path(os.path.normpath(base / path)))
    good, bad = _readable(files)
    return good, skipped + bad


def _readable(files: Sequence[Path]) -> tuple[list[Path], list[Skipped]]:
    """Files that exist and open; the others with the reason (libvlc would only say "failed")."""
    good: list[Path] = []
    bad: list[Skipped] = []
    for file in files:
        if not file.exists():
            bad.append(Skipped(str(file), "missing"))
        elif file.is_dir():
            bad.append(Skipped(str(file), "a folder, not a file"))
        else:
            try:
                with file.open("rb"):
                    pass
            except OSError as exc:
                bad.append(Skipped(str(file), f"unreadable: {exc.strerror}"))
            else:
                good.append(file.absolute())
    return good, bad


def parse_lengths(
    instance: Any, files: Sequence[Path], *, timeout_s: float = PARSE_TIMEOUT_S
) -> dict[Path, float | str]:
    """Each file's length in seconds from libvlc's parser, or why it has none.

    libvlc parses one file at a time on its preparser thread (~8 ms a file here), so files are
    queued in batches and polled; a file that takes longer than ``timeout_s`` is reported, not
    waited for.
    """
    import vlc

    out: dict[Path, float | str] = {}
    for first in range(0, len(files), _BATCH):
        batch = []
        for file in files[first : first + _BATCH]:
            media = instance.media_new_path(str(file))
            if media.parse_with_options(vlc.MediaParseFlag.local, int(timeout_s * 1000)) != 0:
                out[file] = "libvlc could not queue it for reading"
                media.release()
                continue
            batch.append((file, media))
        deadline = time.monotonic() + timeout_s * max(1, len(batch)) + 1.0
        pending = batch
        while pending and time.monotonic() < deadline:
            time.sleep(_POLL_S)
            pending = [(f, m) for f, m in pending if m.get_parsed_status().value == 0]
        for file, media in batch:
            out[file] = _length(vlc, media)
            media.release()
    return out


def _length(vlc: Any, media: Any) -> float | str:
    status = media.get_parsed_status()
    if status == vlc.MediaParsedStatus.done:
        ms = media.get_duration()
        return ms / 1000.0 if ms > 0 else "not decodable (libvlc finds no audio in it)"
    if status == vlc.MediaParsedStatus.failed:
        return "not decodable (libvlc could not open it)"
    return "timed out reading it"


def _listing(skipped: Sequence[Skipped]) -> str:
    shown = [f"{Path(s.path).name} ({s.reason})" for s in skipped[:_LISTED]]
    more = len(skipped) - _LISTED
    return ", ".join(shown) + (f" ... and {more} more" if more > 0 else "")


def _nothing_to_play(source: Path, skipped: Sequence[Skipped]) -> str:
    if skipped:
        return f"no playable track: {_listing(skipped)}"
    if source.is_dir():
        kinds = ", ".join(sorted(AUDIO_EXTENSIONS))
        return f"no audio files in this folder (subfolders are not searched; looked for {kinds})"
    return "the playlist lists no files"
