"""Music fitted to the planned infusion: it starts at 0, never leaves a gap, and ends on the
planned second in a fade; Extend re-plans only what has not played yet."""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roomctl.music_plan import (
    MIN_REFIT_AHEAD_S,
    MusicPlan,
    PlanError,
    PlanItem,
    Track,
    effective_final_fade,
    fit_playlist,
    open_ended,
    refit,
)

TOL = 1e-6
SIX = [
    Track("/music/infusion/01 Arrival.flac", 412.0),
    Track("/music/infusion/02 Drift.flac", 388.5),
    Track("/music/infusion/03 Open Water.flac", 502.25),
    Track("/music/infusion/04 Stillness.flac", 295.0),
    Track("/music/infusion/05 Deep.flac", 611.0),
    Track("/music/infusion/06 Return.flac", 447.75),
]


def assert_seamless(
    plan: MusicPlan,
    tracks: Sequence[Track],
    planned_s: float,
    crossfade_s: float = 8.0,
    final_fade_s: float = 60.0,
    *,
    fades_from: float = 0.0,
) -> None:
    """What the player relies on: start at 0, crossfades exactly where the next item starts, no
    gaps, fades inside their items, files never read past their end, the end on the second, and
    the full final fade whenever one track could carry it (and it starts after ``fades_from``)."""
    items = plan.items
    lengths = {t.path: t.duration_s for t in tracks}
    assert items, "a plan always has music"
    assert items[0].start_s == 0
    assert items[0].fade_in_s == 0
    for prev, nxt in itertools.pairwise(items):
        x = prev.fade_out_s
        assert nxt.fade_in_s == pytest.approx(x, abs=TOL)
        assert nxt.start_s == pytest.approx(prev.end_s - x, abs=TOL)
        assert -TOL <= x <= crossfade_s + TOL
        assert x <= min(prev.duration_s, nxt.duration_s) / 2 + TOL
        assert nxt.start_s > prev.start_s
    for item in items:
        assert item.duration_s > 0
        assert item.fade_in_s + item.fade_out_s <= item.duration_s + TOL
        assert item.offset_s >= 0
        assert item.offset_s + item.duration_s <= lengths[item.path] + TOL
    assert items[-1].end_s == pytest.approx(planned_s, abs=TOL)
    wanted = effective_final_fade(planned_s, final_fade_s)
    assert items[-1].fade_out_s <= wanted + TOL
    carried = wanted + 3 * crossfade_s + 1
    if max(lengths.values()) >= carried and planned_s - fades_from >= carried:
        assert items[-1].fade_out_s == pytest.approx(wanted, abs=TOL)


def kept_as_played(old: MusicPlan, new: MusicPlan, elapsed_s: float) -> None:
    """Extend never rewrites the past: every item that started is still there, unchanged, and
    the one sounding now only changes where (and how) it ends, and not before now."""
    started = [item for item in old.items if item.start_s <= elapsed_s]
    assert list(new.items[: len(started) - 1]) == started[:-1]
    before, after = started[-1], new.items[len(started) - 1]
    assert (after.path, after.start_s, after.offset_s, after.fade_in_s) == (
        before.path,
        before.start_s,
        before.offset_s,
        before.fade_in_s,
    )
    assert after.end_s - after.fade_out_s >= elapsed_s - TOL
    assert all(item.start_s >= elapsed_s - TOL for item in new.items[len(started) :])


def paths(plan: MusicPlan) -> list[str]:
    return [item.path.rsplit("/", 1)[-1] for item in plan.items]


# --- the room's stories -----------------------------------------------------------------------


def test_40_minute_plan_from_six_tracks_ends_at_2400_s_with_a_60_s_fade() -> None:
    plan = fit_playlist(SIX, 2400)
    assert_seamless(plan, SIX, 2400)
    assert plan.planned_s == 2400.0
    assert plan.items[-1].end_s == 2400.0
    assert plan.items[-1].fade_out_s == 60.0
    assert plan.items[0] == PlanItem(SIX[0].path, 0.0, 412.0, 0.0, 0.0, 8.0)
    # All six are needed (43:36 crossfaded), so the last is cut by the 3:36 the library is over.
    assert paths(plan) == [t.path.rsplit("/", 1)[-1] for t in SIX]
    assert plan.items[-1].duration_s == pytest.approx(447.75 - 216.5)
    assert not plan.looped
    assert plan.notes == ("last track 06 Return.flac trimmed by 3:36 under the fade",)


