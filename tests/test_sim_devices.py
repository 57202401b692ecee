"""Simulated devices on pseudo-terminals, read back through the real feed reader: every
monitor format tells the same patient's numbers, the pump answers only its status queries,
the desaturation and bp-surge stories come through, and a pulled cable is survived."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devices.feeds.records import RecordKind
from devices.feeds.registry import protocol
from devices.feeds.transport import FeedReader, Stamped
from devices.sim.physiology import Physiology
from devices.sim.pty_device import PtyDevice
from devices.sim.sources import MONITOR_PROTOCOLS, MonitorSource, PumpSource

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.system


def tap(port: str, protocol: str, seconds: str) -> subprocess.CompletedProcess[str]:
    """``roomctl feed tap`` on ``port``, as a person would run it."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "feed", "tap", "--protocol", protocol,
         "--port", port, "--seconds", seconds],
        capture_output=True, text=True, cwd=REPO, timeout=30, check=False,
    )  # fmt: skip


def read(path: str, name: str, until: int, kind: RecordKind, timeout: float = 8.0) -> list[Stamped]:
    """Records of ``kind`` from the port until ``until`` of them came (or time ran out)."""
    got: queue.Queue[Stamped] = queue.Queue()
    reader = FeedReader(path, protocol(name), lambda rs: [got.put(r) for r in rs], name=name)
    reader.start()
    found: list[Stamped] = []
    deadline = time.monotonic() + timeout
    try:
        while len(found) < until and time.monotonic() < deadline:
            try:
                item = got.get(timeout=0.2)
            except queue.Empty:
                continue
            if item.record.kind == kind:
                found.append(item)
    finally:
        reader.stop()
    return found


@pytest.mark.parametrize("name", MONITOR_PROTOCOLS)
def test_every_monitor_format_carries_the_patients_numbers(name: str, tmp_path: Path) -> None:
    patient = Physiology("steady", seed=4)
    device = PtyDevice(MonitorSource(name, patient), patient=patient, link=tmp_path / "tty")
    path = device.start()
    try:
        records = read(path, name, until=2, kind=RecordKind.VITALS)
    finally:
        device.stop()
    assert records, f"{name}: no vitals"
    values = records[-1].record.values
    assert 60 <= values["hr"] <= 85
    assert 95 <= values["spo2"] <= 100


def test_desaturation_at_speed_reaches_the_feed(tmp_path: Path) -> None:
    patient = Physiology("desaturation", seed=1)
    source = MonitorSource("roomctl-line", patient, nibp_every_s=None)
    device = PtyDevice(source, patient=patient, start_t=23 * 60, speed=1.0)
    path = device.start()
    try:
        records = read(path, "roomctl-line", until=2, kind=RecordKind.VITALS)
    finally:
        device.stop()
    assert min(r.record.values["spo2"] for r in records) <= 87


def test_the_cuff_reading_shows_the_bp_surge(tmp_path: Path) -> None:
    patient = Physiology("bp-surge", seed=2)
    source = MonitorSource("roomctl-line", patient, nibp_every_s=1)
    device = PtyDevice(source, patient=patient, start_t=40 * 60)
    path = device.start()
    try:
        cuff, *_ = read(path, "roomctl-line", until=1, kind=RecordKind.NIBP)
    finally:
        device.stop()
    assert cuff.record.values["nibp_sys"] >= 160
    assert cuff.record.values["nibp_dia"] >= 100


def test_the_new_era_pump_answers_its_status_queries(tmp_path: Path) -> None:
    device = PtyDevice(PumpSource("newera-basic"), start_t=20 * 60)
    path = device.start()
    try:
        records = read(path, "newera-basic", until=3, kind=RecordKind.PUMP)
    finally:
        device.stop()
    merged: dict[str, object] = {}
    for r in records:
        merged.update(r.record.values)
    assert merged.get("pump_rate_ml_h") == 52.5
    allowed = protocol("newera-basic").allow_list
    assert device.queries
    assert set(device.queries) <= set(allowed)


def test_a_pulled_cable_comes_back(tmp_path: Path) -> None:
    patient = Physiology("cable-pull")
    source = MonitorSource("roomctl-line", patient, nibp_every_s=None)
    device = PtyDevice(
        source, patient=patient, link=tmp_path / "tty", start_t=15 * 60 - 1, speed=10
    )
    path = device.start()
    got: queue.Queue[Stamped] = queue.Queue()
    reader = FeedReader(path, protocol("roomctl-line"), lambda rs: [got.put(r) for r in rs])
    reader.start()
    links: list[str] = []
    vitals_after_return = 0
    deadline = time.monotonic() + 10
    try:
        while time.monotonic() < deadline and vitals_after_return < 2:
            try:
                item = got.get(timeout=0.2)
            except queue.Empty:
                continue
            if item.record.kind == RecordKind.LINK:
                links.append(str(item.record.values["link"]))
            elif "disconnected" in links:
                vitals_after_return += 1
    finally:
        reader.stop()
        device.stop()
    assert links[:3] == ["connected", "disconnected", "connected"]
    assert vitals_after_return == 2
    assert reader.stats.reconnects == 1


