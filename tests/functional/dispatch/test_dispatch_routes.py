"""Dispatch through its routes, in process on moto: a ready order's delivery, offers, accept, decline, the
re-offer job, the courier and admin views, and the order moves the delivery follows."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.catalog.models import Store
from souk.dispatch.service import offers
from souk.orders.models import Order
from tests.commerce_factories import stored_order
from tests.factories import queued_jobs
from tests.functional.dispatch.dispatch_support import (
    FEE,
    HOME,
    STORE_AT,
    Party,
    courier_near,
    expire_offer,
    marker,
    party,
    position,
    preparing_order,
    stored_delivery,
)
from tests.functional.product_support import make_seller
from tests.support import ApiClient, assert_error

DELIVERIES = "/api/v1/deliveries"


def _status(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/status"


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    admin_settings.forget()
    yield
    admin_settings.forget()


@dataclass
class World:
    api: ApiClient
    owner: Party
    store: Store
    customer: Party
    admin: Party

    def ready(self, order: Order | None = None) -> tuple[Order, str]:
        """A preparing order made ready by its owner (through the route): the order and its delivery's id."""
        order = order or preparing_order(self.customer.id, self.store)
        response = self.api.patch(_status(order.order_id), json_body={"status": "ready"}, token=self.owner.token)
        assert response.status == 200, response.body
        stored = stored_order(order.order_id)
        return stored, stored.delivery_id or ""

    def get(self, delivery_id: str, who: Party) -> Any:
        return self.api.get(f"{DELIVERIES}/{delivery_id}", token=who.token)

    def accept(self, delivery_id: str, who: Party) -> Any:
        return self.api.post(f"{DELIVERIES}/{delivery_id}/accept", token=who.token)

    def decline(self, delivery_id: str, who: Party) -> Any:
        return self.api.post(f"{DELIVERIES}/{delivery_id}/decline", token=who.token)


@pytest.fixture
def world(api: ApiClient, aws_resources: dict[str, str]) -> World:
    seller = make_seller()
    owner = Party(seller.user, seller.token)
    queued_jobs(aws_resources["EmailQueue"])  # the store approval email
    return World(api, owner, seller.store, party("customer"), party("admin"))


# --- ready: the delivery and its first offer --------------------------------------------------------


def test_ready_creates_the_delivery_and_offers_it_to_the_nearest_courier(
    world: World, aws_resources: dict[str, str]
) -> None:
    far, near = courier_near(0.03), courier_near(0.005)
    order, delivery_id = world.ready()
    assert order.status == "ready" and delivery_id
    delivery = stored_delivery(delivery_id)
    assert (delivery.order_id, delivery.store_id, delivery.customer_id) == (
        order.order_id, world.store.store_id, world.customer.id)  # fmt: skip
    # THEN it is offered to the nearest courier, for offerSeconds, and nobody else holds it
    data = world.get(delivery_id, near).json["data"]
    assert (data["status"], data["courierId"]) == ("offered", near.id)
    assert data["pickup"] == {"lat": STORE_AT[0], "lng": STORE_AT[1]}
    assert data["dropoff"] == {"lat": HOME["lat"], "lng": HOME["lng"]}
    assert data["fee"] == {"amount": FEE, "currency": "usd"}
    expires = datetime.fromisoformat(data["offerExpiresAt"].replace("Z", "+00:00"))
    seconds = admin_settings.current().delivery.offer_seconds
    assert timedelta(seconds=seconds - 10) < expires - datetime.now(UTC) <= timedelta(seconds=seconds)
    held = marker(near.id)
    assert held is not None and held.delivery_id == delivery_id
    assert marker(far.id) is None
    assert world.get(delivery_id, far).status == 404
    # AND the courier was emailed the offer
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "delivery_offered"]
    assert [j["to"] for j in jobs] == [near.user.email]


