"""Notifications about offers (type ``delivery``, through :func:`souk.notifications.service.notifications.notify`):
to the courier a delivery is offered to, and to the customer once a courier accepted; each in the app
and by its email.

Best effort after the commit, like :mod:`souk.orders.service.notifications`: the offer or the
assignment stands when a notification cannot be sent. Each event is the delivery id with a stable
version (the offer's expiry instant: one per offer; ``assigned``), so a retried request notifies once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.catalog.service.stores import get_store
from souk.errors import NotFound
from souk.identity.service.users import get_user
from souk.money import display
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger

if TYPE_CHECKING:
    from souk.dispatch.models import Delivery


def _send(user_id: str, version: str, title: str, body: str, email: Message, delivery: Delivery) -> None:
    try:
        notify(user_id, "delivery", delivery.delivery_id, version, title=title, body=body, email=email,
               data={"deliveryId": delivery.delivery_id, "orderId": delivery.order_id})  # fmt: skip
    except NotificationError as exc:
        logger.warning("delivery email not queued", extra={"delivery_id": delivery.delivery_id, "version": version,
                                                           "error_type": type(exc).__name__})  # fmt: skip


def _store_name(delivery: Delivery) -> str:
    try:
        return get_store(delivery.store_id).name
    except NotFound:
        return "a store"


def offered(delivery: Delivery, distance_km: float, seconds: int) -> None:
    """The courier hears of the offer (the app also lists it: GET /deliveries)."""
    if delivery.courier_id is None or delivery.offer_expires_at is None:
        return
    variables: dict[str, str | int | float] = {
        "order_id": delivery.order_id, "store_name": _store_name(delivery), "distance_km": distance_km,
        "fee": display(int(delivery.fee_amount), delivery.currency), "seconds": seconds,
    }  # fmt: skip
    stamp = delivery.offer_expires_at.isoformat()
    _send(delivery.courier_id, f"offer:{stamp}", f"Delivery offer: order {delivery.order_id}",
          f"{variables['store_name']}, {distance_km} km, fee {variables['fee']}: accept within {seconds} s.",
          Message("delivery_offered", variables), delivery)  # fmt: skip


def courier_assigned(delivery: Delivery, courier_id: str) -> None:
    """The customer learns who will bring the order."""
    try:
        courier_name = get_user(courier_id).name
    except NotFound:
        courier_name = "A courier"
    variables = {"order_id": delivery.order_id, "store_name": _store_name(delivery), "courier_name": courier_name}
    _send(delivery.customer_id, "assigned", f"A courier is bringing order {delivery.order_id}",
          f"{courier_name} will bring your order from {variables['store_name']}.",
          Message("courier_assigned", variables), delivery)  # fmt: skip
