"""Analytics in-process (moto): counters kept on write when an order becomes paid (once per order),
GET /analytics from the counters only (a constant number of reads per 100 days), event ingestion
once per event id; 400/401/403/404."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from souk.analytics import keys
from souk.analytics.service import counters
from souk.analytics.store.counters import read_days
from souk.db.base import utc_now
from souk.ids import new_id
from souk.orders.models import Order
from souk.payments.models import Payment
from tests.commerce_factories import make_order, make_payment
from tests.factories import create_user, token_for
from tests.functional.product_support import Seller, make_seller
from tests.plans_support import on_plan
from tests.stripe_support import WEBHOOK_PATH, event, intent_object, signed_request
from tests.support import ApiClient, assert_error, record_dynamodb_calls

LINES = [
    {"productId": "p-tea", "sku": "T", "name": "Tea", "variantName": "One", "quantity": 3, "unitPrice": 500,
     "lineTotal": 1500},
    {"productId": "p-cup", "sku": "C", "name": "Cup", "variantName": "One", "quantity": 1, "unitPrice": 700,
     "lineTotal": 700},
]  # fmt: skip


@pytest.fixture
def hook(api: ApiClient, stripe_offline: None) -> ApiClient:
    return api


@pytest.fixture
def seller() -> Seller:
    made = make_seller()
    on_plan("user", made.user.user_id, "pro")  # a store owner's analytics is a Pro feature
    return made


def _pending(customer_id: str, seller: Seller) -> tuple[Payment, Order]:
    order = make_order(customer_id, seller.store.store_id, seller.user.user_id, status="pending_payment", lines=LINES)
    payment = make_payment(customer_id, int(order.total), status="pending", order_ids=[order.order_id],
                           intent_id=f"pi_{new_id().lower()}", store_owner_ids=[seller.user.user_id])  # fmt: skip
    order.update([Order.payment_id.set(payment.payment_id)])
    return payment, order


def _succeeded(api: ApiClient, payment: Payment) -> Any:
    obj = intent_object(str(payment.stripe_payment_intent_id), int(payment.amount),
                        {"paymentId": payment.payment_id, "kind": "order", "userId": payment.user_id})  # fmt: skip
    body, headers = signed_request(event("payment_intent.succeeded", obj))
    response = api.post(WEBHOOK_PATH, body=body, headers=headers)
    assert response.status == 200, response.body
    return response


def _path(query: dict[str, str]) -> str:
    return "/api/v1/analytics?" + urlencode(query)


def _today() -> str:
    return utc_now().date().isoformat()


def _metric(api: ApiClient, token: str, metric: str, **params: str) -> Any:
    query = {"metric": metric, "from": _today(), "to": _today(), **params}
    return api.get(_path(query), token=token)


def _admin() -> str:
    return token_for(create_user("admin"))


def test_a_paid_order_is_counted_once_per_store_and_on_the_platform(hook: ApiClient, seller: Seller) -> None:
    # GIVEN a customer's card order waiting for payment
    customer = create_user()
    payment, order = _pending(customer.user_id, seller)
    # WHEN the payment succeeds, and the same event arrives twice, and another event says it again
    _succeeded(hook, payment)
    _succeeded(hook, payment)
    # AND the counting hook is applied again for the same order (a retry after the commit)
    assert counters.count_paid_orders(None, [Order.get(order.pk, order.sk)]) != []
    for count in counters.count_paid_orders(None, [Order.get(order.pk, order.sk)]):
        count()
    # THEN the store's and the platform's day counted it once
    day = utc_now().date()
    for scope in (keys.store_scope(seller.store.store_id), keys.PLATFORM):
        counted = read_days(scope, [day])[day]
        assert (counted["orders"], counted["rev#usd"], counted["customers"]) == (1, 2200, 1), scope
        assert (counted["p#p-tea"], counted["p#p-cup"]) == (3, 1)
    # AND the store owner reads it from GET /analytics
    store_id = seller.store.store_id
    orders = _metric(hook, seller.token, "orders", storeId=store_id)
    assert orders.status == 200, orders.body
    assert orders.json["data"] == {"metric": "orders", "interval": "day", "points": [{"start": _today(), "value": 1}]}
    revenue = _metric(hook, seller.token, "revenue", storeId=store_id).json["data"]["points"]
    assert revenue == [{"start": _today(), "value": {"amount": 2200, "currency": "usd"}}]
    assert _metric(hook, seller.token, "customers", storeId=store_id).json["data"]["points"][0]["value"] == 1
    top = _metric(hook, seller.token, "topProducts", storeId=store_id).json["data"]["points"][0]["value"]
    assert top == [{"productId": "p-tea", "quantity": 3}, {"productId": "p-cup", "quantity": 1}]


def test_the_same_paid_order_counted_twice_moves_the_counters_once(aws_resources: dict[str, str]) -> None:
    at = utc_now()
    once = {"order_id": "o-1", "store_id": "s-1", "currency": "eur", "total": 900, "items": [("p-1", 2)], "paid_at": at}
    assert counters.count_paid_order(None, **once) is True
    assert counters.count_paid_order(None, **once) is False
    counters.count_customer(store_id="s-1", user_id="u-1", paid_at=at)
    counters.count_customer(store_id="s-1", user_id="u-1", paid_at=at)
    counters.count_customer(store_id="s-1", user_id="u-2", paid_at=at)
    got = read_days(keys.store_scope("s-1"), [at.date()])[at.date()]
    assert (got["orders"], got["rev#eur"], got["p#p-1"], got["customers"]) == (1, 900, 2, 2)


def test_admins_read_the_platform_rolled_up_per_week_and_month(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN orders paid late on three UTC days: Sunday 31 May, then Monday 1 and Tuesday 2 June
    for order_id, day in (("a", "2026-05-31"), ("b", "2026-06-01"), ("c", "2026-06-02")):
        at = datetime.fromisoformat(f"{day}T23:59:00").replace(tzinfo=UTC)
        counters.count_paid_order(None, order_id=order_id, store_id="s", currency="usd", total=100, items=[],
                                  paid_at=at)  # fmt: skip
    admin = _admin()
    query = {"metric": "orders", "from": "2026-05-25", "to": "2026-06-07"}
    weeks = api.get(_path({**query, "interval": "week"}), token=admin)
    assert weeks.status == 200, weeks.body
    assert weeks.json["data"]["points"] == [{"start": "2026-05-25", "value": 1}, {"start": "2026-06-01", "value": 2}]
    months = api.get(_path({**query, "interval": "month"}), token=admin).json["data"]["points"]
    assert months == [{"start": "2026-05-01", "value": 1}, {"start": "2026-06-01", "value": 2}]
    days = api.get(_path(query), token=admin).json["data"]["points"]
    assert len(days) == 14 and sum(p["value"] for p in days) == 3


@pytest.mark.parametrize(("days", "batches"), [(7, 1), (60, 1), (100, 1), (101, 2), (366, 4)])
def test_reads_are_one_batch_get_per_100_days_whatever_the_data(
    api: ApiClient, aws_resources: dict, monkeypatch: pytest.MonkeyPatch, days: int, batches: int
) -> None:
    admin = _admin()
    today = utc_now().date()
    for i in range(5):  # data on some days: the reads do not depend on it
        counters.count_paid_order(None, order_id=f"o{i}", store_id="s", currency="usd", total=10, items=[("p", 1)],
                                  paid_at=utc_now() - timedelta(days=i))  # fmt: skip
    calls = record_dynamodb_calls(monkeypatch)
    query = {"metric": "topProducts", "from": (today - timedelta(days=days - 1)).isoformat(), "to": today.isoformat()}
    response = api.get(_path(query), token=admin)
    assert response.status == 200, response.body
    assert [c for c in calls if c not in ("GetItem",)] == ["BatchGetItem"] * batches  # GetItem: the session
    assert "Scan" not in calls and "Query" not in calls


def test_analytics_refusals(api: ApiClient, seller: Seller) -> None:
    store_id = seller.store.store_id
    other = make_seller()
    # 401 without a token
    assert_error(api.get(_path({"metric": "orders", "from": _today(), "to": _today()})),
                 401, "UNAUTHORIZED")  # fmt: skip
    # 403 for a customer or a courier
    for role in ("customer", "courier"):
        assert_error(_metric(api, token_for(create_user(role)), "orders"), 403, "FORBIDDEN")
    # 404 for another's store, or a store that does not exist
    assert_error(_metric(api, seller.token, "orders", storeId=other.store.store_id), 404, "NOT_FOUND")
    assert_error(_metric(api, seller.token, "orders", storeId="nope"), 404, "NOT_FOUND")
    # 400: no store named by a store owner, an unknown metric or interval, a reversed or too long range
    assert_error(_metric(api, seller.token, "orders"), 400, "VALIDATION_ERROR")
    assert_error(_metric(api, seller.token, "visits", storeId=store_id), 400, "VALIDATION_ERROR")
    assert_error(_metric(api, seller.token, "orders", storeId=store_id, interval="year"), 400, "VALIDATION_ERROR")
    query = {"metric": "orders", "storeId": store_id}
    for start, end in (("2026-02-02", "2026-02-01"), ("2025-01-01", "2026-01-02"), ("2026-13-01", "2026-12-01")):
        response = api.get(_path({**query, "from": start, "to": end}), token=seller.token)
        assert_error(response, 400, "VALIDATION_ERROR")
    # an admin reads any store; a 366-day range is allowed
    admin = _admin()
    assert _metric(api, admin, "orders", storeId=other.store.store_id).status == 200
    year = api.get(_path({**query, "from": "2025-01-01", "to": "2026-01-01"}), token=admin)
    assert year.status == 200 and len(year.json["data"]["points"]) == 366


def test_events_are_accepted_once_per_id(api: ApiClient, aws_resources: dict) -> None:
    token = token_for(create_user())
    batch = {"events": [{"id": "e-1", "type": "page_view", "properties": {"path": "/"}},
                        {"id": "e-2", "type": "add_to_cart", "properties": {"productId": "p"},
                         "occurredAt": "2026-01-02T03:04:05Z"},
                        {"id": "e-1", "type": "page_view"},
                        {"type": "page_view"}]}  # fmt: skip
    first = api.post("/api/v1/analytics/events", json_body=batch, token=token)
    assert first.status == 202, first.body
    assert first.json["data"] == {"accepted": 3}  # e-1 once, e-2, and the one without an id
    again = api.post("/api/v1/analytics/events", json_body=batch, token=token)
    assert again.json["data"] == {"accepted": 1}  # only the event without an id is new
    # refusals: no token, no events, more than 100, a bad id
    assert_error(api.post("/api/v1/analytics/events", json_body=batch), 401, "UNAUTHORIZED")
    for body in ({"events": []}, {"events": [{"type": "x"}] * 101}, {"events": [{"id": "a b", "type": "x"}]},
                 {"events": [{"properties": {}}]}):  # fmt: skip
        assert_error(api.post("/api/v1/analytics/events", json_body=body, token=token), 400, "VALIDATION_ERROR")


def test_the_chart_is_an_svg_of_the_same_metric_with_the_same_refusals(api: ApiClient, seller: Seller) -> None:
    counters.count_paid_order(None, order_id="o-chart", store_id=seller.store.store_id, currency="usd", total=4200,
                              items=[("p", 1)], paid_at=utc_now())  # fmt: skip
    query = {"metric": "revenue", "from": _today(), "to": _today(), "storeId": seller.store.store_id}
    response = api.get("/api/v1/analytics/chart.svg?" + urlencode(query), token=seller.token)
    assert response.status == 200, response.body
    assert response.headers["Content-Type"] == "image/svg+xml"
    svg = response.body.decode()
    assert svg.startswith("<svg") and f"{_today()}: 4200" in svg
    path = "/api/v1/analytics/chart.svg?"
    assert_error(api.get(path + urlencode(query)), 401, "UNAUTHORIZED")
    assert_error(api.get(path + urlencode(query), token=token_for(create_user())), 403, "FORBIDDEN")
    other = make_seller()
    on_plan("user", other.user.user_id, "pro")
    assert_error(api.get(path + urlencode(query), token=other.token), 404, "NOT_FOUND")
    assert_error(api.get(path + urlencode({**query, "interval": "hour"}), token=seller.token), 400, "VALIDATION_ERROR")


def test_the_dashboard_is_shaped_by_the_callers_role(api: ApiClient, seller: Seller) -> None:
    # GIVEN an order paid today in the seller's store
    counters.count_paid_order(None, order_id="o-dash", store_id=seller.store.store_id, currency="usd", total=1234,
                              items=[("p", 1)], paid_at=utc_now())  # fmt: skip
    today = {"orders": 1, "revenue": [{"amount": 1234, "currency": "usd"}]}
    # WHEN an admin reads the dashboard: the platform's today and 7 days
    admin = api.get("/api/v1/dashboard", token=_admin())
    assert admin.status == 200, admin.body
    data = admin.json["data"]
    assert data["role"] == "admin"
    assert data["sections"]["analytics"] == {"today": today, "last7Days": today}
    assert "points" not in data["sections"]
    # the store owner: their stores, each with today and 7 days
    owner = api.get("/api/v1/dashboard", token=seller.token).json["data"]["sections"]["analytics"]
    assert owner == {"stores": [{"storeId": seller.store.store_id, "name": seller.store.name, "today": today,
                                 "last7Days": today}], "moreStores": False}  # fmt: skip
    # a customer: their orders of the last 30 days, points and notifications, no analytics
    buyer = create_user()
    make_order(buyer.user_id, seller.store.store_id, seller.user.user_id)
    customer = api.get("/api/v1/dashboard", token=token_for(buyer)).json["data"]
    assert customer["role"] == "customer"
    assert set(customer["sections"]) == {"orders", "points", "notifications"}
    assert customer["sections"]["orders"] == {"last30Days": 1, "capped": False}
    # a courier: their wallet balance (earnings) and notifications
    courier = api.get("/api/v1/dashboard", token=token_for(create_user("courier"))).json["data"]
    assert set(courier["sections"]) == {"notifications", "wallet"}
    assert courier["sections"]["wallet"]["balance"] == {"amount": 0, "currency": "usd"}
    # no token: 401
    assert_error(api.get("/api/v1/dashboard"), 401, "UNAUTHORIZED")


def test_the_dashboard_reads_a_constant_number_of_items(
    api: ApiClient, seller: Seller, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = seller.token
    calls = record_dynamodb_calls(monkeypatch)
    assert api.get("/api/v1/dashboard", token=token).status == 200
    before = list(calls)
    for _ in range(3):
        other = make_seller()  # other stores and orders do not change the owner's reads
        counters.count_paid_order(None, order_id=new_id(), store_id=other.store.store_id, currency="usd",
                                  total=1, items=[], paid_at=utc_now())  # fmt: skip
    calls.clear()
    assert api.get("/api/v1/dashboard", token=token).status == 200
    assert sorted(calls) == sorted(before) and "Scan" not in calls


def test_a_wallet_paid_checkout_is_counted_right_after_its_commit(api: ApiClient) -> None:
    from tests.commerce_factories import fund_wallet
    from tests.functional.orders.test_checkout_routes import PRICE_42, _cart, _checkout, _customer, _line

    # GIVEN a customer paying 3 x TRS-42 from their wallet
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 20_000)
    _cart(customer, _line(product, "TRS-42", 3, PRICE_42))
    assert _checkout(api, customer, "wallet").status == 201
    # THEN the store's day counted the order, its revenue, its units and its customer once
    day = utc_now().date()
    counted = read_days(keys.store_scope(seller.store.store_id), [day])[day]
    assert (counted["orders"], counted["rev#usd"], counted["customers"]) == (1, 3 * PRICE_42, 1)
    assert counted[f"p#{product['id']}"] == 3
