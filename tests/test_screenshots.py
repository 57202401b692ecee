"""``roomctl screenshots`` renders every screen from a simulated session: each a real picture
(not blank), at least 1280x720, and the infusion screen dark enough for a dim room."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main

pytestmark = pytest.mark.qt

REQUIRED = (
    "nurse-ready.png",
    "nurse-infusing.png",
    "nurse-alarm.png",
    "nurse-recovering.png",
    "therapist.png",
    "review.png",
)


def test_the_screens_render_dark_and_whole(tmp_path: Path, capsys) -> None:
    assert main(["screenshots", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.split()
    for name in REQUIRED:
        path = tmp_path / name
        assert str(path) in printed
        image = Image.open(path)
        assert image.size[0] >= 1280, name
        assert image.size[1] >= 720, name
        grey = np.asarray(image.convert("L"), dtype=float) / 255.0
        assert grey.std() > 0.03, f"{name} looks blank"
    infusing = np.asarray(Image.open(tmp_path / "nurse-infusing.png").convert("L"), dtype=float)
    assert infusing.mean() / 255.0 <= 0.15  # near-black during the infusion
