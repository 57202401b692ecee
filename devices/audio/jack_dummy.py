"""JACK's dummy backend as a paced fake sound card, for tests and benchmarks without a card.

The dummy backend runs every client's audio callback in real time from the clock, exactly as a
card would (PortAudio's own ``null`` ALSA device runs it as fast as it can, useless for
timing). The server gets a name of its own, so a jackd someone else runs is never touched, and
PortAudio is pointed at it through ``JACK_DEFAULT_SERVER`` and re-initialised (it lists devices
only when it starts). On the way out PortAudio is terminated *before* jackd stops: the other
order makes Python abort at exit.

:func:`idle_client` measures the machine rather than roomctl: a second process on the same card
whose callback only writes silence. Its underflows in a window are what the machine alone
caused (the server or a client thread woken late), and a fair baseline for anyone else's.

jackd dies with the process that started it (``PR_SET_PDEATHSIG``): an app or a test killed
with SIGKILL would otherwise leave the server running for good.

The server asks for real-time scheduling first. Without it, on a busy two-core machine the
server's own thread runs late and every client sees xruns (PortAudio's ``output_underflow``)
even with a callback that does nothing; where real time is not permitted the server still
runs, and ``DummyCard.realtime`` says so.

The card's period is ``PERIOD`` (2048 frames, 43 ms at 48 kHz) unless asked otherwise: every
client's process thread (the soundscape's PortAudio stream, libvlc's JACK output, an alarm
tone) wakes once per period, and that wake-up costs about the same CPU whatever its size, so
512-frame periods made every client pay four times over for latency nothing in the room
needs (docs/decisions/0018). Tests that want a finer pace pass ``period``.
"""

from __future__ import annotations

import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ENV_KEYS = ("JACK_DEFAULT_SERVER", "JACK_NO_START_SERVER")
_DRIVER_XRUN = "JackTimedDriver::Process XRun"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
#: Frames per period of the dummy card, by default (the demo's simulated card).
PERIOD = 2048


class JackUnavailable(RuntimeError):
    """jackd, jack_wait or PortAudio is missing, or the server would not start."""


@dataclass(frozen=True)
class DummyCard:
    name: str  # the JACK server's name
    realtime: bool  # the server got real-time scheduling
    log_path: Path  # jackd's output, while the card runs

    def server_xruns(self) -> int:
        """How often the server's own clock thread woke too late so far (its log's
        ``JackTimedDriver::Process XRun``): the machine was too busy for *any* client, so a
        PortAudio underflow in that cycle is not the soundscape's doing."""
        try:
            return self.log_path.read_text(errors="replace").count(_DRIVER_XRUN)
        except OSError:
            return 0


