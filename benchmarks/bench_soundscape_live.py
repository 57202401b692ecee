"""Live soundscape: underflows and CPU while a preset plays on a paced fake card.

    python -m benchmarks.bench_soundscape_live [--seconds S] [--others-s S] [--presets A,B|all]
        [--blocksize N] [--period N] [--ahead-blocks N]

A JACK dummy server (48 kHz) runs the audio callback in real time, as a card would, with the
demo's simulated card's period (``jack_dummy.PERIOD``, 2048 frames) unless ``--period`` says
otherwise. ``SoundscapeStream`` plays the real ``Engine``'s warm-hush through it for S seconds
(default 60), then every other preset for ``--others-s`` seconds (default 10; 0 skips them),
at level 0.5, exactly as in a session: the room's block size (``[soundscape] blocksize``'s
default) and ring (``ahead_blocks``, derived from it) unless given; a producer thread refills
the ring when the callback wakes it at the low-water mark, the callback only copies.
``--blocksize 512 --period 512 --ahead-blocks 16`` is the setup before decision 0018.
Figures per preset played live:

* ``underflows``: blocks the card got silence for (ring empty) plus PortAudio's own output
  underflow flags. Target: 0 in 60 s.
* ``callbacks`` against ``expected_callbacks`` (wall time x rate / block): the card's pace.
* ``cpu_percent``: the whole process's CPU time over wall time while it plays (producer,
  callback and the idle main thread), in % of one core.
* ``lead_min_blocks``: the fewest ready blocks the card had in hand (of ``ahead_blocks``), as
  the producer saw it before each refill: how close it came to an underflow (the producer is
  woken at ``low_water_blocks``, so about that is normal).
* ``producer_cpu_percent`` and ``producer_wakeups_per_s``: the producer thread alone (its
  CPU time and voluntary context switches, from ``/proc``; None off Linux).
* ``idle_client_underflows``: PortAudio underflows of a do-nothing client on the same card at
  the same time, in a process of its own: what the machine alone lost. ``jackd_own_xruns``:
  cycles the server's own clock thread woke late. Both 0 on a quiet machine.
* ``baseline_cpu_percent``: the same process with a PortAudio stream whose callback only writes
  zeros, no producer, no engine: what PortAudio and the JACK client cost by themselves.

Every preset in ``--presets`` (default: all) also gets ``render_realtime_x``: seconds of sound
rendered offline per second of CPU, in the same block size (how much head-room the producer
has).

BLAS threads matter: presets whose oscillator banks are matrix products (drone, bowls) make
OpenBLAS wake its worker threads every 85 ms, and they spin-wait between calls: on two cores
that costs most of a core (measured 95 % instead of 6 %). ``blas_threads`` says what this run
had; ``--blas-threads 1`` measures what an app that limits BLAS gets.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from typing import Any

import numpy as np

from devices.audio.jack_dummy import PERIOD, idle_client, jack_dummy_card
from devices.audio.soundscape_stream import SoundscapeStream, default_ahead_blocks
from roomctl.config import SoundscapeConfig
from roomctl.timeline.events import Kind
from soundscapes.engine import Engine, presets

RATE = 48000
BLOCK = SoundscapeConfig().blocksize  # the room's default
LEVEL = 0.5


def _blas_threads() -> int | None:
    """How many threads numpy's BLAS may use: more than 1 spin-waits between the engine's
    small matrix products and burns a core (see the module docstring)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return max(counts) if counts else None


def render_realtime_x(preset: str, blocksize: int, seconds: float = 10.0) -> float:
    """Seconds of sound per CPU second, rendered block by block as the producer does."""
    engine = Engine(preset, samplerate=RATE, seed=0, level=LEVEL)
    block = np.zeros((blocksize, 2), dtype=np.float32)
    blocks = int(seconds * RATE / blocksize)
    started = time.process_time()
    for _ in range(blocks):
        engine.render(block)
    used = time.process_time() - started
    return round(blocks * blocksize / RATE / max(used, 1e-9), 1)


