"""PATCH /api/v1/orders/{orderId}/status with dispatch joined (:func:`souk.orders.service.fulfilment.move_order`).

- ``ready``: the order's :class:`Delivery` is created in the move's own transaction (status
  ``offered``, no courier yet, pickup = the store's lat/lng, dropoff = the address snapshot's,
  fee = the order's delivery fee, due for the dispatcher now) and ``Order.deliveryId`` names it.
  After the commit it is offered at once, best effort; the every-minute job catches the rest.
  An order whose store or address has no coordinates (placed before stores had them) still
  becomes ready, with no delivery: nothing can be dispatched without a pickup and a drop-off, and
  refusing ``ready`` would leave it stuck in the store; an admin moves it on by hand as before.
- ``picked_up``/``delivered`` of an order that has a delivery: a courier uses PATCH
  /api/v1/deliveries/{id}/status (409 INVALID_STATE naming it); an admin's move goes through
  and the delivery follows in the same transaction (:func:`follow`, for any caller that moves
  an order its delivery must follow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.catalog.service.stores import get_store
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.dispatch.models import OFFERED, OPEN
from souk.dispatch.service.offers import offer_quietly
from souk.dispatch.store import deliveries as reads
from souk.dispatch.store import offers as store
from souk.errors import Conflict, InvalidState, NotFound
from souk.ids import new_id
from souk.observability import logger
from souk.orders.models import Order
from souk.orders.service import fulfilment as orders_fulfilment
from souk.orders.service.fulfilment import Joined

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction
    from souk.dispatch.models import Delivery
    from souk.orders.schemas import OrderOut, StatusRequest

ATTEMPTS = 4  # moves lost to a concurrent write of the delivery (an offer, an accept), tried again
# Which delivery statuses may follow their order to each status.
FOLLOWS_FROM = {
    "picked_up": frozenset({OFFERED, "assigned"}),
    "delivered": frozenset({OFFERED, "assigned", "picked_up"}),
}


# --- rules: plain functions ------------------------------------------------------------------------


def coordinates(store_lat: object, store_lng: object, address: object
                ) -> tuple[tuple[float, float], tuple[float, float]] | None:  # fmt: skip
    """(pickup, dropoff) as (lat, lng) pairs, or None when the store or the address snapshot lacks them."""
    if store_lat is None or store_lng is None or not isinstance(address, dict):
        return None
    lat, lng = address.get("lat"), address.get("lng")
    if lat is None or lng is None:
        return None
    try:
        return (float(store_lat), float(store_lng)), (float(lat), float(lng))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def courier_refusal(delivery_id: str) -> InvalidState:
    return InvalidState(f"This order has a delivery: move it with PATCH /api/v1/deliveries/{delivery_id}/status.")


# --- the writes other moves reuse --------------------------------------------------------------------


def follow(delivery: Delivery, status: str, now: datetime) -> Callable[[WriteTransaction], None] | None:
    """The delivery's writes for its order's move to ``picked_up`` or ``delivered``, for the order's own
    transaction (conditional on the delivery's version: a failed condition has the ``delivery`` label);
    None when the delivery does not follow (closed, or already there)."""
    if delivery.status not in OPEN or delivery.status not in FOLLOWS_FROM.get(status, frozenset()):
        return None
    return store.follow_writes(delivery, status, now)


def _ready_delivery(order: Order, now: datetime) -> Delivery | None:
    """The delivery a ready order gets (unsaved), or None when it has no coordinates to dispatch with."""
    try:
        shop = get_store(order.store_id)
    except NotFound:
        return None
    points = coordinates(shop.lat, shop.lng, order.address)
    if points is None:
        logger.warning("ready order has no coordinates: no delivery", extra={"order_id": order.order_id})
        return None
    return store.new_delivery(delivery_id=new_id(), order=order, pickup=points[0], dropoff=points[1], now=now)


# --- the route -------------------------------------------------------------------------------------


def move_order(principal: Principal, order_id: str, request: StatusRequest) -> OrderOut:
    """The order's move (:func:`souk.orders.service.fulfilment.move_order`) with its delivery joined.

    Raises what the order's move raises, and
    InvalidState
        A courier moving an order that has a delivery to ``picked_up``/``delivered``.
    Conflict
        The delivery kept changing under the move (retry).
    """
    created: list[str] = []

    def also(order: Order) -> Callable[[WriteTransaction], None] | Joined | None:
        created.clear()
        now = utc_now()
        if request.status == "ready":
            new = _ready_delivery(order, now)
            if new is None:
                return None
            created.append(new.delivery_id)
            return Joined(
                writes=lambda tx: store.put_new(tx, new), order_actions=[Order.delivery_id.set(new.delivery_id)]
            )
        if request.status in FOLLOWS_FROM and order.delivery_id:
            if not principal.is_admin:
                raise courier_refusal(order.delivery_id)
            delivery = reads.get_delivery(order.delivery_id)
            return follow(delivery, request.status, now) if delivery is not None else None
        return None

    def attempt() -> OrderOut:
        try:
            return orders_fulfilment.move_order(principal, order_id, request, also=also)
        except TransactionCancelled as cancelled:
            if store.DELIVERY_LABEL in cancelled.failed():
                raise Retry from cancelled  # the delivery changed since it was read (an offer, an accept)
            raise

    moved = retry_on_contention(attempt, attempts=ATTEMPTS,
                                exhausted=lambda: Conflict("The order's delivery is busy right now; retry.",
                                                           headers={"Retry-After": "1"}))  # fmt: skip
    for delivery_id in created:
        offer_quietly(delivery_id)
    return moved
