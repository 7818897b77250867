"""Duration buckets: counting, adding up days, and quantiles read off the sum."""

from __future__ import annotations

from decimal import Decimal

import pytest

from metrics.histogram import BOUNDS, BUCKETS, LABELS, bucket_counts, bucket_of, combine, quantile


def test_the_buckets_are_the_fixed_minute_bounds():
    assert BOUNDS == (0, 1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 1440, 2880)
    assert LABELS[0] == "0–1 min" and LABELS[-1] == "2880+ min"
    assert len(LABELS) == BUCKETS == 13


@pytest.mark.parametrize(
    ("minutes", "bucket"),
    [(0, 0), (0.99, 0), (1, 1), (4.5, 2), (5, 3), (59, 6), (60, 7), (2879, 11), (2880, 12)],
)
def test_a_bucket_holds_its_lower_bound_not_its_upper_one(minutes, bucket):
    assert bucket_of(minutes) == bucket


def test_a_negative_duration_counts_as_zero_and_nan_is_refused():
    assert bucket_of(-3) == 0
    with pytest.raises(ValueError):
        bucket_of(float("nan"))


def test_bucket_counts_take_floats_and_decimals():
    counts = bucket_counts([0.5, Decimal("1.5"), 3, 3, 10_000])
    assert counts == [1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    assert bucket_counts([]) == [0] * BUCKETS


def test_combine_adds_days_and_skips_days_without_durations():
    monday = bucket_counts([0.5, 3])
    tuesday = bucket_counts([3, 3, 90])
    total = combine([monday, None, tuesday])
    assert total == bucket_counts([0.5, 3, 3, 3, 90])
    assert combine([]) == [0] * BUCKETS
    with pytest.raises(ValueError):
        combine([[1, 2]])


def test_no_durations_is_no_data_yet_not_zero():
    assert quantile([0] * BUCKETS, 0.5) is None
    assert quantile(combine([None, None]), 0.9) is None


def test_quantiles_interpolate_inside_the_bucket():
    # Ten durations in 2–5 minutes: spread evenly, the median lies halfway, at 3.5.
    buckets = bucket_counts([3] * 10)
    assert quantile(buckets, 0.5) == pytest.approx(3.5)
    assert quantile(buckets, 0) == pytest.approx(2)
    assert quantile(buckets, 1) == pytest.approx(5)
    assert quantile(buckets, 0.9) == pytest.approx(4.7)


def test_quantiles_across_buckets_follow_the_running_total():
    # 4 in 0–1, 4 in 10–15, 2 in 60–120: rank 5 of 10 is the first of the 10–15 bucket's
    # four, a quarter of the way in; p90 (rank 9) is halfway through 60–120.
    buckets = bucket_counts([0.2] * 4 + [12] * 4 + [70] * 2)
    assert quantile(buckets, 0.5) == pytest.approx(11.25)
    assert quantile(buckets, 0.9) == pytest.approx(90)
    assert quantile(buckets, 0.4) == pytest.approx(1)  # the rank ends the first bucket


def test_a_quantile_in_the_open_last_bucket_is_its_lower_bound():
    assert quantile(bucket_counts([1, 5000, 9000]), 0.9) == 2880


def test_the_median_of_combined_days_is_the_median_of_all_their_durations():
    days = [[0.5, 1.5, 7], [8, 9], [600, 700, 3000]]
    combined = combine(bucket_counts(d) for d in days)
    assert combined == bucket_counts([v for d in days for v in d])
    # Rank 4 of 8 is the second of the three in 5–10: two thirds in (the raw median is 8).
    assert quantile(combined, 0.5) == pytest.approx(5 + 5 * 2 / 3)
    with pytest.raises(ValueError):
        quantile(combined, 1.5)
