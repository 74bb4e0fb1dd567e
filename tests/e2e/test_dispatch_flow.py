"""A delivery is dispatched, over HTTP against `make run`'s runner (DynamoDB Local, localstripe, the schedules).

The seeded couriers (approved) say where they are; a customer pays a Cairo store's order by card;
the owner makes it ready, which offers its delivery to the nearest courier; both couriers accept at
the same instant and exactly one wins; the order then shows on the winner's GET /orders. The
every-minute re-offer schedule is fired once by hand and reports nothing left to do. Then the trip:
the courier reports positions, picks up, the customer tracks it (a stranger may not), a photo proof
uploaded through the presigned form is refused at the store and accepted at the door, the order is
delivered and the courier's wallet holds its delivery fee, once.
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from tests.e2e.client import call, login, new_customer, ok, pay_with_test_card, seed
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
    # (offered to another: CONFLICT; or, when the winner's call ended before this one read, already
    # assigned: INVALID_STATE; which of the two depends on timing, never both winning)
    assert lost.status == 409 and lost.json["error"]["code"] in ("CONFLICT", "INVALID_STATE"), lost.body[:500]
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

    # --- then the trip: positions, pickup, tracking, proof at the door, the courier paid ---
    courier = near  # the offer went to the nearer courier, who won

    def now_iso(seconds: float = 0) -> str:
        moment = datetime.now(UTC) + timedelta(seconds=seconds)
        return moment.isoformat(timespec="seconds").replace("+00:00", "Z")

    def report(lat: float, lng: float) -> dict[str, Any]:
        return dict(ok(call(runner, "POST", f"/api/v1/deliveries/{delivery_id}/locations",
                            {"points": [{"lat": lat, "lng": lng, "at": now_iso(1)}]}, courier)))  # fmt: skip

    time.sleep(1.1)  # points taken before the assignment are ignored: report one from after it
    assert report(STORE_AT[0] + 0.0005, STORE_AT[1])["accepted"] == 1
    picked = ok(call(runner, "PATCH", f"/api/v1/deliveries/{delivery_id}/status", {"status": "picked_up"}, courier))
    assert picked["status"] == "picked_up"
    assert _order_status(runner, order_id, customer) == "picked_up"

    # the customer tracks it; another customer may not
    tracking = ok(call(runner, "GET", f"/api/v1/orders/{order_id}/tracking", token=customer))
    assert tracking["status"] == "picked_up" and tracking["courier"]["lat"] is not None, tracking
    assert tracking["distanceKm"] > 0 and tracking["etaMinutes"] >= 1 and len(tracking["trail"]) == 1, tracking
    stranger, _ = new_customer(runner, "Stranger")
    hidden = call(runner, "GET", f"/api/v1/orders/{order_id}/tracking", token=stranger)
    assert (hidden.status, hidden.json["error"]["code"]) == (404, "NOT_FOUND")

    # the proof: a photo uploaded the way a phone does (the presigned form, straight to the bucket)
    form = ok(call(runner, "POST", "/api/v1/uploads", {"filename": "door.jpg", "contentType": "image/jpeg",
                                                        "size": 4, "purpose": "attachment"}, courier), 201)  # fmt: skip
    posted = requests.post(form["url"], data=form["fields"], files={"file": ("door.jpg", b"\xff\xd8\xff\xe0")},
                           timeout=10)  # fmt: skip
    assert posted.status_code in (200, 201, 204), posted.text[:300]
    dropoff = ok(call(runner, "GET", f"/api/v1/deliveries/{delivery_id}", token=courier))["dropoff"]
    proof = {"status": "delivered", "proofUploadId": form["uploadId"]}

    # still at the store: refused, nothing moves
    far_away = call(runner, "PATCH", f"/api/v1/deliveries/{delivery_id}/status", proof, courier)
    assert (far_away.status, far_away.json["error"]["code"]) == (422, "UNPROCESSABLE_ENTITY"), far_away.body[:400]
    assert _order_status(runner, order_id, customer) == "picked_up"

    # at the door: delivered, the order follows, the courier's wallet holds the order's delivery fee
    time.sleep(1.1)
    assert report(dropoff["lat"], dropoff["lng"])["accepted"] == 1
    done = ok(call(runner, "PATCH", f"/api/v1/deliveries/{delivery_id}/status", proof, courier))
    assert (done["status"], done["proofUploadId"]) == ("delivered", form["uploadId"])
    order = ok(call(runner, "GET", f"/api/v1/orders/{order_id}", token=customer))
    assert order["status"] == "delivered"
    wallet = ok(call(runner, "GET", "/api/v1/wallet", token=courier))
    assert wallet["balance"]["amount"] == order["deliveryFee"]["amount"], (wallet, order["deliveryFee"])
    twice = call(runner, "PATCH", f"/api/v1/deliveries/{delivery_id}/status", proof, courier)
    assert (twice.status, twice.json["error"]["code"]) == (409, "INVALID_STATE")
    assert ok(call(runner, "GET", "/api/v1/wallet", token=courier))["balance"] == wallet["balance"]
    finished = ok(call(runner, "GET", f"/api/v1/orders/{order_id}/tracking", token=customer))
    assert (finished["status"], finished["distanceKm"]) == ("delivered", 0), finished
