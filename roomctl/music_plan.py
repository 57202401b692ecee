"""Fitting music to the planned infusion, pure: which tracks, in what order, where each one starts,
where in its file it starts, and how it fades.

Music carries the patient through the infusion, so it has to last exactly as long as the infusion
and end in a fade, never in a cut or in silence. A plan is a list of items on the infusion's clock
(``start_s`` from infusion start); the player only follows it.

The shape of every plan (what the tests check for any tracks and any length):

* The first item starts at 0 with no fade-in. Consecutive items overlap by their crossfade ``x``:
  ``next.start_s == prev.end_s - x`` and ``prev.fade_out_s == next.fade_in_s == x``. No gaps.
* Every item but the last plays its file from ``offset_s`` for ``duration_s`` (whole tracks,
  except one item just before the last, which may be cut from its end to give the last room).
* The last item ends at ``planned_s`` exactly and fades out over the final fade; when its file is
  longer, it is trimmed from the file's end (the fade covers the cut).

Clamping, so that very short plans and very short tracks still give a valid plan:

* A crossfade is ``min(crossfade_s, half of the shorter of the two items)``: a 5 s track with an
  8 s crossfade fades in and out over 2.5 s. ``crossfade_s = 0`` gives butt joins.
* The final fade is :func:`effective_final_fade`: ``final_fade_s`` (30-600 s, default 60), but
  at most half the plan when the plan is under two final fades, and never under 30 s unless the
  whole plan is shorter than 30 s (a 1-minute plan fades over its last 30 s).
* The final fade is carried by one item, so the last item must be at least final fade plus its
  fade-in long. The full fade is guaranteed whenever the library holds one track at least
  ``final fade + 3 x crossfade + 1 s`` long (the last item may be pulled earlier by cutting the
  one before it; for a re-plan, when that much is left after now). A library of only shorter
  tracks gets the longest fade its tracks allow (the crossfade into the last one may shrink for
  it), and a note says so.
* Tracks shorter than :data:`MIN_TRACK_S` (or without a known length) are left out, with a note.

Orders:

* ``"fixed"``: the therapist's arc. Tracks play in the given order, repeating from the first when
  the library is shorter than the plan; the track sounding at the planned end is the last and is
  trimmed. Only when that track is too short to carry the final fade does the plan end on the
  next track of the order that can (and says so).
* ``"fitted"``: tracks are chosen, still in library order, so that the last one ends as close as
  possible to its own natural end (little of it trimmed, ``trim`` minimised in whole seconds),
  and it is long enough to carry the fade. This is a subset-sum over the library on a 0.25 s
  grid, held as one Python-int bitset per prefix (``O(n * plan / grid)`` bit operations, a few
  milliseconds for 500 tracks and two hours). Ties go to the earliest possible last track and the
  earliest tracks before it, so the plan uses the start of the library (a folder sorted by name).
  When the library is shorter than the plan it plays whole passes first, then fits the remainder.

Same input, same plan: there is no randomness anywhere.

``refit`` re-plans an Extend (or a shortened plan) without touching what has played: items that
have started keep their places; the one sounding now continues and only its end may move; the
tail is planned again to end on the new length. Ending the infusion *now* is the player's fade,
not a re-plan. ``open_ended`` is one pass of the library for phases without a planned length; the
player repeats it, item 0 of the next pass starting at ``cycle_s`` (the last item's ``end_s``
minus its ``fade_out_s``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Literal

Order = Literal["fitted", "fixed"]
ORDERS: tuple[str, ...] = ("fitted", "fixed")

DEFAULT_CROSSFADE_S = 8.0
DEFAULT_FINAL_FADE_S = 60.0
MIN_FINAL_FADE_S = 30.0
MAX_FINAL_FADE_S = 600.0
MAX_CROSSFADE_S = 30.0
#: Shorter tracks (and tracks whose length is unknown, reported as 0) are not planned.
MIN_TRACK_S = 1.0
#: Longest plan: a two-hour infusion extended several times, with room to spare.
MAX_PLANNED_S = 8 * 3600.0
#: A re-plan must leave this long before the new end; anything sooner is the player's fade-now.
MIN_REFIT_AHEAD_S = MIN_FINAL_FADE_S + MAX_CROSSFADE_S
#: Resolution of the fitted order's subset-sum (the exact times are computed afterwards).
GRID_S = 0.25
_MIN_FADE_S = 0.5
_EPS = 1e-6


class PlanError(ValueError):
    """A plan cannot be made: no playable track, or a length or fade out of range."""


@dataclass(frozen=True)
class Track:
    path: str
    duration_s: float


@dataclass(frozen=True)
class PlanItem:
    path: str
    start_s: float  # from infusion (plan) start
    duration_s: float  # how long this item sounds, from offset_s in the file
    offset_s: float  # where in the file playback begins
    fade_in_s: float
    fade_out_s: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "start_s": self.start_s,
            "duration_s": self.duration_s,
            "offset_s": self.offset_s,
            "fade_in_s": self.fade_in_s,
            "fade_out_s": self.fade_out_s,
        }


@dataclass(frozen=True)
class MusicPlan:
    planned_s: float | None  # None: an open-ended plan (preparing/recovery: play on, loop)
    items: tuple[PlanItem, ...]
    looped: bool  # the library was shorter than the plan and repeats
    notes: tuple[str, ...]  # human-readable remarks ("library 12 min < plan 40 min: looped")

    @property
    def end_s(self) -> float:
        """When the last item ends: ``planned_s`` for a fitted plan, one pass for an open one."""
        return self.items[-1].end_s if self.items else 0.0

    @property
    def cycle_s(self) -> float:
        """Open-ended plans: when the next pass's first item starts (the wrap crossfade)."""
        return self.end_s - (self.items[-1].fade_out_s if self.items else 0.0)


