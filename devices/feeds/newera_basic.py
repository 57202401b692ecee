"""New Era syringe pumps (NE-500/1000/1600/4000), Basic mode: replies to status queries.

Spec: shared/protocols/newera-basic.md. roomctl sends only the status queries of the
allow-list (:data:`STATUS_QUERIES`); the pump answers ``STX <2-digit address> <status char>
[data] ETX``. Each reply becomes one ``pump`` record with what that reply says: the status
alone (CR), the rate (``RAT``), the volume dispensed (``DIS``), the volume to be dispensed
(``VOL``) or the syringe diameter (``DIA``). Merging them into one picture of the pump is the
driver's job (it knows which query it sent and when).

Decisions where the spec leaves room:

* Replies are self-describing for the allow-listed queries (units tell a rate from a volume;
  ``I..W..`` is DIS; a bare number is DIA), so the parser needs no query context.
* Status → ``pump_state``: I (infusing) RUN; W (withdrawing) RUN + ``withdrawing``; X (purging)
  RUN + ``purging``; S STOP; P PAUSE; T PAUSE + ``timed_pause``; U PAUSE + ``waiting_for_trigger``;
  ``A?x`` ALARM + ``pump_alarm:<name>``.
* ``VOL`` 0 means "pump continuously" (NE-500 manual, quick start: "If the volume to be
  dispensed is 0, then the pump will pump continuously"): no ``pump_vtbi_ml`` then, but the
  flag ``continuous_pumping``. ``pump_vtbi_ml`` is the programmed volume, not what remains.
* Error data (``?``, ``NA``, ``OOR``, ``COM``, ``IGN``, with or without a leading ``?``) is a
  well-formed reply: a record with the state and a ``pump_reply_error:<name>`` flag.
* Bytes outside STX..ETX are garbage: a run of them (whitespace aside) counts one bad frame
  per started 64 bytes (a reply is far shorter), so a pump at the wrong baud rate shows up as
  a storm; a reply cut by a new STX, or longer than 64 bytes, is one bad frame.
"""

from __future__ import annotations

import re

from devices.feeds import records as r
from devices.feeds.records import Record, RecordKind

STX, ETX = 0x02, 0x03
MAX_REPLY = 64

#: The queries of the allow-list (spec: "Queries roomctl may send"), unaddressed.
STATUS_QUERIES: tuple[bytes, ...] = (b"\r", b"RAT\r", b"DIS\r", b"VOL\r", b"DIA\r")


def status_queries(address: int | None = None) -> tuple[bytes, ...]:
    """The allow-listed queries, prefixed with a pump address 0-99 when one is configured."""
    if address is None:
        return STATUS_QUERIES
    if not 0 <= address <= 99:
        raise ValueError(f"a New Era pump address is 0-99, not {address}")
    return tuple(str(address).encode("ascii") + q for q in STATUS_QUERIES)


#: Status char → (pump_state, extra flag or None).
STATES: dict[str, tuple[str, str | None]] = {
    "I": ("RUN", None),
    "W": ("RUN", r.WITHDRAWING),
    "X": ("RUN", r.PURGING),
    "S": ("STOP", None),
    "P": ("PAUSE", None),
    "T": ("PAUSE", r.TIMED_PAUSE),
    "U": ("PAUSE", r.WAITING_FOR_TRIGGER),
}
ALARMS = {
    "R": "reset",
    "S": "motor_stalled",
    "T": "communications_timeout",
    "E": "program_error",
    "O": "phase_out_of_range",
}
ERRORS = {
    "?": "unknown_command",
    "NA": "not_applicable",
    "OOR": "out_of_range",
    "COM": "communications_error",
    "IGN": "ignored",
}
#: Rate units → (multiplier, divisor) to mL/h; volume units → the same to mL. Kept as exact
#: integer ratios, multiplied then divided, so 3.5 µL/min reads 0.21 mL/h and not
#: 0.21000000000000002 (what multiplying by 0.06 gives).
RATE_UNITS = {"UM": (60, 1000), "MM": (60, 1), "UH": (1, 1000), "MH": (1, 1)}
VOLUME_UNITS = {"UL": (1, 1000), "ML": (1, 1)}

_NUM = r"(\d+(?:\.\d*)?|\.\d+)"
_REPLY = re.compile(r"(\d\d)([A-Z])(.*)", re.DOTALL)
_RATE = re.compile(_NUM + r"(UM|MM|UH|MH)")
_DISPENSED = re.compile(r"I" + _NUM + r"W" + _NUM + r"(UL|ML)")
_VOLUME = re.compile(_NUM + r"(UL|ML)")
_DIAMETER = re.compile(_NUM)
_ERROR = re.compile(r"\??(\?|NA|OOR|COM|IGN)")
_STX_OR_ETX = re.compile(rb"[\x02\x03]")


def _scaled(number: str, ratio: tuple[int, int]) -> float:
    return float(number) * ratio[0] / ratio[1]


