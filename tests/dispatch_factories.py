"""Deliveries in the hands of a courier, written as the dispatch accept leaves them, for the tracking and
status tests (which need an assigned delivery without running the offer and accept routes).

The order is ``ready``, names its delivery (``deliveryId``) and its courier (``courierId``, on the
courier's timeline, gsi4); the delivery is ``assigned`` to the courier (``assignedAt``, on the
courier's jobs, gsi1, and the admins' list, gsi2).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from souk.caller import Principal
from souk.db import expiry
from souk.db.keys import timeline_sort
from souk.dispatch import keys as dispatch_keys
from souk.dispatch.models import ASSIGNED, Delivery, DeliveryLocation
from souk.identity.models import User
from souk.ids import new_id
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet, WalletEntry
from tests.commerce_factories import make_order, stored_order
from tests.factories import create_user, token_for

PICKUP = (40.0, -73.0)
DROPOFF = (40.02, -73.01)  # ~2.4 km from the pickup
FEE = 450


@dataclass
class Person:
    user: User
    token: str

    @property
    def id(self) -> str:
        return self.user.user_id

    @property
    def principal(self) -> Principal:
        return Principal(self.user.user_id, self.user.role, "session")


def person(role: str, name: str = "Test User") -> Person:
    user = create_user(role, name=name, email=f"{role}-{uuid.uuid4().hex[:8]}@example.com")
    return Person(user, token_for(user))


@dataclass
class Job:
    """A customer, a store owner, a courier and an admin, the order and its assigned delivery."""

    customer: Person
    owner: Person
    courier: Person
    admin: Person
    order_id: str
    delivery_id: str

    @property
    def order(self) -> Order:
        return stored_order(self.order_id)

    @property
    def delivery(self) -> Delivery:
        return stored_delivery(self.delivery_id)


def assigned_delivery(customer: Person, owner: Person, courier: Person, *, fee: int = FEE,
                      assigned_at: datetime | None = None, store_id: str = "store-1"
                      ) -> tuple[Order, Delivery]:  # fmt: skip
    """A ready order and its delivery assigned to ``courier``, as accept leaves them."""
    now = datetime.now(UTC)
    assigned_at = assigned_at or now - timedelta(minutes=5)
    order = make_order(customer.id, store_id, owner.id, status="ready")
    delivery_id = new_id()
    delivery = Delivery(
        pk=dispatch_keys.delivery(delivery_id), sk=dispatch_keys.DELIVERY, delivery_id=delivery_id,
        order_id=order.order_id, store_id=store_id, store_owner_id=owner.id, customer_id=customer.id,
        courier_id=courier.id, status=ASSIGNED, pickup_lat=PICKUP[0], pickup_lng=PICKUP[1], dropoff_lat=DROPOFF[0],
        dropoff_lng=DROPOFF[1], fee_amount=fee, currency=order.currency, passed=[], version=2,
        assigned_at=assigned_at,
        gsi1pk=dispatch_keys.courier_jobs(courier.id), gsi1sk=timeline_sort(expiry.stamp(now), delivery_id),
        gsi2pk=dispatch_keys.ALL_DELIVERIES, gsi2sk=timeline_sort(expiry.stamp(now), delivery_id),
        created_at=now, updated_at=now,
    )  # fmt: skip
    delivery.save()
    order.update([
        Order.delivery_id.set(delivery_id), Order.courier_id.set(courier.id),
        Order.gsi4pk.set(orders_keys.courier_orders(courier.id)),
        Order.gsi4sk.set(timeline_sort(expiry.stamp(order.created_at), order.order_id)),
    ])  # fmt: skip
    return stored_order(order.order_id), stored_delivery(delivery_id)


def job(**kwargs: object) -> Job:
    customer, owner = person("customer"), person("store_owner")
    courier, admin = person("courier", name="Rami Courier"), person("admin")
    order, delivery = assigned_delivery(customer, owner, courier, **kwargs)  # type: ignore[arg-type]
    return Job(customer, owner, courier, admin, order.order_id, delivery.delivery_id)


def stored_delivery(delivery_id: str) -> Delivery:
    return Delivery.get(dispatch_keys.delivery(delivery_id), dispatch_keys.DELIVERY, consistent_read=True)


def stored_trail(delivery_id: str) -> list[DeliveryLocation]:
    """Every stored point of the delivery, oldest first."""
    found = DeliveryLocation.query(dispatch_keys.delivery(delivery_id),
                                   DeliveryLocation.sk.startswith(dispatch_keys.LOCATION_PREFIX),
                                   consistent_read=True)  # fmt: skip
    return [item for item in found if isinstance(item, DeliveryLocation)]


def wallet_balance(user_id: str) -> int:
    try:
        return int(Wallet.get(wallet_keys.wallet(user_id), wallet_keys.WALLET, consistent_read=True).balance)
    except Wallet.DoesNotExist:
        return 0


def wallet_entries(user_id: str) -> list[WalletEntry]:
    found = WalletEntry.query(wallet_keys.wallet(user_id), WalletEntry.sk.startswith("TX#"), consistent_read=True)
    return [e for e in found if isinstance(e, WalletEntry)]


def point(lat: float, lng: float, at: datetime, accuracy: float | None = None) -> dict[str, object]:
    """A GPS point as the client sends it."""
    body: dict[str, object] = {"lat": lat, "lng": lng, "at": at.isoformat()}
    if accuracy is not None:
        body["accuracy"] = accuracy
    return body
