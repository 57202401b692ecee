"""Nonin OEM III "Serial Data Format #2": binary, 5-byte frames at 75 frames/s.

Spec: shared/protocols/nonin.md, part B. A frame is ``01 STATUS PLETH DATA CHECKSUM`` with
checksum = (sum of the first four) mod 256 and STATUS bit 7 always set; 25 frames make a packet
whose first frame has STATUS bit 0 (SYNC); DATA means something different at each frame index.

The stream is scanned in bulk with numpy (issue 3: "the binary format in bulk, not a Python
call per byte"): every offset is tested as a frame start at once, then Python walks *runs* of
back-to-back valid frames (one step per resynchronisation, not per frame) and *packets* (25
frames, three a second), never single bytes.

Decisions where the spec leaves room:

* Resynchronising ("the next frame whose first byte is 01, whose status has bit 7 set and whose
  checksum holds") is greedy: after a valid frame the next one is expected right behind it;
  otherwise the scan moves on byte by byte.
* Bad frames are the bytes skipped while resynchronising: one per 5 bytes as soon as they are
  judged (endless garbage, say a wrong baud rate, shows as a storm, not as silence) and one
  more for a remainder when a valid frame ends the gap (a frame with a wrong checksum is one
  bad frame). Before the first valid frame only whole 5-byte runs count: the partial first
  frame is not a bad one.
* Values come from complete packets only (25 frames from a SYNC frame, none skipped), as in
  the reference receiver (pufferfish ``PacketReceiver``): after a gap the frame index is
  unknown. Pleth samples are kept for any run of frames inside a packet, since each frame
  carries its own sample; frames before the first SYNC give nothing.
* One ``vitals`` record per packet: ``hr`` from frames 0-1, ``spo2`` from frame 2 (the 4-beat
  averages), absent when the sentinel (HR 511, SpO2 127); the other DATA values go to
  ``extra``. Flags are the union of the packet's status bits; perfusion is the worst colour
  seen (red, then yellow, then green). One ``wave`` record (channel ``pleth``, 75 Hz) per
  packet or per run of frames inside one.
"""

from __future__ import annotations

import numpy as np

from devices.feeds import records as r
from devices.feeds.records import Record, RecordKind, Wave

FRAME = 5
PACKET = 25
RATE_HZ = 75.0
HR_ABSENT = 511
SPO2_ABSENT = 127

_STATUS_FLAGS = ((0x40, r.SENSOR_DISCONNECT), (0x20, r.ARTIFACT), (0x10, r.OUT_OF_TRACK),
                 (0x08, r.SENSOR_ALARM))  # fmt: skip
#: Extra DATA values: name → (frame index of the value, or of the HR-style high bits, is_hr).
_EXTRA_FIELDS = (
    ("firmware", 3, False), ("spo2_d", 8, False), ("spo2_fast", 9, False),
    ("spo2_b2b", 10, False), ("e_hr", 13, True), ("e_spo2", 15, False),
    ("e_spo2_d", 16, False), ("hr_d", 19, True), ("e_hr_d", 21, True),
)  # fmt: skip


def status_flags(statuses: bytes) -> frozenset[str]:
    """Flags of a run of STATUS bytes: any condition bit set, and the worst perfusion seen."""
    union = 0
    perfusion = 0
    for status in set(statuses):  # a packet holds a few distinct STATUS values, not 25
        union |= status
        colour = status & 0x06
        if colour == 0x04:
            perfusion = 3  # red: low signal quality
        elif colour == 0x06:
            perfusion = max(perfusion, 2)  # yellow (both bits)
        elif colour == 0x02:
            perfusion = max(perfusion, 1)  # green
    names = [name for bit, name in _STATUS_FLAGS if union & bit]
    if perfusion:
        names.append((r.PERFUSION_GREEN, r.PERFUSION_YELLOW, r.PERFUSION_RED)[perfusion - 1])
    return frozenset(names)


def _hr(high: int, low: int) -> int:
    return ((high & 0x03) << 7) | (low & 0x7F)


