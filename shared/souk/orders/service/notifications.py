"""Emails about orders: paid (to the customer and the store owner) and status changes (to the customer).

Always best effort after the commit: an order stands even when its email cannot be
queued. Each email has an idempotency id, so a retried request or a redelivered webhook
queues it once.
"""

from __future__ import annotations

from typing import Any

from souk.catalog.service.stores import get_store
from souk.errors import NotFound
from souk.identity.service.users import get_user
from souk.money import display
from souk.notify.exceptions import NotificationError
from souk.notify.service import enqueue_email
from souk.observability import logger
from souk.orders.models import Order

STATUS_DETAIL = {"ready": "It is ready and waits for its courier.", "delivered": "It has been delivered. Enjoy!"}


def _send(template: str, user_id: str, variables: dict[str, Any], idempotency_id: str, order: Order) -> None:
    try:
        enqueue_email(template, get_user(user_id).email, variables, idempotency_id=idempotency_id)
    except (NotFound, NotificationError) as exc:
        logger.warning("order email not queued", extra={"order_id": order.order_id, "template": template,
                                                        "error_type": type(exc).__name__})  # fmt: skip


def _store_name(order: Order) -> str:
    try:
        return get_store(order.store_id).name
    except NotFound:
        return "your store"


def order_paid(order: Order) -> None:
    """The customer's confirmation and the store owner's "new order"."""
    variables = {"order_id": order.order_id, "store_name": _store_name(order),
                 "total": display(int(order.total), order.currency),
                 "items": sum(int(line["quantity"]) for line in order.lines or [])}  # fmt: skip
    _send("order_paid", order.customer_id, variables, f"order-paid:{order.order_id}", order)
    _send("new_order", order.store_owner_id, variables, f"new-order:{order.order_id}", order)


def status_changed(order: Order) -> None:
    """The customer hears about the steps that concern them (see STATUS_DETAIL)."""
    if order.status not in STATUS_DETAIL:
        return
    variables = {"order_id": order.order_id, "store_name": _store_name(order),
                 "status": order.status.replace("_", " "), "detail": STATUS_DETAIL[order.status]}  # fmt: skip
    _send("order_status_changed", order.customer_id, variables, f"order-status:{order.order_id}:{order.status}", order)
