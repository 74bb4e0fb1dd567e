"""Engagement over HTTP against `make run`'s runner: points, notifications, reviews with racing votes,
and a dispute resolved by a wallet refund, with racing resolutions.

A new customer pays a Cairo store's order by card; the store and an admin take it to delivered (the
delivery follows). Then: the points it earned are on GET /points, the order's events in the
customer's inbox; the customer reviews the product, four other customers vote it helpful at the same
instant (four votes), one of them twice at once (one more is refused); the product's rating moves.
The customer opens a dispute, the store owner answers, two admins' resolutions race: one refund to
the wallet, the other 409; the wallet holds it and the earned points shrink pro rata.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.client import call, login, new_customer, ok, pay_with_test_card, seed
from tests.e2e.conftest import Reply, RunnerProcess, wait_for

pytestmark = pytest.mark.e2e

STORE_AT = (30.0497, 31.2622)


def _together(calls: list[Any]) -> list[Reply]:
    barrier = threading.Barrier(len(calls))

    def run(call_it: Any) -> Reply:
        barrier.wait()
        return call_it()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_points_inbox_reviews_votes_and_a_dispute_refund(runner: RunnerProcess) -> None:
    seed(runner)
    admin, owner = login(runner, "admin@souk.example"), login(runner, "karim@souk.example")
    customer, address_id = new_customer(runner, "Hana")

    # GIVEN a delivered order of 12.50 paid by card
    category = ok(call(runner, "POST", "/api/v1/categories", {"name": f"Tea {uuid.uuid4().hex[:6]}"}, admin), 201)
    store = ok(call(runner, "POST", "/api/v1/stores", {
        "name": f"Karim Tea {uuid.uuid4().hex[:4]}", "categoryIds": [category["id"]], "currency": "usd",
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": STORE_AT[0],
                    "lng": STORE_AT[1]},
    }, owner), 201)  # fmt: skip
    ok(call(runner, "PATCH", f"/api/v1/admin/stores/{store['id']}", {"status": "approved"}, admin))
    product = ok(call(runner, "POST", "/api/v1/products", {
        "storeId": store["id"], "name": "Mint tea", "price": {"amount": 1250, "currency": "usd"},
        "categoryId": category["id"], "variants": [{"sku": "MINT-1", "name": "100 g", "stock": 5}],
    }, owner), 201)  # fmt: skip
    ok(call(runner, "POST", "/api/v1/cart/items", {"productId": product["id"], "variantSku": "MINT-1", "quantity": 1},
            customer))  # fmt: skip
    checkout = ok(call(runner, "POST", "/api/v1/orders", {"addressId": address_id, "paymentMethod": "card"}, customer,
                       {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    order_id = str(checkout["orders"][0]["id"])
    assert pay_with_test_card(runner, checkout["payment"]["intentId"]) == "succeeded"

    def status() -> str:
        return str(ok(call(runner, "GET", f"/api/v1/orders/{order_id}", token=customer))["status"])

    assert wait_for(lambda: status() == "paid", timeout=30), runner.output()[-3000:]
    for step, token in (("accepted", owner), ("preparing", owner), ("ready", owner), ("picked_up", admin),
                        ("delivered", admin)):  # fmt: skip
        assert ok(call(runner, "PATCH", f"/api/v1/orders/{order_id}/status", {"status": step}, token))["status"] == step

    # THEN the points it earned (1 a whole dollar paid: 12) and the order's events in the inbox
    points = ok(call(runner, "GET", "/api/v1/points", token=customer))
    assert (points["balance"], points["nextExpiry"]["points"]) == (12, 12), points
    inbox = ok(call(runner, "GET", "/api/v1/notifications?unread=true&limit=50", token=customer))
    about_order = {n["type"] for n in inbox if n["entityId"] == order_id}
    assert {"payment", "order"} <= about_order, inbox

    # WHEN the customer reviews the product
    review = ok(call(runner, "POST", f"/api/v1/products/{product['id']}/reviews",
                     {"rating": 4, "title": "Fresh", "body": "Strong and fragrant."}, customer), 201)  # fmt: skip
    again = call(runner, "POST", f"/api/v1/products/{product['id']}/reviews",
                 {"rating": 5, "title": "Again", "body": "Second try."}, customer)  # fmt: skip
    assert again.status == 409, again.body[:300]
    rating = ok(call(runner, "GET", f"/api/v1/products/{product['id']}"))["rating"]
    assert (rating["average"], rating["count"]) == (4.0, 1)

    # AND four other customers vote it helpful at the same instant, the last of them twice at once
    voters = [new_customer(runner, f"Voter {n}")[0] for n in range(4)]
    path = f"/api/v1/reviews/{review['id']}/votes"
    replies = _together([lambda t=t: call(runner, "POST", path, token=t) for t in [*voters, voters[-1]]])
    assert sorted(r.status for r in replies) == [201, 201, 201, 201, 409], [r.body[:200] for r in replies]
    own = call(runner, "POST", path, token=customer)
    assert own.status == 422, own.body[:300]
    listed = ok(call(runner, "GET", f"/api/v1/products/{product['id']}/reviews?sort=helpful"))
    assert [(r["id"], r["helpfulCount"]) for r in listed] == [(review["id"], 4)]

    # WHEN the customer opens a dispute and the store's owner answers it
    dispute = ok(call(runner, "POST", f"/api/v1/orders/{order_id}/disputes",
                      {"reason": "damaged", "description": "The tin arrived crushed."}, customer), 201)  # fmt: skip
    ok(call(runner, "POST", f"/api/v1/disputes/{dispute['id']}/messages", {"body": "Sorry: we will make it right."},
            owner), 201)  # fmt: skip
    # AND two admins resolve it at the same instant with a 5.00 refund to the wallet
    body = {"resolution": "refund_wallet", "amount": {"amount": 500, "currency": "usd"}}
    admin2 = login(runner, "admin@souk.example")
    results = _together([lambda t=t: call(runner, "PATCH", f"/api/v1/disputes/{dispute['id']}", body, t)
                         for t in (admin, admin2)])  # fmt: skip
    # THEN one refund happened: the wallet holds 5.00, the order shows it, the other resolution is refused
    assert sorted(r.status for r in results) == [200, 409], [r.body[:300] for r in results]
    wallet = ok(call(runner, "GET", "/api/v1/wallet", token=customer))
    assert wallet["balance"]["amount"] == 500, wallet
    assert ok(call(runner, "GET", f"/api/v1/orders/{order_id}", token=customer))["refunded"]["amount"] == 500
    detail = ok(call(runner, "GET", f"/api/v1/disputes/{dispute['id']}", token=customer))
    assert detail["status"] == "resolved" and len(detail["messages"]) >= 1, detail
    # AND the points earned shrink pro rata to the refund (12 x 750 / 1250 = 7 or 8 left, never 12)
    after = ok(call(runner, "GET", "/api/v1/points", token=customer))["balance"]
    assert after in (7, 8), after
