"""The session state machine, pure: phases, the infusion clock, and what the timeline implies.

State is never stored apart from the timeline. :func:`apply` folds one event into a
:class:`SessionState`; the Room uses it live, and resuming after a crash folds the stored
events again, so a resumed session is exactly where its committed events left it.

Phases: ``ready → preparing → infusing ⇄ paused → recovering → discharged`` and ``aborted``;
``emergency`` is an overlay that any live phase may enter and leave.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from roomctl.config import MAX_INFUSION_MINUTES
from roomctl.timeline.events import Event, Kind


class Phase(StrEnum):
    READY = "ready"
    PREPARING = "preparing"
    INFUSING = "infusing"
    PAUSED = "paused"
    RECOVERING = "recovering"
    DISCHARGED = "discharged"
    ABORTED = "aborted"


TERMINAL = frozenset({Phase.DISCHARGED, Phase.ABORTED})

#: Which phase may follow which. Everything else is refused with a reason.
TRANSITIONS: dict[Phase, frozenset[Phase]] = {
    Phase.READY: frozenset({Phase.PREPARING, Phase.ABORTED}),
    Phase.PREPARING: frozenset({Phase.INFUSING, Phase.ABORTED}),
    Phase.INFUSING: frozenset({Phase.PAUSED, Phase.RECOVERING, Phase.ABORTED}),
    Phase.PAUSED: frozenset({Phase.INFUSING, Phase.RECOVERING, Phase.ABORTED}),
    Phase.RECOVERING: frozenset({Phase.DISCHARGED, Phase.ABORTED}),
    Phase.DISCHARGED: frozenset(),
    Phase.ABORTED: frozenset(),
}


class TransitionError(ValueError):
    """A command that the session's current state does not allow, with the reason."""


@dataclass(frozen=True, slots=True)
class RecoveryCheck:
    t: float
    aldrete: int | None
    passed: bool


@dataclass(frozen=True, slots=True)
class SessionState:
    """Everything the engine knows about a session, derived from its events."""

    phase: Phase = Phase.READY
    emergency: bool = False
    planned_minutes: float = 40
    phase_started_t: float = 0.0
    preparing_started_t: float | None = None
    infusion_started_t: float | None = None
    paused_since_t: float | None = None
    paused_total_s: float = 0.0
    infusion_ended_t: float | None = None
    infusion_s: float | None = None
    recovery_checks: tuple[RecoveryCheck, ...] = ()
    discharge_ready_t: float | None = None
    fired_cues: frozenset[str] = field(default_factory=frozenset)
    baseline: dict[str, float] = field(default_factory=dict)
    last_t: float = 0.0
    last_seq: int = 0

    @property
    def planned_s(self) -> float:
        return self.planned_minutes * 60.0

    def infusion_elapsed(self, t: float) -> float:
        """Infusion time actually run at session time ``t``: pauses excluded."""
        if self.infusion_started_t is None:
            return 0.0
        end = self.infusion_ended_t if self.infusion_ended_t is not None else t
        paused = self.paused_total_s
        if self.paused_since_t is not None and self.infusion_ended_t is None:
            paused += max(0.0, t - self.paused_since_t)
        return max(0.0, end - self.infusion_started_t - paused)

    def infusion_remaining(self, t: float) -> float:
        return max(0.0, self.planned_s - self.infusion_elapsed(t))

    def recovery_elapsed(self, t: float) -> float:
        if self.infusion_ended_t is None:
            return 0.0
        return max(0.0, t - self.infusion_ended_t)

    @property
    def live(self) -> bool:
        return self.phase not in TERMINAL


def check_transition(state: SessionState, to: Phase) -> None:
    """Raise :class:`TransitionError` unless ``state`` may move to ``to``."""
    if to not in TRANSITIONS[state.phase]:
        raise TransitionError(f"cannot go from {state.phase} to {to}")


