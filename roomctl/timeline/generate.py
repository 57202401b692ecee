"""Realistic sessions, made quickly, for exports, their tests and their benchmarks.

A generated session is not written by hand: a real :class:`~roomctl.room.Room` runs it on a
fake clock, with a scripted nurse pressing its buttons, readings from a simple physiological
model going through the Room's alarm engine, and device twins that report like the null
devices. Its events are therefore exactly the shapes the Room writes (phases, cues, reminders,
recovery checks with Aldrete scores, alarms raised, acknowledged and cleared), and replaying them
gives a discharged session. Only the store write is batched: a three-hour session with 75 Hz
pleth takes seconds, not three hours.

The model (per second): HR, SpO2, RR and EtCO2 with slow drift and noise, ketamine's rise in HR
and blood pressure during the infusion, one brief desaturation (a real SpO2 alarm), a monitor
link that goes stale once in recovery; NIBP every 5 minutes; the pump's rate and volume; a
synthetic 75 Hz pleth wave in one-second chunks, as a feed delivers it.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from roomctl.clock import FakeClock
from roomctl.config import Config, load_config
from roomctl.cues import SteppedScheduler
from roomctl.null_devices import LateReport, NullLights, NullMusicPlayer, NullSoundscapeOutput
from roomctl.room import Room
from roomctl.session import TransitionError
from roomctl.timeline.events import Event, Kind, Sample, WaveChunk
from roomctl.timeline.sessions import NewSession
from roomctl.timeline.store import TimelineStore

NURSE = "nurse"
THERAPIST = "therapist"
GENERATOR = "generator"
#: When the nurse opens the session to when she starts preparing (session seconds).
PREPARE_AT_S = 30.0
NIBP_EVERY_S = 300.0
ESCORT_S = 120.0
CHECK_DELAY_S = 60.0
ACK_DELAY_S = 20.0
DOSE_MG_PER_KG = 0.5
CONCENTRATION_MG_ML = 1.0
PASSING = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}
NOT_YET = {"activity": 1, "respiration": 2, "circulation": 2, "consciousness": 1, "spo2": 2}


# -------------------------------------------------------------------------------------- sink
@dataclass
class GeneratedSession:
    """What a generated session would have sent to the store, in order."""

    session: NewSession | None = None
    events: list[Event] = field(default_factory=list)
    samples: list[Sample] = field(default_factory=list)
    waves: list[WaveChunk] = field(default_factory=list)

    @property
    def id(self) -> str:
        assert self.session is not None
        return self.session.id

    # The TimelineSink protocol, so the Room writes straight into this.
    def create_session(self, session: Any, owner_host: str, owner_pid: int) -> None:
        self.session = session

    def append(self, event: Event) -> None:
        self.events.append(event)

    def append_samples(self, samples: Sequence[Sample]) -> None:
        self.samples.extend(samples)

    def append_wave(self, chunk: WaveChunk) -> None:
        self.waves.append(chunk)

    def heartbeat(
        self, session_id: str, t: float, wall: datetime, owner_host: str, owner_pid: int
    ) -> None:
        """Liveness means nothing for a generated session."""


# --------------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class _Schedule:
    """When things happen, in session seconds (the physiology needs them in advance)."""

    dosing_t: float
    pause_t: float | None
    pause_s: float
    end_t: float
    discharge_t: float
    planned_minutes: int

    @property
    def duration_s(self) -> int:
        return int(self.discharge_t + ESCORT_S + 600)


def _drift(rng: np.random.Generator, n: int, sigma: float, keep: float = 0.995) -> np.ndarray:
    """Slow AR(1) wander: what makes a trend look like a person, not a sine."""
    noise = rng.normal(0.0, sigma * np.sqrt(1 - keep**2), n)
    out = np.empty(n)
    level = 0.0
    for i in range(n):  # n is seconds: 11 000 for three hours
        level = keep * level + noise[i]
        out[i] = level
    return out


def _ketamine(t: np.ndarray, s: _Schedule) -> np.ndarray:
    """0..1: the drug's effect, rising over the infusion and fading after it."""
    rise = np.clip((t - s.dosing_t) / 900.0, 0.0, 1.0)
    fade = np.exp(-np.clip(t - s.end_t, 0.0, None) / 1500.0)
    return np.where(t < s.dosing_t, 0.0, rise * fade)


