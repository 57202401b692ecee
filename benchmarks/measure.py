"""What the Qt-driven benchmarks share: running the event loop for a bounded time, and
percentiles of a list of milliseconds."""

from __future__ import annotations

import statistics

from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer


def percentiles(errors_ms: list[float]) -> dict[str, float]:
    ordered = sorted(errors_ms)
    p99_index = min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 3),
        "p99_ms": round(ordered[p99_index], 3),
        "max_ms": round(ordered[-1], 3),
    }


def run_for(app: QCoreApplication, limit_s: float) -> None:
    """Run the event loop until something quits it, or ``limit_s`` at most."""
    limit = QTimer()
    limit.setSingleShot(True)
    limit.timeout.connect(app.quit)
    limit.start(int(limit_s * 1000))
    app.exec()
    limit.stop()


def keep_running(limit_s: float) -> None:
    """Run the event loop for ``limit_s``, windows left as they are. Unlike :func:`run_for`,
    which ends with ``app.quit()``: in Qt 6 that first closes every top-level window, so a
    benchmark that runs the loop more than once would measure a closed window after the first.
    """
    loop = QEventLoop()
    QTimer.singleShot(int(limit_s * 1000), loop.quit)
    loop.exec()