def check_extend(state: SessionState, by_minutes: float) -> float:
    """The new planned length after extending by ``by_minutes``, or :class:`TransitionError`."""
    if state.phase not in (Phase.INFUSING, Phase.PAUSED):
        raise TransitionError(f"can only extend a running infusion (phase is {state.phase})")
    if by_minutes <= 0:
        raise TransitionError("an extension must be positive")
    new = state.planned_minutes + by_minutes
    if new > MAX_INFUSION_MINUTES:
        raise TransitionError(
            f"{state.planned_minutes:g} + {by_minutes:g} min would exceed "
            f"the {MAX_INFUSION_MINUTES}-minute maximum"
        )
    return new


def discharge_blockers(state: SessionState, t: float, minimum_minutes: float) -> list[str]:
    """Why the patient may not be discharged yet; empty when they may."""
    reasons = []
    if state.phase != Phase.RECOVERING:
        reasons.append(f"not in recovery (phase is {state.phase})")
        return reasons
    remaining = minimum_minutes * 60.0 - state.recovery_elapsed(t)
    if remaining > 0:
        reasons.append(f"minimum recovery time not reached ({remaining / 60:.1f} min to go)")
    if state.discharge_ready_t is None:
        reasons.append("not discharge-ready (recovery checks not yet passing)")
    return reasons


def _apply_phase(state: SessionState, event: Event) -> SessionState:
    to = Phase(event.data["to"])
    t = event.t
    changes: dict[str, Any] = {"phase": to, "phase_started_t": t}
    if "planned_minutes" in event.data:
        changes["planned_minutes"] = float(event.data["planned_minutes"])
    if to == Phase.PREPARING:
        changes["preparing_started_t"] = t
    elif to == Phase.INFUSING:
        if state.infusion_started_t is None:
            changes["infusion_started_t"] = t
        if state.paused_since_t is not None:
            changes["paused_total_s"] = state.paused_total_s + (t - state.paused_since_t)
            changes["paused_since_t"] = None
    elif to == Phase.PAUSED:
        changes["paused_since_t"] = t
    elif to == Phase.RECOVERING:
        paused_total = state.paused_total_s
        if state.paused_since_t is not None:
            paused_total += t - state.paused_since_t
        changes.update(paused_total_s=paused_total, paused_since_t=None, infusion_ended_t=t)
        started = state.infusion_started_t if state.infusion_started_t is not None else t
        changes["infusion_s"] = max(0.0, t - started - paused_total)
    return replace(state, **changes)


def apply(state: SessionState, event: Event) -> SessionState:
    """Fold one event into the state. Events the engine does not track leave it unchanged."""
    data = event.data
    if event.kind == Kind.PHASE:
        state = _apply_phase(state, event)
    elif event.kind == Kind.SYSTEM:
        action = data.get("action")
        if action == "session_opened" or action == "infusion_extended":
            state = replace(state, planned_minutes=float(data["planned_minutes"]))
        elif action == "baseline":
            state = replace(state, baseline={k: float(v) for k, v in data["values"].items()})
        elif action in ("emergency_on", "emergency_off"):
            state = replace(state, emergency=action == "emergency_on")
    elif event.kind == Kind.RECOVERY:
        milestone = data.get("milestone")
        if milestone == "check":
            check = RecoveryCheck(event.t, data.get("aldrete"), bool(data.get("passed")))
            state = replace(state, recovery_checks=(*state.recovery_checks, check))
        elif milestone == "discharge_ready":
            state = replace(state, discharge_ready_t=event.t)
    if "cue_id" in data:
        state = replace(state, fired_cues=state.fired_cues | {data["cue_id"]})
    return replace(state, last_t=max(state.last_t, event.t), last_seq=event.seq)


def replay(events: list[Event], initial: SessionState | None = None) -> SessionState:
    """The state a list of events (in seq order) leaves a session in."""
    state = initial or SessionState()
    for event in events:
        state = apply(state, event)
    return state
