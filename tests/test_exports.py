"""A session leaves roomctl for other readers: VitalRecorder's file, spreadsheets, tools, paper.

Each export is read back by its own reader (vitaldb, the csv module, json, pdftoppm) and
compared with what the store holds, on a generated session (a real Room on a fake clock, with
75 Hz pleth) and on a real headless demo session.
"""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
import stat
import subprocess
import sys
import warnings
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.cli import main
from devices.feeds import records
from roomctl.export import FORMATS, export_session, load_bundle
from roomctl.export.bundle import TimeBase
from roomctl.export.channels import SAMPLE_CHANNELS, WAVE_CHANNELS, channel_info
from roomctl.export.plotting import envelope
from roomctl.export.vital_export import load_vitaldb
from roomctl.session import Phase, replay
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.generate import PREPARE_AT_S, simulate_session, write_session
from roomctl.timeline.sessions import SessionInfo
from roomctl.timeline.store import TimelineStore

REPO = Path(__file__).resolve().parent.parent
PSEUDONYM = "P-0417"


@pytest.fixture(autouse=True)
def shipped_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI reads the shipped defaults, never this machine's user config."""
    monkeypatch.setenv("ROOMCTL_CONFIG", str(REPO / "config" / "roomctl.toml"))


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(store URL, session id) of one generated session: 40-minute infusion, 75 Hz pleth."""
    folder = tmp_path_factory.mktemp("exports")
    url = f"sqlite:///{folder / 'timeline.db'}"
    session = simulate_session(
        patient=PSEUDONYM, course=4, preparing_minutes=5, recovery_minutes=35, seed=7
    )
    with TimelineStore(url) as store:
        return url, write_session(store, session)


def export(url: str, session_id: str, fmt: str, out: Path) -> None:
    assert main(["export", session_id, "--format", fmt, "--out", str(out), "--db", url]) == 0


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600


def read_vital(path: Path) -> Any:
    """vitaldb's reader leaves its file to the garbage collector: not our warning to see."""
    vitaldb = load_vitaldb()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        return vitaldb.VitalFile(str(path))


def f32(values: list[float]) -> list[float]:
    return np.asarray(values, dtype=np.float32).tolist()


# ----------------------------------------------------------------------- the generated session
def test_a_generated_session_is_a_real_rooms_story_to_discharge() -> None:
    session = simulate_session(preparing_minutes=5, recovery_minutes=50, seed=3)
    state = replay(session.events)
    assert state.phase == Phase.DISCHARGED
    assert state.infusion_s == pytest.approx(40 * 60)
    assert state.discharge_ready_t is not None
    checks = [c.aldrete for c in state.recovery_checks]
    assert checks[0] is not None
    assert checks[0] < 9 <= checks[-1]
    alarm_actions = [e.data["action"] for e in session.events if e.kind == Kind.ALARM]
    assert {"raised", "acknowledged", "cleared"} <= set(alarm_actions)
    kinds = {e.kind for e in session.events}
    assert {Kind.LIGHTS, Kind.MUSIC, Kind.SOUNDSCAPE, Kind.NOTE, Kind.REMINDER} <= kinds
    channels = {s.channel for s in session.samples}
    assert {"hr", "spo2", "rr", "etco2", "nibp_sys", "pump_rate_ml_h", "pump_vi_ml"} <= channels
    nibp = [s.t for s in session.samples if s.channel == "nibp_sys"]
    assert np.diff(nibp).tolist() == [300.0] * (len(nibp) - 1)
    assert {w.rate_hz for w in session.waves} == {75.0}
    assert all(len(w.values) == 75 for w in session.waves)


def test_the_channel_table_names_every_channel_the_feeds_produce() -> None:
    waves = {records.PLETH, records.ECG, records.RESP, records.IBP1, records.IBP2}
    numeric = set(records.NUMERIC_CHANNELS) - waves
    assert numeric <= {c.channel for c in SAMPLE_CHANNELS}
    assert waves <= {c.channel for c in WAVE_CHANNELS}
    assert channel_info("hr").track == "Monitor/HR"
    assert channel_info("nibp_sys").track == "NIBP/SYS"
    assert channel_info("pump_vi_ml").track == "Pump/VOL"


