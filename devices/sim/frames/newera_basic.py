"""New Era Basic-mode replies, byte for byte: ``STX <address> <status> [data] ETX``.

Spec: shared/protocols/newera-basic.md. Numbers are written as the pump shows them: four
digits with the decimal point where it fits (``3.500``, ``52.50``, ``100.0``, ``1000``), as
in published replies such as ``00SI0.200W0.000ML``. :func:`answer` is what a simulated pump
says to each allow-listed query; anything else gets the "unknown command" reply, so a
simulator never acts on a control command either.
"""

from __future__ import annotations

from dataclasses import dataclass

from devices.feeds.newera_basic import ALARMS, ERRORS, RATE_UNITS, STATES, VOLUME_UNITS

STX, ETX = b"\x02", b"\x03"
_ERROR_CODES = {name: code for code, name in ERRORS.items()}


def number(value: float) -> str:
    """Four significant places with the point where it fits: 3.5 → ``3.500``, 1000 → ``1000``."""
    if value < 0:
        raise ValueError(f"a pump number is never negative: {value}")
    for decimals, limit in ((3, 9.9995), (2, 99.995), (1, 999.95)):
        if value < limit:
            return f"{value:.{decimals}f}"
    return f"{value:.0f}"


def reply(status: str, data: str = "", *, address: int = 0) -> bytes:
    """One reply frame. ``status`` is a status char of the spec (or ``A`` with ``?x`` data)."""
    if status not in STATES and status != "A":
        raise ValueError(f"no status char {status!r} in Basic mode")
    if not 0 <= address <= 99:
        raise ValueError(f"a pump address is 0-99, not {address}")
    return STX + f"{address:02d}{status}{data}".encode("ascii") + ETX


def alarm_reply(code: str, *, address: int = 0) -> bytes:
    """``A?<code>``: R reset, S motor stalled, T communications timeout, E, O."""
    if code not in ALARMS:
        raise ValueError(f"no alarm code {code!r} (known: {sorted(ALARMS)})")
    return reply("A", "?" + code, address=address)


def error_reply(status: str, error: str, *, address: int = 0) -> bytes:
    """A reply with error data: ``error`` is a name of ``ERRORS`` (``out_of_range`` ...)."""
    return reply(status, _ERROR_CODES[error], address=address)


def rate_reply(status: str, rate: float, units: str = "MH", *, address: int = 0) -> bytes:
    _check(units, RATE_UNITS)
    return reply(status, number(rate) + units, address=address)


def dispensed_reply(
    status: str, infused: float, withdrawn: float, units: str = "ML", *, address: int = 0
) -> bytes:
    _check(units, VOLUME_UNITS)
    return reply(status, f"I{number(infused)}W{number(withdrawn)}{units}", address=address)


def volume_reply(status: str, volume: float, units: str = "ML", *, address: int = 0) -> bytes:
    _check(units, VOLUME_UNITS)
    return reply(status, number(volume) + units, address=address)


def diameter_reply(status: str, diameter_mm: float, *, address: int = 0) -> bytes:
    return reply(status, number(diameter_mm), address=address)


@dataclass
class PumpPanel:
    """What a simulated pump would show, in its own units, for :func:`answer`."""

    status: str = "S"  # a status char, or "A" with ``alarm`` set
    alarm: str | None = None
    rate: float = 0.0
    rate_units: str = "MH"
    infused: float = 0.0
    withdrawn: float = 0.0
    volume: float = 0.0  # 0: pump continuously
    volume_units: str = "ML"
    diameter_mm: float = 26.59
    address: int = 0


def answer(query: bytes, pump: PumpPanel) -> bytes:
    """The pump's reply to one query (with its trailing CR, maybe an address prefix); empty
    when the query is addressed to another pump on the line."""
    text = query.decode("ascii", "replace").removesuffix("\r").strip().upper()
    digits = len(text) - len(text.lstrip("0123456789"))
    if digits and int(text[:digits]) != pump.address:
        return b""
    command = text[digits:]
    if pump.status == "A":
        return alarm_reply(pump.alarm or "R", address=pump.address)
    a = pump.address
    if command == "":
        return reply(pump.status, address=a)
    if command == "RAT":
        return rate_reply(pump.status, pump.rate, pump.rate_units, address=a)
    if command == "DIS":
        return dispensed_reply(
            pump.status, pump.infused, pump.withdrawn, pump.volume_units, address=a
        )
    if command == "VOL":
        return volume_reply(pump.status, pump.volume, pump.volume_units, address=a)
    if command == "DIA":
        return diameter_reply(pump.status, pump.diameter_mm, address=a)
    return error_reply(pump.status, "unknown_command", address=a)


def _check(units: str, table: dict[str, tuple[int, int]]) -> None:
    if units not in table:
        raise ValueError(f"units {units!r} are not one of {sorted(table)}")
