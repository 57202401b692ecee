"""The room's lights on a Philips Hue bridge, behind the core's ``Lights`` interface.

The Room calls :meth:`HueLights.apply` on the GUI thread, so apply only converts the scene and
hands it to a worker thread; it never waits on the bridge. The worker sends one group action at
a time through phue (:class:`RoomBridge`), at most one a second; a burst collapses to its latest
scene. Every command's outcome (ok or error, with latency) comes back through ``report`` as a
``lights`` event. A failure raises the technical alarm ``lights_unreachable`` and is retried
with back-off; when the bridge answers again the alarm clears and the current scene is applied
again, as far along as it would be by now. An idle bridge is checked every few seconds, so a
power cut that reset the lamps to full white is noticed and undone without any new command.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devices.lights.bridge import REQUEST_TIMEOUT_S, BridgeError, RoomBridge, send_group_state
from devices.lights.convert import DEFAULT_MIRED_RANGE, HueState, scene_states
from devices.lights.limits import GROUP_INTERVAL_S, Backoff, Pacer
from roomctl.config import SceneConfig
from roomctl.interfaces import Report
from roomctl.timeline.events import Kind

log = logging.getLogger(__name__)

CONDITION = "lights_unreachable"
CHECK_EVERY_S = 10.0

UsernameSource = str | None | Callable[[], str | None]


def alarm_text(error: BridgeError) -> str:
    """What the nurse reads in the alarm banner; never the key, never a stack trace."""
    if error.kind in ("refused", "unpaired", "link_button"):
        return "Lights refuse roomctl: pair the bridge again (advisory)"
    if error.kind == "api":
        return "Lights bridge rejected a command (advisory)"
    return "Lights unreachable (advisory)"


@dataclass
class _Job:
    """A scene on its way to the bridge: the group actions still to send, in order."""

    name: str
    scene: SceneConfig
    requested_at: float
    steps: list[HueState]
    reapply: bool = False
    sent: int = 0
    superseded: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.sent + len(self.steps)


@dataclass
class _Outcome:
    """What one exchange with the bridge produced, reported after the lock is let go."""

    events: list[tuple[Kind, dict[str, Any]]] = field(default_factory=list)


class HueLights:
    """``Lights`` on a Hue bridge's group; see the module docstring for the threading rules."""

    def __init__(
        self,
        *,
        bridge: str,
        username: UsernameSource,
        report: Report,
        key_file: Path,
        group: int = 1,
        mired_range: tuple[int, int] = DEFAULT_MIRED_RANGE,
        backend: str = "hue",
        backoff: Backoff | None = None,
        check_every_s: float = CHECK_EVERY_S,
        group_interval_s: float = GROUP_INTERVAL_S,
        timeout_s: float = REQUEST_TIMEOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bridge = bridge
        self.group = group
        self._username = username
        self._report = report
        self._key_file = key_file
        self._mired_range = mired_range
        self._backend = backend
        self._backoff = backoff or Backoff()
        self._check_every_s = check_every_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._pacer = Pacer(group_interval_s, clock)
        self._cond = threading.Condition()
        self._job: _Job | None = None
        self._in_flight: _Job | None = None
        self._current: _Job | None = None
        self._link = "unknown"
        self._failures = 0
        self._retry_at: float | None = None
        self._next_check = clock()  # learn the link state at once, before any scene
        self._alarm_text = "Lights unreachable (advisory)"
        self._closed = False
        self._muted = False
        self._thread = threading.Thread(target=self._run, name="hue-lights", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- the GUI thread's side

    def apply(self, name: str, scene: SceneConfig) -> None:
        """Queue ``scene``; returns at once (a lock held only for a few assignments)."""
        job = _Job(name, scene, self._clock(), list(scene_states(scene, self._mired_range)))
        with self._cond:
            if self._closed:
                return
            old = self._job
            if old is not None:
                # Steps of the old scene that will now never go out (one may be on the wire).
                flying = old is self._in_flight
                unsent = len(old.steps) - (1 if flying else 0)
                gone = [old.name] if unsent > 0 and not old.reapply else []
                # A job on the wire reports what it superseded itself.
                job.superseded = [*([] if flying else old.superseded), *gone]
            self._job = job
            self._current = job
            self._retry_at = None  # a new command is tried now, not after the back-off
            self._cond.notify()

    @property
    def link(self) -> str:
        """``unknown``, ``up`` or ``down``: what the window shows beside the scene."""
        with self._cond:
            return self._link

    def close(self) -> None:
        """Stop the worker; waits at most for one request in flight (about a second)."""
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(self._timeout_s + 0.5)
        self._muted = True  # a worker stuck past that must not report into a closed session

    # ---------------------------------------------------------------- the worker thread

    def _run(self) -> None:
        while True:
            with self._cond:
                work = self._next_work()
            if work is None:
                return
            job, state = work
            outcome = self._exchange(job, state)
            for kind, data in outcome.events:
                if not self._muted:
                    self._deliver(kind, data)

    def _deliver(self, kind: Kind, data: dict[str, Any]) -> None:
        """Report; a failing receiver is logged, and the lights keep working regardless."""
        try:
            self._report(kind, data)
        except Exception:
            log.exception("the lights report (%s) could not be delivered", kind)

    def _next_work(self) -> tuple[_Job | None, HueState | None] | None:
        """Wait (under the lock) until something is due: a step to send, or a check."""
        while not self._closed:
            now = self._clock()
            if self._job is not None:
                due = max(self._pacer.ready_at(), self._retry_at or now)
                if now >= due:
                    self._in_flight = self._job
                    return self._job, self._job.steps[0]
            else:
                due = self._retry_at if self._retry_at is not None else self._next_check
                if now >= due:
                    return None, None
            self._cond.wait(max(0.001, due - now))
        return None

    def _exchange(self, job: _Job | None, state: HueState | None) -> _Outcome:
        """One request to the bridge, outside the lock; then the bookkeeping, under it."""
        started = self._clock()
        error: BridgeError | None = None
        try:
            hue = RoomBridge(self.bridge, self._key(), self._key_file, timeout_s=self._timeout_s)
            if state is None:
                hue.get_group(self.group)
            else:
                send_group_state(hue, self.group, state)
        except BridgeError as exc:
            error = exc
        except ValueError as exc:  # a bad address: say so on the timeline like any failure
            error = BridgeError("down", str(exc))
        except Exception as exc:  # never let the worker die: the lights would go silent
            log.exception("unexpected failure talking to bridge %s", self.bridge)
            error = BridgeError("answer", f"unexpected {type(exc).__name__} from {self.bridge}")
        latency_ms = round((self._clock() - started) * 1000, 1)
        with self._cond:
            return self._settle(job, state, error, started, latency_ms)

    def _key(self) -> str:
        username = self._username() if callable(self._username) else self._username
        if not username:
            raise BridgeError(
                "unpaired",
                f"no key for bridge {self.bridge}: "
                f"run `roomctl lights pair --bridge {self.bridge}`",
            )
        return username

    def _settle(
        self,
        job: _Job | None,
        state: HueState | None,
        error: BridgeError | None,
        started: float,
        latency_ms: float,
    ) -> _Outcome:
        outcome = _Outcome()
        now = self._clock()
        self._in_flight = None
        if state is not None:
            self._pacer.sent()
        if job is not None and state is not None:
            outcome.events += self._job_events(job, state, error, started, latency_ms)
        was = self._link
        if error is None:
            self._link, self._failures, self._retry_at = "up", 0, None
            self._next_check = now + self._check_every_s
            if job is not None and job is self._job:
                job.steps.pop(0)
                job.sent += 1
                if not job.steps:
                    self._job = None
        else:
            self._link = "down"
            self._failures += 1
            retry_in = self._backoff.delay(self._failures)
            self._retry_at = now + retry_in
            if self._current is not None and (self._job is None or self._job is job):
                self._job = self._replan(self._current, now)
            if outcome.events:
                outcome.events[-1][1]["retry_in_s"] = round(retry_in, 3)
        if job is None and self._link != was:
            outcome.events.append((Kind.LIGHTS, self._check_event(error, latency_ms)))
        if self._link != was and (was == "down" or self._link == "down"):
            outcome.events.append((Kind.ALARM, self._alarm(error)))
        return outcome

    def _replan(self, current: _Job, now: float) -> _Job:
        """The current scene again, as far along as it would be by now (after a failure)."""
        steps = scene_states(current.scene, self._mired_range, now - current.requested_at)
        job = _Job(current.name, current.scene, current.requested_at, list(steps), reapply=True)
        pending = self._job
        if pending is not None:
            job.superseded = list(pending.superseded)
        return job

    def _common(self) -> dict[str, Any]:
        return {"backend": self._backend, "bridge": self.bridge, "group": self.group}

    def _job_events(
        self,
        job: _Job,
        state: HueState,
        error: BridgeError | None,
        started: float,
        latency_ms: float,
    ) -> list[tuple[Kind, dict[str, Any]]]:
        events: list[tuple[Kind, dict[str, Any]]] = []
        if job.sent == 0 and job.superseded:
            for name in job.superseded:
                events.append(
                    (
                        Kind.LIGHTS,
                        {
                            "action": "apply",
                            "scene": name,
                            "outcome": "coalesced",
                            "superseded_by": job.name,
                            **self._common(),
                        },
                    )
                )
            job.superseded = []
        data: dict[str, Any] = {
            "action": "reapply" if job.reapply else "apply",
            "scene": job.name,
            "step": job.sent + 1,
            "steps": job.total,
            "state": state.body(),
            **self._common(),
            "outcome": "ok" if error is None else "error",
            "latency_ms": latency_ms,
            "queued_ms": round(max(0.0, started - job.requested_at) * 1000, 1),
        }
        if error is not None:
            data["error"] = str(error)
            data["error_kind"] = error.kind
        events.append((Kind.LIGHTS, data))
        return events

    def _check_event(self, error: BridgeError | None, latency_ms: float) -> dict[str, Any]:
        data: dict[str, Any] = {
            "action": "check",
            **self._common(),
            "outcome": "ok" if error is None else "error",
            "latency_ms": latency_ms,
        }
        if error is not None:
            data["error"] = str(error)
            data["error_kind"] = error.kind
        return data

    def _alarm(self, error: BridgeError | None) -> dict[str, Any]:
        if error is not None:
            self._alarm_text = alarm_text(error)  # cleared under the name it was raised with
        return {
            "type": "technical",
            "priority": "low",
            "condition": CONDITION,
            "state": "raised" if error is not None else "cleared",
            "text": self._alarm_text,
        }