def effective_final_fade(planned_s: float, final_fade_s: float = DEFAULT_FINAL_FADE_S) -> float:
    """The final fade a plan of ``planned_s`` aims for: see the module's clamping rules."""
    return min(final_fade_s, max(MIN_FINAL_FADE_S, planned_s / 2), planned_s)


# --- the working chain -------------------------------------------------------------------------


@dataclass(slots=True)
class _Seg:
    """An item while planning: ``length`` as laid out, ``max_len`` what its file allows."""

    path: str
    start: float
    length: float
    offset: float
    max_len: float
    fade_in: float
    fade_out: float = 0.0
    floor: float = -math.inf  # its fade-out may not begin before this (now, for a sounding item)

    @property
    def end(self) -> float:
        return self.start + self.length

    def item(self) -> PlanItem:
        return PlanItem(
            self.path, self.start, self.length, self.offset, self.fade_in, self.fade_out
        )


@dataclass(frozen=True, slots=True)
class _Choice:
    """How to end a chain: cut ``chain[index]`` so ``last`` starts at ``start`` (``index`` -1:
    ``last`` alone from 0)."""

    fade: float
    index: int
    start: float
    xfade: float


def _xfade(c: float, a: float, b: float) -> float:
    return min(c, a / 2, b / 2)


def _copy(seg: _Seg) -> _Seg:
    return _Seg(
        seg.path,
        seg.start,
        seg.length,
        seg.offset,
        seg.max_len,
        seg.fade_in,
        seg.fade_out,
        seg.floor,
    )


def _append(chain: list[_Seg], track: Track, c: float) -> None:
    """Lay ``track`` whole after the chain's last item, crossfaded."""
    if chain:
        prev = chain[-1]
        x = min(_xfade(c, prev.length, track.duration_s), max(0.0, prev.end - prev.floor))
        prev.fade_out = x
        start = prev.end - x
    else:
        x = start = 0.0
    chain.append(_Seg(track.path, start, track.duration_s, 0.0, track.duration_s, x))


def _next_start(chain: list[_Seg], c: float) -> float:
    """Where an item appended to the chain would start (at most: its crossfade may be shorter)."""
    if not chain:
        return 0.0
    prev = chain[-1]
    return prev.end - min(c, prev.length / 2, max(0.0, prev.end - prev.floor))


