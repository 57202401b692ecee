"""The phase plan, pure: which timed cues are still to come, and when, in session seconds.

The plan is recomputed from the session state after every change instead of being edited in
place: a pause simply means the infusion cues are absent until the infusion resumes, after which
their due times include the paused time; an extension makes later occurrences and the new end
appear. A cue that already fired is in ``state.fired_cues`` and never comes back, which is what
lets a resumed session fire what it missed (late) and nothing twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from roomctl.config import Config, ReminderConfig
from roomctl.session import Phase, SessionState

END_INFUSION = "end_infusion"
REMINDER = "reminder"
MINIMUM_RECOVERY = "minimum_recovery"


@dataclass(frozen=True, slots=True)
class Cue:
    """One timed action: ``due_t`` in session seconds, ``id`` unique within the session."""

    id: str
    phase: Phase
    due_t: float
    action: str
    text: str = ""
    purpose: str = "reminder"


def _phase_origin(state: SessionState) -> float | None:
    """Session time that a phase's cue offsets count from (infusion start for the infusion)."""
    if state.phase == Phase.PREPARING:
        return state.preparing_started_t
    if state.phase == Phase.INFUSING:
        if state.infusion_started_t is None:
            return None
        return state.infusion_started_t + state.paused_total_s
    if state.phase == Phase.RECOVERING:
        return state.infusion_ended_t
    return None


def _offsets(
    reminder: ReminderConfig, horizon_s: float | None, elapsed_s: float
) -> list[tuple[int, float]]:
    """(occurrence, offset) pairs: a one-shot, or every N minutes up to ``horizon_s`` (exclusive).

    Unbounded repeats (recovery checks) are listed up to the next one after ``elapsed_s``.
    """
    if reminder.at_minutes is not None:
        offset = reminder.at_minutes * 60.0
        return [] if horizon_s is not None and offset >= horizon_s else [(0, offset)]
    step = float(reminder.every_minutes or 0) * 60.0
    if horizon_s is not None:
        count = math.ceil(horizon_s / step) - 1  # strictly before the horizon
    else:
        count = math.floor(elapsed_s / step) + 1  # every one due so far, and the next
    return [(k, k * step) for k in range(1, count + 1)]


def pending_cues(state: SessionState, config: Config, now: float) -> list[Cue]:
    """Cues of the current phase that have not fired, earliest first (past ones are late)."""
    origin = _phase_origin(state)
    if origin is None or not state.live:
        return []
    phase = state.phase
    cues_config = getattr(config.phases, str(phase))
    elapsed = max(0.0, now - origin)
    # The infusion has a planned end; preparation and recovery repeat until the phase ends.
    horizon = state.planned_s if phase == Phase.INFUSING else None
    cues: list[Cue] = []
    for index, reminder in enumerate(cues_config.reminders):
        for occurrence, offset in _offsets(reminder, horizon, elapsed):
            cues.append(
                Cue(
                    id=f"{phase}.r{index}.{occurrence}",
                    phase=phase,
                    due_t=origin + offset,
                    action=REMINDER,
                    text=reminder.text,
                    purpose=reminder.purpose,
                )
            )
    if phase == Phase.INFUSING and config.plan.auto_end_infusion:
        cues.append(Cue("infusing.end", phase, origin + state.planned_s, END_INFUSION))
    if phase == Phase.RECOVERING:
        due = origin + config.recovery.minimum_minutes * 60.0
        cues.append(Cue("recovering.minimum", phase, due, MINIMUM_RECOVERY))
    pending = [c for c in cues if c.id not in state.fired_cues]
    # At equal times the end of the infusion comes last, after the reminders due with it.
    return sorted(pending, key=lambda c: (c.due_t, c.action == END_INFUSION, c.id))
