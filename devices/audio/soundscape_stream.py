"""The live soundscape on a sound card, behind the core's ``SoundscapeOutput`` interface.

Three threads touch a playing soundscape, and each has one job:

* The **caller** (the Room, on the GUI thread) only queues commands; it never waits on
  PortAudio, never sees an exception, and a missing card does not stop the session.
* The **producer** (one worker thread per stream) owns everything else: it opens the stream,
  runs the :class:`~soundscapes.engine.Engine`, keeps a ring of blocks ``ahead_blocks`` ahead
  of the card, and reports what happened (start/crossfade/fade/stop outcomes, underflows, the
  ``soundscape_output`` technical alarm).
* The **audio callback** (PortAudio's thread, real time) only copies the next ready block, or
  writes silence and counts an underflow when the producer fell behind. It allocates no
  buffer, logs nothing and never calls ``report``: anything slower would turn a busy moment on
  the GUI or the disk into a click in the room.

The producer sleeps until it is needed instead of polling: the callback wakes it (sets
``_wake``) when the card's lead falls to the low-water mark, half the ring, and commands
wake it too. So it runs about once per ``ahead_blocks // 2`` blocks and renders that many in
one go, rather than waking hundreds of times a second to find nothing to do (polling every
quarter block was 370 wake-ups a second and most of the stream's CPU). The set is the only
synchronisation the callback does: ``Event.set`` takes the event's own lock, which the
producer holds only for a few bytecodes on entering or leaving its wait (never while it
renders), and it is called at most once per refill. A timeout (``TICK_S``) still wakes the
producer when nothing else does, for the stall watch and the underflow reports.

Block size. The room's sound is ambient: a level change or a crossfade heard ~0.3 s later is
fine, while every PortAudio callback costs the same whatever its size. So blocks are 2048
frames (43 ms at 48 kHz) and the ring holds ``LEAD_S`` of sound (docs/decisions/0018).
A duck (a ``fade_to`` down) is the exception, heard down within its ``seconds``: the fade is
shortened by what is already on its way (the ring's lead, the engine's synthesised rest of a
control block, the latency PortAudio reports), so the room's alarm duck still takes 1 s.

The ring is a preallocated ``float32`` array ``[n, blocksize, 2]`` with two ever-increasing
counters: ``_written`` (only the producer stores it) and ``_read`` (only the callback stores
it). One writer per counter and the GIL make each store atomic, so no lock is needed.

sounddevice is imported only when a stream is opened (see ``devices.audio.outputs``), so this
module (and the app) import fine on a machine without PortAudio; that machine gets the
technical alarm instead of sound.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from devices.audio import outputs
from roomctl.interfaces import Report
from roomctl.timeline.events import Kind

log = logging.getLogger(__name__)

CONDITION = "soundscape_output"
#: A start from silence and a stop fade this fast: no click, but no noticeable delay either.
START_FADE_S = 1.0
STOP_FADE_S = 1.0
#: How often the producer looks at the underflow counters (a report only when they grew).
UNDERFLOW_CHECK_S = 5.0
#: A room stream whose card failed tries again this often, silently (one alarm, not one a try).
RETRY_S = 30.0
#: A running stream whose callback has not run for this long has lost its card.
STALL_S = 2.0
CHANNELS = 2
#: Frames per callback: large, because the callback's cost is per call, not per frame.
BLOCKSIZE = 2048
#: How much rendered sound the ring holds (the default ``ahead_blocks``): the time a level
#: change or crossfade takes to be heard (plus the engine's 85 ms control block), and how
#: long the producer may be late before the card underflows (at least half of it).
LEAD_S = 0.25
#: The producer's longest sleep with the ring full: how often it watches for a stalled card
#: and for underflows to report. Longer than a refill takes to come due (half of
#: ``LEAD_S``), so while the card plays it is the callback that wakes it; commands wake it
#: at once.
TICK_S = 0.25
#: The therapist's live shaping controls (``set_params``), each 0-1.
SHAPES = ("brightness", "density", "movement")

Role = Literal["room", "preview"]


class SoundEngine(Protocol):
    """What the stream needs of a soundscape engine (``soundscapes.engine.Engine``)."""

    @property
    def preset(self) -> str: ...

    def render(self, out: np.ndarray) -> None: ...

    def crossfade_to(self, preset: str, seconds: float = 10.0) -> None: ...

    def fade_to(self, level: float, seconds: float) -> None: ...

    def set_params(
        self,
        *,
        level: float | None = None,
        brightness: float | None = None,
        density: float | None = None,
        movement: float | None = None,
    ) -> None: ...


EngineFactory = Callable[..., SoundEngine]


def _default_engine_factory() -> EngineFactory:
    """``soundscapes.engine.Engine``, imported when a stream is made (it loads scipy)."""
    from soundscapes.engine import Engine

    return Engine


@dataclass(frozen=True)
class StreamStats:
    """Counters read from the producer side (a snapshot; the callback keeps counting)."""

    callbacks: int
    blocks_played: int
    blocks_rendered: int
    ring_underflows: int
    portaudio_underflows: int
    running: bool
    lowest_lead: int  # the fewest blocks the card had ready since the stream (re)started

    @property
    def underflows(self) -> int:
        return self.ring_underflows + self.portaudio_underflows


@dataclass(frozen=True)
class _Command:
    action: Literal["start", "crossfade", "fade", "shape", "stop", "flush"]
    preset: str | None = None
    level: float = 0.0
    seconds: float = 0.0
    params: tuple[tuple[str, float], ...] = ()
    done: threading.Event | None = None
    asked: float = 0.0  # time.monotonic() when a fade was asked for


class SoundscapeStream:
    """``SoundscapeOutput`` on a PortAudio device; see the module docstring for the threads.

    ``role="preview"`` is the therapist's headphones: a failure there is reported as a
    ``soundscape`` error event but raises no technical alarm and is not retried (the person
    who pressed preview is looking at the screen and can press again).
    """

    def __init__(
        self,
        report: Report,
        *,
        device: str | int | None = None,
        samplerate: int = 48000,
        blocksize: int = BLOCKSIZE,
        ahead_blocks: int | None = None,
        seed: int = 0,
        engine_factory: EngineFactory | None = None,
        role: Role = "room",
        latency: str | float = "high",
        retry_s: float | None = RETRY_S,
        stall_s: float = STALL_S,
        underflow_check_s: float = UNDERFLOW_CHECK_S,
    ) -> None:
        if ahead_blocks is None:
            ahead_blocks = default_ahead_blocks(samplerate, blocksize)
        if ahead_blocks < 2:
            raise ValueError("ahead_blocks must be at least 2")
        self._report = report
        self.device = device
        self.samplerate = samplerate
        self.blocksize = blocksize
        self.ahead_blocks = ahead_blocks
        self._seed = seed
        self._engine_factory = engine_factory or _default_engine_factory()
        self.role: Role = role
        self._latency = latency
        self._retry_s = retry_s if role == "room" else None
        self._stall_s = stall_s
        self._underflow_check_s = underflow_check_s
        #: The callback wakes the producer once the card has this many blocks left or fewer:
        #: half the ring, so a refill renders several blocks at once and the producer still
        #: has half the lead in hand before anything is late.
        self.low_water = ahead_blocks // 2
        # The ring: one block more than the lead, so the producer never writes the block
        # the callback may be copying. Views made once: the callback creates no arrays.
        self._n = ahead_blocks + 2
        self._ring = np.zeros((self._n, blocksize, CHANNELS), dtype=np.float32)
        self._blocks = [self._ring[i] for i in range(self._n)]
        self._written = 0  # stored by the producer only
        self._read = 0  # stored by the callback only
        self._callbacks = 0  # callback only
        self._ring_underflows = 0  # callback only
        self._pa_underflows = 0  # callback only
        #: When the card plays the block the callback handed over last (PortAudio's stream
        #: clock), stored before ``_read``; None until a callback says (or on a fake card).
        self._dac_time: float | None = None  # callback only (reset before a start)
        # Producer-thread state.
        self._commands: queue.SimpleQueue[_Command] = queue.SimpleQueue()
        self._wake = threading.Event()  # set by commands, close() and a low ring (callback)
        self._lock = threading.Lock()  # guards thread start and close, never the callback
        self._thread: threading.Thread | None = None
        self._closed = False
        self._stream: Any = None
        self._device_name: str | None = None
        self._engine: SoundEngine | None = None
        self._engine_frames = 0  # frames the playing engine has rendered into the ring
        self._running = False  # the stream is started and the ring is being kept full
        self._stop_after_frames: int | None = None  # frames left before silence, when stopping
        self._stop_at_block: int | None = None  # stop the stream once this block was played
        self._want_preset: str | None = None
        self._want_level = 0.0
        self._shape: dict[str, float] = {}  # survives a stop: the therapist's last shaping
        self._unavailable: str | None = None  # why the last open failed
        self._retry_at: float | None = None
        self._alarm_raised = False
        self._reported_underflows = 0
        self._lowest_lead = ahead_blocks  # the fewest blocks ready for the card, this run
        self._last_read = 0
        self._last_progress = 0.0

    # ------------------------------------------------------------ the caller's side (never blocks)

    def start(self, preset: str, level: float) -> None:
        self._queue(_Command("start", preset, _clamp(level), START_FADE_S))

    def crossfade_to(self, preset: str, level: float, seconds: float) -> None:
        self._queue(_Command("crossfade", preset, _clamp(level), max(0.0, seconds)))

    def fade_to(self, level: float, seconds: float) -> None:
        self._queue(
            _Command("fade", None, _clamp(level), max(0.0, seconds), asked=time.monotonic())
        )

    def set_params(self, **params: float) -> None:
        """The therapist's live shaping (brightness, density, movement, each 0-1)."""
        self._queue(_Command("shape", params=tuple(params.items())))

    def stop(self) -> None:
        self._queue(_Command("stop"))

    def close(self, timeout_s: float = 3.0) -> None:
        """Stop the sound at once, close the stream and join the producer. Idempotent."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout_s)
            if thread.is_alive():
                log.warning("soundscape producer did not stop within %.1f s", timeout_s)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every command queued so far has been carried out (tests, the CLI).

        Not for the Room: it waits on the producer, which may be opening a device.
        """
        done = threading.Event()
        if not self._queue(_Command("flush", done=done)):
            return True
        return done.wait(timeout_s)

    @property
    def stats(self) -> StreamStats:
        return StreamStats(
            callbacks=self._callbacks,
            blocks_played=self._read,
            blocks_rendered=self._written,
            ring_underflows=self._ring_underflows,
            portaudio_underflows=self._pa_underflows,
            running=self._running,
            lowest_lead=self._lowest_lead,
        )

    @property
    def preset(self) -> str | None:
        """The preset the room asked for last (None once stopped)."""
        return self._want_preset

    @property
    def level(self) -> float:
        return self._want_level

    @property
    def engine(self) -> SoundEngine | None:
        """The engine playing now, if any (read-only use: tests and the preview window)."""
        return self._engine

    def _queue(self, command: _Command) -> bool:
        with self._lock:
            if self._closed:
                return False
            self._commands.put(command)
            if self._thread is None:
                self._start_thread()
        self._wake.set()
        return True

    def _start_thread(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"soundscape-{self.role}", daemon=True
        )
        self._thread.start()

    # ---------------------------------------------------------------- the audio callback

    def _callback(self, outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio's real-time thread: copy one ready block or play silence, note when the
        card plays it, and wake the producer when the ring runs low. Nothing else."""
        self._callbacks += 1
        if time_info is not None:  # before ``_read``: a duck then never counts a block twice
            self._dac_time = time_info.outputBufferDacTime
        if status.output_underflow:
            self._pa_underflows += 1
        read, written = self._read, self._written
        if written > read:
            outdata[:] = self._blocks[read % self._n]
            read += 1
            self._read = read
        else:
            outdata.fill(0)
            self._ring_underflows += 1
        if written - read <= self.low_water and not self._wake.is_set():
            self._wake.set()  # once per refill: the producer clears it when it wakes

    # ---------------------------------------------------------------- the producer thread

    def _run(self) -> None:
        next_check = time.monotonic() + self._underflow_check_s
        try:
            while not self._closed:
                if self._running:
                    # Playing: cleared *before* the work, so a wake-up that comes while it
                    # runs (the callback taking blocks, a command) is not lost, only early.
                    self._wake.clear()
                    if not self._commands.empty():
                        self._drain_commands()
                    self._fill()
                    now = time.monotonic()
                    self._watch(now)
                    if now >= next_check:
                        next_check = now + self._underflow_check_s
                        self._check_underflows()
                    if self._running and self._written - self._read > self.low_water:
                        self._wake.wait(TICK_S)
                    continue
                # Idle, or waiting to retry the card: sleep until a command comes.
                self._wake.clear()
                self._drain_commands()
                if self._running or self._closed:
                    continue
                now = time.monotonic()
                if self._retry_at is not None and now >= self._retry_at:
                    self._retry()
                    continue
                timeout = None if self._retry_at is None else self._retry_at - now
                self._wake.wait(timeout)
        except Exception as exc:  # a bug in here must not leave the room silent unannounced
            log.exception("soundscape producer failed")
            self._raise_alarm(f"Soundscape stopped: {self._device_label} ({_reason(exc)})")
        finally:
            self._shutdown()

    def _drain_commands(self) -> None:
        while not self._commands.empty():
            self._apply(self._commands.get_nowait())

    def _apply(self, command: _Command) -> None:
        if command.done is not None:
            command.done.set()
        elif command.action in ("start", "crossfade"):
            self._play(command)
        elif command.action == "fade":
            self._fade(command)
        elif command.action == "shape":
            self._set_shape(dict(command.params))
        else:
            self._begin_stop()

    def _play(self, command: _Command) -> None:
        preset, level, seconds = command.preset, command.level, command.seconds
        assert preset is not None
        event = {"action": command.action, "preset": preset, "level": level, "seconds": seconds}
        engine = self._engine
        if self._running and engine is not None:
            stopping = self._stop_after_frames is not None
            if not stopping and preset == self._want_preset and level == self._want_level:
                return  # nothing changes: nothing to do, nothing to report
            try:
                if engine.preset != preset:
                    engine.crossfade_to(preset, seconds)
                engine.fade_to(level, seconds)
            except (KeyError, ValueError) as exc:  # UnknownPreset is a KeyError
                self._tell(event, outcome="error", error=_reason(exc))
                return
            self._want_preset, self._want_level = preset, level
            self._stop_after_frames = self._stop_at_block = None  # a stop in progress is undone
            self._tell(event, outcome="ok")
            return
        self._want_preset, self._want_level = preset, level
        error = self._open_and_play(fade_s=max(seconds, START_FADE_S))
        if error is None:
            self._tell(event, outcome="ok")
            self._clear_alarm()
        elif self._want_preset is None:  # the preset itself was refused
            self._tell(event, outcome="error", error=error)
        else:
            self._failed(event, error)

    def _open_and_play(self, fade_s: float) -> str | None:
        """Open the stream if needed, start a fresh engine fading in, prefill, start.

        Returns None when the sound is on its way, else why not (nothing reported here).
        """
        assert self._want_preset is not None
        try:
            engine = self._engine_factory(
                self._want_preset,
                samplerate=self.samplerate,
                seed=self._seed,
                level=0.0,
                **self._shape,
            )
            engine.fade_to(self._want_level, fade_s)
        except (KeyError, ValueError) as exc:  # an unknown preset: no device will help
            self._want_preset = None
            return _reason(exc)
        try:
            if self._stream is None:
                self._stream = self._open_stream()
            self._engine = engine
            self._engine_frames = 0
            self._dac_time = None  # the stream is stopped: no callback runs
            self._read = self._written  # leftovers of a stopped run are never played
            self._stop_after_frames = self._stop_at_block = None
            self._fill()  # the card starts with a full ring
            self._lowest_lead = self.ahead_blocks
            self._last_read, self._last_progress = self._read, time.monotonic()
            self._stream.start()
        except outputs.audio_errors() as exc:
            self._engine = None
            if self._stream is not None:
                _close_quietly(self._stream)
                self._stream = None
            return _reason(exc)
        self._running = True
        self._unavailable, self._retry_at = None, None
        return None

    def _open_stream(self) -> Any:
        """A stopped sounddevice OutputStream on the chosen device (tests override this)."""
        sd = outputs.portaudio()
        chosen = outputs.resolve_output_device(self.device)
        self._device_name = f"{chosen.name} [{chosen.hostapi}]"
        return sd.OutputStream(
            samplerate=self.samplerate,
            blocksize=self.blocksize,
            device=chosen.index,
            channels=CHANNELS,
            dtype="float32",
            latency=self._latency,
            callback=self._callback,
        )

    def _failed(self, event: dict[str, Any], reason: str) -> None:
        """No sound: say so once as a technical alarm; the room's stream retries quietly."""
        first = self._unavailable is None
        self._unavailable = reason
        if self._retry_s is not None:
            self._retry_at = time.monotonic() + self._retry_s
        self._tell(event, outcome="error", error=reason)
        if first:
            self._raise_alarm(
                f"No audio output for the soundscape: {self._device_label} ({reason})"
            )

    def _retry(self) -> None:
        """The room still wants sound: try the card again; only a success is news."""
        self._retry_at = None
        if self._want_preset is None or self._closed:
            return
        event = {
            "action": "start",
            "preset": self._want_preset,
            "level": self._want_level,
            "seconds": START_FADE_S,
            "retry": True,
        }
        error = self._open_and_play(fade_s=START_FADE_S)
        if error is None:
            self._tell(event, outcome="ok")
            self._clear_alarm()
        elif self._want_preset is not None and self._retry_s is not None:
            self._unavailable = error
            self._retry_at = time.monotonic() + self._retry_s

    def _fade(self, command: _Command) -> None:
        event = {
            "action": "fade",
            "preset": self._want_preset,
            "level": command.level,
            "seconds": command.seconds,
        }
        playing = self._running and self._stop_after_frames is None
        down = command.level < self._want_level
        if self._want_preset is not None:
            self._want_level = command.level
        if playing and self._engine is not None:
            fade_s = command.seconds
            if down:  # a duck: heard down within ``seconds``, so what is ahead is taken off
                late_s = max(0.0, time.monotonic() - command.asked) if command.asked else 0.0
                fade_s = max(0.0, fade_s - late_s - self._heard_after_s())
            self._engine.fade_to(command.level, fade_s)
            self._tell(event, outcome="ok", fade_s=round(fade_s, 3))
        elif self._want_preset is not None and self._unavailable is not None:
            self._tell(event, outcome="error", error=self._unavailable)
        else:
            self._tell(event, outcome="idle")

    def _heard_after_s(self) -> float:
        """How long after now a fade the engine starts now is heard: the blocks rendered ahead
        in the ring, what the engine has synthesised but not handed out (a fade starts at its
        next control block), then what the card still holds.

        The card's share comes from PortAudio: when it plays the block handed over last (the
        callback's ``outputBufferDacTime``, on the stream's clock), else the stream's
        ``latency`` plus one block (the wait for the next callback). On the JACK dummy card
        ``latency`` says one period while the DAC time is two ahead: the DAC time is right.
        """
        from soundscapes.engine import CONTROL_FRAMES  # loaded already: the engine is playing

        read = self._read  # before ``_dac_time``: the callback stores them the other way round
        dac_time = self._dac_time
        frames = max(0, self._written - read) * self.blocksize
        frames += -self._engine_frames % CONTROL_FRAMES
        return frames / self.samplerate + self._card_lead_s(dac_time)

    def _card_lead_s(self, dac_time: float | None) -> float:
        """How long from now until the card has played what the callback handed it."""
        block = self.blocksize / self.samplerate
        stream = self._stream
        if dac_time:  # 0: the host API does not say
            try:
                return max(0.0, dac_time + block - float(stream.time))
            except (AttributeError, TypeError, *outputs.audio_errors()):
                pass
        latency = getattr(stream, "latency", 0.0)
        if not isinstance(latency, (int, float)):
            latency = 0.0  # a duplex stream reports a pair; ours is output only
        return max(0.0, float(latency)) + block

    def _set_shape(self, params: dict[str, float]) -> None:
        event: dict[str, Any] = {"action": "shape", "preset": self._want_preset, **params}
        unknown = sorted(set(params) - set(SHAPES))
        if unknown:
            self._tell(event, outcome="error", error=f"unknown parameter(s): {', '.join(unknown)}")
            return
        shape = {name: _clamp(value) for name, value in params.items()}
        self._shape.update(shape)  # a later start or retry begins with this shaping
        if self._running and self._engine is not None:
            self._engine.set_params(**shape)
            self._tell(event, outcome="ok")
        else:
            self._tell(event, outcome="idle")

    def _begin_stop(self) -> None:
        """Fade out, then stop the stream once the card has played the fade (see _fill)."""
        preset, self._want_preset = self._want_preset, None
        self._retry_at = None
        self._unavailable = None
        event: dict[str, Any] = {"action": "stop", "preset": preset, "seconds": STOP_FADE_S}
        if self._running and self._engine is not None:
            if self._stop_after_frames is None:
                self._engine.fade_to(0.0, STOP_FADE_S)
                self._stop_after_frames = round(STOP_FADE_S * self.samplerate)
            self._tell(event, outcome="ok", underflows=self.stats.underflows)
        else:
            self._tell(event, outcome="idle")
        self._clear_alarm("no longer needed")  # the soundscape stopped: moot either way

    def _fill(self) -> None:
        """Render until the ring is ``ahead_blocks`` ahead of the card."""
        engine = self._engine
        if engine is None:
            return
        # At most one ring's worth per call: a producer slower than the card must still get
        # round to commands, underflow reports and close().
        lead = self._written - self._read
        if lead < self._lowest_lead:
            self._lowest_lead = lead
        for _ in range(self.ahead_blocks):
            if self._written - self._read >= self.ahead_blocks:
                break
            block = self._blocks[self._written % self._n]
            left = self._stop_after_frames
            if left is None:
                engine.render(block)
                self._engine_frames += self.blocksize
            elif left > 0:
                engine.render(block)
                self._engine_frames += self.blocksize
                self._stop_after_frames = left - self.blocksize
                if self._stop_after_frames <= 0:
                    self._stop_at_block = self._written + 1
            else:
                block.fill(0)  # faded out: silence until the card has played the fade
            self._written += 1
        if self._stop_at_block is not None and self._read >= self._stop_at_block:
            self._stop_stream()

    def _stop_stream(self) -> None:
        if self._stream is not None:
            try:
                self._stream.stop()
            except outputs.audio_errors() as exc:  # a card that vanished mid-stop: nothing to stop
                log.info("soundscape stream stop: %s", _reason(exc))
        self._running = False
        self._engine = None
        self._stop_after_frames = self._stop_at_block = None
        self._check_underflows()

    def _watch(self, now: float) -> None:
        """A started stream whose callback stopped running has lost its card."""
        read = self._read
        if read != self._last_read:
            self._last_read, self._last_progress = read, now
            if self._alarm_raised:
                self._clear_alarm()
            return
        if now - self._last_progress >= self._stall_s and not self._alarm_raised:
            self._raise_alarm(
                f"Soundscape output stalled: {self._device_label} "
                f"(no audio callback for {self._stall_s:g} s)"
            )

    def _check_underflows(self) -> None:
        ring, portaudio = self._ring_underflows, self._pa_underflows
        total = ring + portaudio
        if total > self._reported_underflows:
            self._tell(
                {"action": "underflow", "preset": self._want_preset},
                count=total - self._reported_underflows,
                total=total,
                ring=ring,
                portaudio=portaudio,
            )
            self._reported_underflows = total

    def _shutdown(self) -> None:
        """The producer's last act: silence at once, the stream closed, waiters released."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
            except outputs.audio_errors() as exc:
                log.info("soundscape stream abort: %s", _reason(exc))
            _close_quietly(stream)
        self._running = False
        self._engine = None
        while not self._commands.empty():
            command = self._commands.get_nowait()
            if command.done is not None:
                command.done.set()  # a flush() waiting on a closed stream returns

    # ---------------------------------------------------------------- reports

    @property
    def _device_label(self) -> str:
        if self._device_name is not None:
            return self._device_name
        return "default output" if self.device in (None, "") else repr(self.device)

    def _tell(self, event: dict[str, Any], **extra: Any) -> None:
        if self._closed:
            return  # the session is closing: nothing more goes into its timeline
        data = {
            **event,
            **extra,
            "device": self._device_label,
            "output": self.role,
            "backend": "sounddevice",
        }
        try:
            self._report(Kind.SOUNDSCAPE, data)
        except Exception:  # a broken report must not kill the producer (the sound goes on)
            log.exception("soundscape report failed")

    def _raise_alarm(self, text: str) -> None:
        if self.role != "room":
            return
        self._alarm_raised = True
        self._alarm("raised", text)

    def _clear_alarm(self, why: str = "back") -> None:
        if not self._alarm_raised:
            return
        self._alarm_raised = False
        self._alarm("cleared", f"Soundscape output {why}: {self._device_label}")

    def _alarm(self, state: str, text: str) -> None:
        if self._closed:
            return
        try:
            self._report(
                Kind.ALARM,
                {
                    "type": "technical",
                    "priority": "low",
                    "condition": CONDITION,
                    "state": state,
                    "text": text,
                },
            )
        except Exception:
            log.exception("soundscape alarm report failed")


class SoundscapePreview:
    """A preset on the therapist's headphones, beside the room.

    Its own stream, producer and Engine on its own device: starting, changing or stopping a
    preview never touches the room's stream. Failures come back as ``soundscape`` events with
    ``"output": "preview"`` and no technical alarm.
    """

    def __init__(
        self,
        device: str | int | None,
        *,
        report: Report | None = None,
        samplerate: int = 48000,
        blocksize: int = BLOCKSIZE,
        ahead_blocks: int | None = None,
        seed: int = 0,
        engine_factory: EngineFactory | None = None,
    ) -> None:
        self.stream = SoundscapeStream(
            report or _ignore,
            device=device,
            samplerate=samplerate,
            blocksize=blocksize,
            ahead_blocks=ahead_blocks,
            seed=seed,
            engine_factory=engine_factory,
            role="preview",
        )

    def play(self, preset: str, level: float = 0.5, seconds: float = START_FADE_S) -> None:
        """Play ``preset`` (crossfading from the one previewed now, if any)."""
        self.stream.crossfade_to(preset, level, seconds)

    def set_params(self, **params: float) -> None:
        """Shape the previewed preset (brightness, density, movement, each 0-1)."""
        self.stream.set_params(**params)

    def stop(self) -> None:
        self.stream.stop()

    def close(self) -> None:
        self.stream.close()

    @property
    def preset(self) -> str | None:
        return self.stream.preset


def default_ahead_blocks(samplerate: int, blocksize: int) -> int:
    """Blocks that hold ``LEAD_S`` of sound (rounded up; at least 4, so a refill at half the
    ring still leaves the card two blocks in hand)."""
    return max(4, -(-round(LEAD_S * samplerate) // blocksize))


def _clamp(level: float) -> float:
    return min(1.0, max(0.0, float(level)))


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _close_quietly(stream: Any) -> None:
    try:
        stream.close()
    except outputs.audio_errors() as exc:
        log.info("soundscape stream close: %s", _reason(exc))


def _ignore(kind: Kind, data: dict[str, Any]) -> None:
    """The report of a preview nobody listens to."""