# ---------------------------------------------------------------------------------- vital
def test_vitaldb_reads_back_the_tracks_and_values_written(
    stored: tuple[str, str], tmp_path: Path
) -> None:
    url, session_id = stored
    out = tmp_path / "session.vital"
    export(url, session_id, "vital", out)
    assert private(out)

    vf = read_vital(out)
    names = set(vf.get_track_names())
    assert {
        "Monitor/HR",
        "Monitor/SPO2",
        "Monitor/RR",
        "Monitor/ETCO2",
        "NIBP/SYS",
        "NIBP/DIA",
        "Pump/RATE",
        "Pump/VOL",
        "Monitor/PLETH",
        "EVENT",
    } <= names
    assert vf.trks["Monitor/HR"].unit == "/min"
    assert vf.trks["NIBP/SYS"].unit == "mmHg"

    with TimelineStore(url) as store:
        bundle = load_bundle(store, session_id)
        for channel in ("hr", "spo2", "nibp_sys", "pump_rate_ml_h", "pump_vi_ml"):
            track = channel_info(channel).track
            samples = store.samples(session_id, channel)
            recs = vf.trks[track].recs
            assert [r["val"] for r in recs] == f32([s.value for s in samples]), track
            walls = bundle.timebase.epoch(np.array([s.t for s in samples]))
            assert [r["dt"] for r in recs] == pytest.approx(walls.tolist(), abs=1e-6)
        events = store.events(session_id)
        pleth = store.waves(session_id, "pleth")

    wave = vf.trks["Monitor/PLETH"]
    assert wave.srate == 75.0
    written = np.concatenate([r["val"] for r in wave.recs])
    recorded = np.asarray([v for c in pleth for v in c.values], np.float32)
    # The 30 s the monitor link was stale are a gap in the wave: NaN, as VitalDB fills one.
    assert np.isnan(written).sum() == 30 * 75
    assert np.array_equal(written[~np.isnan(written)], recorded)
    texts = [r["val"] for r in vf.trks["EVENT"].recs]
    assert len(texts) == len(events)
    assert "Phase infusing → recovering (planned)" in texts
    assert vf.dtstart == pytest.approx(events[0].wall.timestamp())


# ------------------------------------------------------------------------------------ csv
def test_the_csv_holds_every_sample_exactly_and_the_events_beside_it(
    stored: tuple[str, str], tmp_path: Path
) -> None:
    url, session_id = stored
    out = tmp_path / "session.csv"
    export(url, session_id, "csv", out)
    beside = tmp_path / "session-events.csv"
    assert private(out)
    assert private(beside)

    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    by_channel: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in rows:
        value = float(row["value"]) if row["value"] else math.nan
        by_channel[row["channel"]].append((float(row["t_s"]), value))
    times = [float(row["t_s"]) for row in rows]
    assert times == sorted(times)

    with TimelineStore(url) as store:
        info = store.session(session_id)
        for channel in [c.channel for c in SAMPLE_CHANNELS]:
            stored_samples = [(s.t, s.value) for s in store.samples(session_id, channel)]
            assert by_channel.get(channel, []) == stored_samples, channel
        events = store.events(session_id)
    assert len(rows) == sum(len(v) for v in by_channel.values())
    first = datetime.fromisoformat(rows[0]["wall_utc"].replace("Z", "+00:00"))
    expected = info.started_at + timedelta(seconds=float(rows[0]["t_s"]) - events[0].t)
    assert abs(first - expected) < timedelta(milliseconds=2)

    with beside.open(newline="", encoding="utf-8") as f:
        event_rows = list(csv.DictReader(f))
    assert [int(r["seq"]) for r in event_rows] == [e.seq for e in events]
    assert [json.loads(r["data"]) for r in event_rows] == [e.data for e in events]
    assert any(r["text"].startswith("Recovery check") for r in event_rows)