def test_55_minute_plan_from_the_same_six_tracks_also_ends_on_the_minute() -> None:
    plan = fit_playlist(SIX, 55 * 60)
    assert_seamless(plan, SIX, 3300)
    assert plan.items[-1].fade_out_s == 60.0


def test_library_shorter_than_plan_loops_and_says_so() -> None:
    short = [Track("/m/a.flac", 200.0), Track("/m/b.flac", 250.0)]
    plan = fit_playlist(short, 2400)
    assert_seamless(plan, short, 2400)
    assert plan.looped
    assert plan.notes[0] == "library 7:22 < plan 40:00: looped"
    assert paths(plan)[:4] == ["a.flac", "b.flac", "a.flac", "b.flac"]
    assert plan.items[-1].fade_out_s == 60.0


def test_fixed_order_kept() -> None:
    shuffled = [SIX[4], SIX[1], SIX[5], SIX[0], SIX[3], SIX[2]]
    plan = fit_playlist(shuffled, 2400, order="fixed")
    assert_seamless(plan, shuffled, 2400)
    assert [item.path for item in plan.items] == [t.path for t in shuffled]
    plan_55 = fit_playlist(shuffled, 3300, order="fixed")
    assert_seamless(plan_55, shuffled, 3300)
    assert plan_55.looped
    assert [item.path for item in plan_55.items] == [t.path for t in (shuffled + shuffled)][
        : len(plan_55.items)
    ]


def test_fitted_order_picks_tracks_so_little_of_the_last_is_cut() -> None:
    tracks = [
        Track("a.flac", 600.0),
        Track("b.flac", 500.0),
        Track("c.flac", 308.0),
        Track("d.flac", 316.0),
    ]
    fixed = fit_playlist(tracks, 1200, order="fixed")
    assert paths(fixed) == ["a.flac", "b.flac", "c.flac"]
    assert 308.0 - fixed.items[-1].duration_s == pytest.approx(192.0)
    fitted = fit_playlist(tracks, 1200)
    assert_seamless(fitted, tracks, 1200)
    assert paths(fitted) == ["a.flac", "c.flac", "d.flac"]  # still in library order
    assert 316.0 - fitted.items[-1].duration_s == pytest.approx(8.0)


def test_fixed_order_whose_last_track_is_too_short_for_the_fade_ends_on_the_next() -> None:
    tracks = [Track("long1", 580.0), Track("jingle", 40.0), Track("long2", 400.0)]
    plan = fit_playlist(tracks, 600, order="fixed")
    assert_seamless(plan, tracks, 600)
    assert paths(plan)[-1] == "long2"
    assert plan.items[-1].fade_out_s == 60.0
    assert "jingle is too short to carry the final fade: the plan ends on long2" in plan.notes


def test_a_track_longer_than_the_plan_is_faded() -> None:
    plan = fit_playlist([Track("/m/raga.flac", 3000.0)], 2400)
    assert plan.items == (PlanItem("/m/raga.flac", 0.0, 2400.0, 0.0, 0.0, 60.0),)
    assert plan.notes == ("last track raga.flac trimmed by 10:00 under the fade",)


def test_one_minute_plan_fades_over_its_last_30_s() -> None:
    plan = fit_playlist(SIX, 60)
    assert_seamless(plan, SIX, 60)
    assert plan.items[-1].fade_out_s == 30.0


def test_one_minute_of_five_second_jingles_is_still_seamless() -> None:
    jingles = [Track(f"j{i}", 5.0) for i in range(3)]
    plan = fit_playlist(jingles, 60)
    assert_seamless(plan, jingles, 60)
    assert {item.fade_in_s for item in plan.items[1:-1]} == {2.5}  # half of the 5 s items
    assert plan.looped
    assert any("no track is long enough" in note for note in plan.notes)


