"""A Philips Hue bridge on 127.0.0.1: the v1 API subset phue uses, with failures on demand.

The demo drives it through the real adapter and phue over real HTTP, so what is tested is what
a room runs. It keeps lights (on, bri, ct, xy, reachable) and groups, answers Hue's success and
error arrays (1 unauthorized user, 2 bad JSON, 3 no such resource, 4 no such method, 6 no such
parameter, 7 invalid value, 101 link button not pressed, 201 light is off), and pairs a new user
only within 30 s of the link button being pressed. Failure injection for tests and people:
``down`` (the port refuses connections), ``hung`` (requests are accepted, never answered),
``error500``, and a per-request latency. Every state change is kept in ``changes`` and handed
to ``on_change`` (``roomctl sim hue`` prints it, so a person can watch the room in a terminal).
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("ok", "down", "hung", "error500")
LINK_BUTTON_S = 30.0
CT_RANGE = (153, 500)
GROUP_INTERVAL_S = 1.0  # the real bridge's pace; faster group commands are flagged
_PARAMS = {"on", "bri", "ct", "xy", "transitiontime", "alert"}


@dataclass
class SimLight:
    id: str
    name: str
    on: bool = False
    bri: int = 254
    ct: int = 366
    xy: tuple[float, float] = (0.4573, 0.41)
    colormode: str = "ct"
    reachable: bool = True

    def as_json(self) -> dict[str, Any]:
        return {
            "state": {
                "on": self.on,
                "bri": self.bri,
                "ct": self.ct,
                "xy": list(self.xy),
                "colormode": self.colormode,
                "alert": "none",
                "reachable": self.reachable,
            },
            "type": "Extended color light",
            "name": self.name,
            "modelid": "LCT015",
            "manufacturername": "roomctl simulator",
            "uniqueid": f"00:17:88:01:00:00:00:{int(self.id):02x}-0b",
            "swversion": "1.50.2_r30933",
            "capabilities": {"control": {"ct": {"min": CT_RANGE[0], "max": CT_RANGE[1]}}},
        }


@dataclass(frozen=True)
class Change:
    """One thing that changed on the bridge (``target``: ``group 1``, ``light 2``, ``pairing``,
    ``mode``), with the body that asked for it and when (monotonic ``t``, UTC ``wall``)."""

    t: float
    wall: datetime
    target: str
    body: dict[str, Any]
    too_fast: bool = False


@dataclass
class _Group:
    name: str
    lights: list[str]
    action: dict[str, Any] = field(default_factory=dict)


def _error(kind: int, address: str, description: str) -> dict[str, Any]:
    return {"error": {"type": kind, "address": address, "description": description}}


class HueBridgeSim:
    """The simulated bridge. ``start()`` binds 127.0.0.1 (port 0: any free one)."""

    def __init__(
        self,
        lights: int = 3,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        on_change: Callable[[Change], None] | None = None,
        name: str = "roomctl simulator",
    ) -> None:
        self.host, self.name = host, name
        self.lights = {str(i): SimLight(str(i), f"Room light {i}") for i in range(1, lights + 1)}
        self.groups = {"1": _Group("Treatment room", list(self.lights))}
        self.changes: list[Change] = []
        self.latency_s = 0.0
        self.on_change = on_change
        self._port = port
        self._mode = "ok"
        self._users: dict[str, str] = {}
        self._link_until = float("-inf")
        self._last_group_t = float("-inf")
        self._cond = threading.Condition()
        self._released = threading.Event()  # lets hung requests go (mode change, stop)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- control

    @property
    def address(self) -> str:
        return f"{self.host}:{self._port}"

    @property
    def mode(self) -> str:
        return self._mode

    def start(self) -> str:
        self._open()
        return self.address

    def stop(self) -> None:
        self._released.set()
        self._close()

    def set_mode(self, mode: str) -> None:
        """``ok``, ``down`` (stop listening), ``hung`` or ``error500``."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)} (got {mode!r})")
        was, self._mode = self._mode, mode
        if mode == "hung":
            self._released.clear()
        else:
            self._released.set()
        if mode == "down" and was != "down":
            self._close()
        elif was == "down" and mode != "down":
            self._open()
        self._record("mode", {"mode": mode})

    def press_link_button(self) -> None:
        """Pairing is allowed for the next 30 s, as on the real bridge."""
        with self._cond:
            self._link_until = time.monotonic() + LINK_BUTTON_S
        self._record("link button", {"pressed_for_s": LINK_BUTTON_S})

    def create_user(self, devicetype: str = "roomctl#sim") -> str:
        """A whitelisted user without the button (for the in-process demo and tests)."""
        username = secrets.token_hex(20)
        with self._cond:
            self._users[username] = devicetype
        return username

    def group_commands(self, group: str = "1") -> list[Change]:
        with self._cond:
            return [c for c in self.changes if c.target == f"group {group}"]

    def wait_for(self, predicate: Callable[[list[Change]], bool], timeout: float) -> bool:
        """Block until ``predicate(changes)`` holds (True) or ``timeout`` passes (False)."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self.changes), timeout)

    # ---------------------------------------------------------------- server

    def _open(self) -> None:
        server = ThreadingHTTPServer((self.host, self._port), _Handler)
        server.daemon_threads = True
        server.block_on_close = False
        server.sim = self  # type: ignore[attr-defined]
        self._port = server.server_address[1]
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="hue-sim", daemon=True
        )
        thread.start()
        self._server, self._thread = server, thread

    def _close(self) -> None:
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join()

    def _record(self, target: str, body: dict[str, Any], too_fast: bool = False) -> None:
        change = Change(time.monotonic(), datetime.now(UTC), target, body, too_fast)
        with self._cond:
            self.changes.append(change)
            self._cond.notify_all()
        if self.on_change is not None:
            self.on_change(change)

    # ---------------------------------------------------------------- the API

    def handle(self, method: str, path: str, raw: bytes) -> Any:
        """Answer one request as a bridge would (always HTTP 200, errors in the body)."""
        parts = [p for p in path.split("?")[0].split("/") if p]
        if not parts or parts[0] != "api":
            return [_error(4, path, f"method, {method}, not available for resource, {path}")]
        body: Any = None
        if method in ("PUT", "POST"):
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                return [_error(2, path, "body contains invalid json")]
        if len(parts) == 1:
            return (
                self._pair(body) if method == "POST" else [_error(4, "/", "method not available")]
            )
        user, rest = parts[1], parts[2:]
        with self._cond:
            known = user in self._users
        if not known:
            return [_error(1, "/" + "/".join(rest), "unauthorized user")]
        if method == "GET":
            return self._get(rest)
        if method == "PUT" and len(rest) == 3 and rest[0] == "lights" and rest[2] == "state":
            return self._put_state(body, "lights", rest[1], [rest[1]])
        if method == "PUT" and len(rest) == 3 and rest[0] == "groups" and rest[2] == "action":
            group = self._group(rest[1])
            lights = None if group is None else group.lights
            return self._put_state(body, "groups", rest[1], lights)
        return [_error(4, "/" + "/".join(rest), f"method, {method}, not available for resource")]

    def _pair(self, body: Any) -> Any:
        devicetype = body.get("devicetype") if isinstance(body, dict) else None
        if not isinstance(devicetype, str) or not devicetype:
            return [_error(5, "/", "invalid/missing parameters in body")]
        with self._cond:
            pressed = time.monotonic() < self._link_until
        if not pressed:
            return [_error(101, "", "link button not pressed")]
        username = self.create_user(devicetype[:40])
        self._record("pairing", {"devicetype": devicetype[:40], "key": "(not shown)"})
        return [{"success": {"username": username}}]

    def _config(self) -> dict[str, Any]:
        with self._cond:
            pressed = time.monotonic() < self._link_until
        return {
            "name": self.name,
            "apiversion": "1.16.0",
            "modelid": "BSB002",
            "linkbutton": pressed,
        }

    def _group(self, group_id: str) -> _Group | None:
        if group_id == "0":
            return _Group("All lights", list(self.lights))
        return self.groups.get(group_id)

    def _group_json(self, group_id: str, group: _Group) -> dict[str, Any]:
        states = [self.lights[i].on for i in group.lights]
        return {
            "name": group.name,
            "lights": list(group.lights),
            "type": "Room",
            "class": "Other",
            "action": dict(group.action),
            "state": {"all_on": bool(states) and all(states), "any_on": any(states)},
        }

    def _get(self, rest: list[str]) -> Any:
        with self._cond:
            if not rest:
                return {
                    "lights": self._get(["lights"]),
                    "groups": self._get(["groups"]),
                    "config": self._config(),
                }
            if rest == ["config"]:
                return self._config()
            if rest == ["lights"]:
                return {i: light.as_json() for i, light in self.lights.items()}
            if rest == ["groups"]:
                return {i: self._group_json(i, g) for i, g in self.groups.items()}
            if len(rest) == 2 and rest[0] == "lights" and rest[1] in self.lights:
                return self.lights[rest[1]].as_json()
            group = self._group(rest[1]) if len(rest) == 2 and rest[0] == "groups" else None
            if group is not None:
                return self._group_json(rest[1], group)
        where = "/" + "/".join(rest)
        return [_error(3, where, f"resource, {where}, not available")]

    def _put_state(self, body: Any, kind: str, ident: str, lights: list[str] | None) -> Any:
        where = f"/{kind}/{ident}/" + ("state" if kind == "lights" else "action")
        if lights is None or (kind == "lights" and ident not in self.lights):
            return [_error(3, f"/{kind}/{ident}", f"resource, /{kind}/{ident}, not available")]
        if not isinstance(body, dict) or not body:
            return [_error(5, where, "invalid/missing parameters in body")]
        answer: list[dict[str, Any]] = []
        good: dict[str, Any] = {}
        with self._cond:
            for key, value in body.items():
                problem = self._invalid(key, value)
                off = kind == "lights" and not self.lights[ident].on and body.get("on") is not True
                if problem is None and off and key in ("bri", "ct", "xy"):
                    problem = (201, f"parameter, {key}, is not modifiable. Device is set to off.")
                if problem is not None:
                    answer.append(_error(problem[0], f"{where}/{key}", problem[1]))
                    continue
                good[key] = value
                answer.append({"success": {f"{where}/{key}": value}})
            for light_id in lights:
                self._set_light(self.lights[light_id], good)
            too_fast = False
            if kind == "groups" and good:
                self.groups.get(ident, _Group("", [])).action.update(good)
                now = time.monotonic()
                too_fast = now - self._last_group_t < GROUP_INTERVAL_S * 0.95
                self._last_group_t = now
        if good:
            self._record(f"{kind[:-1]} {ident}", good, too_fast)
        return answer

    @staticmethod
    def _invalid(key: str, value: Any) -> tuple[int, str] | None:
        if key not in _PARAMS:
            return 6, f"parameter, {key}, not available"
        number = isinstance(value, int) and not isinstance(value, bool)
        ok = {
            "on": isinstance(value, bool),
            "bri": number and 1 <= value <= 254,
            "ct": number and CT_RANGE[0] <= value <= CT_RANGE[1],
            "transitiontime": number and 0 <= value <= 65535,
            "alert": value in ("none", "select", "lselect"),
            "xy": isinstance(value, list)
            and len(value) == 2
            and all(isinstance(v, int | float) and 0 <= v <= 1 for v in value),
        }[key]
        return None if ok else (7, f"invalid value, {value}, for parameter, {key}")

    @staticmethod
    def _set_light(light: SimLight, good: dict[str, Any]) -> None:
        if light.reachable is False:
            return
        light.on = good.get("on", light.on)
        light.bri = good.get("bri", light.bri)
        if "ct" in good:
            light.ct, light.colormode = good["ct"], "ct"
        if "xy" in good:
            light.xy, light.colormode = (good["xy"][0], good["xy"][1]), "xy"


class _Handler(BaseHTTPRequestHandler):
    """HTTP in front of :meth:`HueBridgeSim.handle`, with the injected failures."""

    server_version = "nginx"  # what a Hue bridge says it is
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        sim: HueBridgeSim = self.server.sim  # type: ignore[attr-defined]
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if sim.mode == "hung":
            sim._released.wait()
            self.close_connection = True
            return  # never answered: the client's timeout is all it gets
        if sim.latency_s > 0:
            time.sleep(sim.latency_s)  # a slow bridge (or a busy Zigbee network)
        if sim.mode == "error500":
            self._send(500, b"internal error\n", "text/plain")
            return
        answer = sim.handle(method, self.path, raw)
        self._send(200, json.dumps(answer).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its timeout): nothing to tell it

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: changes are reported through ``on_change``, not as an access log."""
