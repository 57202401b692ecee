"""What each simulated device writes: the simulated patient's numbers, encoded byte for byte in
the device's own wire format, at the device's real rate.

A source is pure: ``tick(t)`` returns the bytes due at scenario time ``t`` (a monitor's line,
three Nonin packets a second...), ``answer(query, t)`` a polled pump's reply. The pseudo-terminal
loop in :mod:`devices.sim.pty_device` decides when to call them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from devices.feeds.records import RecordKind
from devices.sim.frames import (
    ivy_ansarb,
    masimo_ascii1,
    newera_basic,
    nonin_oem3,
    nonin_text,
    roomctl_line,
)
from devices.sim.physiology import Physiology, ketamine_pump

MONITOR_PROTOCOLS = ("masimo-ascii1", "nonin-text", "nonin-oem3", "roomctl-line", "ivy-ansarb")
PUMP_PROTOCOLS = ("roomctl-line", "newera-basic")
DEVICE_EPOCH = datetime(2026, 11, 25, 9, 0, 0)  # the simulated devices' clocks start here


class Source(Protocol):
    ticks_per_s: float
    polled: bool

    def tick(self, t: float) -> bytes: ...

    def answer(self, query: bytes, t: float) -> bytes: ...


@dataclass
class MonitorSource:
    """A bedside monitor or oximeter; roomctl-line and the Ivy measure NIBP every
    ``nibp_every_s`` (roomctl-line sends each measurement once, the Ivy repeats the last one in
    every message, as the real monitor does)."""

    protocol: str
    patient: Physiology
    nibp_every_s: float | None = 300.0
    polled: bool = False
    _last_cuff: int = -1

    def __post_init__(self) -> None:
        if self.protocol not in MONITOR_PROTOCOLS:
            known = ", ".join(MONITOR_PROTOCOLS)
            raise ValueError(f"no monitor simulator for {self.protocol!r} (known: {known})")

    @property
    def ticks_per_s(self) -> float:
        # Nonin OEM III: 75 frames/s in packets of 25, written three packets a second.
        return 3.0 if self.protocol == "nonin-oem3" else 1.0

    def tick(self, t: float) -> bytes:
        p = self.patient
        v = p.vitals(t)
        if self.protocol == "masimo-ascii1":
            values = {
                k: x for k, x in (("spo2", v.spo2), ("hr", v.hr), ("pi", v.pi)) if x is not None
            }
            flags = ("sensor_off",) if v.sensor_off else ()
            return masimo_ascii1.encode_line(
                values, device_time=DEVICE_EPOCH + timedelta(seconds=int(t)), flags=flags
            )
        if self.protocol == "nonin-text":
            return nonin_text.encode_line(v.spo2, v.hr)
        if self.protocol == "ivy-ansarb":
            return ivy_message(p, t, self.nibp_every_s)
        if self.protocol == "nonin-oem3":
            start = t
            pleth = [round(255 * p.pleth(start + i / 75.0)) for i in range(nonin_oem3.PACKET)]
            flags = ("sensor_disconnect",) if v.sensor_off else ()
            return nonin_oem3.encode_packet(hr=v.hr, spo2=v.spo2, pleth=pleth, flags=flags)
        out = roomctl_line.encode(
            RecordKind.VITALS,
            {"hr": v.hr, "spo2": v.spo2, "rr": v.rr, "etco2": v.etco2, "temp": v.temp, "pi": v.pi},
            clock_s=t,
        )
        if self.nibp_every_s and int(t // self.nibp_every_s) != self._last_cuff:
            self._last_cuff = int(t // self.nibp_every_s)
            c = p.cuff(t)
            out += roomctl_line.encode(
                RecordKind.NIBP,
                {"nibp_sys": c.sys, "nibp_dia": c.dia, "nibp_map": c.map, "hr": c.hr},
                clock_s=t,
            )
        return out

    def answer(self, query: bytes, t: float) -> bytes:
        return b""  # a streaming monitor ignores whatever it is sent


def ivy_message(p: Physiology, t: float, nibp_every_s: float | None) -> bytes:
    """The Ivy 450C's message at ``t``: the numbers now, the waves of the second before, and
    the cuff reading of the latest measurement (one every ``nibp_every_s`` from t = 0), which
    the monitor repeats each second until the next. HR is the ECG's, so a pulled oximeter
    probe (sensor-off) empties SpO2, PR and the pleth but not HR. No invasive line in this
    room: P1 and P2 say NO TRANSDUCER, as the capture's P2 does."""
    v = p.vitals(t)
    hr = p.hr(t)
    values: dict[str, float | None] = {
        "hr": hr, "rr": v.rr, "etco2": v.etco2, "spo2": v.spo2, "pr": v.hr, "temp": v.temp,
    }  # fmt: skip
    if nibp_every_s:
        cuff = p.cuff(int(t // nibp_every_s) * nibp_every_s)
        values.update(nibp_sys=cuff.sys, nibp_dia=cuff.dia, nibp_map=cuff.map, nibp_pr=cuff.hr)
    second = t - 1.0
    waves = {
        "ecg": [_ecg_mv(second + i / 200.0, hr) for i in range(200)],
        "resp": [_capnogram(second + i / 50.0, v.rr, v.etco2) for i in range(50)],
        "pleth": [100.0 * p.pleth(second + i / 50.0) for i in range(50)],
    }
    flags = ("hr_label:ECG-II", "ibp1_label:NO TRANSDUCER", "ibp2_label:NO TRANSDUCER")
    return ivy_ansarb.encode(values, waves=waves, flags=flags)


#: ECG lead II, one beat: (centre in the beat, width, mV) of the P wave, Q, R, S and T.
_PQRST = ((0.12, 0.03, 0.12), (0.235, 0.01, -0.12), (0.25, 0.012, 1.2), (0.265, 0.012, -0.3),
          (0.5, 0.06, 0.3))  # fmt: skip


def _ecg_mv(s: float, hr: float | None) -> float:
    """Lead II in mV at instant ``s`` of a heart beating at ``hr``."""
    if not hr:
        return 0.0
    x = (s * hr / 60.0) % 1.0
    return sum(mv * math.exp(-(((x - centre) / width) ** 2)) for centre, width, mv in _PQRST)


def _capnogram(s: float, rr: float | None, etco2: float | None) -> float:
    """CO2 in mmHg at instant ``s``: a steep rise to the end-tidal plateau while breathing
    out, a fall to zero on breathing in (the resp wave is the capnogram when EtCO2 is on)."""
    if not rr or etco2 is None:
        return 0.0
    phase = (s * rr / 60.0) % 1.0
    if phase < 0.5:
        return etco2 * (1.0 - math.exp(-phase / 0.05)) * (0.95 + 0.1 * phase)
    return etco2 * max(0.0, 1.0 - (phase - 0.5) / 0.06)


@dataclass
class PumpSource:
    """A syringe pump running 0.5 mg/kg ketamine over the planned minutes."""

    protocol: str
    minutes: float = 40.0
    weight_kg: float = 70.0
    starts_at_s: float = 0.0
    ticks_per_s: float = 1.0

    def __post_init__(self) -> None:
        if self.protocol not in PUMP_PROTOCOLS:
            known = ", ".join(PUMP_PROTOCOLS)
            raise ValueError(f"no pump simulator for {self.protocol!r} (known: {known})")

    @property
    def polled(self) -> bool:
        return self.protocol == "newera-basic"

    def tick(self, t: float) -> bytes:
        if self.polled:
            return b""  # New Era speaks only when spoken to
        pump = ketamine_pump(
            t, weight_kg=self.weight_kg, minutes=self.minutes, starts_at_s=self.starts_at_s
        )
        return roomctl_line.encode(
            RecordKind.PUMP,
            {
                "pump_state": pump.state,
                "pump_rate_ml_h": pump.rate_ml_h,
                "pump_vi_ml": pump.vi_ml,
                "pump_vtbi_ml": pump.vtbi_ml,
                "pump_drug": pump.drug,
                "pump_conc_mg_ml": pump.conc_mg_ml,
            },
            clock_s=t,
        )

    def answer(self, query: bytes, t: float) -> bytes:
        if not self.polled:
            return b""
        pump = ketamine_pump(
            t, weight_kg=self.weight_kg, minutes=self.minutes, starts_at_s=self.starts_at_s
        )
        panel = newera_basic.PumpPanel(
            status="I" if pump.state != "STOP" else "S",
            rate=pump.rate_ml_h,
            infused=pump.vi_ml,
            volume=pump.vtbi_ml,
        )
        return newera_basic.answer(query, panel)
