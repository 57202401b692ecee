"""The recovery panel, driven as the nurse would on a real Room: the infusion ends → two
passing checks after the minimum time → discharge-ready shown → the checklist ticked →
Discharge → the intervals from infusion end shown. The therapist sees all of it and can do
none of it."""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import Qt, QTimer

from roomctl.roles import Role
from roomctl.session import Phase
from roomctl.timeline.events import Kind
from tests.roomkit import PASSING, Kit, new_room
from tests.ui_protocol import pinned_config
from ui.recovery_panel import (
    RecoveryPanel,
    next_check_due,
    suggest_circulation,
    suggest_spo2,
)

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
pytestmark = pytest.mark.qt
PROTOCOL = pinned_config()

LEFT = Qt.MouseButton.LeftButton
BASELINE = {"hr": 72.0, "nibp_sys": 120.0, "nibp_dia": 78.0}


def infusion_ended() -> Kit:
    """A 40-minute infusion run to its planned end (the plan ends it), baseline entered."""
    kit = new_room(PROTOCOL, planned_minutes=40)
    kit.room.prepare()
    kit.room.set_baseline(BASELINE)
    kit.room.start_infusion()
    kit.advance_minutes(40)
    assert kit.phase == Phase.RECOVERING
    return kit


def panel_for(qtbot, kit: Kit, role: Role | None, answer: bool = True) -> RecoveryPanel:
    panel = RecoveryPanel(kit.room, role, confirm=lambda title, text: answer)
    qtbot.addWidget(panel)
    panel.resize(1600, 1000)
    panel.show()
    return panel


def fill_passing_check(qtbot, panel: RecoveryPanel) -> None:
    qtbot.mouseClick(panel.moaas.buttons[5], LEFT)
    for choice in panel.aldrete.values():
        qtbot.mouseClick(choice.buttons[2], LEFT)


def test_infusion_end_to_discharge(qtbot) -> None:
    kit = infusion_ended()
    room = kit.room
    ended = room.state.infusion_ended_t
    assert ended is not None
    panel = panel_for(qtbot, kit, Role.NURSE)
    assert panel.since_label.text() == "00:00"
    assert panel.next_check_label.text() == "Next check in 15:00"
    assert not panel.submit_button.isEnabled()
    assert not panel.discharge_button.isEnabled()

    # 16 minutes on, the monitor has a fresh cuff reading: the form offers it, beside baseline.
    kit.advance_minutes(16)
    room.readings("monitor", {"nibp_sys": 131, "nibp_dia": 80, "hr": 76, "spo2": 97})
    panel.refresh()
    assert panel.since_label.text() == "16:00"
    assert panel.next_check_label.text().startswith("Check due")
    assert (panel.bp_sys.value(), panel.bp_dia.value(), panel.hr.value()) == (131, 80, 76)
    assert "baseline BP 120/78 (+9%)" in panel.vitals_note.text()
    assert panel.aldrete["circulation"].suggested == 2
    assert panel.aldrete["spo2"].suggested == 2
    # Suggested is not chosen: nothing is scored until the nurse taps every item.
    assert panel.items() == dict.fromkeys(panel.aldrete)
    qtbot.mouseClick(panel.moaas.buttons[5], LEFT)
    for name in ("activity", "respiration", "circulation", "consciousness"):
        qtbot.mouseClick(panel.aldrete[name].buttons[2], LEFT)
    assert not panel.submit_button.isEnabled()
    assert "1 to choose" in panel.total_label.text()
    qtbot.mouseClick(panel.aldrete["spo2"].buttons[2], LEFT)
    qtbot.mouseClick(panel.dizziness.buttons["mild"], LEFT)
    assert panel.total_label.text() == "Aldrete 10 / 10 · passes"
    qtbot.mouseClick(panel.submit_button, LEFT)

    check = next(e for e in kit.sink.of_kind(Kind.RECOVERY) if e.data["milestone"] == "check")
    assert check.source == "nurse"
    assert check.data["aldrete"] == 10
    assert check.data["aldrete_items"] == dict.fromkeys(panel.aldrete, 2)
    assert check.data["moaas"] == 5
    assert (check.data["bp_sys"], check.data["bp_dia"], check.data["hr"]) == (131, 80, 76)
    assert (check.data["nausea"], check.data["dizziness"]) == ("none", "mild")
    assert check.data["spo2"] == 97
    assert panel.table.rowCount() == 1
    assert panel.table.item(0, 2).text() == "10"
    assert panel.table.item(0, 8).text() == "passed"
    assert panel.items() == dict.fromkeys(panel.aldrete)  # the form is fresh for the next one
    assert panel.next_check_label.text() == "Next check in 15:00"
    assert panel.ready_label.text() == "Not yet discharge-ready"
    assert any("minimum recovery time" in b for b in panel.blockers())

    # A second passing check after the 30-minute minimum: discharge-ready.
    kit.advance_minutes(15)
    room.readings("monitor", {"nibp_sys": 124, "nibp_dia": 79, "hr": 72, "spo2": 98})
    panel.refresh()
    fill_passing_check(qtbot, panel)
    qtbot.mouseClick(panel.submit_button, LEFT)
    ready_t = room.state.discharge_ready_t
    assert ready_t is not None
    assert panel.ready_label.text() == "Discharge-ready"
    assert panel.ready_interval.text() == "→ discharge-ready  31:00"
    assert panel.table.rowCount() == 2

    # Discharge waits for the checklist, one tick at a time.
    assert not panel.discharge_button.isEnabled()
    assert panel.blockers() == [
        "tick: Escort present to take the patient home",
        "tick: Told: no driving or machinery today",
    ]
    panel.checklist["escort_present"].setChecked(True)
    assert not panel.discharge_button.isEnabled()
    panel.checklist["no_driving"].setChecked(True)
    assert panel.discharge_button.isEnabled()
    kit.advance_minutes(4)
    qtbot.mouseClick(panel.discharge_button, LEFT)

    assert kit.phase == Phase.DISCHARGED
    milestones = [e.data["milestone"] for e in kit.sink.of_kind(Kind.RECOVERY)]
    assert milestones == [
        "recovery_start",
        "check",
        "minimum_time_reached",
        "check",
        "discharge_ready",
        "discharged",
    ]
    checklist = kit.sink.of_kind(Kind.NOTE)[-1]
    assert checklist.data["tags"] == ["discharge_checklist"]
    assert "Escort present" in checklist.data["text"]
    assert panel.ready_label.text() == "Discharged"
    assert panel.discharged_interval.text() == "→ discharged  35:00"
    assert panel.since_label.text() == "35:00"
    kit.clock.advance(600)
    panel.refresh()
    assert panel.since_label.text() == "35:00"  # the clock stops at discharge
    assert not panel.discharge_button.isEnabled()
    assert not panel.submit_button.isEnabled()


