"""The Review tab, as staff use it: find a session in the list, open its timeline with every track,
look at a patient's six-session course, export, and change nothing.

One clinic store is generated for the module (a real Room runs each session on a fake clock):
heron-07's course of six sessions (the last with 75 Hz pleth and a voice note), otter-03's
first session, and two sessions that did not end well (one aborted, one interrupted).
"""

from __future__ import annotations

import dataclasses
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QPushButton

from roomctl.review import load_course, review_session
from roomctl.roles import Role
from roomctl.timeline.events import Event, Kind
from roomctl.timeline.generate import GeneratedSession, simulate_session, write_session
from roomctl.timeline.sessions import NewSession, SessionInfo
from roomctl.timeline.store import TimelineStore
from ui.review.review_page import ReviewPage, review_tab
from ui.review.session_list import STATUS_CHOICES
from ui.review.timeline_view import TimelineView

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.qt

PATIENT = "heron-07"
T0 = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
#: (infusion minutes, pause minutes, recovery minutes) of heron-07's six sessions.
COURSE = ((40, 0, 60), (40, 0, 75), (45, 4, 55), (45, 0, 80), (50, 0, 65), (40, 0, 60))
VOICE_PATH = "voice/20260406-heron-07-0001.ogg"


@dataclass(frozen=True)
class Clinic:
    store: TimelineStore
    course: list[str]  # heron-07's session ids, course 1 to 6
    other: str  # otter-03's session
    aborted: str
    interrupted: str

    @property
    def last(self) -> str:
        return self.course[-1]


def with_voice_note(session: GeneratedSession, t: float) -> GeneratedSession:
    """``session`` with a therapist's 14-second voice note at session time ``t``."""
    before = [e for e in session.events if e.t <= t]
    after = [e for e in session.events if e.t > t]
    last = before[-1]
    note = Event(
        last.session,
        0,
        t,
        last.wall + timedelta(seconds=t - last.t),
        "therapist",
        Kind.NOTE,
        {"type": "voice", "path": VOICE_PATH, "seconds": 14.0, "text": "", "tags": []},
    )
    renumbered = [dataclasses.replace(e, seq=i) for i, e in enumerate([*before, note, *after], 1)]
    return dataclasses.replace(session, events=renumbered)


def _unfinished(store: TimelineStore, sid: str, patient: str, start: datetime, end: str) -> None:
    session = NewSession(sid, "Room 2", patient, 1, 40, 1.0, "clinical", start)
    store.create_session(session, "another-host", 4242)
    phases = [("ready", 0.0), ("preparing", 60.0), ("infusing", 600.0)]
    if end == "aborted":
        phases.append(("aborted", 900.0))
    events = [
        Event(sid, i, t, start + timedelta(seconds=t), "nurse", Kind.PHASE, {"to": to})
        for i, (to, t) in enumerate(phases, 1)
    ]
    store.append(events)
    store.release(sid)  # nobody runs it now: an unfinished one shows "interrupted"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    folder = tmp_path_factory.mktemp("clinic")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ROOMCTL_DATA_DIR", str(folder / "data"))
        store = TimelineStore(f"sqlite:///{folder / 'timeline.db'}")
        store.open()
        course = []
        for i, (minutes, pause, recovery) in enumerate(COURSE):
            last = i == len(COURSE) - 1
            session = simulate_session(
                patient=PATIENT,
                course=i + 1,
                seed=100 + i,
                minutes_infusion=minutes,
                pause_minutes=pause,
                recovery_minutes=recovery,
                pleth=last,
                started_at=T0 + timedelta(days=7 * i),
            )
            if last:
                session = with_voice_note(session, 1500.0)
            course.append(write_session(store, session))
        other = write_session(
            store, simulate_session(patient="otter-03", seed=7, pleth=False, started_at=T0)
        )
        _unfinished(store, "aborted-1", "wren-11", T0 + timedelta(hours=3), "aborted")
        _unfinished(store, "cut-1", "wren-11", T0 + timedelta(days=1), "interrupted")
        yield Clinic(store, course, other, "aborted-1", "cut-1")
        store.close()


