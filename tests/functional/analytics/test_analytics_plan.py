"""A store owner's analytics is a plan feature (Pro, Enterprise), read from their cached entitlement:
Free, canceled or past its grace is 403 naming ``analytics``; admins are never gated; the dashboard is
not gated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from souk.analytics.service import counters
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber
from tests.factories import create_user, token_for
from tests.functional.product_support import Seller, make_seller
from tests.plans_support import on_plan
from tests.support import ApiClient, assert_error, record_dynamodb_calls

CHART = "/api/v1/analytics/chart.svg?"
MESSAGE = "Analytics is on the Pro and Enterprise plans."


def _query(seller: Seller) -> dict[str, str]:
    today = utc_now().date().isoformat()
    return {"metric": "orders", "from": today, "to": today, "storeId": seller.store.store_id}


def _get(api: ApiClient, seller: Seller, token: str | None = None) -> Any:
    return api.get("/api/v1/analytics?" + urlencode(_query(seller)), token=token or seller.token)


def _refused(response: Any, plan: str = "free") -> None:
    assert_error(response, 403, "FORBIDDEN")
    assert response.json["error"]["message"] == MESSAGE
    assert response.json["error"]["details"] == [{"field": "analytics", "message": f"not on the {plan} plan"}]


def _past_due(user_id: str, days: int) -> None:
    now = utc_now()
    with WriteTransaction() as tx:
        entitlements.grant(tx, Subscriber("user", user_id), plan_id="pro", status="past_due", period_start=now,
                           period_end=now + timedelta(days=30), past_due_since=now - timedelta(days=days))  # fmt: skip


@pytest.fixture
def seller(aws_resources: dict[str, str]) -> Seller:
    made = make_seller()
    counters.count_paid_order(None, order_id="o-plan", store_id=made.store.store_id, currency="usd", total=500,
                              items=[("p", 1)], paid_at=utc_now())  # fmt: skip
    return made


def test_a_free_store_owner_is_refused_analytics_and_its_chart_naming_the_feature(
    api: ApiClient, seller: Seller
) -> None:
    # GIVEN a store owner with no subscription (Free): both reads are 403 naming analytics
    _refused(_get(api, seller))
    _refused(api.get(CHART + urlencode(_query(seller)), token=seller.token))
    # AND the gate is the caller's plan, before their store is looked up (another's store: 403 too)
    other = make_seller()
    _refused(_get(api, other, token=seller.token))
    # AND a Free owner's 400s stay 400s (the query is checked first)
    assert_error(api.get("/api/v1/analytics?" + urlencode({**_query(seller), "to": "2000-01-01"}),
                         token=seller.token), 400, "VALIDATION_ERROR")  # fmt: skip


@pytest.mark.parametrize("plan", ["pro", "enterprise"])
def test_on_pro_or_enterprise_the_owner_reads_analytics_and_the_chart(
    api: ApiClient, seller: Seller, plan: str
) -> None:
    on_plan("user", seller.user.user_id, plan)
    response = _get(api, seller)
    assert response.status == 200, response.body
    assert response.json["data"]["points"][0]["value"] == 1
    chart = api.get(CHART + urlencode(_query(seller)), token=seller.token)
    assert chart.status == 200 and chart.headers["Content-Type"] == "image/svg+xml"
    # another's store is still 404
    assert_error(_get(api, make_seller(), token=seller.token), 404, "NOT_FOUND")


def test_past_due_keeps_analytics_for_the_grace_then_free(api: ApiClient, seller: Seller) -> None:
    _past_due(seller.user.user_id, days=2)
    assert _get(api, seller).status == 200
    _past_due(seller.user.user_id, days=8)  # PLAN_GRACE_DAYS is 7
    _refused(_get(api, seller))


@pytest.mark.parametrize("status", ["canceled", "unpaid", "incomplete"])
def test_a_subscription_that_grants_nothing_is_refused(api: ApiClient, seller: Seller, status: str) -> None:
    on_plan("user", seller.user.user_id, "pro", status=status)
    _refused(_get(api, seller))


def test_a_teams_pro_plan_is_not_its_owners_own(api: ApiClient, seller: Seller) -> None:
    on_plan("team", seller.user.user_id, "pro")  # a team's subscription, whatever its id
    _refused(_get(api, seller))


def test_admins_are_never_gated(api: ApiClient, seller: Seller) -> None:
    admin = token_for(create_user("admin"))  # no subscription
    assert _get(api, seller, token=admin).status == 200
    platform = {k: v for k, v in _query(seller).items() if k != "storeId"}
    assert api.get("/api/v1/analytics?" + urlencode(platform), token=admin).status == 200
    assert api.get(CHART + urlencode(platform), token=admin).status == 200


def test_the_dashboard_is_not_gated(api: ApiClient, seller: Seller) -> None:
    response = api.get("/api/v1/dashboard", token=seller.token)  # a Free owner
    assert response.status == 200, response.body
    stores = response.json["data"]["sections"]["analytics"]["stores"]
    assert [s["storeId"] for s in stores] == [seller.store.store_id] and stores[0]["today"]["orders"] == 1


def test_the_gate_costs_one_get_item(api: ApiClient, seller: Seller, monkeypatch: pytest.MonkeyPatch) -> None:
    # an owner on Pro: the session, the entitlement, the store, then the days; on Free one read fewer
    on_plan("user", seller.user.user_id, "pro")
    admin = token_for(create_user("admin"))
    calls = record_dynamodb_calls(monkeypatch)
    assert _get(api, seller).status == 200
    allowed = list(calls)
    assert allowed.count("BatchGetItem") == 1 and "Query" not in allowed and "Scan" not in allowed
    calls.clear()
    assert _get(api, seller, token=admin).status == 200
    assert allowed.count("GetItem") == calls.count("GetItem") + 1  # the owner's entitlement
