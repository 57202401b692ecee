"""JACK's dummy card for the audio tests, under one policy: without jackd (or PortAudio) a test
that needs the card is skipped, unless ``ROOMCTL_REQUIRE_AUDIO=1`` (CI, set by the README's test
command), where a missing card fails instead of hiding."""

from __future__ import annotations

import os
from contextlib import ExitStack
from typing import Any

import pytest

from devices.audio.jack_dummy import DummyCard, JackUnavailable, jack_dummy_card

REQUIRE_AUDIO_ENV = "ROOMCTL_REQUIRE_AUDIO"


def missing_card(reason: str) -> None:
    """Skip, or fail when audio is required."""
    if os.environ.get(REQUIRE_AUDIO_ENV) == "1":
        pytest.fail(f"{REQUIRE_AUDIO_ENV}=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def dummy_card(stack: ExitStack, **options: Any) -> DummyCard:
    """A dummy card (``jack_dummy_card(**options)``) running until ``stack`` closes."""
    try:
        return stack.enter_context(jack_dummy_card(**options))
    except JackUnavailable as exc:
        missing_card(str(exc))
        raise  # not reached: skip and fail raise
