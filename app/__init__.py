"""The composition root: the command line, start-up, and the wiring of core and devices.

One process-wide setting belongs here, before anything imports numpy: its BLAS must run on one
thread. The soundscape engine does small matrix products every 85 ms; OpenBLAS's default
worker threads spin between them and took a whole core for the drone and bowls presets
(6 % with one thread).
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
