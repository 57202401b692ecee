"""Ivy 450C bedside monitor, CPC "ANSAR-B" serial output: one message a second, unasked.

Spec: shared/protocols/ivy-ansarb.md (after OpenICE's ``AnsarB`` reader), proved on the genuine
capture in shared/captures/ivy450c/. A message is
``FF "ANSAR-B " <400 wave bytes> <text lines, each ended by CR> FE``; the text lines are
``NAME=<code>;field;field;...;`` read by position ("Text lines" table).

Fast (issue 8: ≥ 50,000 messages/s on one core; benchmarks/bench_ivy.py): ``bytes.find``
locates headers and end bytes (never a Python step per byte); each wave of every message in a
chunk is scaled by one numpy ``take`` over ready-made floats; a monitor repeats most text lines
second after second, so lines and whole texts are memoised (bounded) and repeated texts give
the same frozen records.

Decisions where the spec, or the capture, leaves room:

* Framing ("Message"). A message starts at the nine header bytes together (FF alone may be a
  wave byte) and ends at the first FE at least 409 bytes after its start, within
  :data:`MAX_MESSAGE` bytes (OpenICE's buffer is 2048 bytes; real messages are ~560).
* Everything outside a message is a *gap*: the partial first message of a capture that starts
  mid-message, garbage, a lone end byte, a message cut short by the next header, a header with
  no end in time, a message whose text holds a byte ≥ 0x80 (the format has no checksum: ASCII
  text is the only sign the numbers arrived whole). A gap counts one bad frame per started
  :data:`MAX_MESSAGE` bytes, as soon as its bytes are judged: the partial first message is
  counted and never parsed (issue 8), and garbage that never ends (a wrong baud rate) keeps
  counting. NULs are data in the waves ("NUL-filled waves") and dropped from the text.
* Text fields by position; a missing field is absent, fields beyond the table are ignored.
  An empty field, or one that is not a decimal number of at most 9 digits (OpenICE:
  ``parseIntOrNull``), is absent: never 0, NaN or infinity.
  SPO2's second field ``PR=<n>`` is the oximeter's pulse rate (``pr``).
* The undocumented code after ``=`` is kept raw in ``extra`` under the line's name
  (``{"HR": "1"}``); unknown lines are kept verbatim there too.
* Labels and alarm texts (``ECG-II-DIAG``, ``APNEA: 20 SEC``, ``NO TRANSDUCER``) become flags
  ``<group>_label:<text>`` and ``<group>_alarm:<text>`` (records.py): both example "alarms" of
  the issue sit in the *label* position of the spec's table, so the position is kept, not
  guessed at.
* Records per message: one ``vitals`` (ECG ``hr``, ``rr``, ``etco2``, ``spo2``, ``pr``,
  ``ibp1_*``, ``ibp2_*``, ``temp``, ``temp2``), one ``nibp`` when the message has a NIBP line
  (``nibp_sys/dia/map/pr``; the monitor repeats the last cuff reading every second, so every
  message carries it: the app records each measurement once, app/feeds.py), then the waves
  ``ecg`` (200 Hz, mV), ``resp``, ``pleth``, and ``ibp1``/``ibp2`` (50 Hz) only when their line
  carries a pressure (without a transducer the bytes sit at the offset: P2 in the capture).
* Scales are the spec's, value = scale × (byte − offset); ECG's 0.02 is computed as ÷ 50 so a
  byte of 135 reads 0.7 mV exactly. The capture's P1 wave bytes run 73-111 while P1 reads
  111/73: raw bytes there look like mmHg, offset 80 would not. The spec's offset is kept (the
  numbers come from the text lines, never from the wave); the doubt is in the report.
* OpenICE stops a byte short of the end and so never reads the last line (T2); here every line
  before the end byte is read, with or without its CR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import repeat

import numpy as np

from devices.feeds import records as r
from devices.feeds.records import Record, RecordKind, Wave

HEADER = b"\xffANSAR-B "
END = b"\xfe"
WAVE_BYTES = 400
FIXED = len(HEADER) + WAVE_BYTES  # the end byte is searched for only after these
MAX_TEXT = 1024
MAX_MESSAGE = FIXED + MAX_TEXT + 1


@dataclass(frozen=True, slots=True)
class WaveSpec:
    """One wave of the 400 bytes ("Waves" table): value = (byte − offset) / divisor."""

    channel: str
    start: int
    points: int
    rate_hz: float
    offset: int
    divisor: float


WAVES = (
    WaveSpec(r.ECG, 0, 200, 200.0, 100, 50.0),  # scale 0.02 mV
    WaveSpec(r.RESP, 200, 50, 50.0, 0, 1.0),
    WaveSpec(r.PLETH, 250, 50, 50.0, 86, 1.0),
    WaveSpec(r.IBP1, 300, 50, 50.0, 80, 1.0),
    WaveSpec(r.IBP2, 350, 50, 50.0, 251, 1.0),
)


@dataclass(frozen=True, slots=True)
class LineSpec:
    """One text line ("Text lines" table): its numeric fields first, then label and alarm."""

    name: str
    group: str
    kind: RecordKind
    channels: tuple[str, ...]

    @property
    def label_prefix(self) -> str:
        return self.group + r.LABEL_SUFFIX

    @property
    def alarm_prefix(self) -> str:
        return self.group + r.ALARM_TEXT_SUFFIX


LINES = (
    LineSpec("HR", "hr", RecordKind.VITALS, (r.HR,)),
    LineSpec("RR", "rr", RecordKind.VITALS, (r.RR,)),
    LineSpec("ETCO2", "etco2", RecordKind.VITALS, (r.ETCO2,)),
    LineSpec("SPO2", "spo2", RecordKind.VITALS, (r.SPO2,)),  # label field: PR=<pulse rate>
    LineSpec("NIBP", "nibp", RecordKind.NIBP, (r.NIBP_SYS, r.NIBP_DIA, r.NIBP_MAP, r.NIBP_PR)),
    LineSpec("P1", "ibp1", RecordKind.VITALS, (r.IBP1_SYS, r.IBP1_DIA, r.IBP1_MAP)),
    LineSpec("P2", "ibp2", RecordKind.VITALS, (r.IBP2_SYS, r.IBP2_DIA, r.IBP2_MAP)),
    LineSpec("T1", "temp", RecordKind.VITALS, (r.TEMP,)),
    LineSpec("T2", "temp2", RecordKind.VITALS, (r.TEMP2,)),
)
#: Wire name → line, and the per-line data the hot loop needs, unpacked once.
_LINES = {
    spec.name.encode(): (spec, spec.channels, len(spec.channels), spec.label_prefix,
                         spec.alarm_prefix, spec.kind is RecordKind.NIBP)
    for spec in LINES
}  # fmt: skip
_NUMBER = re.compile(rb" *(-?\d{1,9}(?:\.\d{1,6})?) *")
_NO_VALUES: dict[str, float | str] = {}  # wave records' values: shared, read-only
#: Endless arguments of every wave record but its wave (for ``map``).
_KINDS, _VALUES, _FLAGS, _NONES = (
    repeat(RecordKind.WAVE),
    repeat(_NO_VALUES),
    repeat(r.NO_FLAGS),
    repeat(None),
)


def _value_table(spec: WaveSpec) -> np.ndarray:
    """Every byte's value on one wave, as Python floats made once: ``table.take(bytes)``
    scales a wave without making a float per sample."""
    table = np.empty(256, dtype=object)
    table[:] = [(byte - spec.offset) / spec.divisor for byte in range(256)]
    return table


_TABLES = tuple(_value_table(spec) for spec in WAVES)
#: Indices in WAVES of the waves kept, by which pressures are connected (bit 0: P1, bit 1:
#: P2): a pressure wave without its transducer sits at the offset and is dropped.
_PLANS = tuple(
    tuple(
        k
        for k, w in enumerate(WAVES)
        if not ((w.channel == r.IBP1 and not gates & 1) or (w.channel == r.IBP2 and not gates & 2))
    )
    for gates in range(4)
)
_new = object.__new__
_set_channel = Wave.channel.__set__  # type: ignore[attr-defined]
_set_rate = Wave.rate_hz.__set__  # type: ignore[attr-defined]
_set_samples = Wave.samples.__set__  # type: ignore[attr-defined]


def _wave(channel: str, rate_hz: float, samples: tuple[float, ...]) -> Wave:
    """A Wave without the generated frozen ``__init__`` (half the cost: records.py explains)."""
    wave = _new(Wave)
    _set_channel(wave, channel)
    _set_rate(wave, rate_hz)
    _set_samples(wave, samples)
    return wave


def number(field: bytes) -> float | None:
    """A decimal field, or None (empty, dashes, anything else: absent, never 0 or NaN)."""
    if field.isdigit() and len(field) < 10:
        return float(field)
    match = _NUMBER.fullmatch(field)
    return None if match is None else float(match.group(1))


#: One parsed line: NIBP or not, its values, flags, line name and code, the NIBP record
#: (NIBP lines), and the pressure it connects (bit 0: P1, bit 1: P2).
_Line = tuple[bool, dict[str, float | str], tuple[str, ...], str, str, Record | None, int]
#: A message's text: its vitals record, NIBP record (if it has a NIBP line), waves to keep.
Text = tuple[Record, Record | None, tuple[int, ...]]
_CACHE_LIMIT = 4096
_line_cache: dict[bytes, _Line] = {}
_text_cache: dict[bytes, Text] = {}


def clear_caches() -> None:
    """Forget the memoised lines and texts (a benchmark's runs each start cold)."""
    _line_cache.clear()
    _text_cache.clear()


def parse_line(line: bytes) -> _Line:
    """One text line ("Text lines" table), by position; the slow path, memoised by the caller."""
    name, _, rest = line.partition(b"=")
    known = _LINES.get(name)
    if known is None:
        return False, {}, (), name.decode(), rest.decode(), None, 0
    spec, channels, n, label_prefix, alarm_prefix, is_nibp = known
    fields = rest.split(b";")
    values: dict[str, float | str] = {}
    for channel, field in zip(channels, fields[1 : n + 1], strict=False):
        value = number(field)
        if value is not None:
            values[channel] = value
    label = fields[n + 1].strip() if len(fields) > n + 1 else b""
    alarm = fields[n + 2].strip() if len(fields) > n + 2 else b""
    if label[:3] == b"PR=" and spec.name == "SPO2":
        pr = number(label[3:])
        if pr is not None:
            values[r.PR] = pr
        label = b""
    flags = ([label_prefix + label.decode()] if label else []) + (
        [alarm_prefix + alarm.decode()] if alarm else []
    )
    code = fields[0].decode()
    if is_nibp:
        nibp = Record(
            RecordKind.NIBP, values, frozenset(flags), None, None, None, {spec.name: code}
        )
        return True, {}, (), spec.name, code, nibp, 0
    gate = {"P1": 1, "P2": 2}.get(spec.name, 0) if values else 0
    return False, values, tuple(flags), spec.name, code, None, gate


def parse_text(text: bytes) -> Text:
    """The text lines of one message (ASCII, between the waves and the end byte).

    A monitor repeats most lines second after second (a cuff reading for minutes, labels for
    ever), so lines are memoised, and whole texts too (a steady patient repeats all of it);
    records are frozen, so a repeated text gives the same record objects.
    """
    hit = _text_cache.get(text)
    if hit is not None:
        return hit
    values: dict[str, float | str] = {}
    flags: list[str] = []
    extra: dict[str, str] = {}
    nibp: Record | None = None
    gates = 0
    get = _line_cache.get
    for line in (text.replace(b"\x00", b"") if b"\x00" in text else text).split(b"\r"):
        if not line:
            continue
        parsed = get(line)
        if parsed is None:
            parsed = parse_line(line)
            if len(_line_cache) >= _CACHE_LIMIT:
                _line_cache.clear()
            _line_cache[line] = parsed
        is_nibp, line_values, line_flags, name, code, line_nibp, gate = parsed
        if is_nibp:
            nibp = line_nibp
            continue
        if line_values:
            values.update(line_values)
            gates |= gate
        if line_flags:
            flags += line_flags
        extra[name] = code
    vitals = Record(RecordKind.VITALS, values, frozenset(flags), None, None, None, extra)
    parsed_text = (vitals, nibp, _PLANS[gates])
    if len(_text_cache) >= _CACHE_LIMIT:
        _text_cache.clear()
    _text_cache[text] = parsed_text
    return parsed_text


def wave_records(blocks: bytes, count: int, wanted: set[int]) -> list[list[Record]]:
    """The waves of ``count`` messages (their 400-byte blocks joined): per wave of :data:`WAVES`
    one record per message (none for a wave no message wants). A numpy ``take`` per wave
    scales every message's samples at once; the records are made wave by wave with ``map``,
    not message by message.
    """
    a = np.frombuffer(blocks, dtype=np.uint8).reshape(count, WAVE_BYTES)
    out: list[list[Record]] = []
    for k, w in enumerate(WAVES):
        if k not in wanted:
            out.append([])
            continue
        rows = _TABLES[k].take(a[:, w.start : w.start + w.points]).tolist()
        waves = map(_wave, repeat(w.channel), repeat(w.rate_hz), map(tuple, rows))
        out.append(list(map(Record, _KINDS, _VALUES, _FLAGS, _NONES, _NONES, waves)))
    return out


class IvyAnsarBParser:
    """Incremental parser: ``feed(bytes) -> list[Record]``; counts ``frames`` (whole messages)
    and ``bad_frames`` (gaps, see the module docstring)."""

    def __init__(self) -> None:
        self.frames = 0
        self.bad_frames = 0
        self.reset()

    def reset(self) -> None:
        """Forget the unfinished message and the open gap (after a reconnect)."""
        self._buf = b""  # bytes not judged yet: a message begun, or a header begun
        self._gap = 0  # bytes judged to be no message's since the last message
        self._gap_counted = 0

    def feed(self, data: bytes) -> list[Record]:
        buf = self._buf + data if self._buf else bytes(data)
        found, pos = self._scan(buf)
        self._buf = buf[pos:]
        if not found:
            return []
        count = len(found) // 2
        self.frames += count
        starts = found[::2]
        texts = [parse_text(buf[s + FIXED : e]) for s, e in zip(starts, found[1::2], strict=True)]
        wanted = {k for _, _, plan in texts for k in plan}
        waves = wave_records(b"".join([buf[s + 9 : s + FIXED] for s in starts]), count, wanted)
        out: list[Record] = []
        for i, (vitals, nibp, plan) in enumerate(texts):
            out.append(vitals)
            if nibp is not None:
                out.append(nibp)
            for k in plan:
                out.append(waves[k][i])
        return out

    def _scan(self, buf: bytes) -> tuple[list[int], int]:
        """Whole messages in ``buf`` as flat (start, end) pairs, and where the unjudged rest
        begins; gap bytes are counted on the way."""
        found: list[int] = []
        size = len(buf)
        pos = 0
        find = buf.find
        while True:
            s = find(HEADER, pos)
            if s < 0:
                cut = _held_back(buf, pos)
                self._grow_gap(cut - pos)
                return found, cut
            if s > pos:
                self._grow_gap(s - pos)
            limit = s + MAX_MESSAGE
            e = find(END, s + FIXED, limit)
            if find(HEADER, s + 1, e if e >= 0 else limit) >= 0:
                pos = find(HEADER, s + 1)  # cut short by the next message
                self._grow_gap(pos - s)
            elif e < 0:
                if size < limit:
                    return found, s  # the rest of the message is still to come
                self._grow_gap(1)  # no end in time: that header began no message
                pos = s + 1
            elif not buf[s + FIXED : e].isascii():
                self._grow_gap(e + 1 - s)  # damaged text
                pos = e + 1
            else:
                self._gap = self._gap_counted = 0
                found += (s, e)
                pos = e + 1

    def _grow_gap(self, skipped: int) -> None:
        """Bytes judged to be no message's: one bad frame per started MAX_MESSAGE bytes."""
        self._gap += skipped
        due = -(-self._gap // MAX_MESSAGE)
        self.bad_frames += due - self._gap_counted
        self._gap_counted = due


def _held_back(buf: bytes, pos: int) -> int:
    """Where a possible header begins at the end of ``buf`` (a proper prefix of it, FF first),
    or ``len(buf)``: those bytes are judged with the next chunk."""
    k = buf.rfind(b"\xff", max(pos, len(buf) - len(HEADER) + 1))
    return k if k >= 0 and HEADER.startswith(buf[k:]) else len(buf)
