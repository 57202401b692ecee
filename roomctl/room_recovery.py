"""The Room's recovery half: recovery checks (modified Aldrete, MOAA/S), discharge-readiness
and discharge. A mixin of :class:`roomctl.room.Room` in its own module, as its own job; the
rules themselves are pure, in :mod:`roomctl.recovery`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from roomctl.clock import Clock
from roomctl.config import Config
from roomctl.recovery import aldrete_total, discharge_ready
from roomctl.session import Phase, SessionState, TransitionError, discharge_blockers
from roomctl.timeline.events import Event, Kind


class RoomRecovery:
    config: Config
    clock: Clock
    state: SessionState
    _record: Callable[[Kind, str, dict[str, Any]], Event]
    _change_phase: Callable[..., None]

    def recovery_check(
        self,
        *,
        aldrete: dict[str, int],
        moaas: int | None = None,
        by: str = "nurse",
        **observations: Any,
    ) -> None:
        """Record a recovery check; discharge-readiness is re-evaluated at once."""
        if self.state.phase != Phase.RECOVERING:
            raise TransitionError(
                f"recovery checks belong to recovery (phase is {self.state.phase})"
            )
        if moaas is not None and moaas not in range(0, 6):
            raise TransitionError(f"MOAA/S is 0-5 (got {moaas!r})")
        total = aldrete_total(aldrete)
        passed = total >= self.config.recovery.discharge_aldrete
        self._record(
            Kind.RECOVERY,
            by,
            {
                "milestone": "check",
                "n": len(self.state.recovery_checks) + 1,
                "aldrete": total,
                "aldrete_items": dict(aldrete),
                "moaas": moaas,
                "passed": passed,
                "recovery_s": round(self.state.recovery_elapsed(self.clock.now()), 3),
                **observations,
            },
        )
        self._evaluate_discharge_ready()

    def discharge(self, by: str = "nurse") -> None:
        t = self.clock.now()
        blockers = discharge_blockers(self.state, t, self.config.recovery.minimum_minutes)
        if blockers:
            raise TransitionError("cannot discharge: " + "; ".join(blockers))
        recovery_s = round(self.state.recovery_elapsed(t), 3)
        self._record(Kind.RECOVERY, by, {"milestone": "discharged", "recovery_s": recovery_s})
        self._change_phase(Phase.DISCHARGED, by, recovery_s=recovery_s)

    def _evaluate_discharge_ready(self) -> None:
        state = self.state
        if state.phase != Phase.RECOVERING or state.discharge_ready_t is not None:
            return
        recovery = self.config.recovery
        elapsed = state.recovery_elapsed(self.clock.now())
        if discharge_ready(
            state.recovery_checks,
            elapsed,
            recovery.minimum_minutes,
            recovery.passing_checks_in_a_row,
        ):
            self._record(
                Kind.RECOVERY,
                "room",
                {"milestone": "discharge_ready", "recovery_s": round(elapsed, 3)},
            )