def test_the_therapist_sees_recovery_but_cannot_record_or_discharge(qtbot) -> None:
    kit = infusion_ended()
    room = kit.room
    kit.advance_minutes(16)
    room.recovery_check(aldrete=PASSING, moaas=5)
    kit.advance_minutes(15)
    room.recovery_check(aldrete=PASSING, moaas=5)
    assert room.state.discharge_ready_t is not None

    panel = panel_for(qtbot, kit, Role.THERAPIST)
    assert panel.readonly_label.isVisible()
    assert panel.ready_label.text() == "Discharge-ready"
    assert panel.table.rowCount() == 2
    assert panel.since_label.text() == "31:00"
    assert not panel.moaas.isEnabled()
    assert not any(choice.isEnabled() for choice in panel.aldrete.values())
    assert not panel.bp_sys.isEnabled()
    assert not any(tick.isEnabled() for tick in panel.checklist.values())
    assert not panel.submit_button.isEnabled()
    assert not panel.discharge_button.isEnabled()

    # Even driven directly (a shortcut, a stray call), nothing happens for the therapist.
    panel.moaas.choose(5)
    for choice in panel.aldrete.values():
        choice.choose(2)
    panel.submit()
    panel.discharge()
    assert len(room.state.recovery_checks) == 2
    assert kit.phase == Phase.RECOVERING

    # The nurse takes over the same panel.
    panel.set_role(Role.NURSE)
    assert not panel.readonly_label.isVisible()
    assert panel.submit_button.isEnabled()
    assert all(tick.isEnabled() for tick in panel.checklist.values())


def test_a_locked_window_and_staff_get_no_controls(qtbot) -> None:
    kit = infusion_ended()
    for role in (None, Role.STAFF):
        panel = panel_for(qtbot, kit, role)
        assert panel.readonly_label.isVisible()
        assert not panel.moaas.isEnabled()
        assert not panel.discharge_button.isEnabled()