@pytest.fixture
def page(qtbot, clinic: Clinic) -> ReviewPage:
    review = ReviewPage(clinic.store, role=Role.STAFF)
    qtbot.addWidget(review)
    review.resize(1600, 1000)
    review.show()  # the list is read when the tab is first shown
    return review


def _listed(page: ReviewPage) -> list[str]:
    return [s.id for s in page.list.model.sessions()]


# ------------------------------------------------------------------------------- the list
def test_the_list_shows_every_session_newest_first(page: ReviewPage, clinic: Clinic) -> None:
    listed = _listed(page)
    assert len(listed) == 9
    assert listed[0] == clinic.last  # heron-07's sixth session is the newest
    assert page.list.count.text() == "9 sessions"
    model = page.list.model
    row = listed.index(clinic.aborted)
    cells = [model.data(model.index(row, c)) for c in range(model.columnCount())]
    assert cells[1:5] == ["wren-11", "1", "Room 2", "aborted"]


def test_the_list_filters_by_pseudonym_and_status(qtbot, page: ReviewPage, clinic: Clinic) -> None:
    page.list.patient.setText(PATIENT)
    page.list.patient.editingFinished.emit()
    assert sorted(_listed(page)) == sorted(clinic.course)

    statuses = [label for label, _ in STATUS_CHOICES]
    page.list.status.setCurrentIndex(statuses.index("Aborted"))
    assert _listed(page) == []  # heron-07 never aborted
    page.list.patient.setText("wren-11")
    page.list.patient.editingFinished.emit()
    assert _listed(page) == [clinic.aborted]
    page.list.status.setCurrentIndex(statuses.index("Interrupted"))
    assert _listed(page) == [clinic.interrupted]
    page.list.status.setCurrentIndex(statuses.index("Any status"))
    assert _listed(page) == [clinic.interrupted, clinic.aborted]

    page.list.patient.setText("")
    page.list.patient.editingFinished.emit()
    page.list.status.setCurrentIndex(statuses.index("Discharged"))
    assert len(_listed(page)) == 7
    # Free text: a part of a pseudonym, searched as the reviewer stops typing.
    with qtbot.waitSignal(page.list.model.modelReset, timeout=2000):
        page.list.search.setText("OTTER")
    assert _listed(page) == [clinic.other]


def test_the_list_filters_by_dates_and_room(page: ReviewPage, clinic: Clinic) -> None:
    page.list.use_from.setChecked(True)
    page.list.date_from.setDate(datetime(2026, 3, 20).date())
    assert _listed(page) == clinic.course[:2:-1]  # courses 6, 5, 4: from 23 March on
    page.list.use_to.setChecked(True)
    page.list.date_to.setDate(datetime(2026, 3, 30).date())  # inclusive
    assert _listed(page) == [clinic.course[4], clinic.course[3]]
    page.list.use_from.setChecked(False)
    page.list.use_to.setChecked(False)
    room = page.list.room
    assert [room.itemText(i) for i in range(room.count())] == ["Any room", "Room 1", "Room 2"]
    room.setCurrentIndex(2)
    assert sorted(_listed(page)) == sorted([clinic.aborted, clinic.interrupted])


def test_the_list_sorts_by_a_column(page: ReviewPage) -> None:
    page.list.model.sort(1, Qt.SortOrder.AscendingOrder)  # patient
    patients = [s.patient for s in page.list.model.sessions()]
    assert patients == sorted(patients)
    assert patients[0] == PATIENT
    assert patients[-1] == "wren-11"


def test_enter_on_a_session_opens_its_timeline(qtbot, page: ReviewPage, clinic: Clinic) -> None:
    assert page.list.select_session(clinic.other)
    with qtbot.waitSignal(page.list.open_session) as opened:
        page.list.open_button.click()
    assert opened.args == [clinic.other]
    assert page.stack.currentWidget() is page.timeline
    assert page.timeline.review is not None
    assert page.timeline.review.info.patient == "otter-03"
    qtbot.keyClick(page, Qt.Key.Key_Escape)
    assert page.stack.currentWidget() is page.list