def test_ready_with_no_courier_around_waits_for_the_job_and_says_so(world: World) -> None:
    courier_near(0.5)  # ~55 km away: beyond maxRadiusKm
    _, delivery_id = world.ready()
    data = world.get(delivery_id, world.admin).json["data"]
    assert (data["status"], data["courierId"], data["offerExpiresAt"]) == ("offered", None, None)
    assert "every minute" in data["note"]
    assert stored_delivery(delivery_id).gsi3pk == "DISPATCH"
    # WHEN a courier turns up and the job runs THEN it is offered to them
    arrived = courier_near(0.001)
    assert offers.run_due(lambda: False) == {"due": 1, "offered": 1}
    assert stored_delivery(delivery_id).courier_id == arrived.id


def test_an_order_without_coordinates_becomes_ready_with_no_delivery(world: World) -> None:
    courier_near(0.001)
    order = preparing_order(world.customer.id, world.store, address={"line1": "somewhere"})
    order, delivery_id = world.ready(order)
    assert order.status == "ready" and delivery_id == ""


# --- accept ---------------------------------------------------------------------------------------------


def test_the_offered_courier_accepts_and_gets_the_order(world: World, aws_resources: dict[str, str]) -> None:
    courier = courier_near(0.002)
    order, delivery_id = world.ready()
    queued_jobs(aws_resources["EmailQueue"])
    response = world.accept(delivery_id, courier)
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["status"], data["courierId"], data["offerExpiresAt"]) == ("assigned", courier.id, None)
    stored = stored_delivery(delivery_id)
    assert stored.assigned_at is not None and stored.gsi3pk is None
    # THEN the order names its courier, and GET /orders as the courier lists it
    assert stored_order(order.order_id).courier_id == courier.id
    listed = world.api.get("/api/v1/orders", token=courier.token).json["data"]
    assert [o["id"] for o in listed] == [order.order_id]
    # AND the courier is no longer available nor holding an offer
    found = position(courier.id)
    assert found is not None and (found.available, found.cell) == (False, None)
    assert marker(courier.id) is None
    # AND it is audited, and the customer hears who is coming
    records = list(AuditRecord.gsi2.query(audit_keys.audit_resource("delivery", delivery_id)))
    assert [(r.action, r.actor_id) for r in records] == [("delivery.accept", courier.id)]
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "courier_assigned"]
    assert [(j["to"], j["variables"]["courier_name"]) for j in jobs] == [(world.customer.user.email,
                                                                         courier.user.name)]  # fmt: skip


def test_another_couriers_offer_a_second_accept_and_an_expired_offer_are_409(world: World) -> None:
    offered, other = courier_near(0.001), courier_near(0.02)
    _, delivery_id = world.ready()
    assert_error(world.accept(delivery_id, other), 409, "CONFLICT")
    assert world.accept(delivery_id, offered).status == 200
    assert_error(world.accept(delivery_id, offered), 409, "INVALID_STATE")
    # AND an offer past its expiry cannot be accepted
    late = courier_near(0.001)
    _, second = world.ready()
    assert stored_delivery(second).courier_id == late.id
    expire_offer(second)
    assert_error(world.accept(second, late), 409, "INVALID_STATE")
    assert stored_delivery(second).status == "offered"


def test_accept_and_decline_check_input_auth_role_and_existence(world: World) -> None:
    courier_near(0.001)
    _, delivery_id = world.ready()
    for action in ("accept", "decline"):
        path = f"{DELIVERIES}/{delivery_id}/{action}"
        assert_error(world.api.post(path), 401, "UNAUTHORIZED")
        for who in (world.customer, world.owner, world.admin):
            assert_error(world.api.post(path, token=who.token), 403, "FORBIDDEN")
        stranger = party("courier")
        assert_error(world.api.post(f"{DELIVERIES}/{'x' * 65}/{action}", token=stranger.token), 400,
                     "VALIDATION_ERROR")  # fmt: skip
        assert_error(world.api.post(f"{DELIVERIES}/no-such-delivery/{action}", token=stranger.token), 404,
                     "NOT_FOUND")  # fmt: skip
    # a courier who was never offered it cannot decline it (nor see it)
    assert_error(world.decline(delivery_id, party("courier")), 404, "NOT_FOUND")


# --- decline, expiry, the job ---------------------------------------------------------------------------


