"""How each canonical channel is named, measured and drawn outside roomctl.

The timeline stores readings under the feeds' canonical names (``hr``, ``nibp_sys``, ...; see
``devices/feeds/records.py``, which the core may not import). Exports speak other people's
languages: VitalDB wants ``device/TRACK`` names with units and display ranges, a report wants a
label. One table keeps those answers together, so the four formats agree with one another.

The store cannot list a session's channels, so exports ask for every channel named here: a
channel missing from this table would be left out of every export, and
``tests/test_exports.py`` checks the table against the feeds' list.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    """One channel as the outside world sees it.

    ``track`` is the VitalDB ``device/TRACK`` name; ``low``/``high`` the display range
    (VitalRecorder's mindisp/maxdisp and the report's axis).
    """

    channel: str
    track: str
    unit: str
    label: str
    low: float
    high: float


def _c(channel: str, track: str, unit: str, label: str, low: float, high: float) -> ChannelInfo:
    return ChannelInfo(channel, track, unit, label, low, high)


#: Numeric channels (samples), in the order exports list them.
SAMPLE_CHANNELS: tuple[ChannelInfo, ...] = (
    _c("hr", "Monitor/HR", "/min", "HR", 0, 200),
    _c("pr", "Monitor/PR", "/min", "Pulse rate (SpO2)", 0, 200),
    _c("spo2", "Monitor/SPO2", "%", "SpO2", 80, 100),
    _c("pi", "Monitor/PI", "%", "Perfusion index", 0, 20),
    _c("pvi", "Monitor/PVI", "%", "PVI", 0, 100),
    _c("sphb", "Monitor/SPHB", "g/dL", "SpHb", 0, 20),
    _c("spco", "Monitor/SPCO", "%", "SpCO", 0, 40),
    _c("spmet", "Monitor/SPMET", "%", "SpMet", 0, 15),
    _c("rr", "Monitor/RR", "/min", "RR", 0, 40),
    _c("etco2", "Monitor/ETCO2", "mmHg", "EtCO2", 0, 60),
    _c("temp", "Monitor/TEMP", "°C", "Temperature", 30, 42),
    _c("temp2", "Monitor/TEMP2", "°C", "Temperature 2", 30, 42),
    _c("nibp_sys", "NIBP/SYS", "mmHg", "NIBP sys", 0, 250),
    _c("nibp_dia", "NIBP/DIA", "mmHg", "NIBP dia", 0, 250),
    _c("nibp_map", "NIBP/MAP", "mmHg", "NIBP mean", 0, 250),
    _c("nibp_pr", "NIBP/PR", "/min", "Cuff pulse", 0, 200),
    _c("ibp1_sys", "Monitor/IBP1_SYS", "mmHg", "IBP1 sys", 0, 250),
    _c("ibp1_dia", "Monitor/IBP1_DIA", "mmHg", "IBP1 dia", 0, 250),
    _c("ibp1_map", "Monitor/IBP1_MAP", "mmHg", "IBP1 mean", 0, 250),
    _c("ibp2_sys", "Monitor/IBP2_SYS", "mmHg", "IBP2 sys", 0, 250),
    _c("ibp2_dia", "Monitor/IBP2_DIA", "mmHg", "IBP2 dia", 0, 250),
    _c("ibp2_map", "Monitor/IBP2_MAP", "mmHg", "IBP2 mean", 0, 250),
    _c("pump_rate_ml_h", "Pump/RATE", "mL/h", "Pump rate", 0, 200),
    _c("pump_vi_ml", "Pump/VOL", "mL", "Volume infused", 0, 100),
    _c("pump_vtbi_ml", "Pump/VTBI", "mL", "Volume to be infused", 0, 100),
    _c("pump_conc_mg_ml", "Pump/CONC", "mg/mL", "Concentration", 0, 10),
)

#: Waveform channels (wave chunks), at their own rate.
WAVE_CHANNELS: tuple[ChannelInfo, ...] = (
    _c("pleth", "Monitor/PLETH", "", "Pleth", 0, 100),
    _c("ecg", "Monitor/ECG", "mV", "ECG", -2, 2),
    _c("resp", "Monitor/RESP", "", "Respiration", 0, 100),
    _c("ibp1", "Monitor/IBP1", "mmHg", "IBP1", 0, 200),
    _c("ibp2", "Monitor/IBP2", "mmHg", "IBP2", 0, 200),
)

#: Text tracks built from events rather than samples.
PUMP_STATE_TRACK = "Pump/STATE"
PUMP_DRUG_TRACK = "Pump/DRUG"
EVENT_TRACK = "EVENT"

_BY_NAME = {info.channel: info for info in SAMPLE_CHANNELS + WAVE_CHANNELS}


def channel_info(channel: str) -> ChannelInfo:
    """The table's entry, or a plain one (``Monitor/<NAME>``, no unit) for an unknown name."""
    found = _BY_NAME.get(channel)
    if found is not None:
        return found
    return ChannelInfo(channel, f"Monitor/{channel.upper()}", "", channel, 0, 0)