# --------------------------------------------------------------------------- the timeline
def test_review_opens_a_session_with_every_track(page: ReviewPage, clinic: Clinic) -> None:
    assert page.open_session(clinic.last)
    timeline = page.timeline
    assert timeline.tracks >= {
        "phase",
        "music",
        "soundscape",
        "lights",
        "alarms",
        "notes",
        "voice",
        "recovery",
        "vitals",
        "spo2",
        "resp",
        "pleth",
        "pump",
    }
    review = timeline.review
    assert review is not None
    assert len(review.waves["pleth"]) >= 75 * 3600  # the whole session's pleth, at 75 Hz
    assert "heron-07 · course 6" in timeline.header.text()
    summary = timeline.summary.text()
    assert "Infusion end → discharge-ready" in summary
    assert "BP peak" in summary
    assert "1 medium" in summary
    timeline.graphics.grab()  # paint once: the labels are laid out when drawn
    assert timeline.labels is not None
    assert "** SpO2 below 94" in timeline.labels.shown
    assert {"infusing", "recovering"} <= set(timeline.labels.shown)
    assert timeline.events_model.rowCount() == len(review.events)
    # The desaturation is shaded where it happened; milestones cross every plot.
    (dip,) = timeline.marks["spo2"].spans
    alarm = next(a for a in review.alarms if a.channel == "spo2")
    assert (dip.start_t, dip.end_t) == (alarm.raised_t, alarm.end_t)
    assert timeline.marks["vitals"].spans == []
    for marks in timeline.marks.values():
        assert [line.t for line in marks.lines] == [
            review.facts.dosing_t,
            *[
                m.t
                for m in review.milestones
                if m.label.startswith(("Infusion ended", "Discharge"))
            ],
        ]


def test_a_session_without_readings_says_so_instead_of_drawing_nothing(qtbot) -> None:
    info = SessionInfo(
        "s0",
        "Room 1",
        "wren-11",
        1,
        40,
        1.0,
        "clinical",
        "ready",
        T0,
        None,
        0.0,
        T0,
        None,
        None,
        None,
        {},
        "interrupted",
    )
    opened = Event("s0", 1, 0.0, T0, "room", Kind.PHASE, {"to": "ready"})
    view = TimelineView()
    qtbot.addWidget(view)
    view.show_session(review_session(info, [opened], {}, {}))
    assert view.tracks == {"phase"}
    assert view._empty["pleth"].toPlainText() == "no pleth recorded"
    assert view._empty["vitals"].toPlainText() == "no HR or blood pressure"
    view.clear()
    assert view.review is None
    assert view._empty["pleth"].toPlainText() == ""


def test_zoom_on_one_plot_moves_all(page: ReviewPage, clinic: Clinic) -> None:
    page.open_session(clinic.last)
    plots = page.timeline.plots
    plots["spo2"].setXRange(1800.0, 2400.0, padding=0)
    for name, plot in plots.items():
        (x0, x1), _ = plot.getViewBox().viewRange()
        assert (round(x0), round(x1)) == (1800, 2400), name
    plots["pleth"].getViewBox().translateBy(x=300.0)  # a pan on the pleth
    assert page.timeline.x_range() == pytest.approx((2100.0, 2700.0))


