"""What the music player should be doing at a given moment of a plan, pure: which items are
due, how loud each one is, and where in its file it should be.

Kept apart from the libvlc code (``vlc_player.py``) so the arithmetic can be tested with a fake
clock and without a sound card, and so the player's worker loop only applies what this says.

Loudness is in **VLC's volume scale**: ``audio_set_volume(100 * g)``, where VLC's own software
volume (and PulseAudio's) turns ``g`` into an amplitude ``g ** 3``. That scale is perceptual,
which is what a therapist's level slider and a long final fade want: a straight line in ``g``
is a smooth fade to the ear. A crossfade instead wants *equal power* in amplitude (``cos`` and
``sin``), so the two tracks' sum does not dip in the middle; its curves are turned into ``g``
with a cube root. ``master × g_item × g_ramps`` is what reaches VLC.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from roomctl.music_plan import MusicPlan, PlanItem

_EPS = 1e-6


def crossfade_in(x: float) -> float:
    """Equal-power fade-in (``x`` 0 to 1) in VLC's volume scale."""
    x = min(1.0, max(0.0, x))
    return math.sin(math.pi / 2 * x) ** (1 / 3)


def crossfade_out(x: float) -> float:
    """Equal-power fade-out (``x`` 0 to 1) in VLC's volume scale."""
    x = min(1.0, max(0.0, x))
    return math.cos(math.pi / 2 * x) ** (1 / 3)


def to_vlc_volume(master: float, gain: float) -> int:
    """The integer ``audio_set_volume`` takes (0-100 here; VLC allows up to 200)."""
    return max(0, min(100, round(100 * master * gain)))


@dataclass(frozen=True)
class Ramp:
    """A straight line from ``v0`` at ``t0`` to ``v1`` at ``t1`` on some clock."""

    t0: float
    v0: float
    t1: float
    v1: float

    def at(self, t: float) -> float:
        if t >= self.t1 or self.t1 <= self.t0:
            return self.v1
        if t <= self.t0:
            return self.v0
        return self.v0 + (self.v1 - self.v0) * (t - self.t0) / (self.t1 - self.t0)

    def done(self, t: float) -> bool:
        return t >= self.t1

    @staticmethod
    def hold(value: float) -> Ramp:
        return Ramp(0.0, value, 0.0, value)


class Schedule:
    """A plan's items on the plan clock, unrolled pass after pass when the plan is open-ended.

    Item indices are stable: an open-ended plan is repeated exactly as
    ``roomctl.music_plan.refit`` unrolls it (pass ``p`` starts ``p × cycle_s`` later and its
    first item fades in over the last item's fade-out), so a re-plan keeps the indices of the
    items already started.
    """

    def __init__(self, plan: MusicPlan) -> None:
        self.plan = plan
        self.items: list[PlanItem] = list(plan.items)
        self._passes = 1

    @property
    def open_ended(self) -> bool:
        return self.plan.planned_s is None

    def replace_plan(self, plan: MusicPlan) -> None:
        """A re-plan: its items replace ours; the ones already started keep their indices."""
        self.plan = plan
        self.items = list(plan.items)
        self._passes = 1

    def item(self, index: int) -> PlanItem:
        while index >= len(self.items) and self._extend():
            pass
        return self.items[index]

    def has(self, index: int) -> bool:
        """Is there an item ``index`` (extending an open-ended plan as far as needed)?"""
        while index >= len(self.items):
            if not self._extend():
                return False
        return True

    def _extend(self) -> bool:
        plan = self.plan
        if plan.planned_s is not None or not plan.items or plan.cycle_s <= 0:
            return False
        shift = self._passes * plan.cycle_s
        wrap = plan.items[-1].fade_out_s
        for i, item in enumerate(plan.items):
            fade_in = wrap if i == 0 else item.fade_in_s
            self.items.append(replace(item, start_s=item.start_s + shift, fade_in_s=fade_in))
        self._passes += 1
        return True

    def first_sounding(self, t: float) -> int:
        """The index of the first item that has not ended by ``t`` (where a resumed plan
        begins); ``len(items)`` of a finite plan when everything has ended."""
        index = 0
        while self.has(index) and self.item(index).end_s <= t + _EPS:
            index += 1
        return index

    def crossfaded_in(self, index: int) -> bool:
        """Does item ``index`` fade in over the previous one (rather than from silence)?"""
        if index == 0:
            return False
        item = self.item(index)
        return self.item(index - 1).end_s > item.start_s + _EPS and item.fade_in_s > 0

    def crossfaded_out(self, index: int) -> bool:
        """Does item ``index`` fade out under the next one (rather than to silence)?"""
        item = self.item(index)
        if item.fade_out_s <= 0 or not self.has(index + 1):
            return False
        return self.item(index + 1).start_s < item.end_s - _EPS

    def gain(self, index: int, t: float) -> float:
        """Item ``index``'s own fade at plan time ``t``, in VLC's volume scale (0-1)."""
        item = self.item(index)
        if t < item.start_s - _EPS or t >= item.end_s:
            return 0.0
        g = 1.0
        if item.fade_in_s > 0 and t < item.start_s + item.fade_in_s:
            x = (t - item.start_s) / item.fade_in_s
            g *= crossfade_in(x) if self.crossfaded_in(index) else max(0.0, x)
        fade_from = item.end_s - item.fade_out_s
        if item.fade_out_s > 0 and t > fade_from:
            x = (t - fade_from) / item.fade_out_s
            g *= crossfade_out(x) if self.crossfaded_out(index) else max(0.0, 1.0 - x)
        return min(1.0, max(0.0, g))


def file_position(item: PlanItem, t: float, speed: float) -> float:
    """Where in its file item should be at plan time ``t``: VLC plays in real time, so at a
    session speed above 1 the file advances ``speed`` times slower than the plan."""
    return item.offset_s + max(0.0, t - item.start_s) / max(speed, _EPS)


def fade_out_now(items: list[PlanItem], t: float, end_s: float) -> list[PlanItem]:
    """The plan ending at ``end_s`` without a re-plan: what starts before then is kept, and what
    would sound past it is cut there, fading out from now (or from its start, if later).

    Used when a new end is too close to fit a new tail (``music_plan.MIN_REFIT_AHEAD_S``): the
    music then simply fades to it. An end after the plan's own changes nothing.
    """
    kept: list[PlanItem] = []
    for item in items:
        if item.start_s >= end_s - _EPS:
            break
        if item.end_s <= end_s + _EPS:
            kept.append(item)
            continue
        duration = end_s - item.start_s
        fade = min(duration, end_s - max(t, item.start_s))
        kept.append(replace(item, duration_s=duration, fade_out_s=max(0.0, fade)))
    return kept