def test_before_the_infusion_ends_the_form_waits(qtbot) -> None:
    kit = new_room(PROTOCOL)
    kit.room.prepare()
    kit.room.start_infusion()
    panel = panel_for(qtbot, kit, Role.NURSE)
    assert panel.since_label.text() == "--:--"
    assert panel.minimum_label.text() == "Recovery starts when the infusion ends"
    assert not panel.moaas.isEnabled()
    assert not panel.submit_button.isEnabled()
    kit.room.end_infusion()
    assert panel.moaas.isEnabled()
    assert panel.since_label.text() == "00:00"


def test_a_discharge_the_nurse_does_not_confirm_does_not_happen(qtbot) -> None:
    kit = infusion_ended()
    kit.advance_minutes(16)
    kit.room.recovery_check(aldrete=PASSING, moaas=5)
    kit.advance_minutes(15)
    kit.room.recovery_check(aldrete=PASSING, moaas=5)
    panel = panel_for(qtbot, kit, Role.NURSE, answer=False)
    for tick in panel.checklist.values():
        tick.setChecked(True)
    qtbot.mouseClick(panel.discharge_button, LEFT)
    assert kit.phase == Phase.RECOVERING
    assert kit.sink.of_kind(Kind.NOTE) == []


def test_a_typed_bp_is_kept_over_newer_monitor_readings(qtbot) -> None:
    kit = infusion_ended()
    kit.room.readings("monitor", {"nibp_sys": 150, "nibp_dia": 90})
    panel = panel_for(qtbot, kit, Role.NURSE)
    assert panel.bp_sys.value() == 150
    assert panel.aldrete["circulation"].suggested == 1  # +25 % from baseline 120
    panel.bp_sys.setValue(128)  # the nurse re-measured by hand
    kit.clock.advance(60)
    kit.room.readings("monitor", {"nibp_sys": 152, "nibp_dia": 91})
    panel.refresh()
    assert panel.bp_sys.value() == 128
    assert panel.bp_dia.value() == 91
    assert panel.aldrete["circulation"].suggested == 2


def test_a_panel_opened_late_shows_the_stored_checks_in_full(qtbot) -> None:
    kit = infusion_ended()
    kit.advance_minutes(16)
    kit.room.recovery_check(aldrete=PASSING, moaas=4, bp_sys=128, bp_dia=80, hr=70)
    panel = panel_for(qtbot, kit, Role.NURSE)
    assert panel.table.item(0, 4).text() == "—"  # the state knows the score, not the BP
    panel.replay(kit.sink.events)
    assert panel.table.item(0, 3).text() == "4"
    assert panel.table.item(0, 4).text() == "128/80"


def test_no_timer_runs_after_the_panel_closes(qtbot) -> None:
    kit = infusion_ended()
    panel = panel_for(qtbot, kit, Role.NURSE)
    assert any(timer.isActive() for timer in panel.findChildren(QTimer))
    panel.close()
    assert not any(timer.isActive() for timer in panel.findChildren(QTimer))
    kit.advance_minutes(16)
    kit.room.recovery_check(aldrete=dict.fromkeys(panel.aldrete, 2), moaas=5)
    assert panel.table.rowCount() == 0  # a closed panel no longer follows the room


def test_suggestions_follow_the_modified_aldrete_wording() -> None:
    assert suggest_circulation(144, 120) == 2  # +20 %
    assert suggest_circulation(96, 120) == 2  # -20 %
    assert suggest_circulation(145, 120) == 1
    assert suggest_circulation(179, 120) == 1  # +49 %
    assert suggest_circulation(180, 120) == 0  # +50 %
    assert suggest_circulation(60, 120) == 0
    assert suggest_circulation(None, 120) is None
    assert suggest_circulation(130, None) is None
    assert suggest_spo2(97, on_oxygen=False) == 2
    assert suggest_spo2(92, on_oxygen=False) == 1  # not above 92 on air: it needs oxygen
    assert suggest_spo2(97, on_oxygen=True) == 1
    assert suggest_spo2(89, on_oxygen=True) == 0
    assert suggest_spo2(None, on_oxygen=False) is None


def test_the_next_check_is_due_an_interval_after_the_last() -> None:
    assert next_check_due(100.0, [], 900.0) == 1000.0
    assert next_check_due(100.0, [1060.0], 900.0) == 1960.0