def _finish(
    chain: Sequence[_Seg],
    first_free: int,
    last: Track,
    planned_s: float,
    c: float,
    fade: float,
    *,
    alone: bool,
    shrink: float = 1.0,
) -> _Choice | None:
    """The best way to end ``chain`` with ``last`` at ``planned_s``: cut one item (the latest
    that works, dropping those after it) so ``last`` starts where it can carry ``fade``.

    Returns the first choice with the full fade, else the longest fade found, else None.
    ``alone``: ``last`` may also play alone from 0 (nothing before it has to stay).
    ``shrink`` scales the crossfade into ``last``: a shorter one leaves a short track more room
    for its fade-out (used only when no track can carry the full fade).
    """
    big_p, dur = planned_s, last.duration_s
    best: _Choice | None = None
    for index in range(len(chain) - 1, first_free - 1, -1):
        p = chain[index]
        if p.start + p.max_len < big_p - dur - 2 * c - 1.0:
            break  # this item and all before it end too early for `last` to reach the end
        if p.start >= big_p:
            continue
        x = shrink * _xfade(c, p.max_len, dur)
        fi = p.fade_in
        lo = max(p.start + max(fi, 2 * fi - x, x), p.floor, big_p - dur)
        hi = min(p.start + p.max_len - x, big_p - x - max(x, _MIN_FADE_S))
        if lo > hi + _EPS:
            continue
        start = min(hi, max(lo, big_p - x - fade))
        got = min(fade, big_p - start - x)
        choice = _Choice(got, index, start, x)
        if got >= fade - _EPS:
            return choice
        if best is None or got > best.fade + _EPS:
            best = choice
    if alone and dur >= big_p - _EPS:
        got = min(fade, big_p)
        if best is None or got > best.fade + _EPS:
            best = _Choice(got, -1, 0.0, 0.0)
    return best


def _assemble(
    chain: Sequence[_Seg], choice: _Choice, last: Track, planned_s: float
) -> list[PlanItem]:
    if choice.index < 0:
        return [PlanItem(last.path, 0.0, planned_s, 0.0, 0.0, choice.fade)]
    items = [seg.item() for seg in chain[: choice.index]]
    p = chain[choice.index]
    length = choice.start + choice.xfade - p.start
    items.append(PlanItem(p.path, p.start, length, p.offset, p.fade_in, choice.xfade))
    items.append(
        PlanItem(last.path, choice.start, planned_s - choice.start, 0.0, choice.xfade, choice.fade)
    )
    return items


@dataclass(frozen=True, slots=True)
class _Result:
    items: list[PlanItem]
    fade: float
    notes: tuple[str, ...] = ()


def _walk(
    head: Sequence[_Seg],
    first_free: int,
    tracks: Sequence[Track],
    begin: int,
    planned_s: float,
    c: float,
    fade: float,
) -> _Result | None:
    """Library order from ``tracks[begin]``, repeating; the track sounding at the end is last
    (or, if it cannot carry the fade, the next one in the order that can)."""
    n = len(tracks)
    chain = [_copy(s) for s in head]
    k = begin
    covering = -1  # the first new item sounding at the end, and its index in ``tracks``
    first_track = begin % n
    while not chain or chain[-1].start < planned_s:
        _append(chain, tracks[k % n], c)
        if covering < 0 and chain[-1].end >= planned_s - _EPS:
            covering, first_track = len(chain) - 1, k % n
        k += 1
    before_end = sum(1 for s in chain if s.start < planned_s)
    best: tuple[_Choice, Sequence[_Seg], Track, int] | None = None
    for shrink in (1.0, 0.5, 0.0):  # a shorter last crossfade only when nothing carries the fade
        for j in range(n):
            last = tracks[(first_track + j) % n]
            if best is not None and min(fade, last.duration_s) <= best[0].fade + _EPS:
                continue  # this track cannot fade out for longer than the best so far
            pre = chain[: min(covering + j, before_end)]
            choice = _finish(
                pre, first_free, last, planned_s, c, fade, alone=not head, shrink=shrink
            )
            if choice is None:
                continue
            if best is None or choice.fade > best[0].fade + _EPS:
                best = (choice, pre, last, j)
            if choice.fade >= fade - _EPS:
                break
        if best is not None and best[0].fade >= fade - _EPS:
            break
    if best is None:
        return None
    choice, pre, last, j = best
    notes: list[str] = []
    if j > 0:
        notes.append(
            f"{_name(tracks[first_track].path)} is too short to carry the final fade: "
            f"the plan ends on {_name(last.path)}"
        )
    return _Result(_assemble(pre, choice, last, planned_s), choice.fade, tuple(notes))


