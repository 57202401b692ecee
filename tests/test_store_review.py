"""The store's reads for review, on SQLite and PostgreSQL: the session list a reviewer filters and
searches, a session's channels, and its readings and waves as numpy columns."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import numpy as np
import pytest
from sqlalchemy import literal_column, select
from sqlalchemy.exc import DBAPIError

from roomctl.timeline.arrays import plain_rows
from roomctl.timeline.events import Sample, WaveChunk
from roomctl.timeline.schema import samples_table
from roomctl.timeline.store import TimelineStore, UnknownSession
from tests.test_store import HOST, PID, T0, new_session, phase, raw_engine


def _ids(store: TimelineStore, **filters: Any) -> list[str]:
    return [s.id for s in store.sessions(**filters)]


@pytest.fixture
def clinic(store: TimelineStore) -> TimelineStore:
    """Five sessions of three patients in two rooms: two discharged, one aborted, one
    interrupted (released mid-way), one still running."""
    people = [
        ("heron-07/1", "room-1", "heron-07", "discharged"),
        ("heron-07/2", "room-2", "heron-07", "discharged"),
        ("Otter_3/1", "room-1", "Otter_3", "aborted"),
        ("wren%9/1", "room-2", "wren%9", None),  # released: interrupted
        ("heron-07/3", "room-1", "heron-07", None),  # owned by this live process: ready
    ]
    for hours, (sid, room, patient, end) in enumerate(people):
        started = T0 + timedelta(hours=hours)
        store.create_session(
            new_session(sid, room=room, patient=patient, started_at=started), HOST, PID
        )
        if end is not None:
            store.append([phase(1, end, sid=sid)])
    store.release("wren%9/1")
    return store


def test_the_list_filters_by_status_as_a_reviewer_sees_it(clinic: TimelineStore) -> None:
    assert _ids(clinic, statuses={"discharged"}) == ["heron-07/2", "heron-07/1"]
    assert _ids(clinic, statuses={"discharged", "aborted"}) == [
        "Otter_3/1",
        "heron-07/2",
        "heron-07/1",
    ]
    assert _ids(clinic, statuses={"interrupted"}) == ["wren%9/1"]
    assert _ids(clinic, statuses={"ready"}) == ["heron-07/3"]
    assert _ids(clinic, statuses={"ready", "interrupted", "aborted"}) == [
        "heron-07/3",
        "wren%9/1",
        "Otter_3/1",
    ]
    assert _ids(clinic, statuses=set()) == []
    # The one-value form and the set apply together.
    assert _ids(clinic, status="aborted", statuses={"aborted", "discharged"}) == ["Otter_3/1"]
    assert _ids(clinic, status="aborted", statuses={"discharged"}) == []


def test_search_finds_a_part_of_id_pseudonym_or_room_in_any_case(clinic: TimelineStore) -> None:
    assert _ids(clinic, search="HERON") == ["heron-07/3", "heron-07/2", "heron-07/1"]
    assert _ids(clinic, search="otter_") == ["Otter_3/1"]
    assert _ids(clinic, search="room-2") == ["wren%9/1", "heron-07/2"]
    assert _ids(clinic, search="/2") == ["heron-07/2"]
    # % and _ are characters, not wildcards: "n%9" matches only the pseudonym that has it.
    assert _ids(clinic, search="n%9") == ["wren%9/1"]
    assert _ids(clinic, search="n_07") == []  # "heron-07" would match the wildcard
    assert _ids(clinic, search="  ") == _ids(clinic)


def test_filters_combine_and_pages_follow_the_filtered_list(clinic: TimelineStore) -> None:
    assert _ids(clinic, search="heron", room="room-1") == ["heron-07/3", "heron-07/1"]
    assert _ids(clinic, patient="heron-07", statuses={"discharged"}, room="room-2") == [
        "heron-07/2"
    ]
    assert _ids(clinic, since=T0 + timedelta(hours=1), until=T0 + timedelta(hours=3)) == [
        "Otter_3/1",
        "heron-07/2",
    ]
    everything = _ids(clinic)
    assert _ids(clinic, limit=2) == everything[:2]
    assert _ids(clinic, limit=2, offset=2) == everything[2:4]
    assert _ids(clinic, offset=4) == everything[4:]
    # Paging a status that liveness decides happens after the check, so no page comes up short.
    live_or_cut = _ids(clinic, statuses={"interrupted", "ready", "discharged"})
    assert len(live_or_cut) == 4
    assert (
        _ids(clinic, statuses={"interrupted", "ready", "discharged"}, limit=2, offset=1)
        == (live_or_cut[1:3])
    )


def test_the_fast_list_says_what_the_full_one_says(clinic: TimelineStore) -> None:
    fields = ("id", "room", "patient", "course", "planned_minutes", "mode", "phase", "status")
    times = ("started_at", "ended_at", "last_wall")
    full = clinic.sessions()
    fast = clinic.session_list()
    assert [[getattr(s, f) for f in fields] for s in fast] == [
        [getattr(s, f) for f in fields] for s in full
    ]
    for quick, slow in zip(fast, full, strict=True):
        for name in times:
            value = getattr(quick, name)
            assert value == getattr(slow, name)
            assert value is None or value.utcoffset() == timedelta(0)
    assert [s.id for s in clinic.session_list(statuses={"interrupted"}, search="WREN")] == [
        "wren%9/1"
    ]
    assert [s.id for s in clinic.session_list(room="room-1", limit=1, offset=1)] == ["Otter_3/1"]


def _readings(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    store.create_session(new_session("other", started_at=T0 + timedelta(hours=1)), HOST, PID)
    samples = [
        Sample("s1", "spo2", 2.0, 97.0),
        Sample("s1", "hr", 3.0, 71.0),
        Sample("s1", "hr", 1.0, 70.0),
        Sample("s1", "hr", 2.0, math.nan),  # the monitor had no reading
        Sample("s1", "nibp_sys", 1.5, 121.0),
        Sample("other", "hr", 1.0, 99.0),
    ]
    waves = [
        WaveChunk("s1", "pleth", 1.0, 4.0, (1.0, 2.0, 3.0, 4.0)),
        WaveChunk("s1", "pleth", 0.0, 4.0, (0.5, 0.25, -1.0, 1e-3)),
        WaveChunk("s1", "pleth", 2.0, 2.0, (7.0,)),
        WaveChunk("other", "pleth", 0.0, 4.0, (9.0,)),
    ]
    store.append((), samples=samples, waves=waves)


def test_sample_arrays_read_every_channel_in_time_order(store: TimelineStore) -> None:
    _readings(store)
    found = store.sample_arrays("s1")
    assert sorted(found) == ["hr", "nibp_sys", "spo2"]
    hr = found["hr"]
    assert hr.t.tolist() == [1.0, 2.0, 3.0]
    assert hr.value[0] == 70.0
    assert math.isnan(hr.value[1])
    assert hr.value[2] == 71.0
    assert len(hr) == 3
    assert found["spo2"].value.tolist() == [97.0]
    assert list(store.sample_arrays("s1", ["hr", "temp"])) == ["hr"]
    assert store.sample_arrays("s1", []) == {}
    # The same readings as the one-record-per-sample read gives.
    slow = store.samples("s1", "hr")
    assert [s.t for s in slow] == hr.t.tolist()


def test_wave_arrays_join_chunks_as_float32_with_their_times(store: TimelineStore) -> None:
    _readings(store)
    pleth = store.wave_arrays("s1", "pleth")
    assert pleth.values.dtype == np.float32
    assert pleth.values.tolist() == [0.5, 0.25, -1.0, np.float32(1e-3), 1.0, 2.0, 3.0, 4.0, 7.0]
    assert pleth.counts.tolist() == [4, 4, 1]
    assert pleth.times().tolist() == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert len(pleth) == 9
    none = store.wave_arrays("s1", "ecg")
    assert len(none) == 0
    assert none.times().size == 0


def test_channels_lists_what_a_session_has(store: TimelineStore) -> None:
    _readings(store)
    found = store.channels("s1")
    assert found.samples == ("hr", "nibp_sys", "spo2")
    assert found.waves == ("pleth",)
    store.create_session(new_session("empty", started_at=T0 + timedelta(hours=2)), HOST, PID)
    assert store.channels("empty").samples == ()
    assert store.sample_arrays("empty") == {}


def test_array_reads_of_an_unknown_session_are_lookup_errors(store: TimelineStore) -> None:
    with pytest.raises(UnknownSession):
        store.channels("nope")
    with pytest.raises(UnknownSession):
        store.sample_arrays("nope")
    with pytest.raises(UnknownSession):
        store.wave_arrays("nope", "pleth")


def test_a_wave_at_one_rate_gets_its_times_by_the_short_path(store: TimelineStore) -> None:
    store.create_session(new_session(), HOST, PID)
    chunks = [
        WaveChunk("s1", "pleth", t0, 75.0, tuple(float(i) for i in range(75)))
        for t0 in (0.0, 1.0, 3.0)
    ]
    store.append((), waves=chunks)
    pleth = store.wave_arrays("s1", "pleth")
    times = pleth.times()
    assert len(times) == 225
    assert times[:2].tolist() == [0.0, 1 / 75]
    assert times[75] == 1.0
    assert times[150] == 3.0
    assert times[-1] == pytest.approx(3.0 + 74 / 75)


def test_a_driver_error_in_a_plain_read_is_raised_as_sqlalchemy_would(
    store: TimelineStore, store_url: str
) -> None:
    """So the store's error handling turns it into a one-line StoreError like any other."""
    with raw_engine(store_url) as engine, engine.connect() as conn:
        bad = select(literal_column("nope")).select_from(samples_table)
        with pytest.raises(DBAPIError):
            plain_rows(conn, bad)
