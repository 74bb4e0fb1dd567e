"""Pure rules of analytics: UTC days, the range cap, roll-up of days to weeks and months, top N."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Literal

Interval = Literal["day", "week", "month"]
MAX_DAYS = 366  # a range longer than this is 400
BATCH_DAYS = 100  # one BatchGetItem reads at most 100 keys
TOP_N = 10


def utc_day(moment: datetime) -> date:
    """The UTC day of a moment (a naive datetime is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


def days_in(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive; ValueError beyond :data:`MAX_DAYS` or reversed."""
    if end < start:
        raise ValueError("'to' is before 'from'")
    count = (end - start).days + 1
    if count > MAX_DAYS:
        raise ValueError(f"the range spans {count} days; at most {MAX_DAYS}")
    return [start + timedelta(days=i) for i in range(count)]


def batches(days: list[date], size: int = BATCH_DAYS) -> list[list[date]]:
    return [days[i : i + size] for i in range(0, len(days), size)]


def bucket_start(day: date, interval: Interval) -> date:
    """The first day of the bucket holding ``day``: itself, its ISO week's Monday, its month's 1st."""
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def roll_up(values: dict[date, int], days: list[date], interval: Interval) -> list[tuple[date, int]]:
    """Sum per bucket, in order, one point per bucket touched by ``days`` (zero where nothing)."""
    sums: dict[date, int] = {}
    for day in days:
        start = bucket_start(day, interval)
        sums[start] = sums.get(start, 0) + values.get(day, 0)
    return sorted(sums.items())


def roll_up_counts(values: dict[date, Counter[str]], days: list[date], interval: Interval,
                   top: int = TOP_N) -> list[tuple[date, list[tuple[str, int]]]]:  # fmt: skip
    """Per bucket, the ``top`` keys by count (ties by key), for top products."""
    sums: dict[date, Counter[str]] = {}
    for day in days:
        start = bucket_start(day, interval)
        sums.setdefault(start, Counter()).update(values.get(day, Counter()))
    return [(start, sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top])
            for start, counts in sorted(sums.items())]  # fmt: skip