def packet_records(statuses: bytes, pleth: bytes, data: bytes) -> list[Record]:
    """The records of one complete packet (25 frames, SYNC first)."""
    flags = status_flags(statuses)
    values: dict[str, float | str] = {}
    hr = _hr(data[0], data[1])
    if hr != HR_ABSENT:
        values[r.HR] = float(hr)
    spo2 = data[2] & 0x7F
    if spo2 != SPO2_ABSENT:
        values[r.SPO2] = float(spo2)
    extra: dict[str, str] = {}
    for name, index, is_hr in _EXTRA_FIELDS:
        if is_hr:
            value = _hr(data[index], data[index + 1])
            if value != HR_ABSENT:
                extra[name] = str(value)
        elif index == 3:
            extra[name] = str(data[index])
        elif data[index] & 0x7F != SPO2_ABSENT:
            extra[name] = str(data[index] & 0x7F)
    wave = Wave(r.PLETH, RATE_HZ, tuple(pleth))
    return [
        Record(RecordKind.VITALS, values, flags, None, None, None, extra),
        Record(RecordKind.WAVE, {}, flags, None, None, wave),
    ]


class NoninOem3Parser:
    """Incremental parser: ``feed(bytes) -> list[Record]``; counts ``frames`` and ``bad_frames``."""

    def __init__(self) -> None:
        self.frames = 0
        self.bad_frames = 0
        self.reset()

    def reset(self) -> None:
        """Forget partial bytes and the packet in progress (after a reconnect)."""
        self._tail = b""  # bytes not yet judged (less than a frame, or a frame not yet whole)
        self._gap = 0  # bytes skipped since the last valid frame
        self._gap_counted = 0  # bad frames already counted for them
        self._synced = False  # a valid frame was seen since the start or the reset
        # The packet in progress: STATUS, PLETH and DATA bytes of its frames so far.
        self._in_packet = False
        self._statuses = b""
        self._pleth = b""
        self._data = b""

    def feed(self, data: bytes) -> list[Record]:
        buf = self._tail + data if self._tail else bytes(data)
        n = len(buf)
        out: list[Record] = []
        if n < FRAME:
            self._tail = buf
            return out
        whole = n // FRAME
        if self._synced and not self._gap and _aligned_frames(buf, whole) == whole:
            # The usual case: in step, and every frame is good. No offset-by-offset scan.
            self._frames(buf, 0, whole, out, broken=False)
            self._tail = buf[whole * FRAME :]
            return out
        self._tail = buf[self._scan(buf, out) :]
        return out

    def _scan(self, buf: bytes, out: list[Record]) -> int:
        """Resynchronising walk over ``buf``; returns the offset of the bytes left unjudged."""
        a = np.frombuffer(buf, dtype=np.uint8)
        m = len(buf) - FRAME + 1  # offsets where a whole frame fits
        # Every offset at once. uint8 addition wraps: the sum mod 256 is the checksum.
        head, status = a[:m], a[1 : m + 1]
        total = head + status + a[2 : m + 2] + a[3 : m + 3]
        ok = (head == 1) & (status >= 0x80) & (total == a[4 : m + 4])
        starts = np.flatnonzero(ok)
        pos = 0  # the next offset to judge
        while True:
            s = int(np.searchsorted(starts, pos))
            if s == len(starts):  # no frame starts at any offset from pos on
                if pos < m:  # pos is no frame: the packet in progress is cut
                    self._close_packet(out)
                    self._grow_gap(m - pos)
                    pos = m
                return pos
            start = int(starts[s])
            broken = start > pos or self._gap > 0
            if broken or not self._synced:
                self._skipped(start - pos)
            end = _run_end(ok, start)
            self._frames(buf, start, (end - start) // FRAME, out, broken)
            pos = end
            if pos >= m:
                return pos  # the frame due at pos is not whole yet: judged with the next bytes
            self._close_packet(out)  # pos is not a frame: the packet in progress is cut

    def _grow_gap(self, skipped: int) -> None:
        """Bytes judged not to start a frame: whole frames' worth count at once, so garbage
        that never ends (a wrong baud rate) shows as a storm of bad frames."""
        self._gap += skipped
        due = self._gap // FRAME
        self.bad_frames += due - self._gap_counted
        self._gap_counted = due

    def _skipped(self, skipped: int) -> None:
        """A valid frame follows ``skipped`` bytes (plus any carried over): the gap is over.
        Once in step, a started frame's worth counts as a bad frame; before the first valid
        frame only whole ones do (the partial first frame is not a bad one)."""
        self._grow_gap(skipped)
        if self._synced and self._gap % FRAME:
            self.bad_frames += 1
        self._gap = self._gap_counted = 0
        self._synced = True

    def _frames(self, buf: bytes, start: int, count: int, out: list[Record], broken: bool) -> None:
        """Consume ``count`` back-to-back valid frames from offset ``start``."""
        self.frames += count
        if broken:
            self._close_packet(out)
        stop = start + count * FRAME
        statuses = buf[start + 1 : stop : FRAME]
        pleth = buf[start + 2 : stop : FRAME]
        data = buf[start + 3 : stop : FRAME]
        # SYNC frames found by bytes-level scanning: one Python step per packet, not per frame.
        sync = statuses.translate(_SYNC_BIT)
        i = sync.find(1)
        self._extend(statuses[: i if i >= 0 else count], pleth, data, out, 0)
        while i >= 0:
            j = sync.find(1, i + 1)
            self._close_packet(out)
            self._in_packet = True
            self._extend(statuses[i : j if j >= 0 else count], pleth, data, out, i)
            i = j

    def _extend(
        self, statuses: bytes, pleth: bytes, data: bytes, out: list[Record], first: int
    ) -> None:
        """Frames ``first ...`` (their STATUS bytes given) continue the packet in progress."""
        if not self._in_packet or not statuses:
            return  # frames before the first SYNC, or after a full packet: no index known
        take = min(len(statuses), PACKET - len(self._statuses))
        self._statuses += statuses[:take]
        self._pleth += pleth[first : first + take]
        self._data += data[first : first + take]
        if len(self._statuses) == PACKET:
            out += packet_records(self._statuses, self._pleth, self._data)
            self._statuses = self._pleth = self._data = b""
            self._in_packet = False

    def _close_packet(self, out: list[Record]) -> None:
        """The packet in progress ends early: keep its pleth run, drop its values."""
        if self._in_packet and self._pleth:
            flags = status_flags(self._statuses)
            wave = Wave(r.PLETH, RATE_HZ, tuple(self._pleth))
            out.append(Record(RecordKind.WAVE, {}, flags, None, None, wave))
        self._statuses = self._pleth = self._data = b""
        self._in_packet = False


#: STATUS byte → 1 when its SYNC bit (bit 0) is set, else 0.
_SYNC_BIT = bytes(i & 1 for i in range(256))
_SMALL = 40  # frames: below this a Python check per frame beats numpy's fixed cost


def _aligned_frames(buf: bytes, whole: int) -> int:
    """How many good frames run back to back from offset 0 (stops at the first bad one)."""
    if whole <= _SMALL:
        for k in range(whole):
            i = k * FRAME
            if buf[i] != 1 or buf[i + 1] < 0x80 or (sum(buf[i : i + 4]) & 0xFF) != buf[i + 4]:
                return k
        return whole
    f = np.frombuffer(buf, dtype=np.uint8, count=whole * FRAME).reshape(whole, FRAME)
    good = (f[:, 0] == 1) & (f[:, 1] >= 0x80) & ((f[:, 0] + f[:, 1] + f[:, 2] + f[:, 3]) == f[:, 4])
    return whole if good.all() else int(good.argmin())


def _run_end(ok: np.ndarray, start: int) -> int:
    """Where the run of back-to-back frames from ``start`` ends: the first offset start + 5k
    that is no frame start (or the first one past the judged offsets). The window grows, so a
    long run costs a few numpy calls and a short one (in garbage) a small one, never O(n)."""
    m = len(ok)
    pos = start
    window = 32
    while pos < m:
        lane = ok[pos : pos + window * FRAME : FRAME]
        if not lane.all():
            return pos + int(lane.argmin()) * FRAME
        pos += len(lane) * FRAME
        window *= 4
    return pos