def parse_reply(inner: bytes) -> Record | None:
    """The bytes between STX and ETX to a record (None when it is not a reply)."""
    try:
        text = inner.decode("ascii")
    except UnicodeDecodeError:
        return None
    reply = _REPLY.fullmatch(text)
    if reply is None:
        return None
    address, status, data = reply.groups()
    values: dict[str, float | str] = {}
    flags: set[str] = set()
    extra = {"address": address, "status": status}
    if status == "A":
        if len(data) != 2 or data[0] != "?":
            return None
        values[r.PUMP_STATE] = "ALARM"
        flags.add(r.PUMP_ALARM_PREFIX + ALARMS.get(data[1], data[1]))
        return Record(RecordKind.PUMP, values, frozenset(flags), extra=extra)
    if status not in STATES:
        return None
    state, state_flag = STATES[status]
    values[r.PUMP_STATE] = state
    if state_flag:
        flags.add(state_flag)
    if data and not _data(data, values, flags, extra):
        return None
    return Record(RecordKind.PUMP, values, frozenset(flags), extra=extra)


def _data(
    data: str, values: dict[str, float | str], flags: set[str], extra: dict[str, str]
) -> bool:
    """Read a reply's data into values/flags/extra; False when it matches no known form."""
    if (m := _RATE.fullmatch(data)) is not None:
        values[r.PUMP_RATE_ML_H] = _scaled(m.group(1), RATE_UNITS[m.group(2)])
        extra["rate_units"] = m.group(2)
    elif (m := _DISPENSED.fullmatch(data)) is not None:
        factor = VOLUME_UNITS[m.group(3)]
        values[r.PUMP_VI_ML] = _scaled(m.group(1), factor)
        extra["withdrawn_ml"] = repr(_scaled(m.group(2), factor))
        extra["volume_units"] = m.group(3)
    elif (m := _VOLUME.fullmatch(data)) is not None:
        volume = _scaled(m.group(1), VOLUME_UNITS[m.group(2)])
        if volume == 0:
            flags.add(r.CONTINUOUS_PUMPING)
        else:
            values[r.PUMP_VTBI_ML] = volume
        extra["volume_units"] = m.group(2)
    elif (m := _DIAMETER.fullmatch(data)) is not None:
        extra["diameter_mm"] = m.group(1)
    elif (m := _ERROR.fullmatch(data)) is not None:
        flags.add(r.PUMP_REPLY_ERROR_PREFIX + ERRORS[m.group(1)])
    else:
        return False
    return True


class NewEraBasicParser:
    """Incremental parser of the pump's replies: ``feed(bytes) -> list[Record]``."""

    def __init__(self) -> None:
        self.frames = 0
        self.bad_frames = 0
        self.reset()

    def reset(self) -> None:
        """Forget a reply in progress and re-arm the partial-first-reply rule (reconnect)."""
        self._pending = b""  # an unfinished reply, from its STX
        self._skipping = False  # inside an over-long reply, already counted
        self._leading = True  # no STX seen yet: garbage now may be the partial first reply
        self._junk_len = 0  # bytes (whitespace aside) of the garbage run in progress
        self._junk_counted = 0  # bad frames already counted for it

    def feed(self, data: bytes) -> list[Record]:
        if b"\x00" in data:
            data = data.replace(b"\x00", b"")
        buf = self._pending + data if self._pending else bytes(data)
        self._pending = b""
        out: list[Record] = []
        i, n = 0, len(buf)
        while i < n:
            if self._skipping:  # the rest of an over-long reply: up to its ETX or a new STX
                stop = _STX_OR_ETX.search(buf, i)
                if stop is None:
                    return out
                self._skipping = False
                i = stop.end() if buf[stop.start()] == ETX else stop.start()
                continue
            stx = buf.find(b"\x02", i)
            if stx < 0:
                self._junk(buf[i:])
                return out
            self._junk(buf[i:stx])
            self._leading = False
            self._junk_len = self._junk_counted = 0
            etx = buf.find(b"\x03", stx + 1)
            end = etx if etx >= 0 else n
            cut = buf.find(b"\x02", stx + 1, end)
            if cut >= 0:  # a new STX before this reply's ETX: this reply is broken
                self.bad_frames += 1
                i = cut
            elif end - stx - 1 > MAX_REPLY:
                self.bad_frames += 1
                if etx < 0:
                    self._skipping = True
                    return out
                i = etx + 1
            elif etx < 0:
                self._pending = buf[stx:]
                return out
            else:
                record = parse_reply(buf[stx + 1 : etx])
                if record is None:
                    self.bad_frames += 1
                else:
                    self.frames += 1
                    out.append(record)
                i = etx + 1
        return out

    def _junk(self, junk: bytes) -> None:
        """Garbage outside STX..ETX: one bad frame per started 64 bytes of a run. Before the
        first STX of a stream only whole 64-byte runs count: up to that much is the partial
        first reply (its STX went by before the port was open)."""
        self._junk_len += len(junk.translate(None, b" \t\r\n"))
        due = self._junk_len // MAX_REPLY if self._leading else -(-self._junk_len // MAX_REPLY)
        self.bad_frames += due - self._junk_counted
        self._junk_counted = due
