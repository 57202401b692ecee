"""A simulated nurse for the demo: presses the buttons a nurse would, when a nurse would.

Reactive rather than scripted: it looks at the session's state and the reminders that come
due, so it picks up a resumed session exactly where the crashed one stopped. Its actions are
scheduled on the Room's own scheduler, so they run on the Room's thread at session times.
"""

from __future__ import annotations

import contextlib

from roomctl.cues import Scheduler
from roomctl.room import Room
from roomctl.session import Phase, TransitionError
from roomctl.timeline.events import Event, Kind

NURSE = "demo-nurse"
JOB = "nurse:"
PASSING_CHECK = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}


class DemoNurse:
    """Runs a session from ``ready`` to ``discharged`` with passing recovery checks."""

    def __init__(
        self,
        room: Room,
        scheduler: Scheduler,
        *,
        preparing_minutes: float,
        escort_minutes: float = 2.0,
    ) -> None:
        self._room = room
        self._scheduler = scheduler
        self._preparing_s = preparing_minutes * 60.0
        self._escort_s = escort_minutes * 60.0

    def attach(self) -> None:
        """Start watching the room and act on the state it is in now."""
        self._room.subscribe(self._on_event)
        self._plan_for_state()

    def _later(self, name: str, due_t: float, action: object) -> None:
        self._scheduler.at(JOB + name, due_t, action)  # type: ignore[arg-type]

    def _plan_for_state(self) -> None:
        state, room = self._room.state, self._room
        now = room.clock.now()
        if state.phase == Phase.READY:
            self._later("prepare", now, lambda: room.prepare(by=NURSE))
        elif state.phase == Phase.PREPARING:
            start = (state.preparing_started_t or now) + self._preparing_s
            self._later("start", start, lambda: room.start_infusion(by=NURSE))
        elif state.phase == Phase.PAUSED:
            self._later("resume", now, lambda: room.resume_infusion(by=NURSE))
        elif state.phase == Phase.INFUSING:
            if state.infusion_elapsed(now) < 600:
                due = now + 600 - state.infusion_elapsed(now)
                self._later(
                    "note", due, lambda: room.note("Settled, eyes closed", ["calm"], by=NURSE)
                )
            if not room.config.plan.auto_end_infusion:
                due = now + state.infusion_remaining(now)
                self._later("end", due, lambda: room.end_infusion(by=NURSE))
        elif state.phase == Phase.RECOVERING and state.discharge_ready_t is not None:
            self._schedule_discharge()

    def _on_event(self, event: Event) -> None:
        room = self._room
        if event.kind == Kind.PHASE:
            self._plan_for_state()
        elif event.kind == Kind.REMINDER and event.data.get("purpose") == "recovery_check":
            self._later(
                "check",
                room.clock.now(),
                lambda: room.recovery_check(aldrete=PASSING_CHECK, moaas=5, by=NURSE),
            )
        elif event.kind == Kind.RECOVERY and event.data.get("milestone") == "discharge_ready":
            self._schedule_discharge()
        elif event.kind == Kind.ALARM and event.data.get("action") in ("raised", "latched"):
            # The nurse looks at the patient and the bedside monitor, then acknowledges.
            alarm_id = str(event.data["id"])
            self._later(
                f"ack:{alarm_id}", room.clock.now() + 30, lambda: self._acknowledge(alarm_id)
            )

    def _acknowledge(self, alarm_id: str) -> None:
        with contextlib.suppress(TransitionError):  # it may have cleared by itself meanwhile
            self._room.acknowledge_alarm(alarm_id, by=NURSE)

    def _schedule_discharge(self) -> None:
        room = self._room
        self._later(
            "discharge", room.clock.now() + self._escort_s, lambda: room.discharge(by=NURSE)
        )
