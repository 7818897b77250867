"""Durations as fixed histogram buckets, so a median or p90 over any range is recombined
from daily rollup rows (DailyRollup.buckets) without the raw rows: a day's buckets are
counted once, any range's are the days' sums, and a quantile is read off the sum.

The bounds are in minutes and never change (stored rows depend on them); a quantile is
exact to within its bucket, which is as fine as a response-time target needs (1, 2, 5,
15 minutes; an hour; a working day; two days)."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import pairwise

# Lower bounds of the buckets in minutes: 0-1, 1-2, 2-5, …, 1440-2880, 2880 and more.
BOUNDS: tuple[int, ...] = (0, 1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440, 2880)
BUCKETS = len(BOUNDS)
LABELS: tuple[str, ...] = (
    *(f"{low}–{high} min" for low, high in pairwise(BOUNDS)),
    f"{BOUNDS[-1]}+ min",
)


def bucket_of(minutes: float | Decimal) -> int:
    """The bucket a duration falls in: a bucket holds its lower bound, not its upper one.
    A negative duration (clocks that disagree) counts as 0."""
    value = float(minutes)
    if math.isnan(value):
        raise ValueError("a duration cannot be NaN")
    return max(bisect_right(BOUNDS, value) - 1, 0)


def bucket_counts(values: Iterable[float | Decimal]) -> list[int]:
    """How many of the durations (in minutes) fall in each bucket."""
    counts = [0] * BUCKETS
    for value in values:
        counts[bucket_of(value)] += 1
    return counts


def combine(bucket_lists: Iterable[Sequence[int] | None]) -> list[int]:
    """The buckets of several days (or scopes) added up; None (a day without durations)
    adds nothing."""
    total = [0] * BUCKETS
    for buckets in bucket_lists:
        if buckets is None:
            continue
        if len(buckets) != BUCKETS:
            raise ValueError(f"expected {BUCKETS} buckets, got {len(buckets)}")
        for n, count in enumerate(buckets):
            total[n] += count
    return total


def quantile(buckets: Sequence[int], q: float) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1; 0.5 is the median) in minutes, or None when there is
    nothing to count.

    1. The quantile's rank is q × the number of durations.
    2. The bucket that holds it is the first whose running total reaches the rank.
    3. Inside it, durations are taken as spread evenly: the answer lies as far between the
       bucket's bounds as the rank lies between the totals before and after the bucket.
    The last bucket has no upper bound: a quantile that falls in it is its lower bound
    (the answer is then "at least two days")."""
    if not 0 <= q <= 1:
        raise ValueError("q must lie between 0 and 1")
    if len(buckets) != BUCKETS:
        raise ValueError(f"expected {BUCKETS} buckets, got {len(buckets)}")
    total = sum(buckets)
    if total == 0:
        return None
    rank = q * total
    before = 0
    for n, count in enumerate(buckets):
        if count and before + count >= rank:
            low = BOUNDS[n]
            if n == BUCKETS - 1:
                return float(low)
            high = BOUNDS[n + 1]
            return low + (high - low) * max(rank - before, 0) / count
        before += count
    raise AssertionError("unreachable: the last non-empty bucket reaches the total")
