"""The exact scene → Hue conversions, as values and as properties over every valid input."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devices.lights.convert import (
    HueState,
    bri_from_percent,
    mired_from_kelvin,
    scene_states,
    transitiontime_from_seconds,
)
from devices.sim.hue_bridge import HueBridgeSim
from roomctl.config import SceneConfig, load_config

percents = st.floats(min_value=0, max_value=100, allow_nan=False)
kelvins = st.floats(min_value=2000, max_value=6500, allow_nan=False)
seconds = st.floats(min_value=0, max_value=3600, allow_nan=False)
ranges = st.tuples(st.integers(153, 499), st.integers(154, 500)).filter(lambda r: r[0] < r[1])


@st.composite
def scenes(draw: st.DrawFn) -> SceneConfig:
    colour = draw(st.sampled_from(["kelvin", "xy", "none"]))
    on = draw(st.booleans())
    return SceneConfig(
        on=on,
        brightness=draw(percents),
        from_brightness=draw(st.none() | percents) if on else None,
        kelvin=draw(st.integers(2000, 6500)) if colour == "kelvin" else None,
        xy=draw(st.tuples(st.floats(0, 1), st.floats(0, 1))) if colour == "xy" else None,
        transition_s=draw(seconds),
    )


def test_the_default_scenes_reach_the_bridge_exactly() -> None:
    scenes_ = load_config(None).lights.scenes
    assert scene_states(scenes_["infusing"]) == (
        HueState(on=True, bri=38, ct=455, transitiontime=600),
    )
    assert scene_states(scenes_["emergency"])[0].body() == {
        "on": True,
        "bri": 254,
        "ct": 250,
        "transitiontime": 0,
    }
    assert scene_states(scenes_["preparing"])[0].body() == {
        "on": True,
        "bri": 152,
        "ct": 370,
        "transitiontime": 30,
    }
    # recovering: 15 % at once, then the rise to 50 % over ten minutes.
    first, rise = scene_states(scenes_["recovering"])
    assert first.body() == {"on": True, "bri": 38, "ct": 370, "transitiontime": 0}
    assert rise.body() == {"on": True, "bri": 127, "ct": 370, "transitiontime": 6000}


@pytest.mark.parametrize(
    ("percent", "bri"), [(0, 1), (0.1, 1), (1, 3), (15, 38), (50, 127), (60, 152), (100, 254)]
)
def test_brightness_values(percent: float, bri: int) -> None:
    assert bri_from_percent(percent) == bri


@pytest.mark.parametrize(
    ("kelvin", "mired"), [(2000, 500), (2200, 455), (2700, 370), (4000, 250), (6500, 154)]
)
def test_colour_temperature_values(kelvin: int, mired: int) -> None:
    assert mired_from_kelvin(kelvin) == mired


def test_colour_temperature_is_kept_in_the_lights_range() -> None:
    assert mired_from_kelvin(2000, (153, 454)) == 454
    assert mired_from_kelvin(6500, (200, 500)) == 200


@given(percents)
def test_bri_is_the_rounded_proportion_within_1_to_254(percent: float) -> None:
    bri = bri_from_percent(percent)
    assert 1 <= bri <= 254
    assert bri == max(1, round(percent * 254 / 100))
    if percent * 254 / 100 >= 0.5:
        assert abs(bri - percent * 254 / 100) <= 0.5 + 1e-9


@given(percents, percents)
def test_bri_never_goes_down_as_the_percentage_goes_up(a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert bri_from_percent(low) <= bri_from_percent(high)


@given(kelvins, ranges)
def test_mired_is_the_rounded_reciprocal_within_the_range(
    kelvin: float, mired_range: tuple[int, int]
) -> None:
    mired = mired_from_kelvin(kelvin, mired_range)
    assert mired_range[0] <= mired <= mired_range[1]
    exact = round(1_000_000 / kelvin)
    if mired_range[0] <= exact <= mired_range[1]:
        assert mired == exact


@given(kelvins, kelvins)
def test_warmer_is_never_fewer_mired(a: float, b: float) -> None:
    cool, warm = sorted((a, b), reverse=True)
    assert mired_from_kelvin(cool) <= mired_from_kelvin(warm)


@given(seconds)
def test_transitiontime_is_tenths_of_a_second(s: float) -> None:
    tenths = transitiontime_from_seconds(s)
    assert tenths == round(s * 10)
    assert abs(tenths / 10 - s) <= 0.05 + 1e-9


@given(scenes(), ranges)
def test_a_scene_is_one_action_or_a_step_and_a_rise(
    scene: SceneConfig, mired_range: tuple[int, int]
) -> None:
    states = scene_states(scene, mired_range)
    last = states[-1]
    assert last.on is scene.on
    assert last.transitiontime == transitiontime_from_seconds(scene.transition_s)
    if scene.on:
        assert last.bri == bri_from_percent(scene.brightness)
    rise = scene.from_brightness is not None and scene.transition_s > 0
    assert len(states) == (2 if rise else 1)
    if rise:
        assert states[0].transitiontime == 0
        assert states[0].bri == bri_from_percent(scene.from_brightness or 0)
    for state in states:
        if state.ct is not None:
            assert mired_range[0] <= state.ct <= mired_range[1]


@given(scenes(), st.floats(min_value=0, max_value=7200, allow_nan=False))
def test_reapplying_later_lands_where_the_scene_would_be_by_then(
    scene: SceneConfig, elapsed: float
) -> None:
    states = scene_states(scene, elapsed_s=elapsed)
    remaining = max(0.0, scene.transition_s - elapsed)
    assert states[-1].transitiontime == transitiontime_from_seconds(remaining)
    if scene.on:
        assert states[-1].bri == bri_from_percent(scene.brightness)
    if scene.on and scene.from_brightness is not None and remaining > 0:
        low, high = sorted((scene.from_brightness, scene.brightness))
        assert bri_from_percent(low) <= (states[0].bri or 0) <= bri_from_percent(high)


@given(scenes())
def test_the_bridge_simulator_accepts_every_converted_state(scene: SceneConfig) -> None:
    sim = HueBridgeSim(lights=2)  # not started: its API answers without HTTP
    user = sim.create_user()
    for state in scene_states(scene):
        body = json.dumps(state.body()).encode()
        answer = sim.handle("PUT", f"/api/{user}/groups/1/action", body)
        assert all("success" in entry for entry in answer), answer
