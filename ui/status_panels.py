"""Compact status cards for the nurse console: the pump, the lights, the music, the soundscape
and the reminders, each in a few words and numbers readable across a dim room.

Every card follows the Room, never a device: it listens to the Room's events (what the devices
reported they did, what the plan asked for) and reads ``room.monitoring`` for the pump's numbers
and the technical alarms (a lost link). A card that has not heard anything yet says so rather
than guessing. Each card refreshes its clocks once a second; :meth:`Card.stop` (or closing it)
ends that.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from roomctl.plan import END_INFUSION, MINIMUM_RECOVERY, REMINDER, pending_cues
from roomctl.room import Room
from roomctl.session import Phase
from roomctl.timeline.events import Event, Kind
from ui.room_link import Stoppable, listen
from ui.theme import ACCENT, DANGER, MUTED, OK, TEXT, WARNING
from ui.vital_tiles import STALE_REAL_S

TONES = {
    "normal": TEXT,
    "muted": MUTED,
    "ok": OK,
    "accent": ACCENT,
    "warning": WARNING,
    "danger": DANGER,
}
DASH = "—"


def mmss(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def stem(path: object) -> str:
    """A track's name as a nurse would say it: the file name without folder or extension."""
    return PurePath(str(path)).stem or str(path)


def technical_active(room: Room, condition: str) -> str | None:
    """The text of technical alarm ``condition`` while it is active (not merely latched)."""
    for alarm in room.monitoring.alarms.showing():
        if alarm.rule_id == f"technical:{condition}" and alarm.active:
            return alarm.text
    return None


class Card(Stoppable, QFrame):
    """A titled card: one large line (``value``), a few detail lines, a 1 Hz clock."""

    TITLE = ""
    DETAIL_LINES = 3

    def __init__(self, room: Room) -> None:
        super().__init__()
        self.room = room
        self.setObjectName("card")
        self.setMinimumWidth(220)
        box = QVBoxLayout(self)
        box.setContentsMargins(14, 10, 14, 10)
        box.setSpacing(4)
        self.title = QLabel(self.TITLE)
        self.title.setObjectName("subtle")
        self.value = QLabel(DASH)
        self.value.setWordWrap(True)
        box.addWidget(self.title)
        box.addWidget(self.value)
        self._body(box)
        self.lines = [QLabel() for _ in range(self.DETAIL_LINES)]
        for line in self.lines:
            line.setWordWrap(True)
            box.addWidget(line)
        box.addStretch(1)
        self._tones: dict[int, tuple[str, int]] = {}
        listen(room, self, self._on_event)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(1000)

    def _body(self, box: QVBoxLayout) -> None:
        """Extra widgets between the value and the detail lines (a card's own figures)."""

    def stop(self) -> None:
        super().stop()
        self.timer.stop()

    def _on_event(self, event: Event) -> None:
        # Alarm changes too: a lost link shows as a technical alarm, recorded after its cause.
        if self.take(event) or event.kind == Kind.ALARM:
            self.refresh()

    def take(self, event: Event) -> bool:
        """Fold one event into the card's state; True when the card should redraw."""
        return False

    def replay(self, events: list[Event]) -> None:
        """Catch up on a session's past (a card opened on a resumed session: the store's
        events), then redraw once. Signals a card emits for live events are not replayed."""
        blocked = self.blockSignals(True)
        try:
            for event in events:
                self.take(event)
        finally:
            self.blockSignals(blocked)
        self.refresh()

    def refresh(self) -> None:
        raise NotImplementedError

    def put(self, label: QLabel, text: str, tone: str = "normal", size: int = 16) -> None:
        """Set a label's text and colour; its style sheet only when the colour changes."""
        label.setText(text)
        key = (tone, size)
        if self._tones.get(id(label)) != key:
            self._tones[id(label)] = key
            weight = " font-weight: bold;" if size >= 22 else ""
            label.setStyleSheet(f"color: {TONES[tone]}; font-size: {size}px;{weight}")

    def put_value(self, text: str, tone: str = "normal") -> None:
        self.put(self.value, text, tone, 26)

    def put_lines(self, *lines: tuple[str, str]) -> None:
        for label, (text, tone) in zip(self.lines, (*lines, *[("", "muted")] * 9), strict=False):
            self.put(label, text, tone)
            label.setVisible(bool(text))

    def stale_after(self) -> float:
        return STALE_REAL_S * self.room.clock.speed


