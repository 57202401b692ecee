"""The simulated patient tells each scenario's story in numbers."""

from __future__ import annotations

import pytest

from devices.sim.physiology import SCENARIOS, Physiology, ketamine_pump


def test_steady_stays_in_the_normal_range() -> None:
    patient = Physiology("steady", seed=3)
    for t in range(0, 3600, 7):
        v = patient.vitals(t)
        assert v.hr is not None
        assert 60 <= v.hr <= 85
        assert v.spo2 is not None
        assert 95 <= v.spo2 <= 100
        assert 10 <= (v.rr or 0) <= 18


def test_desaturation_reaches_86_at_minute_23_and_recovers() -> None:
    patient = Physiology("desaturation", seed=1)
    assert patient.spo2(19 * 60) >= 96
    assert 85 <= patient.spo2(23 * 60 + 30) <= 87
    assert patient.spo2(30 * 60) >= 96


def test_bp_surge_adds_about_40_over_25_near_minute_40() -> None:
    steady, surge = Physiology("steady", seed=2), Physiology("bp-surge", seed=2)
    a, b = steady.cuff(40 * 60), surge.cuff(40 * 60)
    assert b.sys - a.sys == pytest.approx(40, abs=1)
    assert b.dia - a.dia == pytest.approx(25, abs=1)
    assert surge.cuff(20 * 60) == steady.cuff(20 * 60)


def test_bradycardia_goes_below_45() -> None:
    patient = Physiology("bradycardia")
    assert min(patient.hr(t) for t in range(26 * 60, 28 * 60)) < 45


def test_sensor_off_shows_absent_oximetry_but_keeps_capnography() -> None:
    patient = Physiology("sensor-off")
    v = patient.vitals(12 * 60 + 5)
    assert v.sensor_off
    assert v.spo2 is None
    assert v.hr is None
    assert v.etco2 is not None


def test_cable_pull_is_ten_seconds_at_minute_15() -> None:
    patient = Physiology("cable-pull")
    down = [t for t in range(0, 3600) if patient.link_down(t)]
    assert down == list(range(900, 910))


def test_the_same_seed_replays_the_same_patient() -> None:
    assert [Physiology("garbage", 9).vitals(t) for t in range(60)] == [
        Physiology("garbage", 9).vitals(t) for t in range(60)
    ]
    assert Physiology("garbage", 9).garbage_bytes(5) != b""
    assert Physiology("steady", 9).garbage_bytes(5) == b""


def test_unknown_scenarios_are_refused() -> None:
    with pytest.raises(ValueError, match="known: steady"):
        Physiology("panic")
    assert "desaturation" in SCENARIOS


def test_the_pump_delivers_half_a_milligram_per_kilo_over_forty_minutes() -> None:
    start, mid, end = ketamine_pump(0), ketamine_pump(20 * 60), ketamine_pump(41 * 60)
    assert (start.state, start.rate_ml_h, start.vtbi_ml) == ("RUN", 52.5, 35.0)
    assert mid.vi_ml == pytest.approx(17.5)
    assert (end.state, end.vi_ml) == ("KVO", 35.0)
