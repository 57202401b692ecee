"""Serial feeds from monitors and pumps: one pure parser per wire format (bytes in, canonical
records out), the registry of formats with their line settings and allow-lists, and the
read-only guard every outgoing byte passes. Transport (ports, threads, reconnects) builds on
these; nothing here opens a port.
"""

from devices.feeds.guard import ReadOnlyGuard, ReadOnlyViolation
from devices.feeds.records import LinkState, Record, RecordKind, Wave
from devices.feeds.registry import PROTOCOLS, LineSettings, Parser, ProtocolSpec, protocol

__all__ = [
    "PROTOCOLS",
    "LineSettings",
    "LinkState",
    "Parser",
    "ProtocolSpec",
    "ReadOnlyGuard",
    "ReadOnlyViolation",
    "Record",
    "RecordKind",
    "Wave",
    "protocol",
]
