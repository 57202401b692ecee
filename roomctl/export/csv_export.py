"""The CSV export: samples as one long table, the events in a second file beside it.

``--out PATH`` writes two files (docs/decisions/0014-export-formats.md):

* ``PATH``: one row per sample, in time order: ``t_s,wall_utc,channel,unit,value``. ``t_s`` is
  session seconds and ``value`` the stored number, both written so they read back exactly;
  an empty ``value`` is a stored "no reading". Wave channels (pleth...) are not in the CSV:
  75 rows a second would bury the vitals; the VitalDB and JSON exports carry them.
* ``PATH`` with ``-events`` before its suffix (``s.csv`` → ``s-events.csv``): one row per event,
  ``seq,t_s,wall_utc,kind,source,text,data``, ``text`` a plain sentence and ``data`` the
  event's JSON as stored.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from roomctl.export.bundle import Progress, SessionBundle, scaled
from roomctl.export.channels import channel_info
from roomctl.export.describe import describe
from roomctl.export.files import Written, private_output
from roomctl.timeline.events import canonical_json

SAMPLE_HEADER = ("t_s", "wall_utc", "channel", "unit", "value")
EVENT_HEADER = ("seq", "t_s", "wall_utc", "kind", "source", "text", "data")


def events_path(path: Path) -> Path:
    """Where the events of a CSV export to ``path`` go: ``-events`` before the suffix."""
    suffix = path.suffix or ".csv"
    return path.with_name(f"{path.stem if path.suffix else path.name}-events{suffix}")


def wall_texts(epoch: np.ndarray) -> list[str]:
    """ISO 8601 UTC with milliseconds (``2026-11-25T09:00:00.250Z``) for epoch seconds."""
    micros = np.round(np.asarray(epoch, dtype=float) * 1e6).astype("datetime64[us]")
    return [f"{text}Z" for text in np.datetime_as_string(micros, unit="ms")]


def _number(value: float) -> str:
    return "" if value != value else repr(value)  # NaN: no reading


def write_csv(bundle: SessionBundle, out: Path, *, progress: Progress | None = None) -> Written:
    """Write the samples table to ``out`` and the events table beside it."""
    report = scaled(progress, 0.0, 1.0)
    channels = [s for s in bundle.samples.values()]
    t = np.concatenate([s.t for s in channels]) if channels else np.empty(0)
    order = np.argsort(t, kind="stable")
    names = np.concatenate([np.full(len(s), i) for i, s in enumerate(channels)]) if channels else t
    values = np.concatenate([s.value for s in channels]) if channels else t
    walls = wall_texts(bundle.timebase.epoch(t[order]))
    labels = [(s.channel, channel_info(s.channel).unit) for s in channels]
    report(0.3)
    with private_output(out) as part, part.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(SAMPLE_HEADER)
        t_list, name_list, value_list = (
            t[order].tolist(),
            names[order].astype(int).tolist(),
            values[order].tolist(),
        )
        writer.writerows(
            (repr(ti), wall, *labels[ni], _number(vi))
            for ti, wall, ni, vi in zip(t_list, walls, name_list, value_list, strict=True)
        )
    report(0.8)
    events = bundle.events
    event_walls = wall_texts(np.array([e.wall.timestamp() for e in events]))
    second = events_path(Path(out))
    with private_output(second) as part, part.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(EVENT_HEADER)
        writer.writerows(
            (e.seq, repr(e.t), wall, str(e.kind), e.source, describe(e), canonical_json(e.data))
            for e, wall in zip(events, event_walls, strict=True)
        )
    report(1.0)
    return Written(
        (Path(out).absolute(), second.absolute()),
        (
            f"{len(t)} samples of {len(channels)} channels: "
            + ", ".join(s.channel for s in channels),
            f"{len(events)} events",
        ),
    )