def test_a_decline_moves_the_offer_to_the_next_nearest(world: World) -> None:
    first, second = courier_near(0.001), courier_near(0.01)
    _, delivery_id = world.ready()
    response = world.decline(delivery_id, first)
    assert response.status == 200 and response.json["data"] == {"deliveryId": delivery_id, "declined": True}
    stored = stored_delivery(delivery_id)
    assert (stored.courier_id, list(stored.passed)) == (second.id, [first.id])
    assert marker(first.id) is None
    held = marker(second.id)
    assert held is not None and held.delivery_id == delivery_id
    # declining again answers the same and changes nothing; the first courier no longer sees it
    assert world.decline(delivery_id, first).status == 200
    assert stored_delivery(delivery_id).courier_id == second.id
    assert world.get(delivery_id, first).status == 404
    # WHEN the second declines too THEN nobody is left: it waits with no courier
    assert world.decline(delivery_id, second).status == 200
    stored = stored_delivery(delivery_id)
    assert (stored.status, stored.courier_id, sorted(stored.passed)) == ("offered", None, sorted([first.id, second.id]))


def test_the_job_moves_an_expired_offer_to_the_next_nearest(world: World) -> None:
    first, second = courier_near(0.001), courier_near(0.01)
    _, delivery_id = world.ready()
    assert offers.run_due(lambda: False) == {"due": 0}  # the offer is live: not due yet
    expire_offer(delivery_id)
    assert offers.run_due(lambda: False) == {"due": 1, "offered": 1}
    stored = stored_delivery(delivery_id)
    assert (stored.courier_id, list(stored.passed)) == (second.id, [first.id])
    assert marker(first.id) is None
    # AND running it again does nothing more
    assert offers.run_due(lambda: False) == {"due": 0}
    assert stored_delivery(delivery_id).version == stored.version


def test_reading_an_expired_offer_moves_it_on(world: World) -> None:
    first, second = courier_near(0.001), courier_near(0.01)
    _, delivery_id = world.ready()
    expire_offer(delivery_id)
    # the courier whose offer expired sees it expired; the delivery is already offered to the next one
    data = world.get(delivery_id, first).json["data"]
    assert data["courierId"] == first.id and "expired" in data["note"]
    assert stored_delivery(delivery_id).courier_id == second.id
    assert world.get(delivery_id, second).json["data"]["courierId"] == second.id


def test_the_job_cancels_the_delivery_of_a_refunded_order(world: World) -> None:
    courier = courier_near(0.001)
    order, delivery_id = world.ready()
    expire_offer(delivery_id)
    order.update([Order.status.set("refunded")])
    assert offers.run_due(lambda: False) == {"due": 1, "cancelled": 1}
    stored = stored_delivery(delivery_id)
    assert (stored.status, stored.gsi3pk, stored.gsi1pk) == ("cancelled", None, None)
    assert marker(courier.id) is None


def test_one_courier_is_offered_one_delivery_at_a_time(world: World) -> None:
    only = courier_near(0.001)
    _, first = world.ready()
    _, second = world.ready()
    assert stored_delivery(first).courier_id == only.id
    assert stored_delivery(second).courier_id is None  # their marker is taken: the second waits
    # WHEN they decline the first THEN the job offers them the second
    assert world.decline(first, only).status == 200
    offers.run_due(lambda: False)
    assert stored_delivery(second).courier_id == only.id
    assert stored_delivery(first).courier_id is None


# --- the views --------------------------------------------------------------------------------------------


