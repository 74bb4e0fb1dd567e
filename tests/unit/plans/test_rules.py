"""Entitlement rules, pure: status to access with the past_due grace, and the billing period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.plans.catalog import FREE, PLANS
from souk.plans.rules import add_months, calendar_month, current_period, granted_plan, period_key

PRO = PLANS["pro"]
NOW = datetime(2026, 12, 7, tzinfo=UTC)
GRACE = timedelta(days=7)


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("status", "since", "granted"), [
    ("active", None, "pro"), ("trialing", None, "pro"),
    ("past_due", NOW - timedelta(days=6), "pro"), ("past_due", None, "pro"),
    ("past_due", NOW - GRACE, "free"), ("past_due", NOW - timedelta(days=30), "free"),
    ("incomplete", None, "free"), ("incomplete_expired", None, "free"), ("unpaid", None, "free"),
    ("canceled", None, "free"), ("paused", None, "free"),
])  # fmt: skip
def test_status_to_access(status: str, since: datetime | None, granted: str) -> None:
    assert granted_plan(PRO, status, past_due_since=since, now=NOW, grace=GRACE).id == granted


def test_free_stays_free_whatever_the_status() -> None:
    assert granted_plan(FREE, "active", past_due_since=None, now=NOW, grace=GRACE) is FREE


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (at(2026, 1, 31), 1, at(2026, 2, 28)), (at(2028, 1, 31), 1, at(2028, 2, 29)),
    (at(2026, 12, 15, 10), 1, at(2027, 1, 15, 10)), (at(2026, 3, 31), -1, at(2026, 2, 28)),
    (at(2026, 5, 5), 12, at(2027, 5, 5)),
])  # fmt: skip
def test_months_are_added_with_the_day_clamped(moment: datetime, months: int, expected: datetime) -> None:
    assert add_months(moment, months) == expected


def test_free_counts_per_utc_calendar_month() -> None:
    assert calendar_month(at(2026, 12, 31, 23, 59, 59)) == (at(2026, 12, 1), at(2027, 1, 1))
    assert calendar_month(at(2026, 2, 1)) == (at(2026, 2, 1), at(2026, 3, 1))
    # a time in another zone is placed in its UTC month
    late = datetime(2026, 11, 30, 20, tzinfo=__import__("datetime").timezone(timedelta(hours=-5)))
    assert calendar_month(late) == (at(2026, 12, 1), at(2027, 1, 1))


def test_a_subscription_counts_in_its_stored_period_then_rolls_on_monthly_from_its_anchor() -> None:
    start, end = at(2026, 1, 31, 12), at(2026, 2, 28, 12)
    assert current_period(start, end, at(2026, 2, 10)) == (start, end)
    # the renewal event has not arrived: the next period, anchored on the 31st (clamped)
    assert current_period(start, end, at(2026, 3, 5)) == (end, at(2026, 3, 31, 12))
    assert current_period(start, end, at(2026, 3, 31, 12)) == (at(2026, 3, 31, 12), at(2026, 4, 30, 12))
    assert current_period(start, end, at(2026, 5, 1)) == (at(2026, 4, 30, 12), at(2026, 5, 31, 12))
    # the stored period is used before it starts too (a clock behind the event's)
    assert current_period(start, end, at(2026, 1, 30)) == (start, end)


def test_the_period_key_is_the_start_in_utc() -> None:
    assert period_key(at(2026, 12, 1)) == "2026-12-01T00:00:00Z"