# --------------------------------------------------------------------------- pump

PUMP_STATES = {
    "RUN": ("Running", "ok"),
    "PAUSE": ("Paused", "warning"),
    "STOP": ("Stopped", "muted"),
    "ALARM": ("Alarm — see the pump", "danger"),
    "KVO": ("KVO (keep vein open)", "warning"),
}


class PumpCard(Card):
    """The syringe pump as its feed reports it: state, rate, volume infused, VTBI, drug.

    Advisory like everything in roomctl: the pump's own display is the truth, and roomctl never
    sends it a command."""

    TITLE = "Pump"
    DETAIL_LINES = 2

    def __init__(self, room: Room, *, feed: str = "pump") -> None:
        self.feed = feed
        self.state: str | None = None
        self.drug: str | None = None
        super().__init__(room)
        self.refresh()

    def _body(self, box: QVBoxLayout) -> None:
        grid = QGridLayout()
        grid.setHorizontalSpacing(18)
        grid.setVerticalSpacing(0)
        self.figures: dict[str, QLabel] = {}
        figures = (
            ("pump_rate_ml_h", "Rate mL/h"),
            ("pump_vi_ml", "Infused mL"),
            ("pump_vtbi_ml", "VTBI mL"),
        )
        for col, (key, caption) in enumerate(figures):
            number = QLabel(DASH)
            number.setStyleSheet("font-size: 24px; font-weight: bold;")
            name = QLabel(caption)
            name.setObjectName("subtle")
            grid.addWidget(number, 0, col)
            grid.addWidget(name, 1, col)
            self.figures[key] = number
        box.addLayout(grid)

    def take(self, event: Event) -> bool:
        if event.kind != Kind.FEED:
            return False
        data = event.data
        if "pump_state" in data:
            self.state = str(data["pump_state"])
            self.feed = str(data.get("feed", self.feed))
        if "pump_drug" in data:
            self.drug = str(data["pump_drug"])
        return "pump_state" in data or "pump_drug" in data or data.get("feed") == self.feed

    def number(self, channel: str) -> float | None:
        reading = self.room.monitoring.latest.get(channel)
        if reading is None or self.room.clock.now() - reading[0] > self.stale_after():
            return None
        return reading[1]

    def refresh(self) -> None:
        for channel, label in self.figures.items():
            value = self.number(channel)
            self.put(label, DASH if value is None else f"{value:.1f}", "normal", 24)
        lost = technical_active(self.room, f"{self.feed}_link")
        alarms = [
            a.text
            for a in self.room.monitoring.alarms.showing()
            if a.rule_id.startswith(f"technical:{self.feed}_pump_alarm")
        ]
        if lost:
            self.put_value("Link lost", "warning")
        elif self.state is None:
            self.put_value("No pump data", "muted")
        else:
            text, tone = PUMP_STATES.get(self.state, (self.state, "normal"))
            self.put_value(text, "danger" if alarms else tone)
        conc = self.number("pump_conc_mg_ml")
        drug = self.drug or ""
        if drug and conc is not None:
            drug += f" {conc:g} mg/mL"
        self.put_lines(
            ("; ".join(alarms), "danger"),
            (drug, "muted"),
        )


# --------------------------------------------------------------------------- lights


