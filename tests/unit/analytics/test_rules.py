"""Analytics' pure rules: UTC days, the range cap, batches of 100 days, roll-up to weeks and months, top N."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from souk.analytics import rules


def test_a_moment_counts_on_its_utc_day() -> None:
    late_in_new_york = datetime(2026, 3, 1, 22, 30, tzinfo=timezone(timedelta(hours=-5)))
    assert rules.utc_day(late_in_new_york) == date(2026, 3, 2)
    assert rules.utc_day(datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == date(2026, 3, 1)


def test_the_range_is_capped_at_366_days_and_must_not_run_backwards() -> None:
    start = date(2025, 1, 1)
    assert len(rules.days_in(start, start + timedelta(days=365))) == 366
    assert rules.days_in(start, start) == [start]
    with pytest.raises(ValueError, match="367 days"):
        rules.days_in(start, start + timedelta(days=366))
    with pytest.raises(ValueError, match="before"):
        rules.days_in(start, start - timedelta(days=1))


def test_days_are_read_in_batches_of_100() -> None:
    days = rules.days_in(date(2025, 1, 1), date(2025, 12, 31))
    assert [len(b) for b in rules.batches(days)] == [100, 100, 100, 65]
    assert rules.batches([]) == []


def test_days_roll_up_to_iso_weeks_and_months_with_zeros_where_nothing_happened() -> None:
    days = rules.days_in(date(2026, 1, 28), date(2026, 2, 3))  # Wed 28 Jan .. Tue 3 Feb
    values = {date(2026, 1, 28): 2, date(2026, 2, 1): 5, date(2026, 2, 2): 1}
    assert rules.roll_up(values, days, "week") == [(date(2026, 1, 26), 7), (date(2026, 2, 2), 1)]
    assert rules.roll_up(values, days, "month") == [(date(2026, 1, 1), 2), (date(2026, 2, 1), 6)]
    daily = rules.roll_up(values, days, "day")
    assert len(daily) == 7 and daily[1] == (date(2026, 1, 29), 0)


def test_top_products_sum_per_bucket_and_keep_the_top_n_by_count_then_id() -> None:
    days = [date(2026, 2, 2), date(2026, 2, 3)]
    values = {days[0]: Counter({"b": 2, "a": 1}), days[1]: Counter({"a": 1, "c": 5})}
    assert rules.roll_up_counts(values, days, "week", top=2) == [(date(2026, 2, 2), [("c", 5), ("a", 2)])]
    assert rules.roll_up_counts(values, days, "day", top=3)[0] == (days[0], [("b", 2), ("a", 1)])
