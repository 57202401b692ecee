"""The Room: one live session, owned by one thread (the GUI thread in the app).

Every command (a nurse's press, a cue firing, a device's report) is checked against the pure
session state, turned into events, appended to the timeline sink, folded into the state and
announced to listeners. Devices are told what to do after the event that asked for it is on
the timeline, and they report back what happened as events of their own.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from roomctl.clock import Clock
from roomctl.config import Config
from roomctl.cues import CueRunner, Scheduler
from roomctl.interfaces import Lights, MusicPlayer, SoundscapeOutput, TimelineSink
from roomctl.monitoring import Monitoring
from roomctl.plan import END_INFUSION, MINIMUM_RECOVERY, Cue, pending_cues
from roomctl.room_recovery import RoomRecovery
from roomctl.room_sound import RoomSound
from roomctl.room_vitals import RoomVitals
from roomctl.session import (
    Phase,
    SessionState,
    TransitionError,
    apply,
    check_extend,
    check_transition,
    replay,
)
from roomctl.stage import Stage
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.store import NewSession

EventListener = Callable[[Event], None]


def new_session_id(wall: datetime) -> str:
    """Sortable, readable and unique enough across rooms: ``20261125-142501-3fa9c2``."""
    return f"{wall:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


class Room(RoomVitals, RoomRecovery, RoomSound):
    """One session's live state and the only place that changes it."""

    def __init__(
        self,
        *,
        session_id: str,
        config: Config,
        clock: Clock,
        sink: TimelineSink,
        scheduler: Scheduler,
        lights: Lights,
        music: MusicPlayer,
        soundscape: SoundscapeOutput,
        state: SessionState | None = None,
    ) -> None:
        self.session_id = session_id
        self.config = config
        self.clock = clock
        self._sink = sink
        self._scheduler = scheduler
        self.stage = Stage(config, lights, music, soundscape, self._cue)
        self.monitoring = Monitoring(config.alarms)
        self.state = state or SessionState(planned_minutes=config.plan.infusion_minutes)
        if self.state.baseline:
            self.monitoring.set_baseline(self.state.baseline)
        self._seq = self.state.last_seq
        self._cues = CueRunner(scheduler)
        self._listeners: list[EventListener] = []
        #: The events a resumed session was rebuilt from (empty for a new session).
        self.resumed_from: list[Event] = []
        self._commit_listeners: list[Callable[[list[Event]], None]] = []
        self._host = socket.gethostname()
        self._pid = os.getpid()

    # ---------------------------------------------------------------- lifecycle

    @classmethod
    def open_session(
        cls,
        *,
        patient: str,
        course: int,
        planned_minutes: int | None = None,
        mode: str = "clinical",
        **parts: Any,
    ) -> Room:
        """Create a new session in ``ready`` and record its opening."""
        config: Config = parts["config"]
        clock: Clock = parts["clock"]
        planned = planned_minutes or config.plan.infusion_minutes
        wall = clock.wall()
        room = cls(
            session_id=new_session_id(wall),
            state=SessionState(planned_minutes=planned, last_t=clock.now()),
            **parts,
        )
        room._sink.create_session(
            NewSession(
                id=room.session_id,
                room=config.room.name,
                patient=patient,
                course=course,
                planned_minutes=planned,
                speed=clock.speed,
                mode=mode,
                started_at=wall,
            ),
            room._host,
            room._pid,
        )
        room._record(
            Kind.SYSTEM,
            "room",
            {
                "action": "session_opened",
                "room": config.room.name,
                "patient": patient,
                "course": course,
                "planned_minutes": planned,
                "speed": clock.speed,
                "mode": mode,
            },
        )
        room._record(Kind.PHASE, "room", {"to": str(Phase.READY), "from": None})
        return room

    @classmethod
    def resume_session(
        cls, *, session_id: str, events: list[Event], last_seen_t: float, **parts: Any
    ) -> Room:
        """Continue a session from its committed events.

        The caller builds the clock so that it continues from where the session really is
        (its last sign of life plus the real time since, scaled): the pump kept running while
        roomctl was down, so the infusion timer must too. The gap goes on the timeline.
        """
        if not events:
            raise TransitionError(f"session {session_id} has no events to resume from")
        state = replay(events)
        if not state.live:
            raise TransitionError(f"session {session_id} already ended ({state.phase})")
        room = cls(session_id=session_id, state=state, **parts)
        room.resumed_from = list(events)  # what the screens replay to catch up
        room._sink.heartbeat(session_id, room.clock.now(), room.clock.wall(), room._host, room._pid)
        room._record(
            Kind.SYSTEM,
            "room",
            {
                "action": "resumed",
                "phase": str(state.phase),
                "last_event_t": state.last_t,
                "last_seen_t": last_seen_t,
                "gap_s": round(max(0.0, room.clock.now() - max(last_seen_t, state.last_t)), 3),
            },
        )
        room.stage.enter(
            state.phase,
            previous=None,
            planned_s=state.planned_s,
            emergency=state.emergency,
            resumed=True,
            position_s=state.infusion_elapsed(room.clock.now())
            if state.phase == Phase.INFUSING
            else 0.0,
        )
        if state.emergency:
            room.stage.emergency(True, state.phase)
        room._sync_cues()
        return room

    def close(self) -> None:
        """Stop scheduling this session's cues (the session itself stays as it is)."""
        self._cues.cancel_all()

    # ---------------------------------------------------------------- listeners

    def subscribe(self, listener: EventListener) -> None:
        """``listener(event)`` for every event as it is recorded (not yet durable)."""
        self._listeners.append(listener)

    def subscribe_committed(self, listener: Callable[[list[Event]], None]) -> None:
        """``listener(events)`` once events are durable: the UI shows an action as done here."""
        self._commit_listeners.append(listener)

    def unsubscribe(self, listener: Callable[..., None]) -> None:
        """Forget ``listener`` (a closed widget must not be called again)."""
        for listeners in (self._listeners, self._commit_listeners):
            while listener in listeners:
                listeners.remove(listener)

    def committed(self, events: list[Event]) -> None:
        """Called (on the Room's thread) by the writer when events reached the store."""
        mine = [e for e in events if e.session == self.session_id]
        for listener in list(self._commit_listeners):
            listener(mine)

    # ---------------------------------------------------------------- nurse commands

    def prepare(self, by: str = "nurse") -> None:
        self._change_phase(Phase.PREPARING, by)

    def start_infusion(self, by: str = "nurse") -> None:
        check_transition(self.state, Phase.INFUSING)
        if not self.state.baseline:
            baseline = self.monitoring.baseline_from_preparation()
            if baseline:
                self._record(
                    Kind.SYSTEM,
                    "room",
                    {"action": "baseline", "from": "preparation", "values": baseline},
                )
        self._change_phase(Phase.INFUSING, by, planned_minutes=self.state.planned_minutes)

    def pause(self, by: str = "nurse") -> None:
        t = self.clock.now()
        if self.state.phase != Phase.INFUSING:
            raise TransitionError(
                f"can only pause a running infusion (phase is {self.state.phase})"
            )
        self._change_phase(
            Phase.PAUSED, by, infusion_elapsed_s=round(self.state.infusion_elapsed(t), 3)
        )

    def resume_infusion(self, by: str = "nurse") -> None:
        if self.state.phase != Phase.PAUSED:
            raise TransitionError(f"the infusion is not paused (phase is {self.state.phase})")
        since = self.state.paused_since_t or self.clock.now()
        self._change_phase(Phase.INFUSING, by, paused_s=round(self.clock.now() - since, 3))

    def extend(self, by_minutes: float, by: str = "nurse") -> None:
        if by_minutes not in self.config.plan.extend_steps_minutes:
            steps = ", ".join(f"+{s}" for s in self.config.plan.extend_steps_minutes)
            raise TransitionError(f"extend by one of {steps} minutes (got {by_minutes:g})")
        planned = check_extend(self.state, by_minutes)
        self._record(
            Kind.SYSTEM,
            by,
            {"action": "infusion_extended", "by_minutes": by_minutes, "planned_minutes": planned},
        )
        self.stage.refit(planned * 60.0)
        self._sync_cues()

    def end_infusion(self, by: str = "nurse", reason: str = "nurse") -> None:
        if self.state.phase not in (Phase.INFUSING, Phase.PAUSED):
            raise TransitionError(f"no infusion to end (phase is {self.state.phase})")
        t = self.clock.now()
        elapsed = self.state.infusion_elapsed(t)
        self._change_phase(
            Phase.RECOVERING,
            by,
            infusion_s=round(elapsed, 3),
            planned_minutes=self.state.planned_minutes,
            reason=reason,
            sync=False,
        )
        self._record(
            Kind.RECOVERY, by, {"milestone": "recovery_start", "infusion_s": round(elapsed, 3)}
        )
        self._sync_cues()

    def emergency(self, on: bool, by: str = "nurse") -> None:
        if not self.state.live:
            raise TransitionError(f"the session has ended ({self.state.phase})")
        if on == self.state.emergency:
            raise TransitionError("already in emergency" if on else "not in emergency")
        self._record(Kind.SYSTEM, by, {"action": "emergency_on" if on else "emergency_off"})
        self.stage.emergency(on, self.state.phase)

    def exam_light(self, on: bool, by: str = "nurse") -> None:
        """The exam light: full light to look at the patient, then the previous scene."""
        if not self.state.live:
            raise TransitionError(f"the session has ended ({self.state.phase})")
        if "exam" not in self.config.lights.scenes:
            raise TransitionError("no [lights.scenes.exam] configured")
        self._record(Kind.SYSTEM, by, {"action": "exam_light_on" if on else "exam_light_off"})
        self.stage.exam(on, self.state.phase, self.state.emergency)

    def abort(self, reason: str, by: str = "nurse") -> None:
        if not reason.strip():
            raise TransitionError("give a reason to abort a session")
        self._change_phase(Phase.ABORTED, by, reason=reason.strip())

    def record_dose_plan(self, weight_kg: float, mg_per_kg: float, by: str = "nurse") -> None:
        """Weight and dose as entered before the session: shown and exported, never sent to the
        pump (roomctl is read-only towards it)."""
        if not (20 <= weight_kg <= 300 and 0 < mg_per_kg <= 2):
            raise TransitionError(f"implausible dose plan: {weight_kg:g} kg, {mg_per_kg:g} mg/kg")
        total = round(weight_kg * mg_per_kg, 1)
        self._record(
            Kind.SYSTEM,
            by,
            {
                "action": "dose_plan",
                "weight_kg": weight_kg,
                "mg_per_kg": mg_per_kg,
                "total_mg": total,
                "display_only": True,
            },
        )

    def record_checklist(self, items: dict[str, bool], by: str = "nurse") -> None:
        """The pre-session checklist as ticked before the infusion (kept for review)."""
        if not items:
            raise TransitionError("an empty checklist")
        self._record(Kind.SYSTEM, by, {"action": "checklist", "items": dict(items)})

    def note(self, text: str, tags: Iterable[str] = (), by: str = "therapist") -> None:
        if not text.strip() and not tags:
            raise TransitionError("an empty note")
        self._record(Kind.NOTE, by, {"text": text.strip(), "tags": sorted(set(tags))})

    def report(self, source: str, kind: Kind, data: dict[str, Any]) -> None:
        """A device adapter's account of what it did (called on the Room's thread).

        A technical condition an adapter raises or clears (lights unreachable, a feed lost)
        goes through the alarm engine, so it is shown, acknowledged and cleared like any other.
        """
        if kind == Kind.ALARM and data.get("type") == "technical":
            self._technical(source, data)
            return
        self._record(kind, source, data)

    def heartbeat(self) -> None:
        """Proof of life for crash detection and the resume gap; call about once a second."""
        if self.state.live:
            self._sink.heartbeat(
                self.session_id, self.clock.now(), self.clock.wall(), self._host, self._pid
            )

    # ---------------------------------------------------------------- internals

    def _record(self, kind: Kind, source: str, data: dict[str, Any]) -> Event:
        t = max(self.clock.now(), self.state.last_t)
        self._seq += 1
        event = Event(self.session_id, self._seq, t, self.clock.wall(), source, kind, data)
        self._sink.append(event)
        self.state = apply(self.state, event)
        for listener in list(self._listeners):
            listener(event)
        return event

    def _change_phase(self, to: Phase, by: str, *, sync: bool = True, **data: Any) -> None:
        check_transition(self.state, to)
        previous = self.state.phase
        self._record(Kind.PHASE, by, {"to": str(to), "from": str(previous), **data})
        self.stage.enter(
            to, previous=previous, planned_s=self.state.planned_s, emergency=self.state.emergency
        )
        if sync:
            self._sync_cues()

    def _cue(self, data: dict[str, Any]) -> None:
        self._record(Kind.CUE, "plan", data)

    def _sync_cues(self) -> None:
        """Make the scheduler hold exactly the plan's pending cues (after any state change)."""
        self._cues.sync(pending_cues(self.state, self.config, self.clock.now()), self._fire)

    def _fire(self, cue: Cue) -> None:
        """A cue came due. Ignore it if the plan has moved on since it was scheduled."""
        if not self._cues.claim(cue) or cue.id in self.state.fired_cues:
            return
        if cue.phase != self.state.phase:
            return
        now = self.clock.now()
        late_s = round(now - cue.due_t, 3)
        if cue.action == END_INFUSION:
            self._record(
                Kind.CUE,
                "plan",
                {
                    "cue_id": cue.id,
                    "action": END_INFUSION,
                    "due_t": round(cue.due_t, 3),
                    "late_s": late_s,
                },
            )
            self.end_infusion(by="plan", reason="planned")
            return
        if cue.action == MINIMUM_RECOVERY:
            self._record(
                Kind.RECOVERY,
                "plan",
                {
                    "cue_id": cue.id,
                    "milestone": "minimum_time_reached",
                    "due_t": round(cue.due_t, 3),
                },
            )
            self._evaluate_discharge_ready()
            return
        self._record(
            Kind.REMINDER,
            "plan",
            {
                "cue_id": cue.id,
                "text": cue.text,
                "purpose": cue.purpose,
                "phase": str(cue.phase),
                "due_t": round(cue.due_t, 3),
                "late_s": late_s,
            },
        )
        self._sync_cues()
