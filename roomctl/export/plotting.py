"""Traces made small enough to draw: min/max per bucket, and breaks where data stopped.

Three hours of 75 Hz pleth are 810 000 points; a page column is about 1 500 pixels wide at print
resolution. Keeping each bucket's minimum and maximum draws the same picture as every point
(a spike stays a spike) from two points per bucket, so the PDF is small and quick to write.
A gap in the data (a feed lost, the cuff not yet measured) is kept as a gap: a line is broken
there rather than drawn across time nobody measured.
"""

from __future__ import annotations

import numpy as np

#: Buckets across a plot: about one per pixel of a page-wide plot at 200 dpi.
BUCKETS = 1400


def gap_threshold(t: np.ndarray, minimum_s: float = 30.0) -> float:
    """How far apart two points must be to count as a gap: 5x the usual spacing, or 30 s."""
    if len(t) < 3:
        return np.inf
    return max(minimum_s, 5.0 * float(np.median(np.diff(t))))


def _break_gaps(t: np.ndarray, *columns: np.ndarray, gap_s: float) -> list[np.ndarray]:
    """Insert a NaN row wherever ``t`` jumps by more than ``gap_s`` (matplotlib breaks there)."""
    at = np.flatnonzero(np.diff(t) > gap_s) + 1
    if not len(at):
        return [t, *columns]
    return [np.insert(column.astype(float), at, np.nan) for column in (t, *columns)]


def envelope(
    t: np.ndarray, v: np.ndarray, t_from: float, t_to: float, buckets: int = BUCKETS
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times, lows, highs)`` of ``v`` over ``t`` (sorted): one row per bucket with data.

    With few points, every point is its own row (low == high). NaN values are left out; rows
    separated by a gap get a NaN row between them.
    """
    keep = ~np.isnan(v)
    t, v = np.asarray(t, dtype=float)[keep], np.asarray(v, dtype=float)[keep]
    if not len(t):
        empty = np.empty(0)
        return empty, empty, empty
    gap_s = gap_threshold(t)
    if len(t) <= 2 * buckets or t_to <= t_from:
        times, lows, highs = _break_gaps(t, v, v, gap_s=gap_s)
        return times, lows, highs
    index = np.clip(((t - t_from) / (t_to - t_from) * buckets).astype(np.int64), 0, buckets - 1)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(index)) + 1))
    ends = np.concatenate((starts[1:], [len(t)])) - 1
    lows = np.minimum.reduceat(v, starts)
    highs = np.maximum.reduceat(v, starts)
    times = (t[starts] + t[ends]) / 2.0
    # A gap is judged on the raw times at the buckets' edges, not on the bucket centres.
    at = np.flatnonzero(t[starts[1:]] - t[ends[:-1]] > gap_s) + 1
    if len(at):
        times, lows, highs = (np.insert(a, at, np.nan) for a in (times, lows, highs))
    return times, lows, highs


def line_points(
    t: np.ndarray, v: np.ndarray, t_from: float, t_to: float, buckets: int = BUCKETS
) -> tuple[np.ndarray, np.ndarray]:
    """One polyline through each bucket's low and high, for a trace drawn as a line."""
    times, lows, highs = envelope(t, v, t_from, t_to, buckets)
    if np.array_equal(lows, highs, equal_nan=True):
        return times, lows
    return np.repeat(times, 2), np.column_stack((lows, highs)).ravel()
