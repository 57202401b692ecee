"""The therapist panel: the room's sound, the intention, and notes written or spoken.

What the therapist does here, left to right:

* **Soundscape**: choose a preset (each with its one-line description), hear it first in the
  headphones (the room is not touched), then play it in the room with a crossfade; the level
  and the brightness/density/movement sliders are live.
* **Music**: the current phase's playlist and its fitted plan (start, track, length; the track
  sounding now marked), and the music level.
* **Intention**: the patient's words for this session.
* **Notes**: typed notes, one-tap tags (calm, tearful, eyes open, distress) and voice notes.

Sliders are *throttled*: a drag sends at most one change every 250 ms and the final value on
release, so the timeline holds the therapist's gesture, not hundreds of cues. A level change
with a soundscape playing is ``choose_soundscape`` with the same preset over a short fade,
which the stage turns into a level fade rather than a crossfade.

Note times are **infusion-relative**, ``T+12:30`` on the session clock from the infusion's
start (pauses included, so a time never repeats and recovery notes run on: ``T+52:10``). That
is how a therapist tells the session afterwards ("at twelve minutes she began to cry"). Notes
before the infusion show the session clock until it starts, then read ``T−04:50``: one
reference for every note once there is one.

The panel never touches a device: the headphone preview and the voice recorder are services
handed in by the composition root (``ui/services.py``); their failures are shown here and the
session goes on. Each control is enabled only for a role that may use it (roomctl/roles.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import PurePath
from typing import Any

from PySide6.QtCore import QElapsedTimer, QSize, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from roomctl.roles import Action, Role, allowed
from roomctl.room import Room
from roomctl.session import Phase, TransitionError
from roomctl.timeline.events import Event, Kind
from ui.services import PlanFor, PreviewControl, VoiceNotes
from ui.therapist_widgets import (
    PANEL_STYLE,
    LevelSlider,
    PresetRow,
    Throttle,
    VoiceRow,
    card,
    mmss,
    note_time,
    plan_rows,
)

TAGS = ("calm", "tearful", "eyes open", "distress")
SHAPES = ("brightness", "density", "movement")
#: A level change while a soundscape plays: a short fade, not the preset crossfade.
LEVEL_FADE_S = 2.0
#: Live sliders send at most one change this often while dragged (and the last on release).
THROTTLE_MS = 250
MAX_CROSSFADE_S = 60
#: List rows with a button in them: the button's 56 px and a margin (touch targets).
ROW_HEIGHT = 74


def music_phase(phase: Phase) -> Phase | None:
    """Whose playlist the panel shows: a pause is still the infusion; ready looks ahead."""
    if phase == Phase.PAUSED:
        return Phase.INFUSING
    if phase == Phase.READY:
        return Phase.PREPARING
    if phase in (Phase.PREPARING, Phase.INFUSING, Phase.RECOVERING):
        return phase
    return None


class TherapistPanel(QWidget):
    """The therapist's controls for one live session (see the module docstring).

    ``presets``: ``(name, description)`` pairs, as ``soundscapes.engine.presets()`` lists them.
    ``history``: the session's events so far, for a resumed session (notes, levels, intention).
    ``preview``/``voice``/``plan_for`` may be None: their controls then say so and stay off.
    """

    def __init__(
        self,
        room: Room,
        *,
        role: Role | None,
        presets: Sequence[tuple[str, str]],
        preview: PreviewControl | None,
        voice: VoiceNotes | None,
        plan_for: PlanFor | None,
        history: Iterable[Event] = (),
    ) -> None:
        super().__init__()
        self.room = room
        self.role = role
        self.presets = list(presets)
        self.preview = preview
        self.voice = voice
        self.plan_for = plan_for
        self.room_preset: str | None = None
        self.previewing = False
        self.room_level = 0.0
        self.sent_shape: dict[str, float] = dict.fromkeys(SHAPES, 0.5)
        self.notes: list[Event] = []
        self.voice_notes: list[Event] = []
        self.plan: list[dict[str, Any]] | None = None
        self._plan_now: int | None = None
        self._saved_intention = ""
        self.voice_rows: list[VoiceRow] = []
        self._recording = QElapsedTimer()
        self.setStyleSheet(PANEL_STYLE)
        self._build()
        self.level_throttle = Throttle(self._send_level, self, THROTTLE_MS)
        self.shape_throttle = Throttle(self._send_shape, self, THROTTLE_MS)
        self.music_throttle = Throttle(self._send_music_level, self, THROTTLE_MS)
        self._connect_sliders()
        for event in history:
            self._on_event(event, rebuild=False)
        room.subscribe(self._on_event)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)  # clocks only: nothing here animates
        self._tick.timeout.connect(self.tick)
        self._tick.start()
        self._refresh_plan()
        self._render_notes()
        self._render_voice_notes()
        self.refresh()

    # ------------------------------------------------------------------ layout

    def _button(self, text: str, slot: Callable[[], None], shortcut: str = "") -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(slot)
        if shortcut:
            button.setShortcut(QKeySequence(shortcut))
            button.setToolTip(f"{text} ({shortcut})")
        return button

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        outer.setContentsMargins(20, 16, 20, 16)
        outer.setSpacing(12)
        columns = QHBoxLayout()
        columns.setSpacing(16)
        columns.addWidget(self._build_soundscape(), 5)
        middle = QVBoxLayout()
        middle.setSpacing(16)
        middle.addWidget(self._build_music(), 3)
        middle.addWidget(self._build_intention(), 0)
        columns.addLayout(middle, 4)
        right = QVBoxLayout()
        right.setSpacing(16)
        right.addWidget(self._build_notes(), 3)
        right.addWidget(self._build_voice(), 2)
        columns.addLayout(right, 5)
        outer.addLayout(columns, 1)
        self.problem_label = QLabel()
        self.problem_label.setObjectName("problem")
        self.problem_label.setWordWrap(True)
        outer.addWidget(self.problem_label)

    def _build_soundscape(self) -> QFrame:
        frame, box = card("Soundscape")
        self.room_label = QLabel()
        self.room_label.setObjectName("big")
        box.addWidget(self.room_label)
        self.preset_list = QListWidget()
        self.preset_list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.preset_rows: dict[str, PresetRow] = {}
        for name, description in self.presets:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, name)
            row = PresetRow(name, description)
            hint = row.sizeHint()
            item.setSizeHint(QSize(hint.width(), max(ROW_HEIGHT, hint.height() + 8)))
            self.preset_list.addItem(item)
            self.preset_list.setItemWidget(item, row)
            self.preset_rows[name] = row
        self.preset_list.currentItemChanged.connect(self._preset_changed)
        box.addWidget(self.preset_list, 1)
        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Preview in headphones")
        self.preview_button.setCheckable(True)
        self.preview_button.toggled.connect(self.toggle_preview)
        self.preview_button.setShortcut(QKeySequence("Ctrl+H"))
        self.preview_button.setToolTip(
            "Hear it in the headphones only; the room is unchanged (Ctrl+H)"
        )
        self.play_button = self._button("Play in room", self.play_in_room, "Ctrl+P")
        self.play_button.setObjectName("primary")
        buttons.addWidget(self.preview_button, 1)
        buttons.addWidget(self.play_button, 1)
        box.addLayout(buttons)
        self.level_slider = LevelSlider("Soundscape level")
        self.crossfade_slider = LevelSlider("Crossfade", "s", MAX_CROSSFADE_S)
        crossfade = min(MAX_CROSSFADE_S, self.room.config.soundscape.crossfade_s)
        self.crossfade_slider.set_quietly(crossfade)
        self.level_slider.set_quietly(0.5)
        row = QHBoxLayout()
        row.setSpacing(20)
        row.addWidget(self.level_slider, 3)
        row.addWidget(self.crossfade_slider, 2)
        box.addLayout(row)
        self.shape_sliders: dict[str, LevelSlider] = {}
        shapes = QHBoxLayout()
        shapes.setSpacing(20)
        for name in SHAPES:
            slider = LevelSlider(name.capitalize())
            slider.set_quietly(0.5)
            self.shape_sliders[name] = slider
            shapes.addWidget(slider)
        box.addLayout(shapes)
        return frame

    def _build_music(self) -> QFrame:
        frame, box = card("Music")
        self.playlist_label = QLabel()
        self.playlist_label.setObjectName("big")
        self.playlist_label.setWordWrap(True)
        box.addWidget(self.playlist_label)
        self.plan_list = QTreeWidget()
        self.plan_list.setColumnCount(4)
        self.plan_list.setHeaderLabels(["", "Start", "Track", "Length"])
        self.plan_list.setRootIsDecorated(False)
        self.plan_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.plan_list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        header = self.plan_list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(0, 28)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        box.addWidget(self.plan_list, 1)
        self.plan_note = QLabel()
        self.plan_note.setObjectName("subtle")
        self.plan_note.setWordWrap(True)
        box.addWidget(self.plan_note)
        self.music_slider = LevelSlider("Music level")
        self.music_slider.set_quietly(self.room.config.music.volume)
        box.addWidget(self.music_slider)
        return frame

    def _build_intention(self) -> QFrame:
        frame, box = card("Intention")
        self.intention_edit = QPlainTextEdit()
        self.intention_edit.setPlaceholderText("The patient's intention, in their words")
        self.intention_edit.setFixedHeight(84)
        box.addWidget(self.intention_edit)
        row = QHBoxLayout()
        self.intention_status = QLabel()
        self.intention_status.setObjectName("subtle")
        self.intention_button = self._button("Save intention", self.save_intention, "Ctrl+S")
        row.addWidget(self.intention_status, 1)
        row.addWidget(self.intention_button)
        box.addLayout(row)
        return frame

    def _build_notes(self) -> QFrame:
        frame, box = card("Notes")
        entry = QHBoxLayout()
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("Type a note, Enter to add · or tap a tag")
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_button = self._button("Add note", lambda: self.add_note(), "Ctrl+Return")
        entry.addWidget(self.note_edit, 1)
        entry.addWidget(self.note_button)
        box.addLayout(entry)
        tags = QHBoxLayout()
        self.tag_buttons: dict[str, QPushButton] = {}
        for i, tag in enumerate(TAGS, start=1):
            button = self._button(tag, lambda _=False, tag=tag: self.add_note(tag), f"Ctrl+{i}")
            button.setObjectName("tag")
            button.setToolTip(f"Note '{tag}' now, with any text typed (Ctrl+{i})")
            self.tag_buttons[tag] = button
            tags.addWidget(button)
        box.addLayout(tags)
        self.notes_list = QListWidget()
        self.notes_list.setObjectName("notes")
        self.notes_list.setWordWrap(True)
        self.notes_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        box.addWidget(self.notes_list, 1)
        return frame

    def _build_voice(self) -> QFrame:
        frame, box = card("Voice notes")
        row = QHBoxLayout()
        self.record_button = self._button("● Record", self.toggle_recording, "Ctrl+R")
        self.voice_status = QLabel()
        self.voice_status.setObjectName("subtle")
        self.voice_status.setWordWrap(True)
        row.addWidget(self.record_button)
        row.addWidget(self.voice_status, 1)
        box.addLayout(row)
        self.voice_list = QListWidget()
        self.voice_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        box.addWidget(self.voice_list, 1)
        return frame

    def _connect_sliders(self) -> None:
        pairs = [(self.level_slider, self.level_throttle), (self.music_slider, self.music_throttle)]
        pairs += [(slider, self.shape_throttle) for slider in self.shape_sliders.values()]
        for slider, throttle in pairs:
            slider.slider.valueChanged.connect(throttle.poke)
            slider.slider.sliderReleased.connect(throttle.flush)

    # ------------------------------------------------------------------ commands

    @property
    def by(self) -> str:
        """Who the timeline says did it: the signed-in role."""
        return str(self.role) if self.role is not None else "therapist"

    def set_role(self, role: Role | None) -> None:
        self.role = role
        self.refresh()

    def _do(self, action: Callable[[], None]) -> bool:
        """Run a command; a refusal or a device problem is shown, never raised."""
        try:
            action()
        except (TransitionError, ValueError, OSError) as exc:
            self.problem_label.setText(str(exc))
            return False
        self.problem_label.clear()
        return True

    def _may(self, action: Action) -> bool:
        if allowed(self.role, action):
            return True
        self.problem_label.setText(f"Your role may not {action.value.replace('_', ' ')}.")
        return False

    def selected_preset(self) -> str | None:
        item = self.preset_list.currentItem()
        return None if item is None else str(item.data(Qt.ItemDataRole.UserRole))

    def select_preset(self, name: str) -> None:
        for i in range(self.preset_list.count()):
            item = self.preset_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                self.preset_list.setCurrentItem(item)
                return
        raise KeyError(name)

    def _preset_changed(self, *_: object) -> None:
        if self.preview_button.isChecked():
            self._preview_selected()
        self.refresh()

    def toggle_preview(self, on: bool) -> None:
        """The headphones only: the room, and its timeline, are not touched."""
        if self.preview is None:
            return
        if not on:
            if self.previewing:
                self.previewing = False
                self._do(self.preview.stop)
            return
        if not self._may(Action.SOUNDSCAPE) or self.selected_preset() is None:
            if self.selected_preset() is None:
                self.problem_label.setText("Choose a soundscape to preview.")
            self.preview_button.setChecked(False)
            return
        self._preview_selected()

    def _preview_selected(self) -> None:
        preset, preview = self.selected_preset(), self.preview
        if preset is not None and preview is not None:
            level = self.level_slider.value()
            if self._do(lambda: preview.play(preset, level)):
                self.previewing = True
            else:
                self.preview_button.setChecked(False)

    def play_in_room(self) -> None:
        preset = self.selected_preset()
        if not self._may(Action.SOUNDSCAPE):
            return
        if preset is None:
            self.problem_label.setText("Choose a soundscape to play in the room.")
            return
        self.level_throttle.cancel()
        level, seconds = self.level_slider.value(), self.crossfade_slider.value()
        self._do(lambda: self.room.choose_soundscape(preset, level, seconds=seconds, by=self.by))

    def _send_level(self) -> None:
        """The level slider: a short fade of what plays (or the level for the next Play)."""
        level = self.level_slider.value()
        preset = self.room_preset
        if preset is None or level == self.room_level or not allowed(self.role, Action.SOUNDSCAPE):
            return
        self._do(
            lambda: self.room.choose_soundscape(preset, level, seconds=LEVEL_FADE_S, by=self.by)
        )

    def _send_shape(self) -> None:
        wanted = {name: slider.value() for name, slider in self.shape_sliders.items()}
        changed = {k: v for k, v in wanted.items() if v != self.sent_shape.get(k)}
        if changed and allowed(self.role, Action.SOUNDSCAPE):
            self._do(lambda: self.room.shape_soundscape(by=self.by, **changed))

    def _send_music_level(self) -> None:
        level = self.music_slider.value()
        if allowed(self.role, Action.MUSIC_LEVEL):
            self._do(lambda: self.room.set_music_level(level, by=self.by))

    def save_intention(self) -> None:
        if self._may(Action.INTENTION):
            text = self.intention_edit.toPlainText()
            self._do(lambda: self.room.set_intention(text, by=self.by))

    def add_note(self, tag: str | None = None) -> None:
        """The typed text as a note; a tag button notes it at once, with any text typed."""
        if not self._may(Action.NOTE):
            return
        text = self.note_edit.text()
        tags = [tag] if tag else []
        if not text.strip() and not tags:
            return  # Enter on an empty line: nothing to say, no error either
        if self._do(lambda: self.room.note(text, tags, by=self.by)):
            self.note_edit.clear()

    def toggle_recording(self) -> None:
        if self._recording.isValid():
            self.stop_recording()
        elif self.voice is not None and self._may(Action.VOICE_NOTE):
            voice = self.voice
            if self._do(voice.start):
                self._recording.start()
                self.voice_status.setText("Recording from the microphone…")
                self._show_recording()

    def stop_recording(self) -> None:
        voice = self.voice
        if voice is None or not self._recording.isValid():
            return
        self._recording.invalidate()
        self._show_recording()
        saved: list[tuple[str, float]] = []
        if self._do(lambda: saved.append(voice.stop())):
            path, seconds = saved[0]
            if self._do(lambda: self.room.voice_note(path, seconds, by=self.by)):
                self.voice_status.setText(f"Saved {PurePath(path).name} ({mmss(seconds)})")
                return
        self.voice_status.setText("Not saved: see the message below.")

    def play_voice(self, path: str) -> None:
        voice = self.voice
        if voice is not None and self._may(Action.VOICE_NOTE):
            self._do(lambda: voice.play(path))

    # ------------------------------------------------------------------ following the room

    def _on_event(self, event: Event, *, rebuild: bool = True) -> None:
        data = event.data
        if event.kind == Kind.CUE:
            action = data.get("action")
            if action == "soundscape":
                self.room_preset = str(data["preset"])
                self.room_level = float(data["level"])
                if not self.level_throttle.pending and not self.level_slider.slider.isSliderDown():
                    self.level_slider.set_quietly(self.room_level)
            elif action == "stop_sound":
                self.room_preset = None
            elif action == "soundscape_shape":
                for name in SHAPES:
                    if name in data:
                        self.sent_shape[name] = float(data[name])
                        if not self.shape_throttle.pending:
                            self.shape_sliders[name].set_quietly(float(data[name]))
            elif action == "music_level" and not self.music_throttle.pending:
                self.music_slider.set_quietly(float(data["level"]))
            if rebuild:
                self.refresh()
        elif event.kind == Kind.NOTE:
            kind = data.get("type")
            if kind == "intention":
                self._intention_saved(event)
            elif kind == "voice":
                self.voice_notes.append(event)
                if rebuild:
                    self._render_voice_notes()
            else:
                self.notes.append(event)
                if rebuild:
                    self._render_notes()
        elif event.kind == Kind.PHASE and rebuild:
            self._refresh_plan()
            self._render_notes()
            self._render_voice_notes()
            self.refresh()
        elif event.kind == Kind.SYSTEM and data.get("action") == "infusion_extended" and rebuild:
            self._refresh_plan()
        elif (
            event.kind == Kind.SOUNDSCAPE
            and data.get("output") == "preview"
            and data.get("outcome") == "error"
        ):
            self.problem_label.setText(f"Headphone preview: {data.get('error', 'failed')}")
            self.preview_button.setChecked(False)

    def _intention_saved(self, event: Event) -> None:
        text = str(event.data.get("text", ""))
        current = self.intention_edit.toPlainText().strip()
        if current in ("", self._saved_intention, text):
            self.intention_edit.setPlainText(text)
        self._saved_intention = text
        when = note_time(event.t, self.room.state.infusion_started_t)
        self.intention_status.setText(f"Saved at {when}")

    def _render_notes(self) -> None:
        started = self.room.state.infusion_started_t
        self.notes_list.clear()
        for event in reversed(self.notes):
            tags = " · ".join(event.data.get("tags", []))
            text = str(event.data.get("text", ""))
            who = "" if event.source == "therapist" else f"   ({event.source})"
            parts = [note_time(event.t, started), f"[{tags}]" if tags else "", text]
            self.notes_list.addItem("   ".join(p for p in parts if p) + who)

    def _render_voice_notes(self) -> None:
        started = self.room.state.infusion_started_t
        self.voice_list.clear()
        self.voice_rows = []
        may_play = self.voice is not None and allowed(self.role, Action.VOICE_NOTE)
        for event in reversed(self.voice_notes):
            path = str(event.data["path"])
            row = VoiceRow(
                note_time(event.t, started),
                path,
                float(event.data.get("seconds", 0.0)),
                lambda _=False, path=path: self.play_voice(path),
            )
            row.play_button.setEnabled(may_play)
            item = QListWidgetItem()
            hint = row.sizeHint()
            item.setSizeHint(QSize(hint.width(), max(ROW_HEIGHT, hint.height())))
            self.voice_list.addItem(item)
            self.voice_list.setItemWidget(item, row)
            self.voice_rows.append(row)

    def _refresh_plan(self) -> None:
        phase = music_phase(self.room.state.phase)
        cues = self.room.stage.cues_for(phase) if phase is not None else None
        self.plan_list.clear()
        self.plan, self._plan_now = None, None
        if phase is None:
            self.playlist_label.setText("No music: the session has ended")
            self.plan_note.setText("")
            return
        playlist = cues.playlist if cues is not None else None
        if playlist is None:
            self.playlist_label.setText(f"No playlist for {phase}")
            self.plan_note.setText("")
            return
        self.playlist_label.setText(f"{str(phase).capitalize()} playlist: {playlist}")
        plan: list[dict[str, Any]] | None = None
        reason = ""
        if self.plan_for is not None:
            try:
                plan = self.plan_for(playlist)
            except (ValueError, OSError) as exc:
                reason = f": {exc}"
        if plan is None:
            self.plan_note.setText(f"Plan not available{reason}")
            return
        self.plan = plan
        for start, track, length in plan_rows(plan):
            item = QTreeWidgetItem(["", start, track, length])
            item.setForeground(1, Qt.GlobalColor.gray)
            self.plan_list.addTopLevelItem(item)
        total = max((i["start_s"] + i["duration_s"] for i in plan), default=0.0)
        fitted = "fitted to the infusion" if phase == Phase.INFUSING else "one pass, repeating"
        self.plan_note.setText(f"{len(plan)} tracks · {mmss(total)} · {fitted}")
        self._mark_plan_now()

    def _mark_plan_now(self) -> None:
        """The ▶ on the track the infusion's plan is at now (music follows the infusion clock)."""
        state = self.room.state
        now: int | None = None
        if self.plan and state.phase in (Phase.INFUSING, Phase.PAUSED):
            t = state.infusion_elapsed(self.room.clock.now())
            for i, item in enumerate(self.plan):
                if item["start_s"] <= t:
                    now = i
        if now == self._plan_now:
            return
        for i in range(self.plan_list.topLevelItemCount()):
            self.plan_list.topLevelItem(i).setText(0, "▶" if i == now else "")
        self._plan_now = now

    def _show_recording(self) -> None:
        if self._recording.isValid():
            self.record_button.setText(f"■ Stop   {mmss(self._recording.elapsed() / 1000)}")
            self.record_button.setObjectName("recording")
        else:
            self.record_button.setText("● Record")
            self.record_button.setObjectName("")
        self.record_button.style().unpolish(self.record_button)
        self.record_button.style().polish(self.record_button)

    def tick(self) -> None:
        """Once a second: the recording's running time, its limit, the track playing now."""
        if self._recording.isValid():
            limit = self.voice.max_seconds if self.voice is not None else 0.0
            if self._recording.elapsed() / 1000 >= limit:
                self.stop_recording()
                self.voice_status.setText(
                    f"{self.voice_status.text()} · stopped at the {mmss(limit)} limit"
                )
            else:
                self._show_recording()
        self._mark_plan_now()

    def refresh(self) -> None:
        """Which controls this role may use now, and what plays in the room."""
        live = self.room.state.live
        role = self.role
        scape = allowed(role, Action.SOUNDSCAPE)
        for widget in (self.preset_list, self.crossfade_slider):
            widget.setEnabled(scape)
        for widget in (self.level_slider, *self.shape_sliders.values()):
            widget.setEnabled(scape and live)
        self.play_button.setEnabled(scape and live)
        self.preview_button.setEnabled(scape and self.preview is not None)
        if self.preview is None:
            self.preview_button.setToolTip("No headphone output configured")
        self.music_slider.setEnabled(allowed(role, Action.MUSIC_LEVEL) and live)
        note = allowed(role, Action.NOTE)
        for widget in (self.note_edit, self.note_button, *self.tag_buttons.values()):
            widget.setEnabled(note)
        intention = allowed(role, Action.INTENTION)
        self.intention_edit.setReadOnly(not intention)
        self.intention_edit.setEnabled(intention)
        self.intention_button.setEnabled(intention)
        voice = allowed(role, Action.VOICE_NOTE) and self.voice is not None
        self.record_button.setEnabled(voice)
        for row in self.voice_rows:
            row.play_button.setEnabled(voice)
        if self.voice is None:
            self.voice_status.setText("No microphone configured")
        if self.room_preset is None:
            self.room_label.setText("In the room: no soundscape")
        else:
            self.room_label.setText(
                f"In the room: {self.room_preset} · {round(self.room_level * 100)} %"
            )
        for name, row in self.preset_rows.items():
            row.mark_playing(name == self.room_preset)

    # ------------------------------------------------------------------ closing

    def shutdown(self) -> None:
        """Stop the clock and the throttles; a recording in progress is saved and noted."""
        self._tick.stop()
        for throttle in (self.level_throttle, self.shape_throttle, self.music_throttle):
            if throttle.pending:
                throttle.flush()
        if self._recording.isValid():
            self.stop_recording()
        if self.preview is not None and self.preview_button.isChecked():
            self.preview_button.setChecked(False)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