class LightsCard(Card):
    """The room's light scene: what was asked, what the bridge confirmed, and its link."""

    TITLE = "Lights"

    def __init__(self, room: Room) -> None:
        self.scene: str | None = None
        self.outcome = "waiting"  # requested | ok | error | waiting
        self.step: tuple[int, int] | None = None
        self.error = ""
        self.backend = ""
        self.link_ok: bool | None = None
        super().__init__(room)
        self.refresh()

    def take(self, event: Event) -> bool:
        data = event.data
        if event.kind == Kind.CUE and data.get("action") == "lights":
            self.scene, self.outcome = data.get("scene"), "requested"
            self.step, self.error = None, ""
            return True
        if event.kind != Kind.LIGHTS:
            return False
        self.backend = str(data.get("backend", self.backend))
        outcome = data.get("outcome", "ok")
        if data.get("action") == "check":
            self.link_ok = outcome == "ok"
            return True
        if outcome == "coalesced":
            return False  # a scene overtaken by a newer one before it was sent
        self.scene = data.get("scene", self.scene)
        self.outcome = "ok" if outcome == "ok" else "error"
        self.link_ok = outcome == "ok"
        self.error = str(data.get("error", ""))
        steps = data.get("steps")
        self.step = (int(data.get("step", steps)), int(steps)) if steps else None
        return True

    def refresh(self) -> None:
        if self.scene is None:
            self.put_value("No scene yet", "muted")
        else:
            self.put_value(str(self.scene).capitalize())
        if self.outcome == "requested":
            status = ("Sent, waiting for the lights", "muted")
        elif self.outcome == "error":
            status = (f"Not confirmed: {self.error or 'bridge error'}", "warning")
        elif self.outcome == "ok":
            progress = ""
            if self.step is not None and self.step[1] > 1 and self.step[0] < self.step[1]:
                progress = f" · fading, step {self.step[0]} of {self.step[1]}"
            status = (f"Confirmed{progress}", "ok")
        else:
            status = ("", "muted")
        unreachable = technical_active(self.room, "lights_unreachable")
        if unreachable:
            link = (f"Link lost: {unreachable.lstrip('* ')} — retrying", "warning")
        elif self.link_ok is False:
            link = ("Link: not answering", "warning")
        elif self.link_ok:
            link = ("Link ok", "muted")
        else:
            link = ("", "muted")
        backend = f"Backend: {self.backend}" if self.backend else ""
        self.put_lines(status, link, (backend, "muted"))


# --------------------------------------------------------------------------- music


@dataclass
class MusicState:
    playlist: str | None = None
    track: str | None = None
    index: int | None = None
    started_t: float | None = None  # session time the track (or plan) started sounding
    offset_s: float = 0.0  # how far into the track (or plan) it was then
    duration_s: float | None = None
    items: list[dict[str, Any]] = field(default_factory=list)
    next_track: str | None = None
    paused_at: float | None = None
    stopped: bool = True
    level: float | None = None
    ducked: bool = False
    error: str = ""
    backend: str = ""


