"""Line framing shared by the text formats (Masimo, Nonin text, roomctl-line).

What every feed tolerates (shared/protocols/README.md): a partial first frame, NUL bytes, CR or
CRLF (Masimo: "one source says LF CR: split on LF, strip CR"), garbage. So a line ends at CR *or*
LF, empty lines vanish (that is how CRLF and LFCR collapse), NULs are dropped wherever they are,
and a line longer than the format's maximum is one bad frame, however it was chunked.
"""

from __future__ import annotations

from enum import Enum

from devices.feeds.records import Record


class LineSplitter:
    """Turns chunks of bytes into complete lines; keeps the unfinished line between calls."""

    __slots__ = ("_discarding", "_max", "_pending", "overlong")

    def __init__(self, max_len: int) -> None:
        self._max = max_len
        self._pending = b""
        self._discarding = False
        #: Lines dropped for exceeding ``max_len`` (each counts as one bad frame).
        self.overlong = 0

    def reset(self) -> None:
        """Forget the unfinished line (after a reconnect its tail belongs to another line)."""
        self._pending = b""
        self._discarding = False

    def split(self, data: bytes) -> list[bytes]:
        """The lines ``data`` completes (without terminators), in order; never raises."""
        if b"\x00" in data:
            data = data.replace(b"\x00", b"")
        if b"\r" in data:
            # CRLF first: one part per line rather than two (the empty one between CR and LF).
            data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if b"\n" not in data:
            if self._discarding:
                return []  # still inside an over-long line
            self._pending += data
            if len(self._pending) > self._max:
                self._drop_pending()
            return []
        parts = data.split(b"\n")
        if self._discarding:
            parts[0] = b""  # the rest of an over-long line, already counted
            self._discarding = False
        elif self._pending:
            parts[0] = self._pending + parts[0]
        self._pending = parts.pop()
        if len(self._pending) > self._max:
            self._drop_pending()
        lines = list(filter(None, parts))  # CRLF, LFCR and blank lines leave empty parts
        if lines and max(map(len, lines)) > self._max:
            self.overlong += sum(1 for p in lines if len(p) > self._max)
            lines = [p for p in lines if len(p) <= self._max]
        return lines

    def _drop_pending(self) -> None:
        self.overlong += 1
        self._pending = b""
        self._discarding = True


class Verdict(Enum):
    """What a line is when it is not a record."""

    BAD = "bad"  # a damaged or unknown line: counted in bad_frames
    IGNORED = "ignored"  # a comment, a header, blank: neither a frame nor a bad one


class LineParser:
    """Base of the line formats: framing, counting, and the partial-first-frame rule.

    The first non-empty line of a stream (or after :meth:`reset`) that does not parse is taken
    for the partial first frame the README warns about (the port was opened mid-line) and is
    not counted as bad; every later unparsable line is.
    """

    #: Longest line accepted, without its terminator.
    max_line = 1024

    def __init__(self) -> None:
        self._splitter = LineSplitter(self.max_line)
        self._bad = 0
        self._first = True
        #: Valid frames (lines that became records).
        self.frames = 0

    @property
    def bad_frames(self) -> int:
        """Lines that could not be parsed, over-long lines included."""
        return self._bad + self._splitter.overlong

    def reset(self) -> None:
        """Drop any unfinished line and re-arm the partial-first-frame rule (after a reconnect)."""
        self._splitter.reset()
        self._first = True

    def feed(self, data: bytes) -> list[Record]:
        out: list[Record] = []
        parse = self.parse_line
        for line in self._splitter.split(data):
            result = parse(line)
            if type(result) is Record:
                out.append(result)
                self._first = False
            elif result is Verdict.BAD:
                if not self._first:
                    self._bad += 1
                self._first = False
        self.frames += len(out)
        return out

    def parse_line(self, line: bytes) -> Record | Verdict:
        """One complete line (no terminator, no NUL, not empty) to a record or a verdict."""
        raise NotImplementedError
