"""Page 1 of the session report: the phase strip and the vitals and pump panels.

One time axis (session time from the opening) for every panel, the phases shaded behind them,
alarms (A1...) and notes (N1...) marked on the phase strip so the tables that follow can be
found on the timeline. Traces go through :mod:`roomctl.export.plotting` first: each panel
draws about two points per bucket whatever the session's length.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from matplotlib.axes import Axes

from roomctl.export.bundle import SessionBundle
from roomctl.export.facts import BloodPressure, Facts
from roomctl.export.pdf_layout import Pages, hms
from roomctl.export.plotting import envelope, line_points

PHASE_COLOURS = {
    "ready": "#d9d9d9",
    "preparing": "#9ecae1",
    "infusing": "#fdae6b",
    "paused": "#fee391",
    "recovering": "#a1d99b",
    "discharged": "#bdbdbd",
    "aborted": "#fc9272",
}
SHORT_PHASES = {"preparing": "prep.", "infusing": "inf.", "recovering": "rec.", "paused": "P"}
SHADED_PHASES = {"infusing": "#fdae6b", "paused": "#fee391", "recovering": "#a1d99b"}
PRIORITY_COLOURS = {"high": "#d62728", "medium": "#ff7f0e", "low": "#bcbd22"}
HR_COLOUR = "#2ca02c"
BP_COLOUR = "#c0392b"
SPO2_COLOUR = "#1f77b4"
RR_COLOUR = "#b8860b"
ETCO2_COLOUR = "#7b4fa0"
PUMP_COLOUR = "#444444"


def _time_axis(ax: Axes, t0: float, t1: float, labels: bool) -> None:
    """Session time along x: gridlines on every panel, tick labels on the one at the bottom.

    The gridlines are one collection rather than ticks: matplotlib's tick machinery is most of
    the cost of drawing a page of panels, and only one panel shows the labels anyway.
    """
    from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

    span_min = max(1.0, (t1 - t0) / 60.0)
    step = next((s for s in (5, 10, 15, 30, 60, 120) if span_min / s <= 12), 240) * 60.0
    ticks = np.arange(math.floor(t0 / step + 0.01) * step, t1 + 1, step)
    ax.set_xlim(t0, t1)
    if labels:
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: hms(v)[:-3]))
        ax.tick_params(axis="x", labelsize=7, length=3)
    else:
        ax.set_xticks([])
    ax.vlines(ticks, 0, 1, transform=ax.get_xaxis_transform(), colors="#dddddd", linewidth=0.5)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4))
    ax.tick_params(axis="y", labelsize=7, length=3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _shade(ax: Axes, facts: Facts) -> None:
    for span in facts.phases:
        colour = SHADED_PHASES.get(span.phase)
        if colour is not None:
            end = span.end_t if span.end_t is not None else facts.end_t
            ax.axvspan(span.start_t, end, color=colour, alpha=0.13, linewidth=0, zorder=0)


def _phase_strip(ax: Axes, bundle: SessionBundle, t0: float, t1: float) -> None:
    facts = bundle.facts
    for span in facts.phases:
        end = span.end_t if span.end_t is not None else facts.end_t
        if end <= span.start_t and span.phase not in ("discharged", "aborted"):
            continue
        width = max(end - span.start_t, (t1 - t0) * 0.003)
        ax.broken_barh(
            [(span.start_t, width)], (0.45, 0.55), color=PHASE_COLOURS.get(span.phase, "#cccccc")
        )
        fits = [n for n in (span.phase, SHORT_PHASES.get(span.phase, "")) if n]
        label = next((n for n in fits if width > (t1 - t0) * 0.0095 * (len(n) + 1)), None)
        if label is not None:
            ax.text(span.start_t + width / 2, 0.72, label, ha="center", va="center", fontsize=7)
    emergency_on = None
    for e in bundle.events:
        action = e.data.get("action") if e.kind == "system" else None
        if action == "emergency_on":
            emergency_on = e.t
        elif action == "emergency_off" and emergency_on is not None:
            ax.broken_barh(
                [(emergency_on, e.t - emergency_on)],
                (0.45, 0.55),
                facecolor="none",
                edgecolor="#d62728",
                hatch="////",
            )
            emergency_on = None
    for i, alarm in enumerate(facts.alarms, start=1):
        colour = "#7f7f7f" if alarm.technical else PRIORITY_COLOURS.get(alarm.priority, "#d62728")
        ax.plot([alarm.raised_t], [0.3], marker="^", color=colour, markersize=5, linestyle="none")
        ax.text(alarm.raised_t, 0.12, f"A{i}", ha="center", va="top", fontsize=5.5, color=colour)
    for i, note in enumerate(facts.notes, start=1):
        ax.plot([note.t], [0.3], marker="D", color="#333333", markersize=3, linestyle="none")
        ax.text(note.t, 0.12, f"N{i}", ha="center", va="top", fontsize=5.5, color="#333333")
    _time_axis(ax, t0, t1, labels=False)
    ax.set_ylim(-0.25, 1.02)
    ax.set_yticks([])
    ax.set_ylabel("phase", fontsize=7, rotation=0, ha="right", va="center")
    ax.spines["left"].set_visible(False)


def _line(
    ax: Axes, bundle: SessionBundle, channel: str, t0: float, t1: float, **style: Any
) -> bool:
    series = bundle.samples.get(channel)
    if series is None:
        return False
    x, y = line_points(series.t, series.value, t0, t1)
    ax.plot(x, y, linewidth=0.8, **style)
    return True


def _blood_pressure(ax: Axes, readings: tuple[BloodPressure, ...]) -> None:
    if not readings:
        return
    t = np.array([r.t for r in readings])
    sys_ = np.array([r.sys for r in readings])
    dia = np.array([r.dia for r in readings])
    mean = np.array([r.map for r in readings])
    ax.vlines(t, dia, sys_, color=BP_COLOUR, linewidth=0.8)
    ax.plot(t, sys_, "v", color=BP_COLOUR, markersize=3.5, label="NIBP sys/dia (mmHg)")
    ax.plot(t, dia, "^", color=BP_COLOUR, markersize=3.5)
    ax.plot(t, mean, ".", color=BP_COLOUR, markersize=2.5)


def _legend(ax: Axes) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(
            loc="lower left",
            bbox_to_anchor=(0.0, 0.98),
            fontsize=6.5,
            frameon=False,
            ncol=3,
            handlelength=1.5,
            borderaxespad=0.0,
            borderpad=0.0,
        )


def _limits(
    ax: Axes, low: float, high: float, bundle: SessionBundle, channels: tuple[str, ...]
) -> None:
    values = [bundle.samples[c].value for c in channels if c in bundle.samples]
    finite = np.concatenate(values) if values else np.empty(0)
    finite = finite[np.isfinite(finite)]
    if finite.size:
        low, high = min(low, float(finite.min()) - 2), max(high, float(finite.max()) + 5)
    ax.set_ylim(low, high)


def draw_plots(pages: Pages, bundle: SessionBundle) -> None:
    facts = bundle.facts
    t0 = min(0.0, bundle.events[0].t if bundle.events else 0.0)
    t1 = max(bundle.end_t, t0 + 60.0)
    top = pages.y + 0.05
    strip = pages.axes(top, 0.5)
    _phase_strip(strip, bundle, t0, t1)
    panels: list[tuple[str, float]] = [
        ("circulation", 2.35),
        ("spo2", 1.15),
        ("breathing", 1.15),
        ("pump", 1.15),
    ]
    if "pleth" in bundle.waves:
        panels.append(("pleth", 0.55))
    y = top + 0.75
    axes = []
    for name, height in panels:
        ax = pages.axes(y, height)
        axes.append((name, ax))
        y += height + 0.24
    for i, (name, ax) in enumerate(axes):
        _shade(ax, facts)
        _time_axis(ax, t0, t1, labels=i == len(axes) - 1)
        if name == "circulation":
            _line(ax, bundle, "hr", t0, t1, color=HR_COLOUR, label="HR (/min)") or _line(
                ax, bundle, "pr", t0, t1, color=HR_COLOUR, label="Pulse (/min)"
            )
            _blood_pressure(ax, facts.blood_pressures)
            _limits(ax, 40, 160, bundle, ("hr", "nibp_sys", "nibp_dia"))
            ax.set_ylabel("/min · mmHg", fontsize=7)
        elif name == "spo2":
            _line(ax, bundle, "spo2", t0, t1, color=SPO2_COLOUR, label="SpO2 (%)")
            _limits(ax, 88, 100.5, bundle, ())
            ax.set_ylim(top=100.8)
            ax.set_ylabel("%", fontsize=7)
        elif name == "breathing":
            _line(ax, bundle, "rr", t0, t1, color=RR_COLOUR, label="RR (/min)")
            _line(ax, bundle, "etco2", t0, t1, color=ETCO2_COLOUR, label="EtCO2 (mmHg)")
            _limits(ax, 0, 45, bundle, ("rr", "etco2"))
            ax.set_ylim(bottom=0)
        elif name == "pump":
            _pump(ax, bundle, t0, t1)
        else:
            wave = bundle.waves["pleth"]
            times, lows, highs = envelope(wave.sample_times(), wave.values.astype(float), t0, t1)
            ax.fill_between(
                times, lows, highs, color="#5b8db8", linewidth=0.4, label="Pleth (envelope)"
            )
            ax.set_yticks([])
        _legend(ax)
    axes[-1][1].set_xlabel("session time (h:mm from opening)", fontsize=7)
    pages.y = y


def _pump(ax: Axes, bundle: SessionBundle, t0: float, t1: float) -> None:
    rate = bundle.samples.get("pump_rate_ml_h")
    if rate is not None:
        keep = ~np.isnan(rate.value)
        ax.step(
            rate.t[keep],
            rate.value[keep],
            where="post",
            color=PUMP_COLOUR,
            linewidth=0.8,
            label="Rate (mL/h)",
        )
        high = float(np.nanmax(rate.value)) if keep.any() else 1.0
        ax.set_ylim(0, max(1.0, high * 1.3))
    ax.set_ylabel("mL/h", fontsize=7)
    volume = bundle.samples.get("pump_vi_ml")
    if volume is not None:
        twin = ax.twinx()
        x, y = line_points(volume.t, volume.value, t0, t1)
        twin.plot(x, y, color="#e377c2", linewidth=0.9, label="Volume infused (mL)")
        twin.tick_params(axis="y", labelsize=7, length=3)
        twin.set_ylabel("mL", fontsize=7)
        top = float(np.nanmax(volume.value)) if np.isfinite(volume.value).any() else 1.0
        twin.set_ylim(0, max(1.0, top * 1.3))
        twin.spines["top"].set_visible(False)
        twin.legend(
            loc="lower right",
            bbox_to_anchor=(1.0, 0.98),
            fontsize=6.5,
            frameon=False,
            borderaxespad=0.0,
            borderpad=0.0,
        )