def _fallback(
    head: Sequence[_Seg],
    first_free: int,
    tracks: Sequence[Track],
    begin: int,
    planned_s: float,
    c: float,
    fade: float,
) -> _Result:
    """Always valid: library order, the track sounding at the end is last, and the crossfade
    into it shrinks until its fade-out fits (a short fade, used only when nothing else fits)."""
    chain = [_copy(s) for s in head]
    k = begin
    while True:
        _append(chain, tracks[k % len(tracks)], c)
        k += 1
        if chain[-1].end >= planned_s - _EPS:
            break
    last = chain.pop()
    track = Track(last.path, last.max_len)
    if not chain:
        got = min(fade, planned_s)
        return _Result([PlanItem(track.path, 0.0, planned_s, 0.0, 0.0, got)], got)
    prev = chain[-1]
    x = max(0.0, min(last.fade_in, planned_s - prev.end, prev.end - prev.floor))
    prev.fade_out = x
    start = prev.end - x
    got = min(fade, planned_s - start - x)
    items = [s.item() for s in chain]
    items.append(PlanItem(track.path, start, planned_s - start, 0.0, x, got))
    return _Result(items, got)


def _pass_length(tracks: Sequence[Track], c: float) -> float:
    chain: list[_Seg] = []
    for track in tracks:
        _append(chain, track, c)
    return chain[-1].end if chain else 0.0


def _fitted(
    head: Sequence[_Seg],
    first_free: int,
    pool: Sequence[Track],
    planned_s: float,
    c: float,
    fade: float,
) -> _Result | None:
    """Whole passes while the library is shorter than what is left, then a subset-sum for the
    rest: the last track whose natural end falls closest after the planned end."""
    chain = [_copy(s) for s in head]
    one_pass = _pass_length(pool, c)
    while planned_s - _next_start(chain, c) > one_pass:
        for track in pool:
            _append(chain, track, c)
    cursor = _next_start(chain, c)
    rest = planned_s - cursor
    if rest <= 0:
        return None
    weights = [math.floor((t.duration_s - min(c, t.duration_s / 2)) / GRID_S) for t in pool]
    size = math.floor(rest / GRID_S) + 1
    mask = (1 << size) - 1
    reach = [1]
    for w in weights:
        bits = reach[-1]
        reach.append((bits | (bits << w)) & mask)
    before = bool(chain)
    best: tuple[int, int, int] | None = None  # (trim in whole seconds, last index, sum in grid)
    for j, track in enumerate(pool):
        dur = track.duration_s
        if not before and dur >= planned_s - _EPS:  # alone from 0, no fade-in
            key = (round(dur - planned_s), j, 0)
            best = key if best is None or key < best else best
        need = fade + min(c, dur / 2)
        lo = max(math.ceil((rest - dur) / GRID_S - _EPS), 0 if before else 1)
        hi = min(math.floor((rest - need) / GRID_S + _EPS), size - 1)
        if lo > hi:
            continue
        window = (reach[j] >> lo) & ((1 << (hi - lo + 1)) - 1)
        if not window:
            continue
        total = lo + (window & -window).bit_length() - 1
        key = (round(dur - (rest - total * GRID_S)), j, total)
        if best is None or key < best:
            best = key
    if best is None:
        return None
    _, j, total = best
    chosen: list[int] = []
    for k in range(j - 1, -1, -1):
        if total and not (reach[k] >> total) & 1:
            chosen.append(k)
            total -= weights[k]
    for k in reversed(chosen):
        _append(chain, pool[k], c)
    choice = _finish(chain, first_free, pool[j], planned_s, c, fade, alone=not head)
    if choice is None:
        return None
    return _Result(_assemble(chain, choice, pool[j], planned_s), choice.fade)


# --- the public functions -----------------------------------------------------------------------


def _check_numbers(planned_s: float | None, crossfade_s: float, final_fade_s: float) -> None:
    if planned_s is not None and not (0 < planned_s <= MAX_PLANNED_S):
        raise PlanError(f"a plan lasts 0-{MAX_PLANNED_S / 3600:g} h (got {planned_s!r} s)")
    if not 0 <= crossfade_s <= MAX_CROSSFADE_S:
        raise PlanError(f"crossfade is 0-{MAX_CROSSFADE_S:g} s (got {crossfade_s!r})")
    if not MIN_FINAL_FADE_S <= final_fade_s <= MAX_FINAL_FADE_S:
        raise PlanError(
            f"final fade is {MIN_FINAL_FADE_S:g}-{MAX_FINAL_FADE_S:g} s (got {final_fade_s!r})"
        )


def _check_order(order: str) -> None:
    if order not in ORDERS:
        raise PlanError(f"order is 'fitted' or 'fixed' (got {order!r})")


