"""The PDF export: a session report a clinic can file and a reviewer can read on paper.

Page 1: who, when and where (pseudonym only), the phase timeline with alarms (A1...) and notes
(N1...) marked, and the vitals and pump over the whole session. Then the monitoring summary in
the shape of a REMS monitoring form, the phases, the recovery milestones, intervals and checks,
the alarms and the notes, as tables that continue over as many pages as they need.

matplotlib's non-GUI API only (``Figure`` and ``PdfPages``): no pyplot, no Qt, so it runs on any
thread and on a machine with no display. Traces are reduced to min/max per bucket first
(:mod:`roomctl.export.plotting`): three hours of 75 Hz pleth would otherwise be 800 000 points.
Session times are shown as h:mm(:ss) from the session's opening, clock times in this computer's
time zone. Page 1's panels are drawn by :mod:`roomctl.export.pdf_plots`, the pages laid out by
:mod:`roomctl.export.pdf_layout`; this module says what the report contains.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from matplotlib.backends.backend_pdf import PdfPages

from roomctl.export.bundle import Progress, SessionBundle, scaled
from roomctl.export.facts import BloodPressure
from roomctl.export.files import Written, private_output
from roomctl.export.pdf_layout import (
    A4,
    MARGIN,
    MUTED,
    Column,
    Pages,
    duration,
    hms,
    minutes_text,
)
from roomctl.export.pdf_plots import draw_plots

ADVISORY = (
    "Advisory record from roomctl: the bedside monitor and the clinical chart remain primary."
)


class _Clock:
    """Clock times (this computer's zone) of session times; with seconds when the session
    clock ran faster than real time (a demo), where minutes would all read the same."""

    def __init__(self, bundle: SessionBundle) -> None:
        self._base = bundle.timebase
        self.format = "%H:%M" if bundle.timebase.speed == 1 else "%H:%M:%S"

    def __call__(self, t: float | None) -> str:
        return "-" if t is None else self.date(t).strftime(self.format)

    def date(self, t: float) -> datetime:
        return self._base.wall(t).astimezone()


# ---------------------------------------------------------------------------------- header
def _header(pages: Pages, bundle: SessionBundle, clock: _Clock) -> None:
    info, facts = bundle.info, bundle.facts
    start_t = bundle.events[0].t if bundle.events else 0.0
    start = clock.date(start_t)
    pages.text(MARGIN, pages.y, "Session report", fontsize=17, fontweight="bold")
    pages.text(
        A4[0] - MARGIN, pages.y + 0.05, f"session {info.id}", fontsize=7.5, ha="right", color=MUTED
    )
    pages.y += 0.42
    planned = f"{facts.state.planned_minutes:g} min planned"
    if facts.state.infusion_s is not None:
        planned += f", {facts.state.infusion_s / 60:.0f} min given"
    mode = info.mode
    if any(e.kind == "system" and e.data.get("action") == "generated" for e in bundle.events):
        mode += " (generated session, not a patient)"
    if info.speed != 1:
        mode += f", clock at {info.speed:g}x (times are session times)"
    drug = facts.pump_drug or "-"
    if facts.volume_infused_ml is not None:
        drug += f", {facts.volume_infused_ml:.1f} mL infused"
    rows = [
        ("Patient", f"{info.patient} (pseudonym)"),
        ("Course no.", str(info.course)),
        ("Date", f"{start:%a %d %b %Y}, {clock(start_t)}–{clock(bundle.facts.end_t)} {start:%Z}"),
        ("Room", info.room),
        ("Status", info.status),
        ("Infusion", planned),
        ("Mode", mode),
        ("Pump", drug),
    ]
    intention = next((n.text for n in reversed(facts.notes) if n.kind == "intention"), None)
    pages.fields(rows, columns=2, key_width=0.75)
    if intention:
        pages.fields([("Intention", intention)], columns=1, key_width=0.75)
    pages.y += 0.05


# ------------------------------------------------------------------------------ the tables
def _bp_text(reading: BloodPressure | None, clock: _Clock) -> str:
    if reading is None:
        return "no reading"
    return f"{reading.text()} mmHg at {hms(reading.t)} ({clock(reading.t)})"


def _monitoring(pages: Pages, bundle: SessionBundle, clock: _Clock) -> None:
    facts = bundle.facts
    pages.heading("Monitoring summary", "in the shape of a REMS patient monitoring form")
    dosing = "-" if facts.dosing_t is None else f"{hms(facts.dosing_t)} ({clock(facts.dosing_t)})"
    ready = facts.discharge_ready_t
    rows = [
        ["Start of dosing (infusion start)", dosing],
        ["Blood pressure before dosing", _bp_text(facts.bp_before_dosing, clock)],
        [
            "Blood pressure at about 40 minutes after the start of dosing",
            _bp_text(facts.bp_at_40, clock),
        ],
        ["Blood pressure at the end of monitoring", _bp_text(facts.bp_at_end, clock)],
        [
            "Total monitoring time (start of dosing to discharge)",
            minutes_text(facts.monitoring_minutes),
        ],
        [
            "Time until ready to leave (start of dosing to discharge-ready)",
            minutes_text(facts.ready_to_leave_minutes)
            + ("" if ready is None else f", at {hms(ready)} ({clock(ready)})"),
        ],
        [
            "Discharged",
            "not discharged"
            if facts.discharged_t is None
            else f"{hms(facts.discharged_t)} ({clock(facts.discharged_t)})",
        ],
    ]
    pages.table([Column("Item", 3.6, wrap=True), Column("Recorded", 3.55, wrap=True)], rows)


def _phases_and_recovery(pages: Pages, bundle: SessionBundle, clock: _Clock) -> None:
    facts = bundle.facts
    pages.heading("Phases")
    pages.table(
        [
            Column("Phase", 1.5),
            Column("Start", 0.9, "right"),
            Column("Clock", 0.8, "right"),
            Column("Duration", 0.9, "right"),
            Column("By", 1.6),
        ],
        [
            [
                p.phase,
                hms(p.start_t),
                clock(p.start_t),
                hms(p.duration_s) if p.duration_s else "",
                p.by,
            ]
            for p in facts.phases
        ],
    )
    pages.heading("Recovery milestones and intervals")
    pages.table(
        [
            Column("Session time", 1.0, "right"),
            Column("Clock", 0.8, "right"),
            Column("Milestone", 5.3, wrap=True),
        ],
        [[hms(m.t), clock(m.t), m.label] for m in facts.milestones],
    )
    pages.table(
        [Column("Interval", 4.2), Column("Minutes", 1.0, "right")],
        [[i.label, "-" if i.minutes is None else f"{i.minutes:.1f}"] for i in facts.intervals()],
    )
    pages.heading("Recovery checks", "modified Aldrete (0-10) and MOAA/S (0-5)")
    pages.table(
        [
            Column("#", 0.35, "right"),
            Column("Session time", 1.0, "right"),
            Column("Clock", 0.8, "right"),
            Column("Aldrete", 0.8, "right"),
            Column("MOAA/S", 0.8, "right"),
            Column("Result", 1.2),
            Column("By", 1.6),
        ],
        [
            [
                str(c.n),
                hms(c.t),
                clock(c.t),
                "-" if c.aldrete is None else str(c.aldrete),
                "-" if c.moaas is None else str(c.moaas),
                "passed" if c.passed else "not passed",
                c.by,
            ]
            for c in facts.checks
        ],
        empty="no recovery checks recorded",
    )


def _alarms_and_notes(pages: Pages, bundle: SessionBundle, clock: _Clock) -> None:
    facts = bundle.facts
    pages.heading("Alarms", "advisory alarms raised by roomctl; A1... as marked on page 1")
    rows = []
    for i, a in enumerate(facts.alarms, start=1):
        acked = (
            "-" if a.acknowledged_t is None else f"after {duration(a.acknowledged_t - a.raised_t)}"
        )
        lasted = "still on" if a.ended_t is None else duration(a.ended_t - a.raised_t)
        values = ""
        if a.values:
            low, high = min(a.values), max(a.values)
            values = f"{low:g}" if low == high else f"{low:g}–{high:g}"
        kind = "technical" if a.technical else a.priority
        rows.append(
            [
                f"A{i}",
                hms(a.raised_t),
                clock(a.raised_t),
                kind,
                a.text.lstrip("* "),
                values,
                acked,
                lasted,
            ]
        )
    pages.table(
        [
            Column("", 0.35),
            Column("Raised", 0.75, "right"),
            Column("Clock", 0.6, "right"),
            Column("Priority", 0.8),
            Column("Alarm", 2.3, wrap=True),
            Column("Values", 0.8),
            Column("Acknowledged", 0.9, "right"),
            Column("Lasted", 0.6, "right"),
        ],
        rows,
        empty="no alarms",
    )
    pages.heading("Notes", "N1... as marked on page 1")
    notes = []
    for i, n in enumerate(facts.notes, start=1):
        text = n.text
        if n.kind == "voice":
            text = f"voice note ({n.seconds:g} s) {n.path}".strip()
        elif n.kind == "intention":
            text = f"Intention: {text}"
        notes.append([f"N{i}", hms(n.t), clock(n.t), n.by, text, ", ".join(n.tags)])
    pages.table(
        [
            Column("", 0.35),
            Column("Time", 0.75, "right"),
            Column("Clock", 0.6, "right"),
            Column("By", 1.0),
            Column("Note", 3.5, wrap=True),
            Column("Tags", 0.95, wrap=True),
        ],
        notes,
        empty="no notes",
    )


# ------------------------------------------------------------------------------- the file
def write_pdf(bundle: SessionBundle, out: Path, *, progress: Progress | None = None) -> Written:
    """Write the session report of ``bundle`` to ``out`` (A4 pages)."""
    report = scaled(progress, 0.0, 1.0)
    clock = _Clock(bundle)
    pages = Pages()
    _header(pages, bundle, clock)
    draw_plots(pages, bundle)
    report(0.3)
    pages.new_page()
    _monitoring(pages, bundle, clock)
    _phases_and_recovery(pages, bundle, clock)
    _alarms_and_notes(pages, bundle, clock)
    generated = datetime.now().astimezone()
    pages.footers(
        [ADVISORY, f"Session {bundle.info.id} · report generated {generated:%Y-%m-%d %H:%M %Z}"]
    )
    report(0.4)
    metadata = {
        "Title": f"Session report {bundle.info.id}",
        "Creator": "roomctl",
        "Subject": "session report",
    }
    with private_output(out) as part, PdfPages(part, metadata=metadata) as pdf:
        for number, figure in enumerate(pages.figures, start=1):
            pdf.savefig(figure)
            report(0.4 + 0.6 * number / len(pages.figures))
    return Written((Path(out).absolute(),), (f"{len(pages.figures)} pages",))
