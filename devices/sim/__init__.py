"""Simulators that are part of the product: the demo and the tests reach the real wire through
them (a Hue bridge on loopback here; the monitor and pump on pseudo-terminals)."""
