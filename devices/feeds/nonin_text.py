"""Nonin text output (Avant 9600, BT4000, 7500FO, 9847, 8600V ...): one line a second.

Spec: shared/protocols/nonin.md, part A. A record is ``SPO2=XXX HR=YYY``, optionally after an
``HH:MM:SS `` prefix (9847, 8600V), optionally followed by markers: ``*`` an event, `` F``
fast-responding values, ``B`` a breath detected (9847). ``---`` is a missing value.

Decisions where the spec leaves room:

* Marker spacing is not pinned down ("a trailing ``*``", "a trailing `` F``"), so after the HR
  value any run of spaces, ``*``, ``F`` and ``B`` is accepted and each marker becomes a flag.
* The power-up header ("format, time, date") is not a record: its lines count as bad frames,
  like any other non-record line, since nothing tells a header from garbage. The first line of
  a stream is the exception (the partial first frame, see ``framing.LineParser``).
* The time prefix has no date, so it goes to ``device_clock_s`` (seconds since midnight).
"""

from __future__ import annotations

import re

from devices.feeds import records as r
from devices.feeds.framing import LineParser, Verdict
from devices.feeds.records import Record, RecordKind

_LINE = re.compile(
    rb" *(?:(\d\d):(\d\d):(\d\d) +)?SPO2=(\d{1,3}|-{1,3}) +HR=(\d{1,3}|-{1,3})([ *FB]*)"
)
_MARKERS = {ord("*"): r.EVENT_MARKER, ord("F"): r.FAST_VALUES, ord("B"): r.BREATH_DETECTED}
_marker_cache: dict[bytes, frozenset[str]] = {}


def _marker_flags(markers: bytes) -> frozenset[str]:
    flags = _marker_cache.get(markers)
    if flags is None:
        flags = frozenset(_MARKERS[b] for b in markers if b in _MARKERS)
        if len(_marker_cache) > 1000:  # markers are a handful of letters: this never fills
            _marker_cache.clear()
        _marker_cache[markers] = flags
    return flags


class NoninTextParser(LineParser):
    """Incremental parser: ``feed(bytes) -> list[Record]`` (one ``vitals`` record per line)."""

    max_line = 256

    def parse_line(self, line: bytes) -> Record | Verdict:
        match = _LINE.fullmatch(line)
        if match is None:
            return Verdict.BAD if line.strip() else Verdict.IGNORED
        hh, mm, ss, spo2, hr, markers = match.groups()
        clock: float | None = None
        if hh is not None:
            hours, minutes, seconds = int(hh), int(mm), int(ss)
            if hours > 23 or minutes > 59 or seconds > 59:
                return Verdict.BAD
            clock = float(hours * 3600 + minutes * 60 + seconds)
        values: dict[str, float | str] = {}
        if spo2[0] != 45:  # "-"
            values[r.SPO2] = float(spo2)
        if hr[0] != 45:
            values[r.HR] = float(hr)
        flags = _marker_flags(markers) if markers.strip() else r.NO_FLAGS
        return Record(RecordKind.VITALS, values, flags, None, clock)