def test_keys_zoom_and_pan_the_timeline(qtbot, page: ReviewPage, clinic: Clinic) -> None:
    page.open_session(clinic.last)
    timeline = page.timeline
    timeline.set_x_range(1800.0, 2400.0)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Plus)
    assert timeline.x_range() == pytest.approx((1950.0, 2250.0))
    qtbot.keyClick(timeline, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    assert timeline.x_range() == pytest.approx((2025.0, 2325.0))
    qtbot.keyClick(timeline, Qt.Key.Key_Minus)
    assert timeline.x_range() == pytest.approx((1875.0, 2475.0))
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    assert timeline.x_range()[1] == pytest.approx(timeline.review.end_t)


def test_clicking_an_alarm_in_the_list_centres_the_plots_on_it(
    page: ReviewPage, clinic: Clinic
) -> None:
    page.open_session(clinic.last)
    timeline = page.timeline
    timeline.event_filter.setCurrentIndex(timeline.event_filter.findText("Alarms"))
    rows = timeline.events_model.rows()
    assert rows
    assert all(r.kind == "alarm" for r in rows)
    timeline.select_event(0)
    x0, x1 = timeline.x_range()
    assert (x0 + x1) / 2 == pytest.approx(rows[0].t)
    assert x1 - x0 == pytest.approx(20 * 60)  # zoomed in from the whole session
    assert "SpO2 below 94" in timeline.detail_title.text()
    assert '"priority": "medium"' in timeline.detail_text.toPlainText()


def _click_note(qtbot, page: ReviewPage, voice: bool) -> None:
    timeline = page.timeline
    markers = timeline.note_markers
    assert markers is not None
    point = next(p for p in markers.points() if p.data().voice == voice)
    timeline.centre_on(point.pos().x())
    timeline.graphics.grab()
    vb = timeline.plots["tracks"].getViewBox()
    scene = vb.mapViewToScene(QPointF(point.pos().x(), point.pos().y()))
    where = timeline.graphics.mapFromScene(scene)
    qtbot.mouseClick(timeline.graphics.viewport(), Qt.MouseButton.LeftButton, pos=where)


def test_a_clicked_note_shows_its_text(qtbot, page: ReviewPage, clinic: Clinic) -> None:
    page.open_session(clinic.last)
    _click_note(qtbot, page, voice=False)
    timeline = page.timeline
    assert "Note by" in timeline.detail_title.text() or "Intention" in timeline.detail_title.text()
    assert timeline.detail_text.toPlainText()
    assert timeline.play_button.isHidden()


def test_voice_notes_play_for_the_therapist_only(qtbot, clinic: Clinic) -> None:
    played: list[str] = []
    page = ReviewPage(clinic.store, role=Role.STAFF, play_voice=played.append)
    qtbot.addWidget(page)
    page.resize(1600, 1000)
    page.show()
    page.open_session(clinic.last)
    _click_note(qtbot, page, voice=True)
    timeline = page.timeline
    assert "Voice note (14 s)" in timeline.detail_title.text()
    assert timeline.play_button.isVisible()
    assert not timeline.play_button.isEnabled()  # staff review, they do not listen
    assert "therapist" in timeline.play_problem.text()

    page.set_role(Role.THERAPIST)
    assert timeline.play_button.isEnabled()
    timeline.play_button.click()
    assert played == [VOICE_PATH]

    timeline.play_voice = None  # a computer without an audio output
    timeline.set_role(Role.THERAPIST)
    assert not timeline.play_button.isEnabled()
    assert "No audio output" in timeline.play_problem.text()


# ------------------------------------------------------------------------------ the course
def test_the_course_view_shows_a_six_session_course(page: ReviewPage, clinic: Clinic) -> None:
    page.list.select_session(clinic.course[2])
    page.list.course_button.click()
    course = page.course
    assert page.stack.currentWidget() is course
    assert course.title.text() == "Course of heron-07"
    table = course.table
    assert table.rowCount() == 6
    rows = load_course(clinic.store, PATIENT)
    for i, row in enumerate(rows):
        cells = [table.item(i, c).text() for c in range(table.columnCount())]
        minutes, pause, _ = COURSE[i]
        assert cells[0] == f"#{i + 1}"
        assert cells[2] == "discharged"
        assert cells[3] == f"{minutes} min"  # infusion, pauses excluded
        assert cells[4] == f"{pause} min"
        assert cells[5] == f"{row.end_to_ready_minutes:.0f} min"
        assert cells[6] == row.baseline.text()
        assert cells[7] == row.peak.text()
        assert cells[8] == f"{row.peak_rise_mmhg:+.0f}"
        assert cells[9].startswith("1 medium")
    # One chart per figure, each with a point per session.
    assert set(course.trends) == {"infusion", "ready", "bp", "alarms"}
    for name, plot in course.trends.items():
        assert plot.listDataItems() or plot.items, name
    infusion = course.trends["infusion"].listDataItems()[0]
    assert list(infusion.getData()[1]) == [m for m, _, _ in COURSE]


def test_a_session_of_the_course_opens_on_double_click(
    qtbot, page: ReviewPage, clinic: Clinic
) -> None:
    page.open_course(PATIENT)
    with qtbot.waitSignal(page.course.open_session) as opened:
        page.course.table.cellDoubleClicked.emit(3, 0)
    assert opened.args == [clinic.course[3]]
    assert page.stack.currentWidget() is page.timeline
    page.course_button.click()  # and back to the course from the timeline
    assert page.stack.currentWidget() is page.course


# ------------------------------------------------------------------------------- exports
def test_staff_export_a_session_in_the_background(
    qtbot, page: ReviewPage, clinic: Clinic, tmp_path: Path
) -> None:
    page.open_session(clinic.other)
    seen: list[float] = []
    job = page.export("csv", tmp_path / "otter.csv")
    assert job is not None
    job.signals.progress.connect(seen.append)
    assert not page.export_buttons["pdf"].isEnabled()  # one export at a time
    with qtbot.waitSignal(job.signals.finished, timeout=60_000):
        pass
    assert (tmp_path / "otter.csv").stat().st_size > 10_000
    assert (tmp_path / "otter-events.csv").exists()
    assert "Exported otter.csv" in page.status.text()
    assert page.progress is None  # the dialog is gone
    assert page.export_buttons["pdf"].isEnabled()
    assert seen == sorted(seen)


def test_an_export_can_be_cancelled(qtbot, clinic: Clinic, tmp_path: Path) -> None:
    started = threading.Event()

    def slow_export(store, session_id, fmt, out, *, progress):
        started.set()
        for _ in range(3000):  # stops when the progress callback raises ExportCancelled
            progress(0.5)
            threading.Event().wait(0.01)
        raise AssertionError("the export was not cancelled within 30 s")

    page = ReviewPage(clinic.store, role=Role.NURSE, export=slow_export)
    qtbot.addWidget(page)
    page.show()
    page.list.select_session(clinic.other)
    job = page.export("pdf", tmp_path / "never.pdf")
    assert job is not None
    assert started.wait(10)
    assert page.progress is not None
    cancel = page.progress.findChild(QPushButton)
    assert cancel.text() == "Cancel"
    with qtbot.waitSignal(job.signals.failed, timeout=10_000) as failed:
        cancel.click()
    assert failed.args == ["Export cancelled: nothing was written."]
    assert not (tmp_path / "never.pdf").exists()
    assert "cancelled" in page.status.text()


def test_choosing_no_file_exports_nothing(page: ReviewPage, clinic: Clinic) -> None:
    page._choose_file = lambda label, suggested: None  # the reviewer pressed Cancel
    page.open_session(clinic.other)
    assert page.export("json") is None
    assert page.jobs == []


# --------------------------------------------------------------------------------- roles
def test_exports_are_for_nurses_and_staff_not_therapists(qtbot, page: ReviewPage) -> None:
    page.list.table.selectRow(0)
    for role, may in ((Role.STAFF, True), (Role.NURSE, True), (Role.THERAPIST, False)):
        page.set_role(role)
        for button in page.export_buttons.values():
            assert button.isVisible() == may, role
    assert page.export("csv", Path("/nonexistent/never.csv")) is None  # therapist
    page.set_role(None)  # locked: nothing to use
    assert not page.isEnabled()


def test_review_changes_nothing(page: ReviewPage, clinic: Clinic) -> None:
    store = clinic.store
    before = {sid: len(store.events(sid)) for sid in clinic.course}
    page.open_session(clinic.last)
    page.timeline.select_event(3)
    page.open_course(PATIENT)
    page.show_list()
    page.list.refresh()
    assert {sid: len(store.events(sid)) for sid in clinic.course} == before
    assert all(store.verify(sid).ok for sid in clinic.course)


def test_the_tab_factory_builds_a_review_page(qtbot, clinic: Clinic) -> None:
    factory = review_tab(clinic.store, role=Role.STAFF)
    built = factory(None)
    qtbot.addWidget(built)
    assert isinstance(built, ReviewPage)
    assert built.room is None
    assert not built.current_button.isVisibleTo(built)
