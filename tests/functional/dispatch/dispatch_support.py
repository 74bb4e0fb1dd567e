"""Dispatch test data: a store with coordinates, a preparing order with an address snapshot, couriers
made available (their position and cell entry written as PUT /couriers/me/availability writes them;
the verification that route asks for is another feature's test)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from souk.admin_settings import service as admin_settings
from souk.caller import Principal
from souk.catalog.models import Store
from souk.delivery import geo, keys
from souk.delivery import store as delivery_store
from souk.delivery.models import CourierCellEntry, CourierPosition
from souk.dispatch import keys as dispatch_keys
from souk.dispatch.models import CourierOffer, Delivery
from souk.identity.models import User
from souk.orders.models import Order
from tests.commerce_factories import make_order, stored_order
from tests.factories import create_user, token_for

STORE_AT = (40.0, -73.0)  # tests.functional.product_support.make_store's address
HOME = {"id": "addr-1", "label": "Home", "line1": "9 Elm St", "city": "Springfield", "country": "US",
        "lat": 40.02, "lng": -73.01}  # fmt: skip
FEE = 450


@dataclass
class Party:
    user: User
    token: str

    @property
    def id(self) -> str:
        return self.user.user_id

    @property
    def principal(self) -> Principal:
        return Principal(self.user.user_id, self.user.role, "session")


def party(role: str) -> Party:
    user = create_user(role, email=f"{role}-{uuid.uuid4().hex[:8]}@example.com")
    return Party(user, token_for(user))


def make_available(courier_id: str, lat: float, lng: float, *, available: bool = True) -> None:
    settings = admin_settings.current().delivery
    cell = geo.cell_of(lat, lng, geo.precision_for(settings.max_radius_km)) if available else None
    now = datetime.now(UTC)
    read = delivery_store.get_position(courier_id)
    position = CourierPosition(pk=keys.courier_key(courier_id), sk=keys.POSITION, courier_id=courier_id, lat=lat,
                               lng=lng, available=available, cell=cell, at=now,
                               version=int(read.version) + 1 if read else 1)  # fmt: skip
    entry = None
    if cell is not None:
        entry = CourierCellEntry(pk=keys.courier_cell_key(cell), sk=keys.courier_key(courier_id), courier_id=courier_id,
                                 lat=lat, lng=lng, at=now,
                                 expires_at=now + timedelta(seconds=settings.stale_after_seconds))  # fmt: skip
    delivery_store.save_position(read, position, entry)


def courier_near(offset: float) -> Party:
    """An available courier ``offset`` degrees of latitude north of the store (0.01 is ~1.1 km)."""
    courier = party("courier")
    make_available(courier.id, STORE_AT[0] + offset, STORE_AT[1])
    return courier


def preparing_order(customer_id: str, store: Store, *, address: dict[str, object] | None = None) -> Order:
    order = make_order(customer_id, store.store_id, store.owner_id, status="preparing")
    order.update([Order.address.set(HOME if address is None else address), Order.delivery_fee.set(FEE)])
    return stored_order(order.order_id)


def stored_delivery(delivery_id: str) -> Delivery:
    return Delivery.get(dispatch_keys.delivery(delivery_id), dispatch_keys.DELIVERY, consistent_read=True)


def marker(courier_id: str) -> CourierOffer | None:
    try:
        return CourierOffer.get(dispatch_keys.courier(courier_id), dispatch_keys.OFFER, consistent_read=True)
    except CourierOffer.DoesNotExist:
        return None


def position(courier_id: str) -> CourierPosition | None:
    return delivery_store.get_position(courier_id)


def expire_offer(delivery_id: str) -> None:
    """Move the offer's expiry (and its due time) into the past, as if offerSeconds had gone by."""
    from souk.dispatch.store.offers import due_key

    past = datetime.now(UTC) - timedelta(seconds=1)
    delivery = stored_delivery(delivery_id)
    delivery.update([Delivery.offer_expires_at.set(past), Delivery.gsi3sk.set(due_key(past, delivery_id))])
    found = marker(delivery.courier_id or "")
    if found is not None:
        found.update([CourierOffer.offer_expires_at.set(past)])
