"""The canonical record: what every wire format turns into, whatever the device.

A parser yields :class:`Record` objects; the transport stamps them with the PC's receive time
and hands them on (timeline samples, alarms, ``feed tap``). Everything downstream speaks the
canonical channel names below (issue 3, item 2), never a device's own keys.

Rules every parser keeps (shared/protocols/README.md, "What every feed does"):

* ``values`` holds **only present values**. A dash, a sentinel number (Nonin SpO2 127, HR 511)
  or a missing field leaves the channel out: it is never 0 and never ``None``.
* Device conditions are named ``flags`` (Masimo EXC bits, Nonin status bits, pump alarms), so
  the alarm engine can tell a sensor-off (technical) from a low SpO2 (physiological).
* ``device_time`` is the device's own calendar clock where the format has one (naive: the
  device's clock has no zone); ``device_clock_s`` is a device clock without a date (roomctl-line
  ``T=``: seconds since the device started; Nonin text ``HH:MM:SS``: seconds since midnight).
* ``extra`` keeps device fields that are not canonical channels, verbatim as text (Masimo
  ``SN``/``ALARM``/``EXC``, unknown roomctl-line keys, New Era units): kept for the record and
  for debugging, never interpreted downstream.

Records are frozen; treat the ``values`` and ``extra`` mappings as read-only too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class RecordKind(StrEnum):
    """What a record is about; ``link`` records come from the transport, not from parsers."""

    VITALS = "vitals"
    NIBP = "nibp"
    PUMP = "pump"
    WAVE = "wave"
    EVENT = "event"
    LINK = "link"


# Canonical channels (issue 3, item 2). Units: /min, %, mmHg, °C, g/dL, mL, mL/h, mg/mL.
HR = "hr"
SPO2 = "spo2"
PI = "pi"
PVI = "pvi"
SPHB = "sphb"
SPCO = "spco"
SPMET = "spmet"
RR = "rr"
ETCO2 = "etco2"
TEMP = "temp"
NIBP_SYS = "nibp_sys"
NIBP_DIA = "nibp_dia"
NIBP_MAP = "nibp_map"
PLETH = "pleth"
PUMP_STATE = "pump_state"
PUMP_RATE_ML_H = "pump_rate_ml_h"
PUMP_VI_ML = "pump_vi_ml"
PUMP_VTBI_ML = "pump_vtbi_ml"
PUMP_DRUG = "pump_drug"
PUMP_CONC_MG_ML = "pump_conc_mg_ml"
# Bedside monitors (Ivy 450C, ivy-ansarb.md "Text lines"): the oximeter's pulse rate apart from
# the ECG's ``hr``, the cuff's own pulse, invasive pressures 1 and 2, a second temperature.
PR = "pr"
NIBP_PR = "nibp_pr"
IBP1_SYS = "ibp1_sys"
IBP1_DIA = "ibp1_dia"
IBP1_MAP = "ibp1_map"
IBP2_SYS = "ibp2_sys"
IBP2_DIA = "ibp2_dia"
IBP2_MAP = "ibp2_map"
TEMP2 = "temp2"
# Wave channels beside ``pleth`` (ivy-ansarb.md "Waves"): ECG in mV, respiration, pressures.
ECG = "ecg"
RESP = "resp"
IBP1 = "ibp1"
IBP2 = "ibp2"

#: Channels whose value is text; every other channel is a float.
TEXT_CHANNELS = frozenset({PUMP_STATE, PUMP_DRUG})
CHANNELS = (
    HR, SPO2, PI, PVI, SPHB, SPCO, SPMET, RR, ETCO2, TEMP, NIBP_SYS, NIBP_DIA, NIBP_MAP, PLETH,
    PUMP_STATE, PUMP_RATE_ML_H, PUMP_VI_ML, PUMP_VTBI_ML, PUMP_DRUG, PUMP_CONC_MG_ML,
    PR, NIBP_PR, IBP1_SYS, IBP1_DIA, IBP1_MAP, IBP2_SYS, IBP2_DIA, IBP2_MAP, TEMP2,
)  # fmt: skip
NUMERIC_CHANNELS = frozenset(CHANNELS) - TEXT_CHANNELS

#: ``pump_state`` values.
PUMP_STATES = frozenset({"RUN", "PAUSE", "STOP", "ALARM", "KVO"})

#: Keys of an ``event`` record's values (roomctl-line ``EVENT CODE= TEXT=``).
EVENT_CODE = "code"
EVENT_TEXT = "text"
#: Key of a ``link`` record's value: one of :class:`LinkState`.
LINK_STATE = "link"


class LinkState(StrEnum):
    """Link states the transport reports (issue 3, item 3)."""

    CONNECTED = "connected"
    STALE = "stale"
    DISCONNECTED = "disconnected"


# Flags. Masimo EXC bits (masimo-ascii1.md, "Exception bits").
NO_SENSOR = "no_sensor"
DEFECTIVE_SENSOR = "defective_sensor"
LOW_PERFUSION = "low_perfusion"
PULSE_SEARCH = "pulse_search"
INTERFERENCE = "interference"
SENSOR_OFF = "sensor_off"
AMBIENT_LIGHT = "ambient_light"
UNRECOGNISED_SENSOR = "unrecognised_sensor"
LOW_SIGNAL_IQ = "low_signal_iq"
MASIMO_SET = "masimo_set"
# Nonin OEM III status bits (nonin.md B).
SENSOR_DISCONNECT = "sensor_disconnect"
ARTIFACT = "artifact"
OUT_OF_TRACK = "out_of_track"
SENSOR_ALARM = "sensor_alarm"
PERFUSION_RED = "perfusion_red"
PERFUSION_YELLOW = "perfusion_yellow"
PERFUSION_GREEN = "perfusion_green"
# Nonin text markers (nonin.md A).
EVENT_MARKER = "event_marker"
FAST_VALUES = "fast_values"
BREATH_DETECTED = "breath_detected"
# Pumps: ``pump_alarm:<code>`` (roomctl-line ALARM code, New Era A?x), and New Era conditions.
PUMP_ALARM_PREFIX = "pump_alarm:"
PUMP_REPLY_ERROR_PREFIX = "pump_reply_error:"
WITHDRAWING = "withdrawing"
PURGING = "purging"
TIMED_PAUSE = "timed_pause"
WAITING_FOR_TRIGGER = "waiting_for_trigger"
CONTINUOUS_PUMPING = "continuous_pumping"
# Ivy 450C text lines (ivy-ansarb.md "Text lines"): a line's label (ECG lead, or a message such
# as ``APNEA: 20 SEC``) and alarm text, verbatim: ``<group>_label:<text>``, ``<group>_alarm:<text>``
# (group: hr, rr, etco2, spo2, nibp, ibp1, ibp2, temp, temp2). The texts are not documented,
# so they are shown, never interpreted.
LABEL_SUFFIX = "_label:"
ALARM_TEXT_SUFFIX = "_alarm:"

#: Flags meaning "no usable sensor on the patient": a technical alarm, not a physiological one.
SENSOR_OFF_FLAGS = frozenset({NO_SENSOR, SENSOR_OFF, DEFECTIVE_SENSOR, SENSOR_DISCONNECT})

NO_FLAGS: frozenset[str] = frozenset()
Value = float | str


@dataclass(frozen=True, slots=True)
class Wave:
    """Evenly spaced samples of one wave channel; the first sample is the oldest."""

    channel: str
    rate_hz: float
    samples: tuple[float, ...]


@dataclass(frozen=True, slots=True, init=False)
class Record:
    """One reading from a device, in canonical terms (see the module docstring)."""

    kind: RecordKind
    values: Mapping[str, Value]
    flags: frozenset[str]
    device_time: datetime | None
    device_clock_s: float | None
    wave: Wave | None
    extra: Mapping[str, str]

    def __init__(
        self,
        kind: RecordKind,
        values: Mapping[str, Value] | None = None,
        flags: frozenset[str] = NO_FLAGS,
        device_time: datetime | None = None,
        device_clock_s: float | None = None,
        wave: Wave | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        # Hand-written because the generated frozen __init__ costs ~2.6 µs per record on this
        # machine (object.__setattr__ looked up per field) and Masimo's budget is 5 µs a line
        # (issue 3, item 10). Slot descriptors set the same fields in a third of the time.
        _set_kind(self, kind)
        _set_values(self, {} if values is None else values)
        _set_flags(self, flags)
        _set_device_time(self, device_time)
        _set_device_clock_s(self, device_clock_s)
        _set_wave(self, wave)
        _set_extra(self, {} if extra is None else extra)

    @classmethod
    def link(cls, state: LinkState, *, detail: str | None = None) -> Record:
        """A link-state record, as the transport reports it."""
        return cls(
            RecordKind.LINK, {LINK_STATE: str(state)}, extra={"detail": detail} if detail else None
        )

    def numeric(self) -> dict[str, float]:
        """The numeric values alone (what the alarm engine and timeline samples take)."""
        return {k: v for k, v in self.values.items() if not isinstance(v, str)}

    def pump_alarms(self) -> list[str]:
        """The pump alarm codes among the flags (``pump_alarm:<code>``), sorted."""
        n = len(PUMP_ALARM_PREFIX)
        return sorted(f[n:] for f in self.flags if f.startswith(PUMP_ALARM_PREFIX))

    def as_tap(self, t: float) -> dict[str, Any]:
        """The JSON shape of ``roomctl feed tap`` (issue 3, item 6) at ``t`` seconds.

        Absent values are simply not in ``values``; waves add ``channel``, ``rate_hz`` and
        ``samples``; a dateless device clock adds ``device_clock_s``.
        """
        data: dict[str, Any] = {
            "kind": str(self.kind),
            "t": t,
            "values": dict(self.values),
            "flags": sorted(self.flags),
            "device_time": None if self.device_time is None else self.device_time.isoformat(),
        }
        if self.device_clock_s is not None:
            data["device_clock_s"] = self.device_clock_s
        if self.wave is not None:
            data["channel"] = self.wave.channel
            data["rate_hz"] = self.wave.rate_hz
            data["samples"] = list(self.wave.samples)
        return data


_set_kind = Record.kind.__set__  # type: ignore[attr-defined]
_set_values = Record.values.__set__  # type: ignore[attr-defined]
_set_flags = Record.flags.__set__  # type: ignore[attr-defined]
_set_device_time = Record.device_time.__set__  # type: ignore[attr-defined]
_set_device_clock_s = Record.device_clock_s.__set__  # type: ignore[attr-defined]
_set_wave = Record.wave.__set__  # type: ignore[attr-defined]
_set_extra = Record.extra.__set__  # type: ignore[attr-defined]


def problems(record: Record) -> list[str]:
    """What is wrong with a record against the model's rules (used by the tests on every
    record every parser yields): empty when the record is well formed."""
    found: list[str] = []
    allowed: frozenset[str] | set[str] = set(CHANNELS)
    if record.kind is RecordKind.EVENT:
        allowed = {EVENT_CODE, EVENT_TEXT}
    elif record.kind is RecordKind.LINK:
        allowed = {LINK_STATE}
    for key, value in record.values.items():
        if key not in allowed:
            found.append(f"unknown key {key!r} for kind {record.kind}")
        if value is None:
            found.append(f"{key} is None (absent values must be left out)")
        elif key in NUMERIC_CHANNELS and (isinstance(value, str) or value != value):
            found.append(f"{key}={value!r} is not a number")
        elif key in TEXT_CHANNELS and not isinstance(value, str):
            found.append(f"{key}={value!r} is not text")
    if record.values.get(PUMP_STATE, "RUN") not in PUMP_STATES:
        found.append(f"pump_state {record.values[PUMP_STATE]!r} is not one of {PUMP_STATES}")
    if (record.kind is RecordKind.WAVE) != (record.wave is not None):
        found.append("a wave record, and only a wave record, carries a wave")
    if record.wave is not None and (record.wave.rate_hz <= 0 or not record.wave.samples):
        found.append("a wave needs a positive rate and at least one sample")
    return found
