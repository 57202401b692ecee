"""The VitalDB export: a ``.vital`` file that VitalRecorder and ``vitaldb.VitalFile`` open.

Written with the ``vitaldb`` library, never by hand, so the format is theirs to get right.
Tracks are named ``device/TRACK`` from :mod:`roomctl.export.channels` (``Monitor/HR``,
``NIBP/SYS``, ``Pump/RATE``, the pleth wave ``Monitor/PLETH`` at its own rate...), with units and
display ranges; events go to the ``EVENT`` text track (VitalRecorder's own name for it), pump
state and drug to ``Pump/STATE`` and ``Pump/DRUG``.

Every record is stamped with its wall time in epoch seconds, as a bedside recorder would: a demo
that ran at 240x appears as the minutes it really took (its sim devices keep their real rate, so
waves stay continuous). A sample with no reading (NaN) is simply not written: that is how a
vital file says "nothing here".
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from roomctl.export.bundle import Progress, SessionBundle, scaled
from roomctl.export.channels import (
    EVENT_TRACK,
    PUMP_DRUG_TRACK,
    PUMP_STATE_TRACK,
    channel_info,
)
from roomctl.export.describe import describe
from roomctl.export.files import Written, private_output
from roomctl.timeline.events import Kind

#: gzip level for the file: 9 (vitaldb's default) is several times slower for a few % less.
COMPRESS_LEVEL = 6


def load_vitaldb() -> ModuleType:
    """``import vitaldb``, quietly: it imports wfdb, which trips pandas deprecation warnings
    on import that are theirs to fix and would otherwise reach the user (or fail a test run
    that treats warnings as errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        import vitaldb

    return vitaldb


def _numeric_tracks(
    bundle: SessionBundle,
) -> list[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    tracks = []
    for name, series in bundle.samples.items():
        info = channel_info(name)
        keep = ~np.isnan(series.value)
        dts = bundle.timebase.epoch(series.t[keep]).tolist()
        values = series.value[keep].tolist()
        recs = [{"dt": dt, "val": v} for dt, v in zip(dts, values, strict=True)]
        tracks.append(
            (info.track, recs, {"unit": info.unit, "mindisp": info.low, "maxdisp": info.high})
        )
    return tracks


def _wave_tracks(bundle: SessionBundle) -> list[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    """One track per wave channel (a channel that changed rate gets a track per rate)."""
    tracks = []
    for name, wave in bundle.waves.items():
        info = channel_info(name)
        by_rate: dict[float, list[dict[str, Any]]] = defaultdict(list)
        dts = bundle.timebase.epoch(wave.t0).tolist()
        for i, (dt, rate) in enumerate(zip(dts, wave.rate_hz.tolist(), strict=True)):
            by_rate[rate].append({"dt": dt, "val": np.ascontiguousarray(wave.chunk(i))})
        main = max(by_rate, key=lambda rate: len(by_rate[rate]))
        for rate, recs in by_rate.items():
            track = info.track if rate == main else f"{info.track}_{rate:g}HZ"
            style = {"srate": rate, "unit": info.unit, "mindisp": info.low, "maxdisp": info.high}
            tracks.append((track, recs, style))
    return tracks


def _text_tracks(bundle: SessionBundle) -> list[tuple[str, list[dict[str, Any]], dict[str, Any]]]:
    events = [{"dt": e.wall.timestamp(), "val": describe(e)} for e in bundle.events]
    pump: dict[str, list[dict[str, Any]]] = {"pump_state": [], "pump_drug": []}
    for e in bundle.events:
        if e.kind == Kind.FEED:
            for key, recs in pump.items():
                if key in e.data:
                    recs.append({"dt": e.wall.timestamp(), "val": str(e.data[key])})
    named = [(EVENT_TRACK, events), (PUMP_STATE_TRACK, pump["pump_state"])]
    named.append((PUMP_DRUG_TRACK, pump["pump_drug"]))
    return [(track, recs, {}) for track, recs in named if recs]


def _local_offset_minutes(bundle: SessionBundle) -> int:
    """VitalDB's ``dgmt``: UTC minus local time, in minutes, on the session's day."""
    offset = bundle.info.started_at.astimezone().utcoffset()
    return -round(offset.total_seconds() / 60) if offset is not None else 0


def write_vital(bundle: SessionBundle, out: Path, *, progress: Progress | None = None) -> Written:
    """Write ``bundle`` as a VitalDB ``.vital`` file at ``out``."""
    report = scaled(progress, 0.0, 1.0)
    vitaldb = load_vitaldb()
    vf = vitaldb.VitalFile()
    tracks = _numeric_tracks(bundle) + _wave_tracks(bundle) + _text_tracks(bundle)
    report(0.3)
    starts, ends = [], []
    for track, recs, style in tracks:
        vf.add_track(track, recs, **style)
        starts.append(recs[0]["dt"])
        last = recs[-1]
        rate = style.get("srate", 0)
        ends.append(last["dt"] + (len(last["val"]) / rate if rate else 0.0))
    if not tracks:
        start = bundle.info.started_at.timestamp()
        starts, ends = [start], [start]
    vf.dtstart, vf.dtend = min(starts), max(ends)
    vf.dgmt = _local_offset_minutes(bundle)
    report(0.5)
    with private_output(out) as part:
        vf.to_vital(str(part), compresslevel=COMPRESS_LEVEL)
    report(1.0)
    names = [track for track, _, _ in tracks]
    return Written((Path(out).absolute(),), (f"{len(names)} tracks: " + ", ".join(names),))
