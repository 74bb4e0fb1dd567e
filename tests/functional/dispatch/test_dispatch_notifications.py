"""Dispatch tells its users through souk.notifications (type ``delivery``): the real routes write the in-app
notification for the right user (GET /notifications shows it) and still queue the email; a repeat writes one."""

from __future__ import annotations

from typing import Any

from souk.dispatch.service import offer_emails
from souk.dispatch.service import status as dispatch_status
from tests.dispatch_factories import job
from tests.factories import queued_jobs, token_for
from tests.functional.dispatch.dispatch_support import courier_near, stored_delivery
from tests.functional.dispatch.test_dispatch_routes import World
from tests.functional.dispatch.test_dispatch_routes import world as world
from tests.support import ApiClient


def _delivery_inbox(api: ApiClient, token: str) -> list[dict[str, Any]]:
    response = api.get("/api/v1/notifications", token=token)
    assert response.status == 200, response.body
    return [{k: n[k] for k in ("entityId", "title")} for n in response.json["data"] if n["type"] == "delivery"]


def test_the_offer_reaches_the_courier_and_the_assignment_the_customer_once(
    world: World,  # noqa: F811
    aws_resources: dict[str, str],
) -> None:
    # GIVEN a courier near the store and an order made ready (PATCH /orders/{id}/status)
    queue = aws_resources["EmailQueue"]
    courier = courier_near(0.002)
    order, delivery_id = world.ready()
    # THEN the courier has the offer in the app, and its email
    assert _delivery_inbox(world.api, courier.token) == [
        {"entityId": delivery_id, "title": f"Delivery offer: order {order.order_id}"}]  # fmt: skip
    assert [j["to"] for j in queued_jobs(queue) if j["template"] == "delivery_offered"] == [courier.user.email]
    # WHEN the courier accepts (POST /deliveries/{id}/accept)
    assert world.accept(delivery_id, courier).status == 200
    # THEN the customer hears who is coming, in the app and by email; the courier's inbox is unchanged
    assert _delivery_inbox(world.api, world.customer.token) == [
        {"entityId": delivery_id, "title": f"A courier is bringing order {order.order_id}"}]  # fmt: skip
    assert [j["to"] for j in queued_jobs(queue) if j["template"] == "courier_assigned"] == [world.customer.user.email]
    assert len(_delivery_inbox(world.api, courier.token)) == 1
    # AND the assignment processed again writes nothing and queues nothing
    offer_emails.courier_assigned(stored_delivery(delivery_id), courier.id)
    assert len(_delivery_inbox(world.api, world.customer.token)) == 1
    assert queued_jobs(queue) == []


def test_a_pickup_tells_the_customer_and_the_owner_once(api: ApiClient, aws_resources: dict[str, str]) -> None:
    # GIVEN an assigned delivery
    queue = aws_resources["EmailQueue"]
    work = job()
    queued_jobs(queue)
    # WHEN its courier picks it up (PATCH /deliveries/{id}/status)
    response = api.patch(f"/api/v1/deliveries/{work.delivery_id}/status", json_body={"status": "picked_up"},
                         token=work.courier.token)  # fmt: skip
    assert response.status == 200, response.body
    # THEN the customer and the store owner each have it in the app, and by email
    customer = _delivery_inbox(api, token_for(work.customer.user))
    owner = _delivery_inbox(api, token_for(work.owner.user))
    assert customer == [{"entityId": work.delivery_id, "title": f"Order {work.order_id}: on its way"}]
    assert owner == [{"entityId": work.delivery_id, "title": f"Order {work.order_id}: picked up"}]
    sent = sorted(j["to"] for j in queued_jobs(queue) if j["template"] == "delivery_status_changed")
    assert sent == sorted([work.customer.user.email, work.owner.user.email])
    # AND the change processed again writes nothing twice
    dispatch_status._notify(stored_delivery(work.delivery_id), "picked_up")
    assert len(_delivery_inbox(api, token_for(work.customer.user))) == 1
    assert queued_jobs(queue) == []