def test_feed_tap_prints_json_lines_and_a_stats_line(tmp_path: Path) -> None:
    patient = Physiology("garbage", seed=5)
    device = PtyDevice(MonitorSource("masimo-ascii1", patient), patient=patient)
    path = device.start()
    try:
        out = tap(path, "masimo-ascii1", "3.5")
    finally:
        device.stop()
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert lines[0]["kind"] == "link"
    vitals = [line for line in lines if line["kind"] == "vitals"]
    assert vitals
    assert set(vitals[-1]) >= {"kind", "t", "values", "flags", "device_time"}
    assert set(vitals[-1]["values"]) == {"spo2", "hr", "pi"}
    stats = lines[-1]
    assert stats["kind"] == "stats"
    assert stats["frames"] >= len(vitals)
    assert stats["bad_frames"] >= 1  # the garbage scenario's random bytes were counted


def test_a_capture_replays_through_a_pseudo_terminal_and_taps_back(tmp_path: Path) -> None:
    """Capture a simulated monitor's raw bytes, replay them, and read the same records."""
    patient = Physiology("steady", seed=8)
    source = MonitorSource("roomctl-line", patient, nibp_every_s=2)
    capture = b"".join(source.tick(t) for t in range(6))
    path = tmp_path / "monitor.capture"
    path.write_bytes(capture)
    repo = Path(__file__).resolve().parent.parent
    replay = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "feed",
            "replay",
            str(path),
            "--protocol",
            "roomctl-line",
            "--speed",
            "10",
            "--lead-in",
            "1.5",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=repo,
    )
    try:
        assert replay.stdout is not None
        port = replay.stdout.readline().strip()
        tapped = tap(port, "roomctl-line", "2.5")
        assert replay.wait(10) == 0
    finally:
        replay.kill()
        replay.wait()
        replay.stdout.close()  # type: ignore[union-attr]
    lines = [json.loads(line) for line in tapped.stdout.splitlines()]
    kinds = [line["kind"] for line in lines]
    assert kinds.count("vitals") == 6
    assert kinds.count("nibp") == 3
    assert lines[-1] == {"kind": "stats", "frames": 9, "bad_frames": 0, "reconnects": 0}


def test_sim_pump_from_the_command_line_answers_feed_tap(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parent.parent
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "sim",
            "pump",
            "--protocol",
            "newera-basic",
            "--start-minute",
            "10",
            "--link",
            str(tmp_path / "ttyPUMP"),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=repo,
    )
    try:
        assert sim.stdout is not None
        port = sim.stdout.readline().strip()
        assert port == str(tmp_path / "ttyPUMP")
        tapped = tap(port, "newera-basic", "3")
    finally:
        sim.terminate()
        sim.wait(10)
        sim.stdout.close()  # type: ignore[union-attr]
    assert sim.returncode == 0
    pump = [json.loads(line) for line in tapped.stdout.splitlines() if '"pump"' in line]
    rates = [p["values"]["pump_rate_ml_h"] for p in pump if "pump_rate_ml_h" in p["values"]]
    assert rates
    assert set(rates) == {52.5}


SCENARIO_MOMENTS = {
    "steady": 5 * 60,
    "desaturation": 23 * 60 + 30,
    "bp-surge": 40 * 60,
    "bradycardia": 26 * 60 + 30,
    "cable-pull": 14 * 60,
    "garbage": 8 * 60,
    "sensor-off": 12 * 60 + 5,
}


@pytest.mark.parametrize("scenario", sorted(SCENARIO_MOMENTS))
def test_every_scenario_reads_back_exactly_what_the_patient_shows(scenario: str) -> None:
    """What the simulator means is exactly what the feed reads: values, absences and flags."""
    patient = Physiology(scenario, seed=11)
    source = MonitorSource("roomctl-line", patient, nibp_every_s=None)
    device = PtyDevice(source, patient=patient, start_t=SCENARIO_MOMENTS[scenario])
    path = device.start()
    try:
        records = read(path, "roomctl-line", until=2, kind=RecordKind.VITALS)
    finally:
        device.stop()
    assert records
    for item in records:
        clock = item.record.device_clock_s
        assert clock is not None
        meant = patient.vitals(clock)
        expected = {
            k: float(v)
            for k, v in (("hr", meant.hr), ("spo2", meant.spo2), ("rr", meant.rr),
                         ("etco2", meant.etco2), ("temp", meant.temp), ("pi", meant.pi))
            if v is not None
        }  # fmt: skip
        assert dict(item.record.values) == pytest.approx(expected)
    if scenario == "sensor-off":
        assert "spo2" not in records[0].record.values  # a dash is absent, never 0