class MusicCard(Card):
    """The music: the track sounding (its file name), how far into it, the next track, the
    level and whether it is ducked for an alarm. Works with the vlc player's ``track_start`` /
    ``plan`` reports and with the null backend's ``play``; missing keys leave a dash."""

    TITLE = "Music"

    def __init__(self, room: Room) -> None:
        self.music = MusicState()
        super().__init__(room)
        self.refresh()

    def take(self, event: Event) -> bool:
        data, m = event.data, self.music
        action = data.get("action")
        if event.kind == Kind.CUE:
            if action == "music":
                m.playlist = data.get("playlist", m.playlist)
            elif action in ("duck", "unduck"):
                m.ducked = action == "duck"
            elif action == "music_level":
                m.level = float(data.get("level", m.level or 0.0))
            else:
                return False
            return True
        if event.kind != Kind.MUSIC:
            return False
        m.backend = str(data.get("backend", m.backend))
        if data.get("outcome", "ok") not in ("ok", "idle"):
            m.error = str(data.get("error", data.get("outcome")))
            return True
        m.error = ""
        if action == "play":
            m.playlist = data.get("playlist", m.playlist)
            m.track, m.index, m.duration_s, m.next_track = None, None, data.get("planned_s"), None
            self._started(event.t, float(data.get("position_s") or 0.0))
        elif action == "plan":
            # The vlc player sends the plan's items as "plan" (and their count as "items").
            rows = data.get("plan", data.get("items"))
            m.items = [i for i in rows if isinstance(i, dict)] if isinstance(rows, list) else []
            m.playlist = data.get("playlist", m.playlist)
        elif action == "track_start":
            self._track_start(event)
        elif action == "pause":
            m.paused_at = event.t
        elif action == "resume":
            self._resume(event.t)
        elif action == "stop":
            m.stopped, m.paused_at = True, None
        elif action == "fade":
            m.level = float(data.get("volume", m.level or 0.0))
        else:
            return False
        return True

    def _started(self, t: float, offset_s: float) -> None:
        m = self.music
        m.started_t, m.offset_s, m.paused_at, m.stopped = t, offset_s, None, False

    def _resume(self, t: float) -> None:
        m = self.music
        if m.paused_at is not None and m.started_t is not None:
            m.started_t += t - m.paused_at
        m.paused_at = None

    def _track_start(self, event: Event) -> None:
        data, m = event.data, self.music
        m.index = data.get("index")
        path = data.get("path")
        item = self._item(m.index, path)
        m.track = stem(path) if path else (stem(item["path"]) if item else None)
        # position_s is where in the plan it starts, start_s where the item sits in the plan:
        # a resumed session picks a track up part-way.
        offset = data.get("offset_in_track_s")
        plan_position, item_start = data.get("position_s"), data.get("start_s")
        if offset is None and plan_position is not None and item_start is not None:
            offset = max(0.0, float(plan_position) - float(item_start))
        self._started(event.t, float(offset or 0.0))
        duration = data.get("duration_s", item.get("duration_s") if item else None)
        m.duration_s = None if duration is None else float(duration)
        following = data.get("next_path") or data.get("next")
        if following is None and m.index is not None:
            after = self._item(m.index + 1, None)
            following = after.get("path") if after else None
        m.next_track = stem(following) if following else None

    def _item(self, index: object, path: object) -> dict[str, Any] | None:
        items = self.music.items
        if isinstance(index, int) and 0 <= index < len(items):
            return items[index]
        return next((i for i in items if path is not None and i.get("path") == path), None)

    def position(self) -> float | None:
        m = self.music
        if m.started_t is None or m.stopped:
            return None
        until = m.paused_at if m.paused_at is not None else self.room.clock.now()
        return m.offset_s + max(0.0, until - m.started_t)

    def refresh(self) -> None:
        m = self.music
        if m.stopped and m.playlist is None:
            self.put_value("Not playing", "muted")
        elif m.stopped:
            self.put_value(f"Stopped ({m.playlist})", "muted")
        elif m.track is not None:
            self.put_value(m.track)
        else:
            self.put_value(f"{str(m.playlist or 'music').capitalize()} playlist")
        position = self.position()
        if position is not None and m.duration_s:
            position = min(position, m.duration_s)  # until the next track's report comes
        where = ""
        if position is not None:
            where = mmss(position)
            if m.duration_s:
                where += f" / {mmss(m.duration_s)}"
            if m.track is None:
                where = f"Plan {where}"
            if m.paused_at is not None:
                where += " · paused"
        level = ""
        if m.level is not None:
            level = f"Level {round(m.level * 100)} %"
        if m.ducked:
            level = (level + " · " if level else "") + "ducked for alarm/emergency"
        upcoming = f"Next: {m.next_track}" if m.next_track else ""
        if m.error:
            self.put_lines((f"Problem: {m.error}", "warning"), (where, "normal"), (level, "muted"))
        else:
            self.put_lines((where, "normal"), (upcoming, "muted"), (level, "muted"))


# --------------------------------------------------------------------------- soundscape


class SoundscapeCard(Card):
    """The generated soundscape: preset, level, the therapist's shaping, the output's health."""

    TITLE = "Soundscape"

    def __init__(self, room: Room) -> None:
        self.preset: str | None = None
        self.level: float | None = None
        self.shape: dict[str, float] = {}
        self.playing = False
        self.ducked = False
        self.error = ""
        super().__init__(room)
        self.refresh()

    def take(self, event: Event) -> bool:
        data = event.data
        action = data.get("action")
        if event.kind == Kind.CUE and action in ("duck", "unduck"):
            self.ducked = action == "duck"
            return True
        if event.kind != Kind.SOUNDSCAPE or data.get("output", "room") != "room":
            return False  # the therapist's headphone preview is not the room
        if data.get("outcome", "ok") == "error":
            self.error = str(data.get("error", "error"))
            return True
        self.error = ""
        if action in ("start", "crossfade", "fade"):
            self.preset = data.get("preset") or self.preset
            self.level = float(data.get("level", self.level or 0.0))
            self.playing = True
        elif action == "shape":
            self.shape.update(
                {k: float(v) for k, v in data.items() if k in ("brightness", "density", "movement")}
            )
        elif action == "stop":
            self.playing = False
        else:
            return False
        return True

    def refresh(self) -> None:
        if not self.playing:
            self.put_value("Off" if self.preset else "Not started", "muted")
        else:
            self.put_value(str(self.preset))
        level = ""
        if self.level is not None and self.playing:
            level = f"Level {round(self.level * 100)} %"
        if self.ducked and self.playing:
            level += " · ducked"
        shape = " · ".join(f"{k} {round(v * 100)} %" for k, v in sorted(self.shape.items()))
        lost = technical_active(self.room, "soundscape_output")
        problem = lost or (f"Problem: {self.error}" if self.error else "")
        self.put_lines((level, "normal"), (shape, "muted"), (problem.lstrip("* "), "warning"))