def _playable(tracks: Sequence[Track]) -> tuple[list[Track], list[str]]:
    good = [t for t in tracks if math.isfinite(t.duration_s) and t.duration_s >= MIN_TRACK_S]
    notes: list[str] = []
    left_out = len(tracks) - len(good)
    if left_out:
        notes.append(f"{left_out} track(s) shorter than {MIN_TRACK_S:g} s left out")
    if not good:
        raise PlanError(
            "no playable track"
            + (f" ({left_out} too short or of unknown length)" if tracks else "")
        )
    return good, notes


def _name(path: str) -> str:
    return PurePath(path).name or path


def mmss(seconds: float) -> str:
    """``m:ss`` (or ``h:mm:ss``), the way the room reads times."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _plan_tail(
    head: Sequence[_Seg],
    first_free: int,
    library: Sequence[Track],
    pool: Sequence[Track],
    begin: int,
    planned_s: float,
    c: float,
    fade: float,
    order: str,
) -> _Result:
    """Fitted (falling back on the library order when it does better) or fixed, then the
    always-valid fallback."""
    found = _fitted(head, first_free, pool, planned_s, c, fade) if order == "fitted" else None
    if found is None or found.fade < fade - _EPS:
        walked = _walk(head, first_free, library, begin, planned_s, c, fade)
        if walked is not None and (found is None or walked.fade > found.fade + _EPS):
            found = walked
    if found is None:
        found = _fallback(head, first_free, library, begin, planned_s, c, fade)
    return found


def _notes_for(
    result: _Result, library: Sequence[Track], planned_s: float, fade: float, c: float
) -> list[str]:
    notes = list(result.notes)
    one_pass = _pass_length(library, c)
    if one_pass < planned_s - _EPS:
        notes.insert(0, f"library {mmss(one_pass)} < plan {mmss(planned_s)}: looped")
    last = result.items[-1]
    durations = {t.path: t.duration_s for t in library}
    trimmed = durations.get(last.path, last.duration_s) - last.offset_s - last.duration_s
    if trimmed >= 1.0:
        notes.append(f"last track {_name(last.path)} trimmed by {mmss(trimmed)} under the fade")
    if result.fade < fade - _EPS:
        notes.append(
            f"final fade {result.fade:.1f} s instead of {fade:g} s: "
            "no track is long enough to carry it"
        )
    return notes


def fit_playlist(
    tracks: Sequence[Track],
    planned_s: float,
    *,
    crossfade_s: float = DEFAULT_CROSSFADE_S,
    final_fade_s: float = DEFAULT_FINAL_FADE_S,
    order: Order = "fitted",
) -> MusicPlan:
    """Tracks laid out to start at 0 and end at ``planned_s`` in a fade (module docstring)."""
    _check_numbers(planned_s, crossfade_s, final_fade_s)
    _check_order(order)
    library, notes = _playable(tracks)
    fade = effective_final_fade(planned_s, final_fade_s)
    result = _plan_tail([], 0, library, library, 0, planned_s, crossfade_s, fade, order)
    notes += _notes_for(result, library, planned_s, fade, crossfade_s)
    looped = _pass_length(library, crossfade_s) < planned_s - _EPS
    return MusicPlan(float(planned_s), tuple(result.items), looped, tuple(notes))


def open_ended(
    tracks: Sequence[Track],
    *,
    crossfade_s: float = DEFAULT_CROSSFADE_S,
    order: Order = "fitted",
) -> MusicPlan:
    """One pass of the library in its order, for a phase with no planned length; the player
    repeats it (``cycle_s``). ``order`` is accepted for symmetry: without a length there is
    nothing to fit, so both orders keep the library's."""
    _check_numbers(None, crossfade_s, DEFAULT_FINAL_FADE_S)
    _check_order(order)
    library, notes = _playable(tracks)
    chain: list[_Seg] = []
    for track in library:
        _append(chain, track, crossfade_s)
    chain[-1].fade_out = _xfade(crossfade_s, chain[-1].length, chain[0].length)
    notes.append(
        f"open-ended: {len(chain)} track(s), {mmss(chain[-1].end)} a pass, repeats until stopped"
    )
    return MusicPlan(None, tuple(s.item() for s in chain), True, tuple(notes))


def _unrolled(plan: MusicPlan, until_s: float) -> list[PlanItem]:
    """An open-ended plan's passes laid end to end until one covers ``until_s``."""
    cycle = plan.cycle_s
    wrap = plan.items[-1].fade_out_s
    items: list[PlanItem] = []
    shift = 0.0
    while True:
        for i, item in enumerate(plan.items):
            start = item.start_s + shift
            fade_in = wrap if i == 0 and shift else item.fade_in_s
            items.append(
                PlanItem(item.path, start, item.duration_s, item.offset_s, fade_in, item.fade_out_s)
            )
        if shift + plan.end_s > until_s or cycle <= 0:
            return items
        shift += cycle


