"""What an entitlement's fields grant now, pure: the plan, and the period usage counts in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.plans.service.entitlements import LIMITS, Subscriber, granted

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
START, END = datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 12, 20, tzinfo=UTC)


def test_no_subscription_is_free_for_the_calendar_month() -> None:
    found = granted(None, None, period_start=None, period_end=None, past_due_since=None, now=NOW)
    assert (found.plan.id, found.period_start, found.period_end) == (
        "free", datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))  # fmt: skip


def test_a_paid_plan_counts_in_its_subscription_period() -> None:
    found = granted("pro", "active", period_start=START, period_end=END, past_due_since=None, now=NOW)
    assert (found.plan.id, found.period_start, found.period_end) == ("pro", START, END)
    assert found.limit("exportsPerMonth") == 50 and found.limit("apiKeys") == 10


def test_a_lapsed_plan_counts_per_calendar_month_and_an_unknown_plan_is_free() -> None:
    lapsed = granted("pro", "past_due", period_start=START, period_end=END, past_due_since=NOW - timedelta(days=8),
                     now=NOW)  # fmt: skip
    assert (lapsed.plan.id, lapsed.period_start) == ("free", datetime(2026, 12, 1, tzinfo=UTC))
    assert granted("gold", "active", period_start=START, period_end=END, past_due_since=None, now=NOW).plan.id == "free"


def test_every_limit_of_the_api_has_a_name() -> None:
    found = granted("enterprise", "trialing", period_start=START, period_end=END, past_due_since=None, now=NOW)
    assert {name: found.limit(name) for name in LIMITS} == {"teamMembers": None, "apiKeys": None,
                                                              "exportsPerMonth": None}  # fmt: skip


@pytest.mark.parametrize("key", ["", "user", "user#", "store#1", "#1"])
def test_a_subscriber_key_is_user_or_team_with_an_id(key: str) -> None:
    with pytest.raises(ValueError, match="subscriber"):
        Subscriber.from_key(key)
    assert Subscriber.from_key("user#1").key == "user#1"
