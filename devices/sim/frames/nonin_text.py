"""Nonin text output lines, byte for byte: ``[HH:MM:SS ]SPO2=XXX HR=YYY[markers]`` CR LF.

Spec: shared/protocols/nonin.md, part A. Missing values are ``---``. Markers: ``*`` (event)
right after the HR value, then `` F`` (fast-responding values), then ``B`` (breath, 9847),
which is one reading of "a trailing ``*``", "a trailing `` F``" and "may append ``B``"; the
parser accepts any spacing of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from devices.feeds import records as r

_MARKERS = ((r.EVENT_MARKER, "*"), (r.FAST_VALUES, " F"), (r.BREATH_DETECTED, "B"))


def encode_line(
    spo2: float | None,
    hr: float | None,
    *,
    clock_s: float | None = None,
    flags: Iterable[str] = (),
    ending: bytes = b"\r\n",
) -> bytes:
    """One record; ``clock_s`` (seconds since midnight) adds the 9847/8600V time prefix."""
    wanted = set(flags)
    unknown = wanted - {name for name, _ in _MARKERS}
    if unknown:
        raise ValueError(f"Nonin text has no marker for {sorted(unknown)}")
    text = f"SPO2={_three(spo2)} HR={_three(hr)}"
    text += "".join(mark for name, mark in _MARKERS if name in wanted)
    if clock_s is not None:
        seconds = int(clock_s) % 86_400
        text = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d} " + text
    return text.encode("ascii") + ending


def _three(value: float | None) -> str:
    return "---" if value is None else f"{value:03.0f}"