def refit(
    plan: MusicPlan,
    tracks: Sequence[Track],
    elapsed_s: float,
    new_planned_s: float,
    *,
    crossfade_s: float = DEFAULT_CROSSFADE_S,
    final_fade_s: float = DEFAULT_FINAL_FADE_S,
    order: Order = "fitted",
) -> MusicPlan:
    """The plan re-made to end at ``new_planned_s``, ``elapsed_s`` into it.

    Items that have started by ``elapsed_s`` are kept as they are; the one that started last
    (sounding now) continues and only its end and fade-out may change, never before now. The
    tail is planned again (fitted: preferring tracks not yet played). If the music had already
    ended, it starts again at ``elapsed_s`` (a gap, noted). A new end less than
    :data:`MIN_REFIT_AHEAD_S` from now is refused: fading now is the player's job.
    """
    _check_numbers(new_planned_s, crossfade_s, final_fade_s)
    _check_order(order)
    if not plan.items:
        raise PlanError("nothing to re-plan: the plan is empty")
    if not 0 <= elapsed_s <= new_planned_s - MIN_REFIT_AHEAD_S + _EPS:
        raise PlanError(
            f"cannot re-plan to end at {mmss(new_planned_s)} at {mmss(elapsed_s)}: "
            f"a re-plan needs {MIN_REFIT_AHEAD_S:g} s ahead (to stop now, fade out)"
        )
    library, notes = _playable(tracks)
    c = crossfade_s
    big_p = float(new_planned_s)
    fade = effective_final_fade(big_p, final_fade_s)
    items = list(plan.items) if plan.planned_s is not None else _unrolled(plan, elapsed_s)
    kept = [item for item in items if item.start_s <= elapsed_s]
    current = kept[-1]
    if current.end_s <= elapsed_s + _EPS:
        fresh = fit_playlist(
            library, big_p - elapsed_s, crossfade_s=c, final_fade_s=final_fade_s, order=order
        )
        moved = [
            PlanItem(
                i.path, i.start_s + elapsed_s, i.duration_s, i.offset_s, i.fade_in_s, i.fade_out_s
            )
            for i in fresh.items
        ]
        notes.append(f"music had ended at {mmss(current.end_s)}: starts again at {mmss(elapsed_s)}")
        return MusicPlan(big_p, (*kept, *moved), fresh.looped, (*notes, *fresh.notes))
    durations: dict[str, float] = {}
    for track in library:
        durations.setdefault(track.path, track.duration_s)
    file_s = durations.get(current.path, current.offset_s + current.duration_s)
    room = max(current.duration_s, file_s - current.offset_s)
    if plan.planned_s is not None and elapsed_s > plan.planned_s - plan.items[-1].fade_out_s:
        notes.append("the final fade had begun: the music comes back up")
    frozen = [
        _Seg(i.path, i.start_s, i.duration_s, i.offset_s, i.duration_s, i.fade_in_s, i.fade_out_s)
        for i in kept[:-1]
    ]
    sounding = _Seg(
        current.path,
        current.start_s,
        room,
        current.offset_s,
        room,
        current.fade_in_s,
        floor=elapsed_s,
    )
    if current.start_s + room >= big_p - _EPS:  # the sounding track can carry the end itself
        got = min(fade, big_p - max(elapsed_s, current.start_s + current.fade_in_s))
        sounding.length = big_p - current.start_s
        sounding.fade_out = got
        result = _Result([*(s.item() for s in frozen), sounding.item()], got)
    else:
        head = [*frozen, sounding]
        played = {i.path for i in kept}
        unplayed = [t for t in library if t.path not in played]
        rest = big_p - _next_start(head, c)
        pool = unplayed if unplayed and _pass_length(unplayed, c) >= rest else library
        where = next((k for k, t in enumerate(library) if t.path == current.path), -1)
        result = _plan_tail(head, len(frozen), library, pool, where + 1, big_p, c, fade, order)
    notes += _notes_for(result, library, big_p, fade, c)
    looped = _pass_length(library, c) < big_p - _EPS
    return MusicPlan(big_p, tuple(result.items), looped, tuple(notes))
