"""Advisory alarm rules on scripted vitals: on-delay, latching, acknowledgement, audio pause
and breakthrough, baseline rises, technical conditions."""

from __future__ import annotations

from roomctl.alarms import AlarmEngine
from roomctl.config import load_config


def engine() -> AlarmEngine:
    return AlarmEngine(load_config(None).alarms)


def actions(changes) -> list[tuple[str, str]]:
    return [(c.alarm_id, c.action) for c in changes]


def feed(
    alarms: AlarmEngine, channel: str, values: list[float], start: float = 0.0, step: float = 1.0
):
    """One reading a second, with the engine ticking in between, as a live feed would."""
    changes = []
    for i, value in enumerate(values):
        t = start + i * step
        changes += alarms.tick(t)
        changes += alarms.observe(channel, value, t)
    return changes


def test_a_brief_dip_is_not_an_alarm_but_a_sustained_one_is() -> None:
    alarms = engine()
    brief = feed(alarms, "spo2", [97, 92, 92, 92, 97, 97])
    assert brief == []
    sustained = feed(alarms, "spo2", [93] * 20, start=10)
    assert actions(sustained) == [("spo2<94", "raised")]
    raised = sustained[0]
    assert raised.priority == "medium"
    assert raised.text == "** SpO2 below 94"
    assert raised.as_data()["advisory"] is True
    assert raised.value == 93


def test_spo2_drops_high_alarm_raised_latches_until_acknowledged() -> None:
    alarms = engine()
    changes = feed(alarms, "spo2", [97, 88, 88] + [88] * 12)
    assert ("spo2<90", "raised") in actions(changes)
    high = next(c for c in changes if c.alarm_id == "spo2<90")
    assert high.text == "*** SpO2 below 90"
    assert alarms.audio_priority(14) == 3

    # Back to 97 before the medium alarm's longer on-delay ran out: only the high one was raised.
    recovered = feed(alarms, "spo2", [97] * 5, start=15)
    assert actions(recovered) == [("spo2<90", "latched")]
    assert [c.rule_id for c in alarms.showing()] == ["spo2<90"]

    acked = alarms.acknowledge("spo2<90", 30)
    assert actions(acked) == [("spo2<90", "acknowledged"), ("spo2<90", "cleared")]
    assert alarms.showing() == []


def test_an_acknowledged_high_alarm_clears_when_the_value_recovers() -> None:
    alarms = engine()
    feed(alarms, "hr", [40] * 15)
    assert actions(alarms.acknowledge("hr<45", 15)) == [("hr<45", "acknowledged")]
    assert alarms.audio_priority(16) == 0
    assert actions(feed(alarms, "hr", [60], start=20)) == [("hr<45", "cleared")]


def test_audio_pause_holds_for_two_minutes_but_a_worse_alarm_breaks_through() -> None:
    alarms = engine()
    feed(alarms, "spo2", [93] * 20)
    assert alarms.audio_priority(20) == 2
    paused = alarms.pause_audio(20)
    assert paused[0].action == "audio_paused"
    assert alarms.audio_priority(21) == 0
    assert alarms.paused_remaining(80) == 60
    # SpO2 keeps falling: a high alarm is worse than what was paused, so it sounds at once.
    worse = feed(alarms, "spo2", [89] * 12, start=30)
    assert ("spo2<90", "raised") in actions(worse)
    assert ("audio", "audio_resumed") in actions(worse)
    assert alarms.audio_priority(45) == 3


def test_an_audio_pause_ends_by_itself() -> None:
    alarms = engine()
    feed(alarms, "etco2", [55] * 20)
    alarms.pause_audio(20)
    assert alarms.tick(100) == []
    assert actions(alarms.tick(140)) == [("audio", "audio_resumed")]


def test_a_rise_from_baseline_needs_a_baseline() -> None:
    alarms = engine()
    assert actions(alarms.observe("nibp_sys", 150, 0)) == []  # no baseline: no rise to judge
    alarms.set_baseline({"nibp_sys": [110, 112, 150, 111, 108], "nibp_dia": [70, 72, 71]})
    assert alarms.baseline == {"nibp_sys": 111, "nibp_dia": 71}
    assert actions(alarms.observe("nibp_sys", 152, 60)) == [("nibp_sys:rise>=40", "raised")]
    assert actions(alarms.observe("nibp_dia", 97, 60)) == [("nibp_dia:rise>=25", "raised")]
    assert actions(alarms.observe("nibp_sys", 120, 360)) == [("nibp_sys:rise>=40", "cleared")]


def test_bp_surge_over_the_absolute_limits() -> None:
    alarms = engine()
    changes = alarms.observe("nibp_sys", 185, 0) + alarms.observe("nibp_dia", 112, 0)
    assert sorted(actions(changes)) == [
        ("nibp_dia>110", "raised"),
        ("nibp_sys>160", "raised"),
        ("nibp_sys>180", "raised"),
    ]


def test_technical_alarms_for_a_lost_feed() -> None:
    alarms = engine()
    lost = alarms.technical("monitor_lost", True, 5, "Monitor feed lost (advisory)", "medium")
    assert actions(lost) == [("technical:monitor_lost", "raised")]
    assert lost[0].text == "** Monitor feed lost (advisory)"
    assert alarms.technical("monitor_lost", True, 6, "Monitor feed lost (advisory)") == []
    back = alarms.technical("monitor_lost", False, 9, "Monitor feed lost (advisory)")
    assert actions(back) == [("technical:monitor_lost", "cleared")]
