"""The JSON export: the whole session in one document, for tools and for archiving.

Shape (docs/decisions/0014-export-formats.md)::

    {"format": "roomctl-session", "version": 1,
     "session":  {... as `roomctl sessions show --json` ...},
     "timebase": {"speed": 1.0, "anchors": [{"t": 0.0, "wall": "...Z"}, ...]},
     "summary":  {"phases": [...], "milestones": [...], "intervals_min": {...},
                  "monitoring": {...}, "recovery_checks": [...], "alarms": [...], "notes": [...]},
     "events":   [{"seq", "t", "wall", "source", "kind", "data"}, ...],
     "samples":  {"hr": {"track": "Monitor/HR", "unit": "/min", "t": [...], "value": [...]}, ...},
     "waves":    {"pleth": {"track": ..., "unit": ..., "chunks": [{"t0", "rate_hz", "values"}]}}}

Times are session seconds; a sample's wall time is ``anchor.wall + (t - anchor.t) / speed`` for
the last anchor at or before ``t``. ``null`` in ``value`` is "no reading". Wave values are the
stored float32 numbers, written in their shortest form.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from roomctl.export.bundle import Progress, SessionBundle, scaled
from roomctl.export.channels import channel_info
from roomctl.export.facts import BloodPressure, Facts
from roomctl.export.files import Written, private_output
from roomctl.timeline.events import iso_utc

FORMAT = "roomctl-session"
VERSION = 1


def _finite(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]


def _float32_list(values: np.ndarray) -> str:
    """A JSON array of float32 values, each in the shortest text that reads back exactly.

    (Python's float text of a float32 is the float64 expansion, twice as long.) Non-finite
    values, which the store keeps for numbers beyond float32, become null.
    """
    texts = [str(v) for v in values]
    if not np.isfinite(values).all():
        texts = ["null" if t in ("nan", "inf", "-inf") else t for t in texts]
    return "[" + ",".join(texts) + "]"


def _bp(reading: BloodPressure | None) -> dict[str, Any] | None:
    if reading is None:
        return None
    return {
        "t": reading.t,
        "sys": None if math.isnan(reading.sys) else reading.sys,
        "dia": None if math.isnan(reading.dia) else reading.dia,
        "map": None if math.isnan(reading.map) else reading.map,
    }


def summary(facts: Facts) -> dict[str, Any]:
    """The derived facts as JSON (times in session seconds, intervals in minutes)."""
    return {
        "phases": [
            {"phase": p.phase, "start_t": p.start_t, "end_t": p.end_t, "by": p.by}
            for p in facts.phases
        ],
        "milestones": [{"t": m.t, "label": m.label} for m in facts.milestones],
        "intervals_min": {i.key: i.minutes for i in facts.intervals()},
        "monitoring": {
            "dosing_t": facts.dosing_t,
            "bp_before_dosing": _bp(facts.bp_before_dosing),
            "bp_at_40_min": _bp(facts.bp_at_40),
            "bp_at_end": _bp(facts.bp_at_end),
            "total_monitoring_min": facts.monitoring_minutes,
            "ready_to_leave_min": facts.ready_to_leave_minutes,
        },
        "recovery_checks": [
            {"t": c.t, "n": c.n, "aldrete": c.aldrete, "moaas": c.moaas, "passed": c.passed}
            for c in facts.checks
        ],
        "alarms": [
            {
                "id": a.alarm_id,
                "priority": a.priority,
                "text": a.text,
                "raised_t": a.raised_t,
                "acknowledged_t": a.acknowledged_t,
                "ended_t": a.ended_t,
            }
            for a in facts.alarms
        ],
        "notes": [
            {"t": n.t, "by": n.by, "text": n.text, "tags": list(n.tags)} for n in facts.notes
        ],
        "pump_drug": facts.pump_drug,
        "volume_infused_ml": facts.volume_infused_ml,
    }


def write_json(bundle: SessionBundle, out: Path, *, progress: Progress | None = None) -> Written:
    """Write the whole session as one JSON document to ``out``."""
    report = scaled(progress, 0.0, 1.0)
    base = bundle.timebase
    head = {
        "format": FORMAT,
        "version": VERSION,
        "session": bundle.info.as_json(),
        "timebase": {
            "speed": base.speed,
            "anchors": [{"t": t, "wall": iso_utc(base.wall(t))} for t in base.anchor_t.tolist()],
        },
        "summary": summary(bundle.facts),
        "events": [e.as_json() for e in bundle.events],
        "samples": {
            name: {
                "track": channel_info(name).track,
                "unit": channel_info(name).unit,
                "t": s.t.tolist(),
                "value": _finite(s.value),
            }
            for name, s in bundle.samples.items()
        },
    }
    report(0.3)
    text = json.dumps(head, ensure_ascii=False, allow_nan=False)
    wave_parts = []
    for i, (name, wave) in enumerate(bundle.waves.items()):
        info = channel_info(name)
        chunks = ",".join(
            f'{{"t0":{json.dumps(t0)},"rate_hz":{json.dumps(rate)},'
            f'"values":{_float32_list(wave.chunk(k))}}}'
            for k, (t0, rate) in enumerate(
                zip(wave.t0.tolist(), wave.rate_hz.tolist(), strict=True)
            )
        )
        wave_parts.append(
            f'{json.dumps(name)}:{{"track":{json.dumps(info.track)},'
            f'"unit":{json.dumps(info.unit)},"chunks":[{chunks}]}}'
        )
        report(0.3 + 0.6 * (i + 1) / max(1, len(bundle.waves)))
    document = text[:-1] + ',"waves":{' + ",".join(wave_parts) + "}}"
    with private_output(out) as part:
        part.write_text(document, encoding="utf-8")
    report(1.0)
    n_samples = sum(len(s) for s in bundle.samples.values())
    n_wave = sum(len(w.values) for w in bundle.waves.values())
    return Written(
        (Path(out).absolute(),),
        (f"{len(bundle.events)} events, {n_samples} samples, {n_wave} wave values",),
    )
