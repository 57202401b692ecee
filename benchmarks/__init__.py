"""Benchmarks: ``python -m benchmarks.<name> --help``.

numpy's BLAS runs on one thread here, as in the app (see app/__init__.py): the figures are the
product's, not those of a BLAS spinning its workers.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