# --------------------------------------------------------------------------- reminders


@dataclass(frozen=True)
class Fired:
    cue_id: str
    text: str
    purpose: str
    t: float


class RemindersCard(Card):
    """Reminders of the current phase: the ones due (fired, newest first) and the next ones the
    plan holds, with a countdown. A recovery-check reminder counts as done once a check is
    recorded after it; ``check_due`` is emitted when one fires (the console opens the form)."""

    TITLE = "Reminders"
    DETAIL_LINES = 5
    check_due = Signal(str)

    def __init__(self, room: Room, *, shown: int = 3) -> None:
        self.fired: list[Fired] = []
        self.shown = shown
        super().__init__(room)
        self.refresh()

    def take(self, event: Event) -> bool:
        data = event.data
        if event.kind == Kind.PHASE:
            if data.get("to") != str(Phase.PAUSED) and data.get("from") != str(Phase.PAUSED):
                self.fired.clear()  # a new phase: the last one's reminders are moot
            return True
        if event.kind == Kind.REMINDER:
            fired = Fired(
                str(data.get("cue_id", "")),
                str(data.get("text", "")),
                str(data.get("purpose", "reminder")),
                float(data.get("due_t", event.t)),
            )
            # A newer occurrence of the same reminder replaces the older one.
            self.fired = [f for f in self.fired if f.text != fired.text] + [fired]
            if fired.purpose == "recovery_check":
                self.check_due.emit(fired.text)
            return True
        if event.kind == Kind.RECOVERY and data.get("milestone") == "check":
            self.fired = [f for f in self.fired if f.purpose != "recovery_check" or f.t > event.t]
            return True
        return False

    def upcoming(self) -> list[tuple[str, float]]:
        """(text, due_t) of the plan's next cues worth a nurse's attention."""
        room = self.room
        names = {END_INFUSION: "Infusion ends", MINIMUM_RECOVERY: "Minimum recovery time"}
        out: list[tuple[str, float]] = []
        for cue in pending_cues(room.state, room.config, room.clock.now()):
            text = cue.text if cue.action == REMINDER else names.get(cue.action, "")
            if text and all(text != seen for seen, _ in out):  # a repeat: its first time only
                out.append((text, cue.due_t))
        return out[: self.shown]

    def refresh(self) -> None:
        now = self.room.clock.now()
        due = sorted(self.fired, key=lambda f: -f.t)[: self.shown]
        upcoming = self.upcoming()
        if due:
            self.put_value(f"Due: {due[0].text}", "accent")
        elif upcoming:
            self.put_value(f"{upcoming[0][0]} in {mmss(upcoming[0][1] - now)}")
        else:
            self.put_value("Nothing due", "muted")
        lines: list[tuple[str, str]] = []
        for fired in due:
            lines.append((f"{fired.text} — due {mmss(now - fired.t)} ago", "accent"))
        for text, due_t in upcoming:
            when = "now" if due_t <= now else f"in {mmss(due_t - now)}"
            lines.append((f"{text} — {when}", "normal"))
        self.put_lines(*lines[: self.DETAIL_LINES])


# --------------------------------------------------------------------------- together


class StatusCards(QWidget):
    """All five cards in a row (or a column), for a console that wants them together."""

    def __init__(self, room: Room, *, vertical: bool = False) -> None:
        super().__init__()
        box = QVBoxLayout(self) if vertical else QHBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(10)
        self.pump = PumpCard(room)
        self.lights = LightsCard(room)
        self.music = MusicCard(room)
        self.soundscape = SoundscapeCard(room)
        self.reminders = RemindersCard(room)
        for card in self.cards():
            box.addWidget(card, 1)

    def cards(self) -> list[Card]:
        return [self.pump, self.lights, self.music, self.soundscape, self.reminders]

    def replay(self, events: list[Event]) -> None:
        for card in self.cards():
            card.replay(events)

    def stop(self) -> None:
        for card in self.cards():
            card.stop()

    def closeEvent(self, event: Any) -> None:
        self.stop()
        super().closeEvent(event)
