"""The real window on a real X server (Xvfb), through Qt's xcb platform plugin: the libraries a
room PC's display needs are there, and the lock screen paints, not just offscreen."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = [pytest.mark.qt, pytest.mark.system]

CHILD = """
import sys
import numpy as np
from app.gui import build_window
from roomctl.config import load_config
from roomctl.timeline.store import TimelineStore
from PySide6.QtWidgets import QApplication
app = QApplication([])
assert app.platformName() == "xcb", app.platformName()
store = TimelineStore(sys.argv[1]); store.open()
window = build_window(load_config(None), store, speed=30, minutes=40, demo=True, runtimes=[])
window.resize(1600, 1000)
window.show()
for _ in range(20):
    app.processEvents()
image = window.grab().toImage()
grid = [(x, y) for x in range(0, 1600, 40) for y in range(0, 1000, 40)]
pixels = [image.pixelColor(x, y).lightness() for x, y in grid]
print(image.width(), image.height(), float(np.std(pixels)))
window.close()
store.close()
"""


@pytest.fixture
def x_display() -> Iterator[str]:
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed (scripts/bootstrap installs xvfb)", pytrace=False)
    display = f":{90 + os.getpid() % 100}"
    server = subprocess.Popen(
        ["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    socket = Path(f"/tmp/.X11-unix/X{display[1:]}")
    deadline = time.monotonic() + 10
    while not socket.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield display
    finally:
        server.terminate()
        server.wait(10)


def test_the_window_paints_on_a_real_x_server(x_display: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}
    env.update(DISPLAY=x_display, QT_QPA_PLATFORM="xcb", ROOMCTL_DATA_DIR=str(tmp_path / "d"))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, f"sqlite:///{tmp_path / 'store.db'}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    width, height, spread = done.stdout.split()
    assert (int(width), int(height)) == (1600, 1000)
    assert float(spread) > 5  # the lock screen drew something: not one flat colour
