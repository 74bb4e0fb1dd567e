"""Emails about offers: to the courier a delivery is offered to, and to the customer once a courier accepted.

Best effort after the commit, like :mod:`souk.orders.service.notifications`: the offer or the
assignment stands when an email cannot be queued. Each email has an idempotency id (one per offer,
one per assignment), so a retried request queues it once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.catalog.service.stores import get_store
from souk.errors import NotFound
from souk.identity.service.users import get_user
from souk.money import display
from souk.notify.exceptions import NotificationError
from souk.notify.service import enqueue_email
from souk.observability import logger

if TYPE_CHECKING:
    from souk.dispatch.models import Delivery


def _send(template: str, user_id: str, variables: dict[str, Any], idempotency_id: str, delivery: Delivery) -> None:
    try:
        enqueue_email(template, get_user(user_id).email, variables, idempotency_id=idempotency_id)
    except (NotFound, NotificationError) as exc:
        logger.warning("delivery email not queued", extra={"delivery_id": delivery.delivery_id, "template": template,
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
    variables = {"order_id": delivery.order_id, "store_name": _store_name(delivery), "distance_km": distance_km,
                 "fee": display(int(delivery.fee_amount), delivery.currency), "seconds": seconds}  # fmt: skip
    stamp = delivery.offer_expires_at.isoformat()
    _send("delivery_offered", delivery.courier_id, variables, f"delivery-offer:{delivery.delivery_id}:{stamp}",
          delivery)  # fmt: skip


def courier_assigned(delivery: Delivery, courier_id: str) -> None:
    """The customer learns who will bring the order."""
    try:
        courier_name = get_user(courier_id).name
    except NotFound:
        courier_name = "A courier"
    variables = {"order_id": delivery.order_id, "store_name": _store_name(delivery), "courier_name": courier_name}
    _send("courier_assigned", delivery.customer_id, variables, f"delivery-assigned:{delivery.delivery_id}", delivery)