def baseline_cpu(seconds: float, blocksize: int) -> float:
    """CPU % of a stream on the same card whose callback only writes silence."""
    import sounddevice as sd

    def silence(outdata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        outdata.fill(0)

    with sd.OutputStream(
        samplerate=RATE, blocksize=blocksize, channels=2, dtype="float32", callback=silence
    ):
        time.sleep(0.5)
        wall0, cpu0 = time.monotonic(), time.process_time()
        time.sleep(seconds)
        wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
    return round(100 * cpu / wall, 2)


def _thread_usage(native_id: int | None) -> tuple[float, int] | None:
    """(CPU seconds, voluntary context switches) of one thread of this process, from /proc:
    a thread that sleeps and wakes switches once per wake-up. None where there is no /proc."""
    if native_id is None:
        return None
    task = f"/proc/self/task/{native_id}"
    try:
        with open(f"{task}/stat") as stat, open(f"{task}/status") as status:
            fields = stat.read().rsplit(")", 1)[1].split()
            switches = next(
                int(line.split()[1])
                for line in status
                if line.startswith("voluntary_ctxt_switches:")
            )
    except (OSError, StopIteration, IndexError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, switches  # utime + stime


def play_live(preset: str, seconds: float, blocksize: int, ahead: int) -> dict[str, Any]:
    events: list[tuple[Kind, dict[str, Any]]] = []
    lock = threading.Lock()

    def report(kind: Kind, data: dict[str, Any]) -> None:
        with lock:
            events.append((kind, data))

    stream = SoundscapeStream(report, samplerate=RATE, blocksize=blocksize, ahead_blocks=ahead)
    try:
        stream.start(preset, LEVEL)
        if not stream.flush(10.0) or not stream.stats.running:
            raise RuntimeError(f"the soundscape did not start: {events}")
        producer = stream._thread.native_id if stream._thread is not None else None
        with idle_client(samplerate=RATE, blocksize=blocksize) as idle:
            first, producer0 = stream.stats, _thread_usage(producer)
            wall0, cpu0 = time.monotonic(), time.process_time()
            time.sleep(seconds)  # nothing else runs in this process meanwhile
            wall, cpu = time.monotonic() - wall0, time.process_time() - cpu0
            last, producer1 = stream.stats, _thread_usage(producer)
    finally:
        stream.close()
    callbacks = last.callbacks - first.callbacks
    if producer0 is not None and producer1 is not None:
        producer_cpu = round(100 * (producer1[0] - producer0[0]) / wall, 2)
        producer_wakeups: float | None = round((producer1[1] - producer0[1]) / wall, 1)
    else:
        producer_cpu = producer_wakeups = None
    return {
        "seconds": round(wall, 2),
        "callbacks": callbacks,
        "expected_callbacks": round(wall * RATE / blocksize, 1),
        "underflows": last.underflows - first.underflows,
        "ring_underflows": last.ring_underflows - first.ring_underflows,
        "portaudio_underflows": last.portaudio_underflows - first.portaudio_underflows,
        "cpu_percent": round(100 * cpu / wall, 2),
        "producer_cpu_percent": producer_cpu,
        "producer_wakeups_per_s": producer_wakeups,
        "lead_min_blocks": last.lowest_lead,
        "idle_client_underflows": idle.stop(),
        "alarms": [d for k, d in events if k == Kind.ALARM],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.bench_soundscape_live", description=__doc__
    )
    parser.add_argument(
        "--seconds", type=float, default=60.0, help="live seconds of warm-hush (60)"
    )
    parser.add_argument(
        "--presets", default="all", help="comma-separated presets to measure, or all (all)"
    )
    parser.add_argument(
        "--others-s", type=float, default=10.0, help="live seconds of each other preset (10)"
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        metavar="N",
        help="limit BLAS (OpenBLAS) to N threads, as an app would (default: as it is)",
    )
    parser.add_argument(
        "--blocksize", type=int, default=BLOCK, help=f"frames per callback ({BLOCK})"
    )
    parser.add_argument(
        "--period", type=int, default=PERIOD, help=f"the dummy card's period in frames ({PERIOD})"
    )
    parser.add_argument(
        "--ahead-blocks",
        type=int,
        metavar="N",
        help="blocks the producer keeps rendered (default: the stream's, from the block size)",
    )
    args = parser.parse_args(argv)
    ahead = args.ahead_blocks or default_ahead_blocks(RATE, args.blocksize)
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    known = [p.name for p in presets()]
    names = known if args.presets == "all" else [n.strip() for n in args.presets.split(",")]
    unknown = sorted(set(names) - set(known))
    if unknown:
        parser.error(f"unknown preset(s) {', '.join(unknown)} (known: {', '.join(known)})")
    first = "warm-hush" if "warm-hush" in names else names[0]
    live = {first: args.seconds}
    if args.others_s > 0:
        live.update({name: args.others_s for name in names if name != first})
    started = time.monotonic()
    result: dict[str, Any] = {
        "benchmark": f"live soundscape on JACK's dummy card (48 kHz, {args.period}-frame periods)",
        "samplerate": RATE,
        "period": args.period,
        "blocksize": args.blocksize,
        "ahead_blocks": ahead,
        "low_water_blocks": ahead // 2,
        "lead_ms": round(1000 * ahead * args.blocksize / RATE, 1),
        "target": "0 underflows in 60 s",
        "blas_threads": _blas_threads(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "render_realtime_x": {name: render_realtime_x(name, args.blocksize) for name in names},
    }
    with jack_dummy_card(samplerate=RATE, period=args.period) as card:
        result["jackd_realtime"] = card.realtime
        result["baseline_cpu_percent"] = baseline_cpu(min(args.seconds, 10.0), args.blocksize)
        xruns = card.server_xruns()
        result["live"] = {
            name: play_live(name, seconds, args.blocksize, ahead) for name, seconds in live.items()
        }
        result["jackd_own_xruns"] = card.server_xruns() - xruns  # the machine, not roomctl
    result["wall_seconds"] = round(time.monotonic() - started, 1)
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
