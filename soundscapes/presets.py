"""The soundscapes a therapist can choose: each a name, one line for the menu, and a recipe of
layers (see ``layers.py``).

The levels are set so that every scape sounds about equally loud at level 1.0 and the middle of
each control (around -25 LUFS, short-term peaks well under the -1 dBFS ceiling): switching from
one to another changes the colour of the room, not its volume. ``warm-hush`` is a little softer
still: it is the scape for recovery.
"""

from __future__ import annotations

from dataclasses import dataclass

from soundscapes.layers import Bowls, Drone, Gust, Hush, Layer, Patter, Surf


@dataclass(frozen=True)
class PresetInfo:
    name: str
    description: str


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    layers: tuple[Layer, ...]


class UnknownPreset(KeyError):
    """A preset name that is not in :data:`RECIPES`; the message lists the known ones."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name

    def __str__(self) -> str:
        return f"unknown soundscape {self.name!r} (known: {', '.join(RECIPES)})"


_RECIPES = (
    Recipe(
        "warm-hush",
        "a soft, warm brown-noise hush, breathing very slowly",
        (
            Hush(
                "brown", -25.0, tone_hz=(160.0, 650.0), width=0.55, swell_hz=0.05, swell_depth=0.3
            ),
            Hush(
                "pink",
                -42.0,
                tone_hz=(700.0, 2200.0),
                highpass_hz=150.0,
                density_db=(-8.0, 6.0),
                swell_hz=0.08,
                swell_depth=0.3,
            ),
        ),
    ),
    Recipe(
        "rain",
        "steady rain on leaves, with a soft distant rumble",
        (
            Patter(-26.0),
            Hush("brown", -37.0, tone_hz=(140.0, 300.0), width=0.8, density_db=(-6.0, 3.0)),
        ),
    ),
    Recipe(
        "ocean",
        "slow ocean swell: waves rolling in, now left, now right",
        (Surf(-19.0),),
    ),
    Recipe(
        "wind",
        "wind in gusts through open country, with a faint far whistle",
        (
            Gust(-26.0),
            Hush("brown", -38.0, tone_hz=(120.0, 260.0), density_db=(-6.0, 4.0)),
        ),
    ),
    Recipe(
        "drone",
        "a low, warm drone whose harmonics swell and fade slowly",
        (
            Drone(-24.0),
            Hush("brown", -42.0, tone_hz=(180.0, 500.0), width=0.7),
        ),
    ),
    Recipe(
        "bowls",
        "singing bowls struck softly now and then, ringing long",
        (
            Bowls(-16.0),
            Hush("brown", -46.0, tone_hz=(150.0, 400.0), width=0.7),
        ),
    ),
)

RECIPES: dict[str, Recipe] = {recipe.name: recipe for recipe in _RECIPES}


def presets() -> list[PresetInfo]:
    """Every soundscape, in the order a menu should show them."""
    return [PresetInfo(r.name, r.description) for r in _RECIPES]


def recipe(name: str) -> Recipe:
    try:
        return RECIPES[name]
    except KeyError:
        raise UnknownPreset(name) from None
