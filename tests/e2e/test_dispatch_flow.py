"""A delivery is dispatched, over HTTP against `make run`'s runner (DynamoDB Local, localstripe, the schedules).

The seeded couriers (approved) say where they are; a customer pays a Cairo store's order by card;
the owner makes it ready, which offers its delivery to the nearest courier; both couriers accept at
the same instant and exactly one wins; the order then shows on the winner's GET /orders. The
every-minute re-offer schedule is fired once by hand and reports nothing left to do.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.client import call, login, ok, pay_with_test_card, seed
from tests.e2e.conftest import Reply, RunnerProcess, wait_for

pytestmark = pytest.mark.e2e

REOFFER = "DispatchReofferFunction.EveryMinute"  # the template's schedule: GET /api/_dev/schedules lists them
STORE_AT = (30.0497, 31.2622)  # Al Muizz St, Cairo (inside the seeded Greater Cairo zone)


def _order_status(runner: RunnerProcess, order_id: str, token: str) -> str:
    return str(ok(call(runner, "GET", f"/api/v1/orders/{order_id}", token=token))["status"])


def test_a_ready_order_is_offered_and_exactly_one_of_two_racing_couriers_gets_it(runner: RunnerProcess) -> None:
    seed(runner)
    admin, owner, customer = (login(runner, f"{name}@souk.example") for name in ("admin", "karim", "amina"))
    near, far = login(runner, "youssef@souk.example"), login(runner, "sara@souk.example")

    # GIVEN both couriers available near the store, the nearer one ~110 m away
    for token, (lat, lng) in ((near, (STORE_AT[0] + 0.001, STORE_AT[1])), (far, (STORE_AT[0] + 0.02, STORE_AT[1]))):
        ok(call(runner, "PUT", "/api/v1/couriers/me/availability", {"available": True, "lat": lat, "lng": lng}, token))

    # AND a paid order from a Cairo store
    category = ok(call(runner, "POST", "/api/v1/categories", {"name": f"Spices {uuid.uuid4().hex[:6]}"}, admin), 201)
    store = ok(call(runner, "POST", "/api/v1/stores", {
        "name": f"Karim Dispatch {uuid.uuid4().hex[:4]}", "categoryIds": [category["id"]], "currency": "usd",
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": STORE_AT[0],
                    "lng": STORE_AT[1]},
    }, owner), 201)  # fmt: skip
    ok(call(runner, "PATCH", f"/api/v1/admin/stores/{store['id']}", {"status": "approved"}, admin))
    product = ok(call(runner, "POST", "/api/v1/products", {
        "storeId": store["id"], "name": "Saffron", "price": {"amount": 1250, "currency": "usd"},
        "categoryId": category["id"], "variants": [{"sku": "SAF-1G", "name": "1 g", "stock": 5}],
    }, owner), 201)  # fmt: skip
    ok(call(runner, "POST", "/api/v1/cart/items", {"productId": product["id"], "variantSku": "SAF-1G", "quantity": 1},
            customer))  # fmt: skip
    address_id = ok(call(runner, "GET", "/api/v1/addresses", token=customer))[0]["id"]
    checkout = ok(call(runner, "POST", "/api/v1/orders", {"addressId": address_id, "paymentMethod": "card"}, customer,
                       {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    order_id = str(checkout["orders"][0]["id"])
    assert pay_with_test_card(runner, checkout["payment"]["intentId"]) == "succeeded"
    paid = wait_for(lambda: _order_status(runner, order_id, customer) == "paid", timeout=30)
    assert paid, runner.output()[-3000:]

    # WHEN the owner makes it ready
    for status in ("accepted", "preparing", "ready"):
        moved = ok(call(runner, "PATCH", f"/api/v1/orders/{order_id}/status", {"status": status}, owner))
        assert moved["status"] == status
    # THEN its delivery is offered to the nearer courier, and only to them
    offered = ok(call(runner, "GET", "/api/v1/deliveries", token=near))
    assert [(d["orderId"], d["status"]) for d in offered] == [(order_id, "offered")], offered
    delivery_id = offered[0]["id"]
    assert ok(call(runner, "GET", "/api/v1/deliveries", token=far)) == []

    # WHEN both couriers accept at the same instant
    barrier = threading.Barrier(2)

    def accept(token: str) -> Reply:
        barrier.wait()
        return call(runner, "POST", f"/api/v1/deliveries/{delivery_id}/accept", token=token)

    with ThreadPoolExecutor(max_workers=2) as pool:
        won, lost = pool.map(accept, (near, far))
    # THEN exactly one gets it: the courier it was offered to; the other is told it is not theirs
    assert won.status == 200 and won.json["data"]["status"] == "assigned", won.body[:500]
    assert (lost.status, lost.json["error"]["code"]) == (409, "CONFLICT"), lost.body[:500]
    again = call(runner, "POST", f"/api/v1/deliveries/{delivery_id}/accept", token=near)
    assert (again.status, again.json["error"]["code"]) == (409, "INVALID_STATE")

    # AND the courier's GET /orders now lists the order; the customer sees the delivery assigned
    mine: list[dict[str, Any]] = ok(call(runner, "GET", "/api/v1/orders", token=near))
    assert [o["id"] for o in mine] == [order_id]
    seen = ok(call(runner, "GET", f"/api/v1/deliveries/{delivery_id}", token=customer))
    assert (seen["status"], seen["courierId"]) == ("assigned", won.json["data"]["courierId"])
    assert ok(call(runner, "GET", "/api/v1/orders", token=far)) == []

    # AND the every-minute schedule finds nothing left to offer for it
    fired = ok(call(runner, "POST", f"/api/_dev/schedules/{REOFFER}"))
    assert fired["ok"] is True, fired
    assert ok(call(runner, "GET", f"/api/v1/deliveries/{delivery_id}", token=admin))["status"] == "assigned"
