"""Frame encoders for the simulators: values in, byte-exact frames, lines and replies out, as
each real device writes them (checksums included, absent values marked the device's way).
Pure, one module per wire format, the mirror images of the parsers in ``devices.feeds``.
"""