def test_zero_crossfade_butts_tracks_together() -> None:
    plan = fit_playlist(SIX, 2400, crossfade_s=0)
    assert_seamless(plan, SIX, 2400, crossfade_s=0)
    assert all(a.end_s == pytest.approx(b.start_s) for a, b in itertools.pairwise(plan.items))


def test_too_short_and_unknown_lengths_are_left_out_with_a_note() -> None:
    tracks = [Track("blip", 0.4), Track("unknown", 0.0), *SIX]
    plan = fit_playlist(tracks, 2400)
    assert not {"blip", "unknown"} & set(paths(plan))
    assert plan.notes[0] == "2 track(s) shorter than 1 s left out"


@pytest.mark.parametrize(
    ("tracks", "planned_s", "kwargs", "message"),
    [
        ([], 2400, {}, "no playable track"),
        ([Track("x", 0.0)], 2400, {}, "no playable track (1 too short or of unknown length)"),
        (SIX, 0, {}, "a plan lasts"),
        (SIX, 2400, {"crossfade_s": -1}, "crossfade is 0-30 s"),
        (SIX, 2400, {"final_fade_s": 10}, "final fade is 30-600 s"),
        (SIX, 2400, {"order": "shuffle"}, "order is 'fitted' or 'fixed'"),
    ],
)
def test_impossible_plans_are_refused(
    tracks: list[Track], planned_s: float, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(PlanError, match=re.escape(message)):
        fit_playlist(tracks, planned_s, **kwargs)  # type: ignore[arg-type]


def test_extend_by_10_replans_the_tail_and_keeps_what_has_played() -> None:
    plan = fit_playlist(SIX, 2400)
    extended = refit(plan, SIX, 25 * 60, 50 * 60)
    kept_as_played(plan, extended, 1500)
    assert_seamless(extended, SIX, 3000, fades_from=1500)
    assert extended.planned_s == 3000.0
    assert extended.items[-1].fade_out_s == 60.0
    assert extended.items[-1].end_s == 3000.0
    # 04 was sounding at 25:00; it plays on to its own end, then the tail continues.
    assert paths(extended)[:4] == paths(plan)[:4]
    assert extended.items[3].duration_s == 295.0


def test_extend_during_the_final_fade_brings_the_music_back() -> None:
    plan = fit_playlist(SIX, 2400)
    extended = refit(plan, SIX, 2370, 3000)
    kept_as_played(plan, extended, 2370)
    assert_seamless(extended, SIX, 3000, fades_from=2370)
    assert "the final fade had begun: the music comes back up" in extended.notes


def test_extend_while_the_last_track_has_room_lets_it_play_on() -> None:
    plan = fit_playlist([Track("/m/raga.flac", 3600.0)], 2400)
    extended = refit(plan, [Track("/m/raga.flac", 3600.0)], 1200, 3000)
    assert extended.items == (PlanItem("/m/raga.flac", 0.0, 3000.0, 0.0, 0.0, 60.0),)


def test_shortening_replans_too_but_not_to_end_within_a_minute() -> None:
    plan = fit_playlist(SIX, 3300)
    shorter = refit(plan, SIX, 600, 1800)
    kept_as_played(plan, shorter, 600)
    assert_seamless(shorter, SIX, 1800, fades_from=600)
    with pytest.raises(PlanError, match="needs 60 s ahead"):
        refit(plan, SIX, 1790, 1800)


def test_refit_after_the_music_ended_starts_it_again() -> None:
    plan = fit_playlist(SIX, 600)
    again = refit(plan, SIX, 700, 1900)
    assert again.items[: len(plan.items)] == plan.items
    restarted = again.items[len(plan.items)]
    assert restarted.start_s == 700.0
    assert again.items[-1].end_s == pytest.approx(1900.0)
    assert "music had ended at 10:00: starts again at 11:40" in again.notes


def test_open_ended_is_one_pass_that_the_player_repeats() -> None:
    plan = open_ended(SIX)
    assert plan.planned_s is None
    assert plan.looped
    assert [item.path for item in plan.items] == [t.path for t in SIX]
    assert plan.items[-1].fade_out_s == 8.0  # into the next pass's first track
    assert plan.cycle_s == pytest.approx(plan.end_s - 8.0)
    extended = refit(plan, SIX, 5000, 6000)  # a second pass was sounding: it is unrolled
    assert_seamless(extended, SIX, 6000, fades_from=5000)
    assert extended.items[6].start_s == pytest.approx(plan.cycle_s)


# --- properties over any tracks and any plan of 1-120 minutes -----------------------------------

durations = st.floats(min_value=1.0, max_value=1500.0, allow_nan=False)
libraries = st.lists(durations, min_size=1, max_size=14).map(
    lambda ds: [Track(f"/m/{i:02d}.flac", d) for i, d in enumerate(ds)]
)
minutes = st.floats(min_value=1.0, max_value=120.0, allow_nan=False)
crossfades = st.sampled_from([0.0, 2.0, 8.0, 30.0]) | st.floats(0.0, 30.0)
final_fades = st.sampled_from([30.0, 60.0]) | st.floats(30.0, 600.0)
orders = st.sampled_from(["fitted", "fixed"])
property_settings = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(libraries, minutes, crossfades, final_fades, orders)
def test_any_library_fills_any_plan_exactly(
    tracks: list[Track], minutes_: float, crossfade: float, final_fade: float, order: str
) -> None:
    planned_s = minutes_ * 60
    plan = fit_playlist(
        tracks, planned_s, crossfade_s=crossfade, final_fade_s=final_fade, order=order
    )  # type: ignore[arg-type]
    assert_seamless(plan, tracks, planned_s, crossfade, final_fade)
    again = fit_playlist(
        tracks, planned_s, crossfade_s=crossfade, final_fade_s=final_fade, order=order
    )  # type: ignore[arg-type]
    assert again == plan


@property_settings
@given(
    libraries,
    minutes,
    crossfades,
    orders,
    st.floats(0.0, 1.0),
    st.floats(-120.0, 60.0),
)
def test_any_extend_keeps_the_past_and_ends_exactly(
    tracks: list[Track],
    minutes_: float,
    crossfade: float,
    order: str,
    when: float,
    change_min: float,
) -> None:
    planned_s = minutes_ * 60
    plan = fit_playlist(tracks, planned_s, crossfade_s=crossfade, order=order)  # type: ignore[arg-type]
    elapsed_s = when * planned_s * 0.999
    new_planned_s = max(elapsed_s + MIN_REFIT_AHEAD_S, planned_s + change_min * 60)
    new = refit(plan, tracks, elapsed_s, new_planned_s, crossfade_s=crossfade, order=order)  # type: ignore[arg-type]
    assert new.items[-1].end_s == pytest.approx(new_planned_s, abs=TOL)
    assert new == refit(plan, tracks, elapsed_s, new_planned_s, crossfade_s=crossfade, order=order)  # type: ignore[arg-type]
    kept_as_played(plan, new, elapsed_s)
    assert_seamless(new, tracks, new_planned_s, crossfade, fades_from=elapsed_s)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(120.0, 540.0), min_size=6, max_size=60), st.sampled_from([40, 55]))
def test_forty_and_fifty_five_minutes_from_any_folder_of_songs_end_on_the_minute(
    lengths: list[float], minutes_: int
) -> None:
    tracks = [Track(f"/m/{i:03d}.mp3", d) for i, d in enumerate(lengths)]
    for order in ("fitted", "fixed"):
        plan = fit_playlist(tracks, minutes_ * 60, order=order)  # type: ignore[arg-type]
        assert_seamless(plan, tracks, minutes_ * 60)
        assert abs(plan.items[-1].end_s - minutes_ * 60) <= 2
        assert plan.items[-1].fade_out_s >= 30
        assert math.isclose(plan.items[-1].fade_out_s, 60.0)
