"""Order statistics for small samples of timings.

Cold starts are noisy (page cache, CPU frequency, the other core's load), so the bench
reports the median and the 90th percentile rather than a mean that one outlier moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) by linear interpolation between closest ranks.

    Linear interpolation (NumPy's default) keeps p90 meaningful with 7 to 10 samples,
    where a nearest-rank p90 would just be the maximum.
    """
    if not samples:
        raise ValueError("no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be within [0, 1], got {fraction}")
    ordered = sorted(samples)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 0.5)


@dataclass(frozen=True)
class Summary:
    """Median and p90 of one measured thing, in the samples' unit (milliseconds here)."""

    median: float
    p90: float
    runs: int

    @classmethod
    def of(cls, samples: Sequence[float]) -> Summary:
        return cls(median=median(samples), p90=percentile(samples, 0.9), runs=len(samples))


def ratio(value: float, reference: float | None) -> float | None:
    """``value / reference``, or None when there is no usable reference."""
    if reference is None or reference <= 0:
        return None
    return value / reference
