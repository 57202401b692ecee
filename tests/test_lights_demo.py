"""The shipped demo runs its lights on the bridge simulator, through phue over HTTP, and the
timeline shows the bridge confirming every phase's scene."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.system


def test_the_demo_lights_follow_the_phases_on_the_simulator(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOMCTL_")}
    env.update(
        ROOMCTL_DB=f"sqlite:///{tmp_path / 'timeline.db'}",
        ROOMCTL_DATA_DIR=str(tmp_path / "data"),
        ROOMCTL_CONFIG=str(REPO / "config" / "roomctl.toml"),
        ROOMCTL_HUE_KEY_FILE=str(tmp_path / "keys.json"),
    )
    env.pop("DISPLAY", None)
    env.pop("QT_QPA_PLATFORM", None)

    def roomctl(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "app.cli", *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    roomctl("demo", "--headless", "--speed", "600")
    (session,) = json.loads(roomctl("sessions", "list", "--json"))
    events = json.loads(roomctl("sessions", "show", session["id"], "--json"))["events"]
    asked = [e["data"]["scene"] for e in events if e["data"].get("action") == "lights"]
    assert asked[:3] == ["preparing", "infusing", "recovering"]
    lights = [e["data"] for e in events if e["kind"] == "lights"]
    applied = [d for d in lights if d["action"] == "apply"]
    assert {d["backend"] for d in lights} == {"sim"}
    assert all(d["outcome"] in ("ok", "coalesced") for d in applied), applied
    for scene in asked:  # each scene asked for was confirmed (or overtaken by a later one)
        assert any(d["scene"] == scene for d in applied), scene
    steps = [(d["scene"], d["step"]) for d in applied if d["outcome"] == "ok"]
    assert steps[:4] == [("preparing", 1), ("infusing", 1), ("recovering", 1), ("recovering", 2)]
    infusing = next(d for d in applied if d["scene"] == "infusing")
    assert infusing["state"] == {"on": True, "bri": 38, "ct": 455, "transitiontime": 600}
    assert not [e for e in events if e["kind"] == "alarm" and "lights" in e["data"]["id"]]
    assert not (tmp_path / "keys.json").exists()  # the simulator needs no stored key
