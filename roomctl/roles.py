"""Who may do what in the room: the one permission table.

The window asks :func:`allowed` before it offers a control, and the Room's commands are only
reachable through the window, so this table is the rule. ``docs/PERMISSIONS.md`` shows the
same table for people; a test keeps the two identical.

The split follows the clinic's practice: only a nurse changes the course of the session
(starts it, ends the infusion, discharges); the therapist shapes the sound and writes notes;
staff review past sessions and change nothing in the room.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    NURSE = "nurse"
    THERAPIST = "therapist"
    STAFF = "staff"


class Action(StrEnum):
    START_SESSION = "start_session"
    PAUSE_EXTEND = "pause_extend"
    END_INFUSION = "end_infusion"
    EMERGENCY = "emergency"
    EXAM_LIGHT = "exam_light"
    ACKNOWLEDGE_ALARM = "acknowledge_alarm"
    BASELINE = "baseline"
    RECOVERY_CHECK = "recovery_check"
    DISCHARGE = "discharge"
    SOUNDSCAPE = "soundscape"
    MUSIC_LEVEL = "music_level"
    NOTE = "note"
    VOICE_NOTE = "voice_note"
    INTENTION = "intention"
    VIEW_LIVE = "view_live"
    REVIEW = "review"
    EXPORT = "export"


#: What each action means, for the docs and the window's "not allowed" messages.
DESCRIPTIONS: dict[Action, str] = {
    Action.START_SESSION: "start a session (lights, music, feeds, recording)",
    Action.PAUSE_EXTEND: "pause, resume or extend the infusion",
    Action.END_INFUSION: "end the infusion",
    Action.EMERGENCY: "switch emergency mode on or off",
    Action.EXAM_LIGHT: "switch the exam light",
    Action.ACKNOWLEDGE_ALARM: "acknowledge an alarm, pause alarm audio",
    Action.BASELINE: "enter baseline vitals",
    Action.RECOVERY_CHECK: "record a recovery check",
    Action.DISCHARGE: "discharge the patient",
    Action.SOUNDSCAPE: "choose, preview and shape the soundscape",
    Action.MUSIC_LEVEL: "set the music level",
    Action.NOTE: "write timestamped notes",
    Action.VOICE_NOTE: "record and play voice notes",
    Action.INTENTION: "record the session's intention",
    Action.VIEW_LIVE: "see the live session (vitals, pump, phase)",
    Action.REVIEW: "review past sessions and courses",
    Action.EXPORT: "export a session (VitalDB, CSV, JSON, PDF)",
}

_NURSE = {
    Action.START_SESSION,
    Action.PAUSE_EXTEND,
    Action.END_INFUSION,
    Action.EMERGENCY,
    Action.EXAM_LIGHT,
    Action.ACKNOWLEDGE_ALARM,
    Action.BASELINE,
    Action.RECOVERY_CHECK,
    Action.DISCHARGE,
    Action.MUSIC_LEVEL,
    Action.NOTE,
    Action.INTENTION,
    Action.VIEW_LIVE,
    Action.REVIEW,
    Action.EXPORT,
}
_THERAPIST = {
    # A therapist at the bedside must be able to summon help and light the room.
    Action.EMERGENCY,
    Action.EXAM_LIGHT,
    Action.SOUNDSCAPE,
    Action.MUSIC_LEVEL,
    Action.NOTE,
    Action.VOICE_NOTE,
    Action.INTENTION,
    Action.VIEW_LIVE,
    Action.REVIEW,
}
_STAFF = {Action.REVIEW, Action.EXPORT}

PERMISSIONS: dict[Role, frozenset[Action]] = {
    Role.NURSE: frozenset(_NURSE),
    Role.THERAPIST: frozenset(_THERAPIST),
    Role.STAFF: frozenset(_STAFF),
}


def allowed(role: Role | None, action: Action) -> bool:
    """True when ``role`` may do ``action``; a locked window (no role) may do nothing."""
    return role is not None and action in PERMISSIONS[role]


def permission_table() -> str:
    """The table as Markdown, exactly as docs/PERMISSIONS.md shows it."""
    roles = list(Role)
    lines = [
        "| Action | " + " | ".join(r.value for r in roles) + " |",
        "|---|" + "|".join(":-:" for _ in roles) + "|",
    ]
    for action in Action:
        marks = " | ".join("yes" if allowed(r, action) else "-" for r in roles)
        lines.append(f"| {DESCRIPTIONS[action]} | {marks} |")
    return "\n".join(lines) + "\n"
