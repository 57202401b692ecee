"""Waves reach a live view through the Room's wave hook, as they are stored: the pleth view
listens there because waves are too dense to be timeline events."""

from __future__ import annotations

from roomctl.timeline.events import WaveChunk
from tests.roomkit import new_room


def test_a_wave_chunk_is_stored_and_handed_to_every_listener_until_unsubscribed() -> None:
    kit = new_room()
    kit.clock.advance(10.0)
    heard: list[WaveChunk] = []
    also: list[WaveChunk] = []
    stop_hearing = kit.room.subscribe_wave(heard.append)
    kit.room.subscribe_wave(also.append)

    kit.room.wave("pleth", 50.0, (0.1, 0.5, 0.9, 0.5))

    assert kit.sink.waves == heard == also
    chunk = heard[0]
    assert (chunk.channel, chunk.rate_hz, chunk.values) == ("pleth", 50.0, (0.1, 0.5, 0.9, 0.5))
    assert chunk.t0 == 10.0 - 4 / 50.0  # the chunk ends now
    assert chunk.session == kit.room.session_id

    stop_hearing()
    kit.room.wave("pleth", 50.0, (0.2,))
    assert len(heard) == 1
    assert len(also) == 2
    assert len(kit.sink.waves) == 2


def test_listeners_belong_to_their_own_room() -> None:
    first, second = new_room(), new_room()
    heard: list[WaveChunk] = []
    first.room.subscribe_wave(heard.append)
    second.room.wave("pleth", 75.0, (1.0, 2.0))
    assert heard == []