def _vitals(s: _Schedule, rng: np.random.Generator, weight_kg: float) -> dict[str, np.ndarray]:
    n = s.duration_s
    t = np.arange(n, dtype=float)
    k = _ketamine(t, s)
    hr = 70 + 12 * k + _drift(rng, n, 3.0) + rng.normal(0, 0.8, n)
    spo2 = 98 + 0.6 * _drift(rng, n, 1.0) + rng.normal(0, 0.3, n)
    desat_t = s.dosing_t + 0.6 * (s.end_t - s.dosing_t)  # a brief desaturation mid-infusion
    dip = np.clip(1 - np.abs(t - desat_t - 30) / 40, 0, 1)
    spo2 -= 6.5 * np.minimum(1.0, dip * 1.6)
    rr = 14 + _drift(rng, n, 1.2) + rng.normal(0, 0.5, n)
    etco2 = 37 + _drift(rng, n, 1.5) + rng.normal(0, 0.4, n)
    infusing = (t >= s.dosing_t) & (t < s.end_t)
    if s.pause_t is not None:
        infusing &= ~((t >= s.pause_t) & (t < s.pause_t + s.pause_s))
    rate = DOSE_MG_PER_KG * weight_kg / CONCENTRATION_MG_ML / (s.planned_minutes / 60.0)
    pump_rate = np.where(infusing, round(rate, 1), 0.0)
    volume = np.cumsum(pump_rate) / 3600.0
    return {
        "t": t,
        "k": k,
        "hr": np.round(hr),
        "spo2": np.clip(np.round(spo2), 70, 100),
        "rr": np.clip(np.round(rr), 6, 30),
        "etco2": np.clip(np.round(etco2), 25, 50),
        "pump_rate_ml_h": pump_rate,
        "pump_vi_ml": np.round(volume, 2),
    }


def _pleth(hr: np.ndarray, rr: np.ndarray, rate_hz: int, rng: np.random.Generator) -> np.ndarray:
    """A pulse-oximeter wave: one beat shape per heartbeat, breathing in its amplitude."""
    per_second = np.repeat(hr / 60.0 / rate_hz, rate_hz)
    phase = np.cumsum(per_second)
    beat = phase % 1.0
    shape = np.exp(-(((beat - 0.2) / 0.08) ** 2)) + 0.4 * np.exp(-(((beat - 0.5) / 0.1) ** 2))
    breath = np.cumsum(np.repeat(rr / 60.0 / rate_hz, rate_hz))
    amplitude = 1.0 + 0.1 * np.sin(2 * np.pi * breath)
    wave = 20 + 60 * shape * amplitude + rng.normal(0, 0.6, len(beat))
    return wave.astype(np.float32)


# --------------------------------------------------------------------------------- the nurse
class _Nurse:
    """Presses the buttons: reacts to recovery-check reminders, alarms and discharge-readiness."""

    def __init__(self, room: Room, scheduler: SteppedScheduler, s: _Schedule) -> None:
        self.room, self.scheduler, self.s = room, scheduler, s
        self.checks = 0
        room.subscribe(self._on_event)

    def _later(self, name: str, due: float, action: Any) -> None:
        self.scheduler.at(f"nurse:{name}", due, action)

    def _on_event(self, event: Event) -> None:
        room, now = self.room, self.room.clock.now()
        if event.kind == Kind.REMINDER and event.data.get("purpose") == "recovery_check":
            self._later(f"check{event.seq}", now + CHECK_DELAY_S, self._check)
        elif event.kind == Kind.ALARM and event.data.get("action") in ("raised", "latched"):
            alarm_id = str(event.data["id"])
            self._later(
                f"ack:{alarm_id}:{event.seq}", now + ACK_DELAY_S, lambda: self._ack(alarm_id)
            )
        elif event.kind == Kind.RECOVERY and event.data.get("milestone") == "discharge_ready":
            due = max(self.s.discharge_t, now + ESCORT_S)
            self._later("discharge", due, lambda: room.discharge(by=NURSE))

    def _check(self) -> None:
        # The last two checks before the planned discharge pass; earlier ones do not yet.
        state = self.room.state
        recovery_s = state.recovery_elapsed(self.room.clock.now())
        passing = recovery_s >= _passing_from(self.s)
        self.checks += 1
        self.room.recovery_check(
            aldrete=PASSING if passing else NOT_YET, moaas=5 if passing else 4, by=NURSE
        )

    def _ack(self, alarm_id: str) -> None:
        with contextlib.suppress(TransitionError):  # it may have cleared by itself meanwhile
            self.room.acknowledge_alarm(alarm_id, by=NURSE)


