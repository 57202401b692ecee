"""Room lights on Philips Hue (phue): scene conversions, a safe bridge, pairing, the adapter."""
