"""Orders tell their users through souk.notifications: the real routes write the in-app notification for the right
user (GET /notifications shows it) and still queue the email; the same event processed again writes nothing twice."""

from __future__ import annotations

from typing import Any

from souk.identity.models import User
from souk.orders.service import notifications
from tests.commerce_factories import stored_order
from tests.factories import queued_jobs, token_for
from tests.functional.orders.test_order_cancel_routes import _cancel, _checkout
from tests.support import ApiClient

INBOX = "/api/v1/notifications"


def _inbox(api: ApiClient, user: User) -> list[dict[str, Any]]:
    """The user's notifications about orders and payments (a seller's store approval is left out)."""
    response = api.get(INBOX, token=token_for(user))
    assert response.status == 200, response.body
    return [{k: n[k] for k in ("type", "entityId", "title")} for n in response.json["data"]
            if n["type"] in ("order", "payment")]  # fmt: skip


def _emails(queue_url: str) -> list[tuple[str, str]]:
    """The order emails queued since last asked."""
    return [
        (j["template"], j["to"])
        for j in queued_jobs(queue_url)
        if j["channel"] == "email" and j["template"] in ("order_paid", "new_order", "order_status_changed")
    ]


def test_a_paid_order_notifies_the_customer_and_the_owner_once_with_their_emails(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    # GIVEN a customer who paid an order from their wallet (POST /orders)
    queue = aws_resources["EmailQueue"]
    queued_jobs(queue)
    bought = _checkout(api, "wallet", 1)
    owner = bought.seller.user
    # THEN the customer has a payment notification, the store owner an order one, each emailed
    assert _inbox(api, bought.customer) == [
        {"type": "payment", "entityId": bought.order_id, "title": f"Order {bought.order_id} confirmed"}
    ]
    assert _inbox(api, owner) == [{"type": "order", "entityId": bought.order_id,
                                   "title": f"New order {bought.order_id}"}]  # fmt: skip
    assert sorted(_emails(queue)) == sorted([("order_paid", bought.customer.email), ("new_order", owner.email)])
    # WHEN the paid event is processed again (a redelivered webhook would do it)
    notifications.order_paid(stored_order(bought.order_id))
    # THEN nothing new: one notification each, no second email
    assert len(_inbox(api, bought.customer)) == 1 and len(_inbox(api, owner)) == 1
    assert _emails(queue) == []


def test_status_moves_notify_the_customer_and_a_repeat_writes_one(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    # GIVEN a paid order and its store owner
    queue = aws_resources["EmailQueue"]
    bought = _checkout(api, "wallet", 1)
    owner_token = token_for(bought.seller.user)
    queued_jobs(queue)
    # WHEN the owner moves it accepted -> preparing -> ready (PATCH /orders/{id}/status)
    for target in ("accepted", "preparing", "ready"):
        response = api.patch(f"/api/v1/orders/{bought.order_id}/status", token=owner_token,
                             json_body={"status": target})  # fmt: skip
        assert response.status == 200, response.body
    # THEN the customer sees each move in the app, newest first; only "ready" is emailed
    titles = [n["title"] for n in _inbox(api, bought.customer) if n["type"] == "order"]
    assert titles == [f"Order {bought.order_id} is ready", f"Order {bought.order_id} is being prepared",
                      f"Order {bought.order_id} is accepted by the store"]  # fmt: skip
    assert _emails(queue) == [("order_status_changed", bought.customer.email)]
    # AND the same move processed again writes nothing and emails nothing
    notifications.status_changed(stored_order(bought.order_id))
    assert len([n for n in _inbox(api, bought.customer) if n["type"] == "order"]) == 3
    assert _emails(queue) == []
    # AND the store owner's inbox has only its "new order"
    assert [n["title"] for n in _inbox(api, bought.seller.user)] == [f"New order {bought.order_id}"]


def test_a_cancelled_order_tells_customer_and_owner_and_its_refund_the_customer(api: ApiClient) -> None:
    # GIVEN a paid wallet order
    bought = _checkout(api, "wallet", 1)
    # WHEN the customer cancels it (POST /orders/{id}/cancel: cancelled, then refunded to the wallet)
    assert _cancel(api, token_for(bought.customer), bought.order_id).status == 200
    # THEN the customer hears of the cancellation and of the refund; the owner of the cancellation
    mine = _inbox(api, bought.customer)
    assert {"type": "order", "entityId": bought.order_id, "title": f"Order {bought.order_id} cancelled"} in mine
    assert [n["type"] for n in mine if n["title"].startswith("Refund of")] == ["payment"]
    assert {"type": "order", "entityId": bought.order_id,
            "title": f"Order {bought.order_id} cancelled"} in _inbox(api, bought.seller.user)  # fmt: skip
    # AND the cancellation processed again writes nothing twice
    notifications.cancelled(stored_order(bought.order_id))
    assert len([n for n in _inbox(api, bought.customer) if n["title"].endswith("cancelled")]) == 1