def test_couriers_list_their_offers_and_jobs_admins_list_all(world: World) -> None:
    one, two = courier_near(0.001), courier_near(0.02)
    _, first = world.ready()  # offered to one
    _, second = world.ready()  # one holds an offer: offered to two
    assert [d["id"] for d in world.api.get(DELIVERIES, token=one.token).json["data"]] == [first]
    assert [d["id"] for d in world.api.get(DELIVERIES, token=two.token).json["data"]] == [second]
    assert world.accept(first, one).status == 200
    assert [d["status"] for d in world.api.get(DELIVERIES, token=one.token).json["data"]] == ["assigned"]
    # admins: all, newest first, filtered by status, in pages
    every = world.api.get(DELIVERIES, token=world.admin.token).json["data"]
    assert [d["id"] for d in every][:2] == [second, first]
    assigned = world.api.get(f"{DELIVERIES}?status=assigned", token=world.admin.token).json["data"]
    assert [d["id"] for d in assigned] == [first]
    page = world.api.get(f"{DELIVERIES}?limit=1", token=world.admin.token).json
    assert page["pagination"]["hasNext"] is True and [d["id"] for d in page["data"]] == [second]
    rest = world.api.get(f"{DELIVERIES}?limit=1&cursor={page['pagination']['nextCursor']}", token=world.admin.token)
    assert [d["id"] for d in rest.json["data"]] == [first]
    # another list's cursor is a 400; bad filters too; no token 401; other roles 403
    cursor = page["pagination"]["nextCursor"]
    assert_error(world.api.get(f"{DELIVERIES}?cursor={cursor}", token=one.token), 400, "VALIDATION_ERROR")
    assert_error(world.api.get(f"{DELIVERIES}?status=lost", token=world.admin.token), 400, "VALIDATION_ERROR")
    assert_error(world.api.get(f"{DELIVERIES}?limit=0", token=one.token), 400, "VALIDATION_ERROR")
    assert_error(world.api.get(DELIVERIES), 401, "UNAUTHORIZED")
    for who in (world.customer, world.owner):
        assert_error(world.api.get(DELIVERIES, token=who.token), 403, "FORBIDDEN")


def test_a_delivery_is_seen_by_its_parties_only(world: World) -> None:
    courier_near(0.001)
    _, delivery_id = world.ready()
    for who in (world.customer, world.owner, world.admin):
        assert world.get(delivery_id, who).json["data"]["id"] == delivery_id
    for who in (party("customer"), party("store_owner"), party("courier")):
        assert_error(world.get(delivery_id, who), 404, "NOT_FOUND")
    assert_error(world.api.get(f"{DELIVERIES}/{delivery_id}"), 401, "UNAUTHORIZED")
    assert_error(world.api.get(f"{DELIVERIES}/{'x' * 65}", token=world.admin.token), 400, "VALIDATION_ERROR")
    assert_error(world.api.get(f"{DELIVERIES}/nope", token=world.admin.token), 404, "NOT_FOUND")


# --- the order's later moves ------------------------------------------------------------------------------


def test_a_courier_moves_an_order_with_a_delivery_through_the_delivery_route(world: World) -> None:
    courier = courier_near(0.001)
    order, delivery_id = world.ready()
    assert world.accept(delivery_id, courier).status == 200
    response = world.api.patch(_status(order.order_id), json_body={"status": "picked_up"}, token=courier.token)
    payload = assert_error(response, 409, "INVALID_STATE")
    assert f"/api/v1/deliveries/{delivery_id}/status" in payload["error"]["message"]
    assert stored_order(order.order_id).status == "ready"


def test_an_admins_moves_take_the_delivery_along(world: World) -> None:
    courier = courier_near(0.001)
    order, delivery_id = world.ready()
    assert world.accept(delivery_id, courier).status == 200
    for target in ("picked_up", "delivered"):
        response = world.api.patch(_status(order.order_id), json_body={"status": target}, token=world.admin.token)
        assert response.status == 200, response.body
        assert stored_delivery(delivery_id).status == target
    stored = stored_delivery(delivery_id)
    assert stored.picked_up_at is not None and stored.delivered_at is not None
    # an admin's move of an order whose delivery was still offered drops the offer
    other = courier_near(0.002)
    order, delivery_id = world.ready()
    assert stored_delivery(delivery_id).courier_id == other.id
    response = world.api.patch(_status(order.order_id), json_body={"status": "picked_up"}, token=world.admin.token)
    assert response.status == 200, response.body
    stored = stored_delivery(delivery_id)
    assert (stored.status, stored.courier_id, stored.gsi1pk, stored.gsi3pk) == ("picked_up", None, None, None)
    assert_error(world.accept(delivery_id, other), 409, "INVALID_STATE")
