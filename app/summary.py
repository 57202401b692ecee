"""The printed account of a session: phases with times and durations, events by kind, and
where the timeline is stored. Read back from the store, so it shows what is durable."""

from __future__ import annotations

from collections import Counter

from roomctl.timeline.events import Event, Kind
from roomctl.timeline.store import SessionInfo


def clock_text(seconds: float) -> str:
    """Session seconds as H:MM:SS (session time, not wall time)."""
    seconds = max(0, round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def phase_rows(events: list[Event]) -> list[tuple[str, float, float | None]]:
    """(phase, entered at t, duration or None while it lasts)."""
    phases = [(e.data["to"], e.t) for e in events if e.kind == Kind.PHASE]
    rows: list[tuple[str, float, float | None]] = []
    for i, (name, t) in enumerate(phases):
        end = phases[i + 1][1] if i + 1 < len(phases) else None
        rows.append((name, t, None if end is None else end - t))
    return rows


def render(info: SessionInfo, events: list[Event], where: str, real_seconds: float | None) -> str:
    lines = [
        f"Session {info.id} · {info.room} · patient {info.patient} (course {info.course})",
        f"Status: {info.status} · planned infusion {info.planned_minutes} min · "
        f"clock speed {info.speed:g}x"
        + (f" · ran {real_seconds:.1f} s real time" if real_seconds is not None else ""),
        "",
        "Phases (session time):",
    ]
    for name, t, duration in phase_rows(events):
        lasted = "" if duration is None else clock_text(duration)
        lines.append(f"  {clock_text(t):>9}  {name:<11} {lasted:>9}")
    infusion = [e for e in events if e.kind == Kind.PHASE and e.data.get("to") == "recovering"]
    if infusion:
        lines.append(f"  infusion ran {clock_text(infusion[0].data.get('infusion_s', 0))}")
    recovery = [e for e in events if e.kind == Kind.RECOVERY]
    for e in recovery:
        if e.data.get("milestone") in ("discharge_ready", "discharged"):
            lines.append(
                f"  {e.data['milestone'].replace('_', '-')} after "
                f"{clock_text(e.data.get('recovery_s', 0))} of recovery"
            )
    counts = Counter(str(e.kind) for e in events)
    lines += ["", f"Events: {len(events)}"]
    lines += [f"  {kind:<11} {counts[kind]:>5}" for kind in (str(k) for k in Kind) if counts[kind]]
    lines += [
        "",
        f"Timeline: {where}",
        f"  roomctl sessions show {info.id}",
        f"  roomctl sessions verify {info.id}",
    ]
    return "\n".join(lines)
