"""The room's screens, rendered offscreen from a simulated session, for the docs and a look.

A real Room runs on a fake clock with the null device twins and the simulated patient of the
feeds (``devices/sim/physiology.py``, the desaturation scenario), so every number on the
screens went through the Room's monitoring and alarm engine exactly as in a session; only time
is stepped instead of waited for. The review screen shows a generated six-session course.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.music_library import resolve_playlists
from devices.sim.physiology import Physiology, ketamine_pump
from roomctl.clock import FakeClock
from roomctl.config import Config, load_config
from roomctl.cues import SteppedScheduler
from roomctl.null_devices import NullLights, NullMusicPlayer, NullSoundscapeOutput
from roomctl.roles import Role
from roomctl.room import Room
from roomctl.session import Phase
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.generate import GeneratedSession, generate_session
from roomctl.timeline.store import TimelineStore
from roomctl.users import User
from ui.main_window import Tab

SIZE = (1600, 1000)
NAMES = (
    "nurse-ready.png",
    "nurse-infusing.png",
    "nurse-alarm.png",
    "nurse-recovering.png",
    "therapist.png",
    "review.png",
    "course.png",
)
PLETH_HZ = 75
PREPARING_S = 5 * 60.0


@dataclass
class SimulatedRoom:
    room: Room
    clock: FakeClock
    scheduler: SteppedScheduler
    sink: GeneratedSession
    patient: Physiology
    infusion_started_s: float | None = None
    pump_state: str = ""
    #: Called every simulated second: the window's trends sample once a second of real time,
    #: and simulated minutes pass faster than its timers.
    each_second: Callable[[], None] | None = None

    def run(self, seconds: float, *, tick: Callable[[], None] | None = None) -> None:
        """Advance the session second by second, the monitor and pump reporting as feeds do."""
        for _ in range(int(seconds)):
            self.scheduler.advance(1.0)
            t = self.clock.now()
            vitals = self.patient.vitals(t)
            values = {
                k: v
                for k, v in {
                    "hr": vitals.hr,
                    "spo2": vitals.spo2,
                    "rr": vitals.rr,
                    "etco2": vitals.etco2,
                }.items()
                if v is not None
            }
            if int(t) % 300 == 0:
                cuff = self.patient.cuff(t)
                values |= {"nibp_sys": cuff.sys, "nibp_dia": cuff.dia, "nibp_map": cuff.map}
            self.room.readings("monitor", values)
            started = self.infusion_started_s
            pump = ketamine_pump(t, starts_at_s=started if started is not None else 1e9)
            if pump.state != self.pump_state:
                self.pump_state = pump.state
                self.room.report(
                    "pump", Kind.FEED, {"feed": "pump", "pump_state": pump.state, "drug": pump.drug}
                )
            self.room.readings(
                "pump",
                {
                    "pump_rate_ml_h": pump.rate_ml_h,
                    "pump_vi_ml": pump.vi_ml,
                    "pump_vtbi_ml": pump.vtbi_ml,
                },
            )
            wave = tuple(self.patient.pleth(t - 1 + i / PLETH_HZ) for i in range(PLETH_HZ))
            self.room.wave("pleth", PLETH_HZ, wave)
            self.room.tick_alarms()
            if self.each_second is not None:
                self.each_second()
            if tick is not None:
                tick()


def simulated_room(config: Config) -> SimulatedRoom:
    clock = FakeClock()
    scheduler = SteppedScheduler(clock)
    sink = GeneratedSession()  # keeps what the Room writes, as a generated session does
    reports: list[tuple[str, Kind, dict]] = []

    def report_for(source: str):
        return lambda kind, data: reports.append((source, kind, data))

    room = Room.open_session(
        patient="heron-07",
        course=3,
        planned_minutes=40,
        config=config,
        clock=clock,
        sink=sink,
        scheduler=scheduler,
        lights=NullLights(report_for("lights")),
        music=NullMusicPlayer(report_for("music")),
        soundscape=NullSoundscapeOutput(report_for("soundscape")),
        mode="demo",
    )

    def deliver(event: Event) -> None:
        room.committed([event])  # no writer here: recorded is durable
        while reports:
            source, kind, data = reports.pop(0)
            room.report(source, kind, data)

    room.subscribe(deliver)
    return SimulatedRoom(room, clock, scheduler, sink, Physiology("desaturation", seed=3))


def render(out: Path, *, config: Config | None = None) -> list[Path]:
    """Write the six PNGs into ``out``; returns their paths."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication([])
    config = resolve_playlists(config or load_config(None))  # as the runtime does
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="roomctl-screens-"))
    store = course_store(folder)
    sim = simulated_room(config)
    room = sim.room
    written: list[Path] = []

    def pump_ui() -> None:
        for _ in range(3):
            app.processEvents()

    window = MainWindow(
        room_name=config.room.name,
        new_session=lambda *_: room,
        resume_session=lambda _id: room,
        resumables=[],
        patient="heron-07",
        course=3,
        tabs=_extra_tabs(config, store),
    )
    window.resize(*SIZE)
    window.show()
    window.show_room(room)
    console = window.console
    assert console is not None
    sim.each_second = console.trends.sample

    def shot(name: str, tab: str = "Room") -> None:
        assert window.tabs is not None
        for i in range(window.tabs.count()):
            if window.tabs.tabText(i) == tab:
                window.tabs.setCurrentIndex(i)
        console.refresh()
        if console.trends is not None:
            console.trends.refresh()  # every row now, not at its turn in the 5 s round
        pump_ui()
        path = out / name
        window.grab().save(str(path))
        written.append(path)

    room.prepare()
    sim.run(60, tick=pump_ui)
    for box in list(console.checklist.values())[:3]:
        box.setChecked(True)
    shot("nurse-ready.png")

    for box in console.checklist.values():
        box.setChecked(True)
    sim.run(PREPARING_S - 60)
    room.set_intention("To meet the grief about my father with curiosity, not fear.")
    console.start()
    sim.infusion_started_s = sim.clock.now()
    sim.run(10 * 60)
    room.note("settled, breathing slow", ["calm"])
    sim.run(60, tick=pump_ui)
    shot("nurse-infusing.png")

    # The desaturation scenario: SpO2 falls from minute 20 of the session, low by 23.
    sim.run(7 * 60)
    sim.run(30, tick=pump_ui)
    shot("nurse-alarm.png")

    for alarm in room.monitoring.alarms.showing():
        room.acknowledge_alarm(alarm.rule_id)
    sim.run(8 * 60)
    room.note("eyes open, tearful, talking softly", ["tearful", "eyes open"])
    sim.run(12 * 60)
    if room.state.phase == Phase.INFUSING:
        room.end_infusion()
    sim.run(16 * 60)
    passing = {"activity": 2, "respiration": 2, "circulation": 2, "consciousness": 2, "spo2": 2}
    room.recovery_check(aldrete=passing, moaas=5, bp_sys=124, bp_dia=80, hr=70)
    sim.run(15 * 60, tick=None)
    sim.run(5, tick=pump_ui)
    shot("nurse-recovering.png")

    window.unlock(User("therapist", Role.THERAPIST))
    shot("therapist.png", "Therapist")
    window.unlock(User("staff", Role.STAFF))
    review = window._pages["Review"]
    review.open_session(store.sessions()[0].id)  # the course's latest session
    shot("review.png", "Review")
    review.open_course("heron-07")
    shot("course.png", "Review")
    window.close()
    pump_ui()
    store.close()
    shutil.rmtree(folder, ignore_errors=True)
    return written


def course_store(folder: Path) -> TimelineStore:
    """A store holding one patient's six-session course over two and a half weeks."""
    store = TimelineStore(f"sqlite:///{folder / 'review.db'}")
    store.open()
    first = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    for n, day in enumerate((0, 2, 5, 7, 9, 12)):
        generate_session(
            store,
            patient="heron-07",
            course=1,
            minutes_infusion=40 if n < 4 else 50,
            recovery_minutes=45 + 5 * (n % 3),
            seed=n,
            pleth=n == 5,
            started_at=first + timedelta(days=day),
        )
    return store


def _extra_tabs(config: Config, store: TimelineStore) -> dict[str, Tab]:
    """The therapist panel and the review page, as the app builds them (without devices)."""
    from app.pages import review_tab, therapist_tab

    return {
        "Therapist": therapist_tab(preview=None, voice_for=None),
        "Review": review_tab(store),
    }
