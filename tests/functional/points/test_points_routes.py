"""GET /api/v1/points and GET /api/v1/points/transactions: happy paths, 400, 401, 403."""

from __future__ import annotations

from datetime import timedelta

from souk.db.base import utc_now
from tests.factories import create_user, token_for
from tests.functional.points.support import delivered, earned_at
from tests.support import ApiClient, assert_error

POINTS, HISTORY = "/api/v1/points", "/api/v1/points/transactions"


def test_a_new_customer_has_no_points(api: ApiClient) -> None:
    customer = create_user("customer")
    response = api.get(POINTS, token=token_for(customer))
    assert response.status == 200, response.body
    assert response.json["data"] == {"balance": 0, "tier": None, "spend12m": {"amount": 0, "currency": "usd"},
                                     "nextExpiry": None}  # fmt: skip


def test_balance_tier_spend_and_next_expiry(api: ApiClient) -> None:
    # GIVEN a customer with a 600.00 order delivered now and a 20.00 one delivered 300 days ago
    customer = create_user("customer")
    old = earned_at(customer, 2_000, utc_now() - timedelta(days=300))
    delivered(customer, 60_000)
    # WHEN they read their points
    response = api.get(POINTS, token=token_for(customer))
    # THEN 620 points; silver (600.00 of spend this year reaches the default 500.00); the old lot expires first
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["balance"] == 620 and data["tier"] == "silver"
    assert data["spend12m"] == {"amount": 62_000, "currency": "usd"}
    assert data["nextExpiry"]["points"] == 20
    assert data["nextExpiry"]["at"].endswith("Z") and data["nextExpiry"]["at"][:10] == (
        (utc_now() - timedelta(days=300) + timedelta(days=365)).date().isoformat()
    )
    assert old.order_id


def test_transactions_newest_first_in_pages(api: ApiClient) -> None:
    customer = create_user("customer")
    first = earned_at(customer, 1_000, utc_now() - timedelta(days=2))
    second = delivered(customer, 3_000)
    token = token_for(customer)
    page1 = api.get(f"{HISTORY}?limit=1", token=token)
    assert page1.status == 200, page1.body
    assert [(e["type"], e["points"], e["orderId"]) for e in page1.json["data"]] == [("earned", 30, second.order_id)]
    assert page1.json["pagination"]["hasNext"] is True
    page2 = api.get(f"{HISTORY}?limit=1&cursor={page1.json['pagination']['nextCursor']}", token=token)
    assert [(e["type"], e["points"], e["orderId"]) for e in page2.json["data"]] == [("earned", 10, first.order_id)]
    entry = page2.json["data"][0]
    assert entry["id"] == f"earned-{first.order_id}" and entry["expiresAt"].endswith("Z")


def test_another_customers_cursor_and_bad_limits_are_400(api: ApiClient) -> None:
    mine, theirs = create_user("customer"), create_user("customer")
    for who in (mine, theirs):
        delivered(who, 1_000)
        delivered(who, 2_000)
    their_page = api.get(f"{HISTORY}?limit=1", token=token_for(theirs))
    cursor = their_page.json["pagination"]["nextCursor"]
    assert_error(api.get(f"{HISTORY}?cursor={cursor}", token=token_for(mine)), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{HISTORY}?limit=0", token=token_for(mine)), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{HISTORY}?cursor=garbage", token=token_for(mine)), 400, "VALIDATION_ERROR")


def test_no_token_is_401(api: ApiClient) -> None:
    assert_error(api.get(POINTS), 401, "UNAUTHORIZED")
    assert_error(api.get(HISTORY), 401, "UNAUTHORIZED")


def test_other_roles_are_403(api: ApiClient) -> None:
    for role in ("store_owner", "courier", "admin"):
        token = token_for(create_user(role))
        assert_error(api.get(POINTS, token=token), 403, "FORBIDDEN")
        assert_error(api.get(HISTORY, token=token), 403, "FORBIDDEN")
