"""Notifications about orders, through :func:`souk.notifications.service.notifications.notify`.

Paid (to the customer, ``payment``, and the store owner, ``order``), status moves and a
cancellation (to the customer, ``order``), a refund (to the customer, ``payment``). Each is an
in-app notification and, where the event had one before, its email (templates in
:mod:`souk.orders.emails`). Always best effort after the commit: an order stands even when its
notification cannot be written or queued. Each event has a stable (entity, version): the
order id with ``paid`` / ``new`` / ``cancelled``, the order id with the status moved to and
the history's length (a second ``ready`` after a failed delivery is another event), the
refund id for a refund; so a retried request or a redelivered webhook notifies once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.catalog.service.stores import get_store
from souk.errors import NotFound
from souk.money import display
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger
from souk.orders.models import Order

if TYPE_CHECKING:
    from souk.payments.models import Refund

STATUS_DETAIL = {"ready": "It is ready and waits for its courier.", "delivered": "It has been delivered. Enjoy!"}
# The moves a customer hears of in the app; STATUS_DETAIL's are emailed too.
STATUS_TITLE = {"accepted": "accepted by the store", "preparing": "being prepared", "ready": "ready",
                "picked_up": "on its way", "delivered": "delivered"}  # fmt: skip


def _send(user_id: str, kind: str, version: str, order: Order, title: str, body: str,
          email: Message | None = None, data: dict[str, Any] | None = None) -> None:  # fmt: skip
    try:
        notify(user_id, kind, order.order_id, version, title=title, body=body,
               data=data or {"orderId": order.order_id}, email=email)  # fmt: skip
    except NotificationError as exc:
        logger.warning("order notification not sent", extra={"order_id": order.order_id, "version": version,
                                                              "error_type": type(exc).__name__})  # fmt: skip


def _store_name(order: Order) -> str:
    try:
        return get_store(order.store_id).name
    except NotFound:
        return "your store"


def order_paid(order: Order) -> None:
    """The customer's confirmation and the store owner's "new order"."""
    variables: dict[str, str | int | float] = {
        "order_id": order.order_id, "store_name": _store_name(order),
        "total": display(int(order.total), order.currency),
        "items": sum(int(line["quantity"]) for line in order.lines or []),
    }  # fmt: skip
    _send(order.customer_id, "payment", "paid", order, f"Order {order.order_id} confirmed",
          f"Your order from {variables['store_name']} is paid: {variables['total']}.",
          Message("order_paid", variables))  # fmt: skip
    _send(order.store_owner_id, "order", "new", order, f"New order {order.order_id}",
          f"{variables['store_name']} has a new paid order: {variables['total']}. Accept it to start preparing.",
          Message("new_order", variables))  # fmt: skip


def status_changed(order: Order) -> None:
    """The customer hears of the moves that concern them (STATUS_TITLE; STATUS_DETAIL's by email too)."""
    if order.status not in STATUS_TITLE:
        return
    store_name = _store_name(order)
    email = None
    if order.status in STATUS_DETAIL:
        email = Message("order_status_changed", {"order_id": order.order_id, "store_name": store_name,
                                                 "status": order.status.replace("_", " "),
                                                 "detail": STATUS_DETAIL[order.status]})  # fmt: skip
    version = f"{order.status}:{len(order.history or [])}"
    _send(order.customer_id, "order", version, order, f"Order {order.order_id} is {STATUS_TITLE[order.status]}",
          STATUS_DETAIL.get(order.status, f"Your order from {store_name} is {STATUS_TITLE[order.status]}."),
          email, {"orderId": order.order_id, "status": order.status})  # fmt: skip


def cancelled(order: Order) -> None:
    """The customer and the store owner hear that a paid order was cancelled (in the app)."""
    body = f"Order {order.order_id} from {_store_name(order)} was cancelled; what was paid goes back."
    data = {"orderId": order.order_id, "status": "cancelled"}
    for user_id in dict.fromkeys((order.customer_id, order.store_owner_id)):
        _send(user_id, "order", "cancelled", order, f"Order {order.order_id} cancelled", body, data=data)


def refunded(order: Order, refund: Refund) -> None:
    """The customer hears of a refund made (in the app): one per refund."""
    amount = display(int(refund.amount), refund.currency)
    where = "your wallet" if refund.to == "wallet" else "your card"
    try:
        notify(order.customer_id, "payment", refund.refund_id, "refunded", title=f"Refund of {amount}",
               body=f"{amount} for order {order.order_id} is refunded to {where}.",
               data={"orderId": order.order_id, "refundId": refund.refund_id})  # fmt: skip
    except NotificationError as exc:
        logger.warning("refund notification not sent", extra={"refund_id": refund.refund_id,
                                                               "error_type": type(exc).__name__})  # fmt: skip