def _passing_from(s: _Schedule, every_s: float = 900.0) -> float:
    """Recovery time from which checks pass, so that discharge-ready comes before discharge."""
    last = int((s.discharge_t - s.end_t - ESCORT_S - CHECK_DELAY_S) // every_s)
    return max(1, last - 1) * every_s


# ------------------------------------------------------------------------------ the session
def _schedule(
    config: Config,
    preparing_minutes: float,
    minutes_infusion: int,
    pause_minutes: float,
    recovery_minutes: float,
) -> _Schedule:
    dosing = PREPARE_AT_S + preparing_minutes * 60.0
    pause_s = pause_minutes * 60.0
    pause_t = dosing + minutes_infusion * 30.0 if pause_s > 0 else None
    end = dosing + minutes_infusion * 60.0 + pause_s
    # Two passing checks (every 15 min) and the minimum recovery time must fit before discharge.
    least = max(config.recovery.minimum_minutes * 60.0, 2 * 900.0) + CHECK_DELAY_S + ESCORT_S
    discharge = end + max(recovery_minutes * 60.0, least)
    return _Schedule(dosing, pause_t, pause_s, end, discharge, minutes_infusion)


def simulate_session(
    *,
    patient: str = "P-0001",
    course: int = 1,
    minutes_infusion: int = 40,
    preparing_minutes: float = 10.0,
    recovery_minutes: float = 60.0,
    pause_minutes: float = 0.0,
    seed: int = 0,
    pleth: bool = True,
    pleth_hz: int = 75,
    weight_kg: float = 70.0,
    started_at: datetime | None = None,
    config: Config | None = None,
) -> GeneratedSession:
    """Run one session on a fake clock and keep what it wrote (nothing is stored).

    ``patient`` is a pseudonym. The session is discharged about ``recovery_minutes`` after the
    infusion ends (at least the configured minimum plus two passing checks).
    """
    config = config or load_config()
    s = _schedule(config, preparing_minutes, minutes_infusion, pause_minutes, recovery_minutes)
    rng = np.random.default_rng(seed)
    vitals = _vitals(s, rng, weight_kg)
    wave = _pleth(vitals["hr"], vitals["rr"], pleth_hz, rng) if pleth else None
    clock = FakeClock(wall0=started_at or datetime(2026, 3, 2, 8, 30, tzinfo=UTC))
    scheduler = SteppedScheduler(clock)
    sink = GeneratedSession()
    reports = [LateReport("lights"), LateReport("music"), LateReport("soundscape")]
    room = Room.open_session(
        patient=patient,
        course=course,
        planned_minutes=minutes_infusion,
        mode="demo",
        config=config,
        clock=clock,
        sink=sink,
        scheduler=scheduler,
        lights=NullLights(reports[0]),
        music=NullMusicPlayer(reports[1]),
        soundscape=NullSoundscapeOutput(reports[2]),
    )
    for report in reports:
        report.bind(room)
    room.report(GENERATOR, Kind.SYSTEM, {"action": "generated", "seed": seed})
    _Nurse(room, scheduler, s)
    _script(room, scheduler, s)
    _run(room, scheduler, s, vitals, wave, pleth_hz)
    room.close()
    return sink


def _script(room: Room, scheduler: SteppedScheduler, s: _Schedule) -> None:
    """The nurse's and therapist's planned presses, at their session times."""
    dosing, end = s.dosing_t, s.end_t
    plan: list[tuple[float, str, Any]] = [
        (PREPARE_AT_S, "prepare", lambda: room.prepare(by=NURSE)),
        (PREPARE_AT_S + 5, "monitor", lambda: room.feed_link("monitor", "connected", "generated")),
        (PREPARE_AT_S + 6, "pump", lambda: room.feed_link("pump", "connected", "generated")),
        (
            PREPARE_AT_S + 120,
            "intention",
            lambda: room.set_intention("To rest and let go of the week", THERAPIST),
        ),
        (PREPARE_AT_S + 60, "drug", lambda: _pump(room, pump_drug="ketamine", pump_state="STOP")),
        (dosing, "start", lambda: room.start_infusion(by=NURSE)),
        (dosing + 2, "run", lambda: _pump(room, pump_state="RUN")),
        (dosing + 600, "note1", lambda: room.note("Eyes closed, settled", ["calm"], THERAPIST)),
        (
            dosing + 0.6 * (end - dosing) + 150,
            "note2",
            lambda: room.note("Brief anxiety after desaturation; reassured", ["anxious"], NURSE),
        ),
        (end + 2, "kvo", lambda: _pump(room, pump_state="STOP")),
        (end + 600, "note3", lambda: room.note("Talking, oriented, sipping water", [], NURSE)),
        (end + 1260, "stale", lambda: room.feed_link("monitor", "stale", "no data for 5 s")),
        (end + 1290, "back", lambda: room.feed_link("monitor", "connected", "data again")),
    ]
    if s.pause_t is not None:
        plan += [
            (s.pause_t, "pause", lambda: room.pause(by=NURSE)),
            (s.pause_t + 1, "pump_pause", lambda: _pump(room, pump_state="PAUSE")),
            (s.pause_t + s.pause_s, "resume", lambda: room.resume_infusion(by=NURSE)),
            (s.pause_t + s.pause_s + 1, "pump_run", lambda: _pump(room, pump_state="RUN")),
        ]
    for due, name, action in plan:
        scheduler.at(f"script:{name}", due, action)


def _pump(room: Room, **values: str) -> None:
    """Pump text that changed: an event per key, as the feed delivery records it."""
    for key, value in values.items():
        room.report("pump", Kind.FEED, {"feed": "pump", key: value})


def _run(
    room: Room,
    scheduler: SteppedScheduler,
    s: _Schedule,
    vitals: dict[str, np.ndarray],
    wave: np.ndarray | None,
    pleth_hz: int,
) -> None:
    """Second by second: due presses and cues first, then the feeds' readings."""
    columns = {k: vitals[k].tolist() for k in ("hr", "spo2", "rr", "etco2")}
    pump = {k: vitals[k].tolist() for k in ("pump_rate_ml_h", "pump_vi_ml")}
    k = vitals["k"].tolist()
    monitoring_from = int(PREPARE_AT_S + 6)
    stale = (int(s.end_t + 1260), int(s.end_t + 1290))
    next_nibp = PREPARE_AT_S + 90
    for second in range(1, s.duration_s):
        scheduler.run_until(float(second))
        if not room.state.live:
            return
        if second < monitoring_from or stale[0] <= second < stale[1]:
            continue
        i = second
        room.readings("monitor", {name: values[i] for name, values in columns.items()})
        room.readings("pump", {name: values[i] for name, values in pump.items()})
        if second >= next_nibp:
            next_nibp += NIBP_EVERY_S
            sys_ = round(118 + 22 * k[i] + 4 * np.sin(i / 1700.0))
            dia = round(76 + 12 * k[i] + 2 * np.sin(i / 2300.0))
            nibp = {"nibp_sys": sys_, "nibp_dia": dia, "nibp_map": round(dia + (sys_ - dia) / 3)}
            room.readings("monitor", {key: float(v) for key, v in nibp.items()})
        if wave is not None:
            chunk = wave[(i - 1) * pleth_hz : i * pleth_hz]
            room.wave("pleth", float(pleth_hz), tuple(chunk.tolist()))
        room.tick_alarms()
    raise RuntimeError("the generated session did not reach discharge")  # a bug, not data


# -------------------------------------------------------------------------------- the store
def write_session(store: TimelineStore, session: GeneratedSession, *, batch: int = 20_000) -> str:
    """Append a generated session to ``store`` in large batches; returns its id."""
    assert session.session is not None
    store.create_session(session.session, socket.gethostname(), os.getpid())
    for i in range(0, len(session.events), batch):
        store.append(session.events[i : i + batch])
    for i in range(0, len(session.samples), batch):
        store.append((), samples=session.samples[i : i + batch])
    wave_batch = max(1, batch // 20)
    for i in range(0, len(session.waves), wave_batch):
        store.append((), waves=session.waves[i : i + wave_batch])
    store.release(session.session.id)
    return session.session.id


def generate_session(store: TimelineStore, **options: Any) -> str:
    """:func:`simulate_session` with ``options``, written to ``store``; returns the session id."""
    return write_session(store, simulate_session(**options))


#: A long session for benchmarks: 3 hours from opening to discharge, 60-minute infusion.
THREE_HOURS: dict[str, Any] = {
    "preparing_minutes": 20.0,
    "minutes_infusion": 60,
    "pause_minutes": 5.0,
    "recovery_minutes": 94.0,
}
