"""phue's Bridge made safe for a treatment room: short timeouts, one typed error, no key leaks.

phue 1.1 waits 10 s on a hung bridge, logs and *returns* the bridge's API errors, logs the
username (the pairing key) and may read or write ``~/.python_hue``. :class:`RoomBridge` keeps
phue's API (``set_group``, ``get_group``, ``get_light``...) and replaces the one method they all
go through, :meth:`RoomBridge.request`, so that every failure, on the wire or in an answer,
becomes one :class:`BridgeError` within about a second.
"""

from __future__ import annotations

import http.client
import json
import re
import warnings
from pathlib import Path
from typing import Any, Literal

with warnings.catch_warnings():
    # phue.py has `is not ''`: a SyntaxWarning when the module is compiled afresh.
    warnings.simplefilter("ignore", SyntaxWarning)
    import phue

from devices.lights.convert import HueState

REQUEST_TIMEOUT_S = 1.0
_ADDRESS = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")

ErrorKind = Literal[
    "down", "timeout", "http", "answer", "refused", "link_button", "api", "unpaired"
]

#: Hue API error types that mean "this key is no good here".
_REFUSED = {1}
_LINK_BUTTON = {101}


class BridgeError(Exception):
    """Anything that kept a bridge from confirming a request. ``kind`` says which, for people:

    ``down`` (refused or unreachable), ``timeout`` (hung), ``http`` (not 200), ``answer`` (not
    Hue's JSON), ``refused`` (unknown user), ``link_button`` (pairing: not pressed yet), ``api``
    (another Hue error), ``unpaired`` (no key for this bridge).
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind


def check_address(address: str) -> str:
    """``HOST`` or ``HOST:PORT``; raises ValueError with a reason a person can act on."""
    address = address.strip()
    if not _ADDRESS.match(address):
        raise ValueError(f"not a bridge address (HOST or HOST:PORT): {address!r}")
    port = address.rsplit(":", 1)[1] if re.search(r":\d+$", address) else None
    if port is not None and not 0 < int(port) < 65536:
        raise ValueError(f"port out of range in {address!r}")
    return address


def api_errors(answer: Any) -> list[dict[str, Any]]:
    """The ``error`` entries of a Hue answer (a list of success/error objects)."""
    if not isinstance(answer, list):
        return []
    return [e["error"] for e in answer if isinstance(e, dict) and isinstance(e.get("error"), dict)]


class RoomBridge(phue.Bridge):
    """phue's Bridge, talking to ``address`` with ``username``; no file or key ever touched.

    ``key_file`` is handed to phue as ``config_file_path`` so that phue can never fall back to
    ``~/.python_hue``; phue never reads or writes it either (``connect`` is a no-op here).
    """

    def __init__(
        self,
        address: str,
        username: str | None,
        key_file: Path,
        timeout_s: float = REQUEST_TIMEOUT_S,
    ) -> None:
        self.timeout_s = timeout_s
        super().__init__(
            ip=check_address(address), username=username, config_file_path=str(key_file)
        )

    def connect(self) -> None:
        """phue would log the key and read or register a config file here: do neither."""

    def register_app(self) -> None:
        raise BridgeError("unpaired", "pair with `roomctl lights pair`")

    def request(self, mode: str = "GET", address: str | None = None, data: Any = None) -> Any:
        """One HTTP exchange; returns Hue's JSON or raises :class:`BridgeError` (never logs)."""
        where = f"bridge {self.ip}"
        body = None if mode in ("GET", "DELETE") else json.dumps(data)
        headers = {} if body is None else {"Content-Type": "application/json"}
        try:
            connection = http.client.HTTPConnection(self.ip, timeout=self.timeout_s)
        except http.client.InvalidURL as exc:
            raise BridgeError("down", f"{where}: bad address ({exc})") from None
        try:
            connection.request(mode, address or "/", body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except TimeoutError:
            raise BridgeError(
                "timeout", f"{where} did not answer within {self.timeout_s:g} s (hung?)"
            ) from None
        except ConnectionRefusedError:
            raise BridgeError("down", f"{where} refused the connection (down?)") from None
        except http.client.HTTPException as exc:
            raise BridgeError(
                "answer", f"{where} broke off its answer ({type(exc).__name__})"
            ) from None
        except OSError as exc:
            raise BridgeError("down", f"{where} unreachable ({exc.strerror or exc})") from None
        finally:
            connection.close()
        if response.status != 200:
            raise BridgeError("http", f"{where} answered HTTP {response.status} {response.reason}")
        try:
            answer = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise BridgeError(
                "answer", f"{where} answered with something other than JSON"
            ) from None
        _raise_api_errors(where, answer)
        confirmations = isinstance(answer, list) and all(isinstance(e, dict) for e in answer)
        if mode in ("PUT", "POST") and not (confirmations and answer):
            raise BridgeError("answer", f"{where} answered {mode} without confirming anything")
        return answer


def _raise_api_errors(where: str, answer: Any) -> None:
    errors = api_errors(answer)
    if not errors:
        return
    first = errors[0]
    kind_of = int(first.get("type", 0) or 0)
    description = str(first.get("description", "error"))
    if kind_of in _REFUSED:
        raise BridgeError(
            "refused", f"{where} refused the user ({description}): pair with `roomctl lights pair`"
        )
    if kind_of in _LINK_BUTTON:
        raise BridgeError("link_button", f"{where}: {description}")
    raise BridgeError("api", f"{where}: Hue error {kind_of}: {description}")


def send_group_state(bridge: RoomBridge, group: int, state: HueState) -> dict[str, Any]:
    """One group action through phue; returns the body once the bridge confirmed every key.

    ``transitiontime`` is not required in the confirmation: it is a property of the command,
    not of the lights, and bridges differ in whether they echo it.
    """
    body = state.body()
    result = bridge.set_group(group, dict(body))
    answer = result[-1] if isinstance(result, list) and result else []
    confirmed = {
        str(path).rsplit("/", 1)[-1]
        for entry in answer
        if isinstance(entry, dict) and isinstance(entry.get("success"), dict)
        for path in entry["success"]
    }
    missing = [key for key in body if key != "transitiontime" and key not in confirmed]
    if missing:
        raise BridgeError(
            "answer", f"bridge {bridge.ip} did not confirm {', '.join(missing)} for group {group}"
        )
    return body
