"""One line of plain words for an event, for readers that are not roomctl.

VitalRecorder shows an ``EVENT`` track as text markers, the CSV has a ``text`` column beside the
event's JSON, and the PDF lists alarms and notes: all three say the same thing through
:func:`describe`. The JSON keeps each event's full ``data``, so nothing is lost by the wording.
"""

from __future__ import annotations

from typing import Any

from roomctl.timeline.events import Event, Kind


def _minutes(seconds: Any) -> str:
    try:
        return f"{float(seconds) / 60:.1f} min"
    except (TypeError, ValueError):
        return "?"


def _phase(data: dict[str, Any]) -> str:
    text = f"Phase {data.get('from') or 'start'} → {data.get('to')}"
    if data.get("reason"):
        text += f" ({data['reason']})"
    return text


def _cue(data: dict[str, Any]) -> str:
    action = data.get("action", "cue")
    what = data.get("scene") or data.get("playlist") or data.get("preset") or data.get("level")
    return f"Cue {action}" + (f" {what}" if what is not None else "")


def _device(kind: Kind, data: dict[str, Any]) -> str:
    what = data.get("scene") or data.get("playlist") or data.get("preset") or ""
    outcome = data.get("outcome")
    text = f"{kind.value.capitalize()} {data.get('action', '')} {what}".rstrip()
    return text + (f" ({outcome})" if outcome and outcome != "ok" else "")


def _feed(data: dict[str, Any]) -> str:
    feed = data.get("feed", "feed")
    if "link" in data:
        detail = f" ({data['detail']})" if data.get("detail") else ""
        return f"Feed {feed} {data['link']}{detail}"
    changes = [f"{k} {v}" for k, v in data.items() if k != "feed"]
    return f"Feed {feed}: " + ", ".join(changes)


def _alarm(data: dict[str, Any]) -> str:
    text = f"Alarm {data.get('action', '')}: {data.get('text', data.get('id', ''))}"
    if data.get("value") is not None:
        text += f" (value {data['value']:g})" if isinstance(data["value"], int | float) else ""
    return text


def _recovery(data: dict[str, Any]) -> str:
    milestone = data.get("milestone")
    if milestone == "check":
        verdict = "passed" if data.get("passed") else "not passed"
        moaas = f", MOAA/S {data['moaas']}" if data.get("moaas") is not None else ""
        return (
            f"Recovery check {data.get('n', '')}: Aldrete {data.get('aldrete')}{moaas}, {verdict}"
        )
    if milestone == "discharge_ready":
        return f"Discharge-ready after {_minutes(data.get('recovery_s'))} of recovery"
    if milestone == "discharged":
        return f"Discharged after {_minutes(data.get('recovery_s'))} of recovery"
    if milestone == "recovery_start":
        return "Recovery started"
    if milestone == "minimum_time_reached":
        return "Minimum recovery time reached"
    return f"Recovery {milestone}"


def _system(data: dict[str, Any]) -> str:
    action = data.get("action", "")
    if action == "session_opened":
        planned = data.get("planned_minutes")
        return f"Session opened, course {data.get('course')}, {planned} min planned"
    if action == "baseline":
        values = ", ".join(f"{k} {v:g}" for k, v in dict(data.get("values", {})).items())
        return f"Baseline ({data.get('from', '')}): {values}"
    if action == "infusion_extended":
        return f"Infusion extended by {data.get('by_minutes')} min to {data.get('planned_minutes')}"
    if action == "resumed":
        return f"Resumed in phase {data.get('phase')} after a gap of {data.get('gap_s')} s"
    return action.replace("_", " ").capitalize() or "System"


def describe(event: Event) -> str:
    """A short human sentence for ``event`` (never the whole data)."""
    data, kind = event.data, event.kind
    if kind == Kind.PHASE:
        return _phase(data)
    if kind == Kind.CUE:
        return _cue(data)
    if kind in (Kind.LIGHTS, Kind.MUSIC, Kind.SOUNDSCAPE):
        return _device(kind, data)
    if kind == Kind.FEED:
        return _feed(data)
    if kind == Kind.ALARM:
        return _alarm(data)
    if kind == Kind.NOTE:
        tags = f" [{', '.join(data['tags'])}]" if data.get("tags") else ""
        return f"Note ({event.source}): {data.get('text', '')}{tags}"
    if kind == Kind.RECOVERY:
        return _recovery(data)
    if kind == Kind.REMINDER:
        return f"Reminder: {data.get('text', '')}"
    return _system(data)