# ----------------------------------------------------------------------------------- json
def test_the_json_document_round_trips_events_samples_and_waves(
    stored: tuple[str, str], tmp_path: Path
) -> None:
    url, session_id = stored
    out = tmp_path / "session.json"
    export(url, session_id, "json", out)
    assert private(out)
    doc = json.loads(out.read_text(encoding="utf-8"))

    with TimelineStore(url) as store:
        assert doc["session"] == store.session(session_id).as_json()
        assert doc["events"] == [e.as_json() for e in store.events(session_id)]
        hr = store.samples(session_id, "hr")
        pleth = store.waves(session_id, "pleth")
    assert doc["samples"]["hr"]["t"] == [s.t for s in hr]
    assert doc["samples"]["hr"]["value"] == [s.value for s in hr]
    assert doc["samples"]["hr"]["track"] == "Monitor/HR"
    chunks = doc["waves"]["pleth"]["chunks"]
    assert len(chunks) == len(pleth)
    assert [c["t0"] for c in chunks] == [c.t0 for c in pleth]
    assert f32([v for c in chunks for v in c["values"]]) == [v for c in pleth for v in c.values]
    assert doc["summary"]["intervals_min"]["infusion"] == pytest.approx(40.0)
    monitoring = doc["summary"]["monitoring"]
    assert monitoring["bp_before_dosing"]["sys"] > 0
    assert monitoring["total_monitoring_min"] > monitoring["ready_to_leave_min"] > 40


# ------------------------------------------------------------------------------------ pdf
def rendered_pages(pdf: Path, folder: Path) -> list[Path]:
    subprocess.run(
        ["pdftoppm", "-png", "-r", "50", str(pdf), str(folder / "page")], check=True, timeout=60
    )
    return sorted(folder.glob("page*.png"))


def not_blank(png: Path) -> bool:
    """Some ink on the page: a blank page has none; a short last page (a notes table) has
    little, so this counts dark pixels rather than judging the page's contrast."""
    from PIL import Image

    with Image.open(png) as image:
        grey = image.convert("L")
        dark = sum(grey.histogram()[:128])
        return dark > 0.0005 * grey.width * grey.height


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_the_pdf_report_renders_pages_that_read_like_a_session_report(
    stored: tuple[str, str], tmp_path: Path
) -> None:
    url, session_id = stored
    out = tmp_path / "report.pdf"
    export(url, session_id, "pdf", out)
    assert private(out)
    pages = rendered_pages(out, tmp_path)
    assert len(pages) >= 2
    assert all(not_blank(page) for page in pages)
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        for words in (PSEUDONYM, "Monitoring summary", "Blood pressure before dosing",
                      "Recovery checks", "SpO2 below 94", "Eyes closed, settled"):  # fmt: skip
            assert words in text, words


# ----------------------------------------------------------------------- facts and helpers
def test_the_monitoring_form_counts_from_the_start_of_dosing(stored: tuple[str, str]) -> None:
    url, session_id = stored
    with TimelineStore(url) as store:
        facts = load_bundle(store, session_id).facts
    assert facts.dosing_t == PREPARE_AT_S + 5 * 60
    assert facts.bp_before_dosing is not None
    assert facts.bp_before_dosing.t <= facts.dosing_t
    assert facts.bp_at_40 is not None
    assert abs(facts.bp_at_40.t - (facts.dosing_t + 40 * 60)) <= 150
    assert facts.bp_at_end is not None
    assert facts.discharged_t is not None
    assert facts.bp_at_end.t <= facts.discharged_t
    assert facts.monitoring_minutes == pytest.approx((facts.discharged_t - facts.dosing_t) / 60)
    assert [a.text for a in facts.alarms if not a.technical] == ["** SpO2 below 94"]


def test_export_reports_progress_up_to_done(stored: tuple[str, str], tmp_path: Path) -> None:
    url, session_id = stored
    seen: list[float] = []
    with TimelineStore(url) as store:
        export_session(store, session_id, "csv", tmp_path / "s.csv", progress=seen.append)
    assert seen == sorted(seen)
    assert seen[-1] == 1.0
    assert 0.0 <= seen[0] < 0.5


