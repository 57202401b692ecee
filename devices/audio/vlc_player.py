"""The room's music on libvlc, behind the core's ``MusicPlayer`` interface.

Threads, and what each may do:

* The **caller** (the Room, on the GUI thread) only queues commands and returns.
* The **worker** (one thread, ``vlc-music``) owns every libvlc call: it creates the instance
  and two media players, follows the plan ~25 times a second, and reports what happened.
* A **loader** thread per ``play()`` reads the playlist's lengths with libvlc
  (``devices.audio.library``, its own instance) and fits the plan, so a slow folder never
  stalls a fade; its result comes back through the worker's queue.
* libvlc's own threads only touch plain counters: the log callback counts audio-output
  failures, the optional capture callback hands samples to a test.

**The plan is followed on the session clock.** Item *k* starts when plan time (session time
since ``play()``, minus pauses, plus ``position_s``) reaches ``item.start_s``; within an item VLC
plays in real time. At speed 1 a file that drifts more than 1 s from where the plan says it
should be is moved back (a ``seek``); the demo runs the session clock faster (``speed`` > 1), so
there files are never sought and every plan fade simply lasts ``plan seconds / speed``, because
every plan gain is computed from plan time.

**Volume is roomctl's**, never read back from VLC: VLC resets it with some outputs (amem at
every new track) and reports 0 for others. The worker applies ``master × item fade × ramps``
(see ``music_schedule``) whenever it changes, on every tick for the first seconds of each new
track, and at least once a second.

**Ducking** (``fade_to``) runs on the real clock, like the soundscape's: it is for the people in
the room. VLC scales samples when it decodes them, ``VOLUME_LEAD_S`` before they are heard
(measured: file caching + ~0.15 s), and the sound output holds ``output_latency_s`` more
(the demo's simulated card: two periods), so a ramp is shortened by both and *heard* reaching
its level within ``seconds``. The same lead delays stopping a track whose plan has ended, so its
last, faded samples still play.

**Failures** never reach the caller: libvlc missing or ``vlc.Instance`` returning None makes the
player inert with an ``output`` error event and the ``music_output`` technical alarm; a sound
output libvlc cannot open (no sound card: it then plays on silently, the clock still advancing)
is seen in libvlc's log and raises the same alarm, cleared once a track plays cleanly; a
playlist that cannot be read raises ``music_playlist``; a missing or undecodable file is a
``skip`` warning and the plan's timing is kept (its neighbours play as planned, with silence
where it would have been).

Output device: ``output_device`` is a device id as libvlc lists it
(``vlc_support.output_devices()``: ``"default"``, ALSA's ``"null"``, ``"hw:CARD=...,DEV=0"``, a
PulseAudio sink name), applied with ``audio_output_device_set(None, id)`` to both players. The
output *module* is chosen with ``--aout=alsa|pulse|adummy`` in ``instance_args`` (``adummy``
discards everything, silently). With ``audio_capture`` set, both players deliver samples to it
(libvlc's amem: S16 stereo at ``CAPTURE_RATE``) instead of a sound card: that is how the tests
hear the music.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from devices.audio.library import LibraryError, load_library
from devices.audio.music_schedule import (
    Ramp,
    Schedule,
    crossfade_in,
    crossfade_out,
    fade_out_now,
    file_position,
    to_vlc_volume,
)
from devices.audio.vlc_support import (
    CAPTURE_CHANNELS,
    CAPTURE_RATE,
    DEFAULT_INSTANCE_ARGS,
    AudioCapture,
    OutputWatch,
    capture_callback,
    quiet_alsa_errors,
)
from roomctl.config import PlaylistConfig
from roomctl.interfaces import Report
from roomctl.music_plan import (
    MusicPlan,
    PlanError,
    PlanItem,
    Track,
    fit_playlist,
    open_ended,
    refit,
)
from roomctl.timeline.events import Kind

log = logging.getLogger(__name__)

CONDITION = "music_output"
PLAYLIST_CONDITION = "music_playlist"
#: How long before it is heard VLC scales a sample (measured with amem's timestamps).
VOLUME_LEAD_S = 0.35
TICK_S = 0.04
#: A volume change lands on the next tick and then on the next output block (50 ms).
DUCK_MARGIN_S = TICK_S + 0.05
STOP_FADE_S = 3.0  # session seconds: a stop fades over 3 s, 3/speed real seconds in the demo
#: After a new track starts, its volume is set on every tick this long (some outputs reset it).
REAPPLY_S = 2.0
REFRESH_S = 1.0
DRIFT_S = 1.0
DRIFT_SETTLE_S = 2.0  # no drift check this soon after a start or a seek
#: A track started late by less than this starts at its beginning (not cut into).
LATE_OK_S = 0.5
#: A file whose position never got this far before libvlc gave up was not decodable.
UNDECODABLE_S = 0.5
#: A file that ends more than this (real seconds) before its plan end ended early.
EARLY_END_S = 2.0
OUTPUT_OK_S = 3.0
CLOSE_TIMEOUT_S = 5.0


@dataclass
class _Slot:
    """One of the two media players and the plan item it is sounding."""

    number: int
    player: Any
    playlist: str | None = None
    index: int | None = None
    item: PlanItem | None = None
    start_position: float = 0.0
    position: float = 0.0
    started_real: float = 0.0
    settle_until: float = 0.0
    applied: int | None = None
    applied_real: float = 0.0
    ended: bool = False  # libvlc finished the file (or gave up on it)
    told_end: bool = False  # its track_end (or skip) has been reported
    stop_at: float | None = None  # real time: its plan ended, stop once the fade is heard
    exit: Ramp | None = None  # another playlist took over: fading out on the session clock
    exit_gain: float = 1.0
    entry: Ramp | None = None  # fading in over the previous playlist on the session clock

    @property
    def busy(self) -> bool:
        return self.item is not None

    def clear(self) -> None:
        self.playlist = self.index = self.item = self.stop_at = self.exit = self.entry = None
        self.ended = self.told_end = False
        self.exit_gain = 1.0


@dataclass(frozen=True)
class _Request:
    generation: int
    name: str
    playlist: PlaylistConfig
    planned_s: float | None
    position_s: float
    requested_at: float  # session time of the play() call: plan time position_s


@dataclass(frozen=True)
class _Loaded:
    generation: int
    tracks: tuple[Track, ...] = ()
    plan: MusicPlan | None = None
    skipped: tuple[dict[str, str], ...] = ()
    error: str | None = None


class VlcMusicPlayer:
    """``MusicPlayer`` on two libvlc media players; see the module docstring.

    ``output_latency_s`` is the audio already on its way to the speaker when a fade starts
    (handed to the sound output, not yet heard): a duck's ramp is shortened by it, so its end is
    heard on time. 0 (the default) when unknown, as with amem's capture.
    """

    def __init__(
        self,
        report: Report,
        *,
        now: Callable[[], float],
        volume: float = 0.7,
        crossfade_s: float = 8.0,
        final_fade_s: float = 60.0,
        output_device: str | None = None,
        instance_args: Sequence[str] = (),
        audio_capture: AudioCapture | None = None,
        speed: float = 1.0,
        output_latency_s: float = 0.0,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive (got {speed})")
        self._report = report
        self._now = now
        self._crossfade_s = crossfade_s
        self._final_fade_s = final_fade_s
        self._output_device = output_device
        self._instance_args = tuple(instance_args)
        self._capture = audio_capture
        self.speed = speed
        self.output_latency_s = max(0.0, output_latency_s)
        self._commands: queue.SimpleQueue[tuple[str, tuple[Any, ...]]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        # --- the worker's own state (no other thread touches it) ---
        self._vlc: Any = None
        self._instance: Any = None
        self._slots: list[_Slot] = []
        self._keep_alive: list[Any] = []
        self._inert: str | None = None
        self._master = Ramp.hold(min(1.0, max(0.0, volume)))
        self._generation = 0
        self._request: _Request | None = None  # the latest play(), maybe still loading
        self._playing: _Request | None = None  # the one whose plan is being followed
        self._schedule: Schedule | None = None
        self._tracks: tuple[Track, ...] = ()
        self._pending_planned: float | None = None
        self._origin = 0.0  # plan time = session now - origin (while not paused)
        self._paused_at: float | None = None
        self._cursor = 0
        self._entry_ramp: Ramp | None = None
        self._announced_final: set[int] = set()
        self._plan_ended = False
        self._stopping: Ramp | None = None
        self._stop_real: float | None = None
        self._next_drift_check = 0.0
        self._playlist_alarm = False
        self._playlist_text = ""
        self._output_watch = OutputWatch()
        self._failures_seen = 0
        self._last_failure = 0.0
        self._output_alarm = False
        self._failures_told: set[str] = set()
        self._thread = threading.Thread(target=self._run, name="vlc-music", daemon=True)
        self._thread.start()

    # ---------------------------------------------------------------- the caller's side

    def play(
        self,
        name: str,
        playlist: PlaylistConfig,
        planned_s: float | None,
        position_s: float = 0.0,
    ) -> None:
        """Load ``playlist``, fit it to ``planned_s`` (or play it on, repeating), and start it
        ``position_s`` into the plan, crossfading from whatever plays now. Returns at once."""
        self._post("play", name, playlist, planned_s, position_s, self._now())

    def play_plan(self, name: str, plan: MusicPlan, position_s: float = 0.0) -> None:
        """Play a plan already made (a preview, a test): no library is read."""
        self._post("play_plan", name, plan, position_s, self._now())

    def refit(self, planned_s: float) -> None:
        self._post("refit", planned_s)

    def pause(self) -> None:
        self._post("pause", self._now())

    def resume(self) -> None:
        self._post("resume", self._now())

    def fade_to(self, volume: float, seconds: float) -> None:
        self._post("fade_to", min(1.0, max(0.0, volume)), max(0.0, seconds), time.monotonic())

    def stop(self) -> None:
        self._post("stop")

    def close(self) -> None:
        """Stop the music, release libvlc; idempotent, and returns within a few seconds."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._commands.put(("close", ()))
        self._thread.join(CLOSE_TIMEOUT_S)
        if self._thread.is_alive():
            log.warning("the music worker did not stop within %.0f s", CLOSE_TIMEOUT_S)

    def _post(self, name: str, *args: Any) -> None:
        with self._lock:
            if self._closed:
                return
        self._commands.put((name, args))

    # ---------------------------------------------------------------- the worker

    def _run(self) -> None:
        try:
            self._open()
            next_tick = time.monotonic()
            while True:
                try:
                    name, args = self._commands.get(timeout=max(0.0, next_tick - time.monotonic()))
                except queue.Empty:
                    pass
                else:
                    if name == "close":
                        break
                    self._guarded(name, lambda n=name, a=args: self._handle(n, a))
                    if time.monotonic() < next_tick:
                        continue
                if self._inert is None:
                    self._guarded("tick", self._tick)
                next_tick = max(next_tick + TICK_S, time.monotonic() - TICK_S)
        except Exception as exc:  # a bug here must cost the room its music, never the session
            log.exception("music worker failed")
            self._tell("output", outcome="error", text=f"music player failed: {exc}")
        finally:
            self._release()

    def _guarded(self, what: str, call: Callable[[], None]) -> None:
        """One command or tick; a failure is logged and reported once, and the worker goes on
        (the next tick may well succeed: libvlc refusing one file is no reason to go silent)."""
        try:
            call()
        except Exception as exc:
            key = f"{what}: {type(exc).__name__}: {exc}"
            if key not in self._failures_told:
                self._failures_told.add(key)
                log.exception("music player: %s failed", what)
                self._tell(what, outcome="error", text=f"{type(exc).__name__}: {exc}")

    def _open(self) -> None:
        try:
            import vlc
        except (ImportError, OSError, NotImplementedError) as exc:
            self._go_inert(f"libvlc is not available ({exc}): install libvlc5 and vlc-plugin-base")
            return
        self._vlc = vlc
        quiet_alsa_errors()
        args = [*DEFAULT_INSTANCE_ARGS, *self._instance_args]
        instance = vlc.Instance(args)
        if instance is None:
            self._go_inert(
                "libvlc did not start (vlc.Instance returned None): its plugins are missing "
                f"(install vlc-plugin-base) or an option is unknown ({' '.join(args)})"
            )
            return
        self._instance = instance
        self._output_watch.install(vlc, instance)
        for number in range(2):
            player = instance.media_player_new()
            if self._capture is not None:
                callback = capture_callback(vlc, number, self._capture)
                self._keep_alive.append(callback)
                player.audio_set_callbacks(callback, None, None, None, None, None)
                player.audio_set_format("S16N", CAPTURE_RATE, CAPTURE_CHANNELS)
            elif self._output_device:
                player.audio_output_device_set(None, self._output_device)
            self._slots.append(_Slot(number, player))

    def _release(self) -> None:
        for slot in self._slots:
            if slot.busy:
                self._finish(slot, "closed", stop=False)
            try:
                slot.player.stop()
                slot.player.release()
            except Exception:  # releasing must go on whatever one player says
                log.exception("releasing a media player failed")
        self._slots = []
        if self._instance is not None:
            try:
                self._instance.log_unset()
                self._instance.release()
            except Exception:
                log.exception("releasing libvlc failed")
            self._instance = None

    def _go_inert(self, text: str) -> None:
        self._inert = text
        self._tell("output", outcome="error", text=text)
        self._alarm(CONDITION, True, "Music output unavailable (advisory)")

    # ---------------------------------------------------------------- commands

    def _handle(self, name: str, args: tuple[Any, ...]) -> None:
        if self._inert is not None:
            if name in ("play", "play_plan"):
                self._tell("play", playlist=args[0], outcome="error", text=self._inert)
            return
        getattr(self, f"_on_{name}")(*args)

    def _on_play(
        self,
        name: str,
        playlist: PlaylistConfig,
        planned_s: float | None,
        position_s: float,
        requested_at: float,
    ) -> None:
        self._generation += 1
        request = _Request(self._generation, name, playlist, planned_s, position_s, requested_at)
        self._request = request
        self._pending_planned = planned_s
        self._unpause_for_new_playlist()
        threading.Thread(
            target=self._load, args=(request,), name="vlc-music-load", daemon=True
        ).start()

    def _on_play_plan(
        self, name: str, plan: MusicPlan, position_s: float, requested_at: float
    ) -> None:
        if not plan.items:
            self._tell("plan", playlist=name, outcome="error", text="the plan is empty")
            return
        self._generation += 1
        playlist = PlaylistConfig(path=os.path.dirname(plan.items[0].path) or ".")
        request = _Request(
            self._generation, name, playlist, plan.planned_s, position_s, requested_at
        )
        self._request = request
        self._pending_planned = plan.planned_s
        self._unpause_for_new_playlist()
        lengths = {i.path: Track(i.path, i.offset_s + i.duration_s) for i in plan.items}
        tracks = tuple(lengths.values())
        self._on_loaded(_Loaded(request.generation, tracks, plan))

    def _unpause_for_new_playlist(self) -> None:
        """A new playlist starts playing even when the old one was paused; the paused one is
        silent, so it is simply stopped."""
        if self._paused_at is None:
            return
        for slot in self._slots:
            if slot.busy:
                self._finish(slot, "replaced")
        self._schedule = None
        self._playing = None
        self._paused_at = None

    def _load(self, request: _Request) -> None:
        """On a loader thread: the library's lengths (libvlc, a moment) and the fitted plan."""
        try:
            library = load_library(request.playlist.path)
            tracks = library.tracks
            plan = self._fit(tracks, request.planned_s, request.playlist)
            skipped = tuple({"path": s.path, "reason": s.reason} for s in library.skipped)
            result = _Loaded(request.generation, tracks, plan, skipped)
        except (LibraryError, PlanError) as exc:
            result = _Loaded(request.generation, error=str(exc))
        except Exception as exc:  # reported as the playlist's failure, never raised
            log.exception("loading playlist %s failed", request.playlist.path)
            result = _Loaded(request.generation, error=f"could not be loaded: {exc}")
        self._commands.put(("loaded", (result,)))

    def _fit(
        self, tracks: Sequence[Track], planned_s: float | None, playlist: PlaylistConfig
    ) -> MusicPlan:
        if planned_s is None:
            return open_ended(tracks, crossfade_s=self._crossfade_s, order=playlist.order)
        return fit_playlist(
            tracks,
            planned_s,
            crossfade_s=self._crossfade_s,
            final_fade_s=self._final_fade_s,
            order=playlist.order,
        )

    def _on_loaded(self, loaded: _Loaded) -> None:
        request = self._request
        if request is None or loaded.generation != request.generation:
            return  # a later play() superseded this one
        now_s = self._now()
        plan = loaded.plan
        if plan is not None and self._pending_planned != plan.planned_s:
            try:  # refit() arrived while the library was loading
                plan = self._fit(loaded.tracks, self._pending_planned, request.playlist)
            except PlanError as exc:
                loaded = _Loaded(loaded.generation, error=str(exc))
                plan = None
        if plan is None:
            self._tell(
                "plan",
                playlist=request.name,
                path=request.playlist.path,
                outcome="error",
                text=loaded.error,
            )
            self._alarm(
                PLAYLIST_CONDITION, True, f"Music playlist {request.name} unavailable (advisory)"
            )
            self._release_current(now_s, reason="replaced", to=None)
            self._schedule = None
            self._playing = None
            return
        if self._playlist_alarm:
            self._alarm(PLAYLIST_CONDITION, False, self._playlist_text)
        sounding = self._release_current(now_s, reason="replaced", to=request.name)
        self._playing = request
        self._stopping = None
        self._schedule = Schedule(plan)
        self._tracks = loaded.tracks
        self._origin = request.requested_at - request.position_s
        self._cursor = self._schedule.first_sounding(self._plan_time(now_s))
        self._announced_final = set()
        self._plan_ended = False
        self._entry_ramp = Ramp(now_s, 0.0, now_s + self._crossfade_s, 1.0) if sounding else None
        self._tell(
            "plan",
            playlist=request.name,
            path=request.playlist.path,
            order=request.playlist.order,
            planned_s=plan.planned_s,
            position_s=round(request.position_s, 3),
            items=len(plan.items),
            looped=plan.looped,
            notes=list(plan.notes),
            skipped=list(loaded.skipped),
            plan=[_rounded(i.as_dict()) for i in plan.items],
            outcome="ok",
        )
        for entry in loaded.skipped:
            self._tell("skip", path=entry["path"], reason=entry["reason"], level="warning")

    def _release_current(self, now_s: float, *, reason: str, to: str | None) -> bool:
        """Hand what sounds now over to a crossfade out (stopped at once if paused).
        Returns whether anything was sounding."""
        where = self._where(now_s)
        sounding = False
        for slot in self._slots:
            if not slot.busy:
                continue
            if slot.stop_at is not None or slot.ended or slot.exit is not None:
                self._finish(slot, reason)
                continue
            slot.exit_gain = self._item_gain(slot, self._plan_time(now_s), now_s)
            slot.exit = Ramp(now_s, 0.0, now_s + self._crossfade_s, 1.0)
            sounding = sounding or slot.exit_gain > 0
        if sounding:
            self._tell(
                "fade",
                reason="playlist_change",
                seconds=self._crossfade_s,
                volume=0.0,
                to=to,
                **where,
            )
        return sounding

    def _on_refit(self, planned_s: float) -> None:
        self._pending_planned = planned_s
        schedule = self._schedule
        playing = self._playing
        if schedule is None or playing is None or playing is not self._request:
            return  # still loading: the plan is fitted to the new length when it arrives
        t = self._plan_time(self._now())
        try:
            plan = refit(
                schedule.plan,
                self._tracks,
                t,
                planned_s,
                crossfade_s=self._crossfade_s,
                final_fade_s=self._final_fade_s,
                order=playing.playlist.order,
            )
            how = "refit"
        except PlanError as exc:
            index = 0
            while schedule.has(index) and schedule.item(index).start_s < planned_s:
                index += 1
            items = fade_out_now(schedule.items[:index], t, planned_s)
            if not items:
                self._tell("refit", planned_s=planned_s, outcome="error", text=str(exc))
                return
            plan = MusicPlan(planned_s, tuple(items), schedule.plan.looped, (str(exc),))
            how = "fade_now"
        schedule.replace_plan(plan)
        for slot in self._slots:
            if slot.exit is None and slot.index is not None and schedule.has(slot.index):
                slot.item = schedule.item(slot.index)
        self._announced_final = {i for i in self._announced_final if i < self._cursor - 1}
        self._plan_ended = False
        self._tell(
            "refit",
            planned_s=planned_s,
            elapsed_s=round(t, 3),
            how=how,
            items=len(plan.items),
            looped=plan.looped,
            notes=list(plan.notes),
            plan=[_rounded(i.as_dict()) for i in plan.items],
            outcome="ok",
        )

    def _on_pause(self, at: float) -> None:
        if self._paused_at is not None:
            return
        self._paused_at = at
        for slot in self._slots:
            if slot.busy and not slot.ended:
                slot.player.set_pause(1)
        self._tell("pause", **self._where(at))

    def _on_resume(self, at: float) -> None:
        if self._paused_at is None:
            return
        self._origin += at - self._paused_at
        self._paused_at = None
        for slot in self._slots:
            if slot.busy and not slot.ended:
                slot.player.set_pause(0)
                slot.settle_until = time.monotonic() + DRIFT_SETTLE_S
        self._tell("resume", **self._where(at))

    def _on_fade_to(self, volume: float, seconds: float, asked: float) -> None:
        real = time.monotonic()
        current = self._master.at(real)
        # heard at ``seconds``: VLC's lead, a tick, an output block and the output's latency
        # are taken off the ramp
        lead_s = VOLUME_LEAD_S + DUCK_MARGIN_S + self.output_latency_s
        ramp_s = max(0.0, seconds - lead_s - (real - asked))
        self._master = Ramp(real, current, real + ramp_s, volume)
        self._tell(
            "fade",
            reason="level",
            volume=round(volume, 3),
            seconds=seconds,
            ramp_s=round(ramp_s, 3),
            **{"from": round(current, 3)},
            **self._where(self._now()),
        )

    def _on_stop(self) -> None:
        self._request = None
        self._generation += 1  # a playlist still loading is not started
        if self._stopping is not None:
            return
        now_s = self._now()
        if not any(s.busy for s in self._slots):
            self._schedule = None
            self._tell("stop", outcome="ok")
            self._playing = None
            return
        self._stopping = Ramp(now_s, 1.0, now_s + STOP_FADE_S, 0.0)
        self._tell("fade", reason="stop", seconds=STOP_FADE_S, volume=0.0, **self._where(now_s))

    # ---------------------------------------------------------------- the tick

    def _plan_time(self, now_s: float) -> float:
        return (self._paused_at if self._paused_at is not None else now_s) - self._origin

    def _tick(self) -> None:
        now_s = self._now()
        real = time.monotonic()
        t = self._plan_time(now_s)
        self._check_output(real)
        if self._schedule is not None and self._paused_at is None and self._stopping is None:
            self._start_due(t, now_s, real)
            self._end_due(t, real)
        for slot in self._slots:
            if slot.exit is not None and slot.stop_at is None and slot.exit.done(now_s):
                slot.stop_at = real + VOLUME_LEAD_S + TICK_S
                self._tell_end(slot, "replaced")
        self._watch(t, real)
        self._apply_volumes(t, now_s, real)
        self._announce_final(t)
        if self.speed == 1.0 and self._paused_at is None and real >= self._next_drift_check:
            self._next_drift_check = real + 1.0
            self._correct_drift(t, real)
        self._finish_stopped(now_s, real)
        self._check_plan_end()

    def _start_due(self, t: float, now_s: float, real: float) -> None:
        schedule = self._schedule
        assert schedule is not None
        while schedule.has(self._cursor) and schedule.item(self._cursor).start_s <= t:
            index = self._cursor
            self._cursor += 1
            item = schedule.item(index)
            if item.end_s <= t:
                continue  # passed while paused or resumed beyond it: nothing to hear
            self._start_item(index, item, t, now_s, real)

    def _start_item(self, index: int, item: PlanItem, t: float, now_s: float, real: float) -> None:
        problem = _unplayable(item.path)
        if problem is not None:
            self._skip(index, item, problem)
            return
        slot = self._free_slot()
        late = t - item.start_s
        position = item.offset_s if late < LATE_OK_S else file_position(item, t, self.speed)
        media = self._instance.media_new_path(item.path)
        if position > 0.01:
            media.add_option(f":start-time={position:.3f}")
        slot.player.set_media(media)
        media.release()
        previous = self._sounding_path(exclude=slot)
        slot.clear()
        slot.index, slot.item = index, item
        slot.playlist = self._playing.name if self._playing is not None else None
        slot.start_position = slot.position = position
        slot.started_real = real
        slot.settle_until = real + DRIFT_SETTLE_S
        if self._entry_ramp is not None:
            slot.entry, self._entry_ramp = self._entry_ramp, None
        volume = self._volume_for(slot, t, now_s, real)
        slot.player.audio_set_volume(volume)
        slot.applied, slot.applied_real = volume, real
        if slot.player.play() != 0:
            self._tell("track_start", path=item.path, index=index, outcome="error")
            self._skip(index, item, "libvlc could not start it", slot=slot)
            return
        self._tell(
            "track_start",
            path=item.path,
            position_s=round(position, 3),
            index=index,
            start_s=round(item.start_s, 3),
            duration_s=round(item.duration_s, 3),
            late_s=round(max(0.0, late), 3),
            player=slot.number,
        )
        if self._schedule is not None and self._schedule.crossfaded_in(index):
            self._tell(
                "fade",
                reason="crossfade",
                path=item.path,
                seconds=round(item.fade_in_s, 3),
                **{"from": previous},
            )

    def _free_slot(self) -> _Slot:
        free = [s for s in self._slots if not s.busy]
        if free:
            return free[0]
        ending = [s for s in self._slots if s.stop_at is not None or s.ended]
        victim = ending[0] if ending else min(self._slots, key=lambda s: s.applied or 0)
        self._finish(victim, "cut")
        return victim

    def _end_due(self, t: float, real: float) -> None:
        for slot in self._slots:
            item = slot.item
            if item is None or slot.exit is not None or slot.stop_at is not None:
                continue
            if t >= item.end_s:
                slot.stop_at = real + VOLUME_LEAD_S + TICK_S
                self._tell_end(slot, "planned")

    def _watch(self, t: float, real: float) -> None:
        """What libvlc says about each track: its position, and whether it ended or failed."""
        if self._vlc is None:
            return
        over = (self._vlc.State.Ended, self._vlc.State.Error)
        for slot in self._slots:
            if not slot.busy or slot.ended:
                if slot.stop_at is not None and real >= slot.stop_at:
                    self._finish(slot, None)
                continue
            if slot.stop_at is not None and real >= slot.stop_at:
                self._finish(slot, None)
                continue
            ms = slot.player.get_time()
            if ms is not None and ms > 0:
                slot.position = max(slot.position, ms / 1000.0)
            if slot.player.get_state() not in over:
                continue
            slot.ended = True
            item, index = slot.item, slot.index
            if item is None or index is None:
                continue
            left_in_file = item.offset_s + item.duration_s - slot.start_position
            if slot.position < slot.start_position + UNDECODABLE_S < left_in_file:
                self._skip(index, item, "libvlc could not decode it", slot=slot)
            elif slot.exit is None and slot.stop_at is None:
                remaining_real = (item.end_s - t) / self.speed
                if remaining_real > EARLY_END_S:
                    self._tell_end(
                        slot, "file_ended", early_s=round(remaining_real, 3), level="warning"
                    )

    def _tell_end(self, slot: _Slot, reason: str, **extra: Any) -> None:
        item = slot.item
        if item is None or slot.told_end:
            return
        slot.told_end = True
        if slot.playlist is not None:
            extra.setdefault("playlist", slot.playlist)
        self._tell(
            "track_end",
            path=item.path,
            position_s=round(self._position(slot), 3),
            index=slot.index,
            end_s=round(item.end_s, 3),
            reason=reason,
            **extra,
        )

    def _skip(self, index: int, item: PlanItem, reason: str, *, slot: _Slot | None = None) -> None:
        """A missing or undecodable file: a warning, and the plan goes on as timed."""
        self._tell(
            "skip",
            path=item.path,
            index=index,
            start_s=round(item.start_s, 3),
            end_s=round(item.end_s, 3),
            reason=reason,
            level="warning",
        )
        if slot is not None:
            slot.player.stop()
            slot.clear()

    def _finish(self, slot: _Slot, reason: str | None, *, stop: bool = True) -> None:
        """Stop a slot's track, reporting its end unless that was done already."""
        if reason is not None:
            self._tell_end(slot, reason)
        if stop:
            slot.player.stop()
        slot.clear()

    def _item_gain(self, slot: _Slot, t: float, now_s: float) -> float:
        if slot.item is None or slot.index is None:
            return 0.0
        if slot.exit is not None:
            return slot.exit_gain * crossfade_out(slot.exit.at(now_s))
        if slot.stop_at is not None or self._schedule is None:
            return 0.0
        gain = self._schedule.gain(slot.index, t) if self._schedule.has(slot.index) else 0.0
        if slot.entry is not None:
            gain *= crossfade_in(slot.entry.at(now_s))
        return gain

    def _volume_for(self, slot: _Slot, t: float, now_s: float, real: float) -> int:
        master = self._master.at(real)
        if self._stopping is not None:
            master *= self._stopping.at(now_s)
        return to_vlc_volume(master, self._item_gain(slot, t, now_s))

    def _apply_volumes(self, t: float, now_s: float, real: float) -> None:
        for slot in self._slots:
            if not slot.busy or slot.ended:
                continue
            volume = self._volume_for(slot, t, now_s, real)
            if (
                volume != slot.applied
                or real - slot.started_real < REAPPLY_S
                or real - slot.applied_real > REFRESH_S
            ):
                slot.player.audio_set_volume(volume)
                slot.applied, slot.applied_real = volume, real

    def _announce_final(self, t: float) -> None:
        schedule = self._schedule
        if schedule is None or self._paused_at is not None:
            return
        for slot in self._slots:
            index, item = slot.index, slot.item
            if index is None or item is None or slot.exit is not None:
                continue
            if index in self._announced_final or item.fade_out_s <= 0:
                continue
            if t >= item.end_s - item.fade_out_s and not schedule.crossfaded_out(index):
                self._announced_final.add(index)
                self._tell(
                    "fade",
                    reason="final",
                    path=item.path,
                    seconds=round(item.fade_out_s, 3),
                    volume=0.0,
                    position_s=round(self._position(slot), 3),
                )

    def _correct_drift(self, t: float, real: float) -> None:
        playing = self._vlc.State.Playing
        for slot in self._slots:
            item = slot.item
            if item is None or slot.ended or slot.exit is not None or slot.stop_at is not None:
                continue
            if real < slot.settle_until or slot.player.get_state() != playing:
                continue
            ms = slot.player.get_time()
            if ms is None or ms < 0:
                continue
            actual = ms / 1000.0
            expected = file_position(item, t, 1.0)
            if abs(actual - expected) > DRIFT_S:
                slot.player.set_time(int(expected * 1000))
                slot.position = expected
                slot.settle_until = real + DRIFT_SETTLE_S
                self._tell(
                    "seek",
                    path=item.path,
                    position_s=round(expected, 3),
                    **{"from": round(actual, 3)},
                    reason="drift",
                )

    def _finish_stopped(self, now_s: float, real: float) -> None:
        stopping = self._stopping
        if stopping is None or now_s < stopping.t1:
            return
        if self._stop_real is None:
            self._stop_real = real + VOLUME_LEAD_S  # let the end of the fade be heard
        if real < self._stop_real:
            return
        self._stop_real = None
        where = self._where(now_s)
        for slot in self._slots:
            if slot.busy:
                self._finish(slot, "stopped")
        self._stopping = None
        self._schedule = None
        self._tell("stop", outcome="ok", **where)
        self._playing = None

    def _check_plan_end(self) -> None:
        schedule = self._schedule
        if schedule is None or self._plan_ended or schedule.has(self._cursor):
            return
        if any(s.busy and s.exit is None for s in self._slots):
            return
        self._plan_ended = True
        self._tell("plan_end", planned_s=schedule.plan.planned_s)

    def _check_output(self, real: float) -> None:
        failures = self._output_watch.failures
        if failures > self._failures_seen:
            self._failures_seen = failures
            self._last_failure = real
            if not self._output_alarm:
                self._output_alarm = True
                text = self._output_watch.why()
                self._tell(
                    "output",
                    outcome="error",
                    device=self._output_device or "default",
                    text=f"libvlc could not open the sound output: {text}"[:300],
                )
                self._alarm(CONDITION, True, "Music output unavailable (advisory)")
            return
        if self._output_alarm and real - self._last_failure > OUTPUT_OK_S:
            playing = self._vlc.State.Playing
            if any(
                s.busy and real - s.started_real > OUTPUT_OK_S and s.player.get_state() == playing
                for s in self._slots
            ):
                self._output_alarm = False
                self._tell("output", outcome="ok", device=self._output_device or "default")
                self._alarm(CONDITION, False, "Music output unavailable (advisory)")

    # ---------------------------------------------------------------- reporting

    def _position(self, slot: _Slot) -> float:
        if not slot.ended and slot.player is not None:
            ms = slot.player.get_time()
            if ms is not None and ms > 0:
                slot.position = max(slot.position, ms / 1000.0)
        return slot.position

    def _sounding_path(self, *, exclude: _Slot | None = None) -> str | None:
        slots = [s for s in self._slots if s.busy and s is not exclude and s.stop_at is None]
        if not slots:
            return None
        latest = max(slots, key=lambda s: s.started_real)
        return latest.item.path if latest.item is not None else None

    def _where(self, now_s: float) -> dict[str, Any]:
        """The path and position of what sounds now (the latest track), for any event."""
        slots = [s for s in self._slots if s.busy and s.exit is None]
        if not slots:
            return {}
        slot = max(slots, key=lambda s: s.started_real)
        assert slot.item is not None
        return {
            "path": slot.item.path,
            "position_s": round(self._position(slot), 3),
            "plan_t": round(self._plan_time(now_s), 3),
        }

    def _tell(self, action: str, **data: Any) -> None:
        payload: dict[str, Any] = {"action": action, "backend": "vlc"}
        current = self._playing or self._request
        if current is not None and "playlist" not in data:
            payload["playlist"] = current.name
        payload.update(data)
        try:
            self._report(Kind.MUSIC, payload)
        except Exception:  # the report path is the app's; a failure there must not stop music
            log.exception("reporting a music event failed")

    def _alarm(self, condition: str, raised: bool, text: str) -> None:
        if condition == PLAYLIST_CONDITION:
            if raised and self._playlist_alarm:
                self._report_alarm(condition, False, self._playlist_text)
            self._playlist_alarm, self._playlist_text = raised, text
        self._report_alarm(condition, raised, text)

    def _report_alarm(self, condition: str, raised: bool, text: str) -> None:
        try:
            self._report(
                Kind.ALARM,
                {
                    "type": "technical",
                    "priority": "low",
                    "condition": condition,
                    "state": "raised" if raised else "cleared",
                    "text": text,
                },
            )
        except Exception:
            log.exception("reporting a music alarm failed")


def _unplayable(path: str) -> str | None:
    if not os.path.exists(path):
        return "missing"
    if not os.path.isfile(path):
        return "not a file"
    if not os.access(path, os.R_OK):
        return "unreadable"
    return None


def _rounded(data: dict[str, Any]) -> dict[str, Any]:
    return {k: round(v, 3) if isinstance(v, float) else v for k, v in data.items()}