@contextmanager
def jack_dummy_card(
    *, samplerate: int = 48000, period: int = PERIOD, name: str | None = None, wait_s: int = 15
) -> Iterator[DummyCard]:
    """Run a dummy JACK server that PortAudio sees as its default output.

    The stream's sample rate must equal ``samplerate`` (JACK does not resample).
    """
    jackd, jack_wait = shutil.which("jackd"), shutil.which("jack_wait")
    if jackd is None or jack_wait is None:
        raise JackUnavailable("jackd is not installed (apt install jackd2)")
    try:
        import sounddevice as sd
    except OSError as exc:
        raise JackUnavailable(f"PortAudio is not available ({exc})") from None
    name = name or f"roomctl-dummy-{os.getpid()}"
    backend = ["-d", "dummy", "-r", str(samplerate), "-p", str(period)]
    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    with tempfile.TemporaryDirectory(prefix="roomctl-jackd-") as folder:
        log_path = Path(folder) / "jackd.log"
        server, realtime = None, False
        for attempt in range(2):
            for mode in ("-R", "--no-realtime"):
                command = [jackd, mode, "-n", name, *backend]
                server = _start(command, jack_wait, name, wait_s, log_path)
                if server is not None:
                    log = log_path.read_text(errors="replace").casefold()
                    realtime = mode == "-R" and "cannot use real-time" not in log
                    break
            # Cleared only after a failed start: a process that has used libjack keeps the
            # registry it saw, and clearing it under a healthy start would blind PortAudio.
            if server is not None or attempt or not _clear_stale_shm():
                break
        if server is None:
            tail = log_path.read_text(errors="replace").strip().splitlines()[-3:]
            raise JackUnavailable(f"jackd did not start: {' / '.join(tail)}")
        try:
            os.environ["JACK_DEFAULT_SERVER"] = name  # PortAudio's JACK client joins this one
            os.environ["JACK_NO_START_SERVER"] = "1"
            sd._terminate()
            sd._initialize()
            try:
                yield DummyCard(name=name, realtime=realtime, log_path=log_path)
            finally:
                sd._terminate()  # before jackd goes, or Python aborts at exit
                _stop(server)
                sd._initialize()  # PortAudio as it was: without the dummy card
        finally:
            _stop(server)
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _clear_stale_shm() -> bool:
    """Remove JACK's shared-memory files when no jackd runs at all; True if any were removed.

    A server that died without its clean-up (killed hard) leaves its segments and a slot in
    ``/dev/shm/jack-shm-registry``; JACK has few slots, and once they are taken no new server
    starts (it prints its banner and never answers). With no jackd alive nothing in there is in
    use, so clearing it is safe; with one alive we leave everything alone.
    """
    alive = subprocess.run(["pgrep", "-x", "jackd"], capture_output=True, check=False)
    if alive.returncode == 0:
        return False
    stale = list(Path("/dev/shm").glob("jack*"))
    for path in stale:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return bool(stale)


def _start(
    command: list[str], jack_wait: str, name: str, wait_s: int, log_path: Path
) -> subprocess.Popen[bytes] | None:
    """jackd running and answering, or None (stopped again) when it did not come up."""
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent()
        )
    waited = subprocess.run(
        [jack_wait, "-s", name, "-w", "-t", str(wait_s)], capture_output=True, check=False
    )
    if waited.returncode == 0 and server.poll() is None:
        return server
    _stop(server)
    return None


def _die_with_parent() -> Callable[[], None] | None:
    """What jackd's process runs before exec: SIGTERM when the thread that started it ends,
    even by SIGKILL, so a killed app or test run never leaves a server behind (Linux only;
    start the card from a thread that outlives it, the main thread). ``prctl`` is looked up
    here, in the parent: the forked child of a threaded process must not load anything."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None).prctl
    except (OSError, AttributeError):
        return None

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


def _stop(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(5)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(5)


_IDLE_CLIENT = """
import sys
import sounddevice as sd

late = 0


def silence(outdata, frames, time_info, status):
    global late
    if status.output_underflow:
        late += 1
    outdata.fill(0)


with sd.OutputStream(
    samplerate=int(sys.argv[1]), blocksize=int(sys.argv[2]), channels=2, dtype="float32",
    callback=silence,
):
    print("ready", flush=True)
    sys.stdin.readline()
    print(late, flush=True)
"""


class IdleClient:
    """A do-nothing client on the dummy card, in a process of its own (its own GIL)."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self._process = process
        self.underflows: int | None = None

    def stop(self) -> int:
        """Its underflows since it started (counted once; later calls repeat the figure)."""
        if self.underflows is None:
            out, _ = self._process.communicate("stop\n", timeout=10)
            self.underflows = int(out.split()[-1])
        return self.underflows


@contextmanager
def idle_client(*, samplerate: int = 48000, blocksize: int = PERIOD) -> Iterator[IdleClient]:
    """Run an :class:`IdleClient` on the card :func:`jack_dummy_card` made (inside its block)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _IDLE_CLIENT, str(samplerate), str(blocksize)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    client = IdleClient(process)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 15)
        if not ready or process.stdout.readline().strip() != "ready":
            raise JackUnavailable("the idle JACK client did not start")
        yield client
        client.stop()
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
