"""Entitlements and usage on moto: the cached item grants the plan, limits are 403s naming the limit,
usage counted once per id and per billing period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.errors import Forbidden
from souk.plans.rules import calendar_month
from souk.plans.service import entitlements, usage
from souk.plans.service.entitlements import Subscriber
from tests.support import record_dynamodb_calls

pytestmark = pytest.mark.usefixtures("aws_resources")
USER = Subscriber("user", "u-1")
TEAM = Subscriber("team", "t-1")


def grant(subscriber: Subscriber, plan: str, status: str, *, since: datetime | None = None,
          start: datetime | None = None) -> tuple[datetime, datetime]:  # fmt: skip
    begin = start or utc_now().replace(microsecond=0) - timedelta(days=3)
    end = begin + timedelta(days=30)
    with WriteTransaction() as tx:
        entitlements.grant(tx, subscriber, plan_id=plan, status=status, period_start=begin, period_end=end,
                           past_due_since=since)  # fmt: skip
    return begin, end


def test_subscriber_keys() -> None:
    assert USER.key == "user#u-1" and TEAM.key == "team#t-1"
    assert Subscriber.from_key("team#t-1") == TEAM
    with pytest.raises(ValueError, match="subscriber"):
        Subscriber.from_key("store#x")


def test_no_entitlement_is_free_for_the_calendar_month(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = record_dynamodb_calls(monkeypatch)
    found = entitlements.current(USER)
    assert calls == ["GetItem"]
    assert found.plan.id == "free" and found.status is None
    assert (found.period_start, found.period_end) == calendar_month(utc_now())


def test_an_active_subscription_grants_its_plan_and_its_period() -> None:
    start, end = grant(TEAM, "pro", "active")
    found = entitlements.current(TEAM)
    assert (found.plan.id, found.period_start, found.period_end) == ("pro", start, end)
    assert found.limit("teamMembers") == 10
    assert entitlements.current(USER).plan.id == "free"  # another subscriber's grant is not the user's


def test_past_due_keeps_the_plan_for_the_grace_then_free(monkeypatch: pytest.MonkeyPatch) -> None:
    grant(USER, "enterprise", "past_due", since=utc_now() - timedelta(days=6))
    assert entitlements.current(USER).plan.id == "enterprise"
    grant(USER, "enterprise", "past_due", since=utc_now() - timedelta(days=8))
    assert entitlements.current(USER).plan.id == "free"
    monkeypatch.setenv("PLAN_GRACE_DAYS", "10")
    from souk.settings import get_settings

    get_settings.cache_clear()
    assert entitlements.current(USER).plan.id == "enterprise"


@pytest.mark.parametrize("status", ["unpaid", "canceled", "incomplete", "incomplete_expired", "paused"])
def test_unpaid_canceled_and_unpaid_first_invoice_are_free(status: str) -> None:
    grant(USER, "pro", status)
    found = entitlements.current(USER)
    assert found.plan.id == "free"
    assert (found.period_start, found.period_end) == calendar_month(utc_now())


def test_a_limit_reached_is_403_naming_it() -> None:
    assert entitlements.require_within(TEAM, "teamMembers", 3).plan.id == "free"
    with pytest.raises(Forbidden) as raised:
        entitlements.require_within(TEAM, "teamMembers", 4)
    assert str(raised.value.message) == "Your plan allows 3 teamMembers."
    assert raised.value.details == [{"field": "teamMembers", "message": "limit 3 on the free plan"}]
    grant(TEAM, "enterprise", "active")
    assert entitlements.require_within(TEAM, "teamMembers", 10_000).plan.id == "enterprise"  # unlimited


def test_exports_are_reserved_once_per_id_and_never_past_the_limit() -> None:
    assert usage.reserve(USER, "exports", "e1") is True
    assert usage.reserve(USER, "exports", "e1") is False  # a retry: counted once
    assert usage.reserve(USER, "exports", "e2") is True
    with pytest.raises(Forbidden) as raised:
        usage.reserve(USER, "exports", "e3")  # Free: 2 a month
    assert raised.value.details == [{"field": "exportsPerMonth", "message": "limit 2 on the free plan"}]
    assert usage.reserve(USER, "exports", "e2") is False  # a retry of a counted one is still fine
    assert usage.of(USER)["exports"] == 2
    assert usage.reserve(USER, "exports", "e4", limit=3) is True  # an explicit limit


def test_api_calls_counted_once_per_request_and_per_key() -> None:
    assert usage.count_api_call(USER, "k1", "r1") is True  # the period's first call opens its item
    assert usage.count_api_call(USER, "k1", "r1") is False
    assert usage.count_api_call(USER, "k1", "r2") is True
    assert usage.count_api_call(USER, "k2", "r3") is True
    found = usage.of(USER)
    assert (found["apiCalls"], found["apiCallsByKey"], found["exports"]) == (3, {"k1": 2, "k2": 1}, 0)


def test_usage_is_per_billing_period() -> None:
    start, _ = grant(TEAM, "pro", "active", start=datetime(2026, 1, 10, tzinfo=UTC))
    january = datetime(2026, 1, 20, tzinfo=UTC)
    usage.count_api_call(TEAM, "k1", "r1", now=january)
    usage.count_api_call(TEAM, "k1", "r2", now=january + timedelta(days=30))  # the period rolled on (no renewal event)
    jan = usage.of(TEAM, granted=entitlements.current(TEAM, now=january))
    feb = usage.of(TEAM, granted=entitlements.current(TEAM, now=january + timedelta(days=30)))
    assert (jan["periodStart"], jan["apiCalls"]) == (start, 1)
    assert (feb["periodStart"], feb["apiCalls"]) == (datetime(2026, 2, 10, tzinfo=UTC), 1)  # anchored on the 10th


def test_usage_reads_one_item(monkeypatch: pytest.MonkeyPatch) -> None:
    usage.reserve(USER, "exports", "e1")
    granted = entitlements.current(USER)
    calls = record_dynamodb_calls(monkeypatch)
    assert usage.of(USER, granted=granted)["exports"] == 1
    assert calls == ["GetItem"]


def test_a_released_export_is_given_back_once() -> None:
    assert usage.reserve(USER, "exports", "e1") is True
    assert usage.release(USER, "exports", "e1") is True
    assert usage.release(USER, "exports", "e1") is False  # given back already
    assert usage.release(USER, "exports", "never") is False
    assert usage.of(USER)["exports"] == 0
    assert usage.reserve(USER, "exports", "e1") is True  # its id may be counted again
    assert usage.of(USER)["exports"] == 1


def test_a_feature_the_plan_lacks_is_a_403_naming_it_from_one_get_item(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a user with no subscription (Free)
    calls = record_dynamodb_calls(monkeypatch)
    with pytest.raises(Forbidden) as refused:
        entitlements.require_feature(USER, "analytics")
    # THEN one GetItem, and a 403 naming the feature and the plans that have it
    assert calls == ["GetItem"]
    assert refused.value.message == "Analytics is on the Pro and Enterprise plans."
    assert refused.value.details == [{"field": "analytics", "message": "not on the free plan"}]
    # AND Free has the features every plan has
    for feature in ("storefront", "orders", "teams", "api_keys", "exports"):
        assert entitlements.require_feature(USER, feature).plan.id == "free"


def test_a_feature_follows_the_plan_granted_now() -> None:
    grant(USER, "pro", "active")
    assert entitlements.require_feature(USER, "analytics").plan.id == "pro"
    grant(USER, "enterprise", "past_due", since=utc_now() - timedelta(days=6))  # within the grace
    assert entitlements.require_feature(USER, "analytics").plan.id == "enterprise"
    grant(USER, "enterprise", "past_due", since=utc_now() - timedelta(days=8))  # past it: Free
    with pytest.raises(Forbidden):
        entitlements.require_feature(USER, "analytics")
    for status in ("canceled", "unpaid", "incomplete"):
        grant(USER, "pro", status)
        with pytest.raises(Forbidden) as refused:
            entitlements.require_feature(USER, "analytics")
        assert refused.value.details == [{"field": "analytics", "message": "not on the free plan"}], status
    grant(TEAM, "pro", "active")  # a team's plan is not its members' own
    with pytest.raises(Forbidden):
        entitlements.require_feature(USER, "analytics")


def test_an_unknown_feature_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="feature"):
        entitlements.require_feature(USER, "sso")  # type: ignore[arg-type]