def test_a_resumed_session_keeps_wall_time_across_the_outage() -> None:
    wall0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def event(seq: int, t: float, wall: datetime, kind: Kind, data: dict[str, Any]) -> Event:
        return Event("s", seq, t, wall, "room", kind, data)

    events = [
        event(1, 0.0, wall0, Kind.SYSTEM, {"action": "session_opened"}),
        event(2, 1000.0, wall0 + timedelta(seconds=1600), Kind.SYSTEM, {"action": "resumed"}),
    ]
    info = SessionInfo("s", "Room 1", "P", 1, 40, 1.0, "clinical", "recovering", wall0, None,
                       1000.0, wall0, None, None, None, {}, "interrupted")  # fmt: skip
    base = TimeBase.of(info, events)
    assert base.wall(500.0) == wall0 + timedelta(seconds=500)
    assert base.wall(1060.0) == wall0 + timedelta(seconds=1660)


def test_plotting_keeps_a_spike_and_breaks_the_line_at_a_gap() -> None:
    t = np.concatenate([np.arange(0, 5000.0), np.arange(6000.0, 10000.0)])
    v = np.full(len(t), 98.0)
    v[2500] = 85.0
    times, lows, highs = envelope(t, v, 0.0, 10000.0, buckets=500)
    assert len(times) < 600
    assert np.nanmin(lows) == 85.0
    assert np.nanmax(highs) == 98.0
    assert np.isnan(times).sum() == 1


# ----------------------------------------------------------------------------- user errors
def test_an_unknown_session_or_an_unwritable_path_is_one_line(
    stored: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, session_id = stored
    cases = [
        (["export", "no-such-session", "--format", "pdf", "--out", str(tmp_path / "x.pdf")],
         "no session 'no-such-session'"),
        (["export", session_id, "--format", "csv", "--out", str(tmp_path / "missing" / "x.csv")],
         "does not exist"),
        (["export", session_id, "--format", "json", "--out", str(tmp_path)], "is a folder"),
    ]  # fmt: skip
    for args, words in cases:
        assert main([*args, "--db", url]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1, err
        assert words in err, err
    assert list(tmp_path.iterdir()) == []


def test_an_export_replaces_an_older_readable_file_with_a_private_one(
    stored: tuple[str, str], tmp_path: Path
) -> None:
    url, session_id = stored
    out = tmp_path / "session.csv"
    out.write_text("old")
    out.chmod(0o644)
    old_umask = os.umask(0)
    try:
        export(url, session_id, "csv", out)
    finally:
        os.umask(old_umask)
    assert private(out)
    assert private(tmp_path / "session-events.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["session-events.csv", "session.csv"]


# ------------------------------------------------------------------------ a real demo session
@pytest.mark.system
@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_a_headless_demo_sessions_four_exports_open_in_their_readers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'timeline.db'}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    environ.update(
        ROOMCTL_DB=url,
        ROOMCTL_DATA_DIR=str(tmp_path / "data"),
        ROOMCTL_CONFIG=str(REPO / "config" / "roomctl.toml"),
    )
    environ.pop("DISPLAY", None)
    environ.pop("QT_QPA_PLATFORM", None)
    demo = subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", "--headless", "--speed", "600"],
        capture_output=True, text=True, cwd=REPO, env=environ, timeout=120, check=False,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    with TimelineStore(url) as store:
        (info,) = store.sessions()
        hr = store.samples(info.id, "hr")
        events = store.events(info.id)
    assert info.status == "discharged"
    assert hr

    outs = {fmt: tmp_path / f"demo.{fmt}" for fmt in FORMATS}
    for fmt, out in outs.items():
        export(url, info.id, fmt, out)

    vf = read_vital(outs["vital"])
    assert [r["val"] for r in vf.trks["Monitor/HR"].recs] == f32([s.value for s in hr])
    assert len(vf.trks["EVENT"].recs) == len(events)
    assert "Monitor/PLETH" in vf.get_track_names()
    with outs["csv"].open(newline="", encoding="utf-8") as f:
        rows = [row for row in csv.DictReader(f) if row["channel"] == "hr"]
    assert [float(row["value"]) for row in rows] == [s.value for s in hr]
    doc = json.loads(outs["json"].read_text(encoding="utf-8"))
    assert doc["session"]["patient"] == info.patient
    assert len(doc["events"]) == len(events)
    pages = rendered_pages(outs["pdf"], tmp_path)
    assert pages
    assert all(not_blank(page) for page in pages)
