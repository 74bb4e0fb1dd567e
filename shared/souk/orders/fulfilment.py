"""PATCH /api/v1/orders/{orderId}/status: an order one step along the fulfilment chain.

Who may set what (:data:`souk.orders.status.ROLE_TARGETS`): a store owner ``accepted``,
``preparing`` and ``ready`` on their stores' orders; a courier ``picked_up`` and
``delivered`` on orders assigned to them; an admin any of those. The move itself must be
the next step (:func:`souk.orders.status.can_move`), else 409 INVALID_STATE.

One transaction: the order's update, conditional on the status it was read with (history
appended in the same write), and its audit record. Of two racing moves only one applies;
the other re-reads the order and answers 409 INVALID_STATE. ``cancelled`` has its own
route (POST /orders/{id}/cancel: stock and money go back); ``paid`` and the refund
statuses are set by payments and refunds only.

After the commit the customer is emailed when the order is ``ready`` or ``delivered``
(best effort: the move stands if the email cannot be queued).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field, field_validator

from souk.audit import service as audit
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from souk.orders import notifications
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.queries import load_order
from souk.orders.schemas import OrderOut, order_out
from souk.orders.status import OrderStatus
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Principal

ORDER_LABEL = "order"
MAX_ATTEMPTS = 8  # transactions lost to a concurrent one on the same item (TransactionConflict), retried
# The customer hears about these moves by email.
_SET_ELSEWHERE = {
    "cancelled": "Cancel an order with POST /api/v1/orders/{orderId}/cancel.",
    "pending_payment": "An order is pending payment only until its payment arrives.",
    "paid": "An order becomes paid when its payment succeeds.",
    "refunded": "Refund statuses are set by refunds (POST /api/v1/payments/{paymentId}/refund).",
    "partially_refunded": "Refund statuses are set by refunds (POST /api/v1/payments/{paymentId}/refund).",
}


class StatusRequest(CamelModel):
    status: OrderStatus = Field(description="The next status: accepted, preparing, ready, picked_up or delivered.",
                                examples=["accepted"])  # fmt: skip
    reason: str | None = Field(None, max_length=500, examples=["out for delivery"])

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


def _label(status: str) -> str:
    return status.replace("_", " ")


def invalid_move(current: str, target: str) -> InvalidState:
    return InvalidState(f"An order that is {_label(current)} cannot become {_label(target)}.")


def _check_target(principal: Principal, target: str) -> None:
    if target in _SET_ELSEWHERE:
        raise ValidationFailed.field("status", _SET_ELSEWHERE[target])
    allowed = order_status.ROLE_TARGETS.get(principal.role, frozenset())
    if target not in allowed:
        names = ", ".join(sorted(allowed, key=list(order_status.STATUSES).index))
        raise Forbidden(f"Your role may set an order's status to: {names}." if names else None)


def _may_move(principal: Principal, order: Order) -> bool:
    """Admins any order; a store owner their stores' orders; a courier the orders assigned to them."""
    if principal.is_admin:
        return True
    if principal.role == "store_owner":
        return order.store_owner_id == principal.user_id
    if principal.role == "courier":
        return order.courier_id is not None and order.courier_id == principal.user_id
    return False


def move_order(principal: Principal, order_id: str, request: StatusRequest) -> OrderOut:
    """Move the order to ``request.status``; reads one GetItem, writes one transaction (+ a re-read if it lost).

    Raises
    ------
    ValidationFailed
        ``cancelled``, ``paid`` or a refund status asked for (set by their own routes).
    Forbidden
        The caller's role may not set that status.
    NotFound
        No such order, or not one the caller may move.
    InvalidState
        Not the next step from the order's status (also when a concurrent move got there first).
    """
    target = request.status
    _check_target(principal, target)
    order = load_order(order_id)
    if not _may_move(principal, order):
        raise NotFound("No such order.")

    def attempt() -> OrderOut:
        nonlocal order
        if not order_status.can_move(order.status, target):
            raise invalid_move(order.status, target)
        actions, condition = order_status.move_actions(order, target, principal.actor, request.reason)
        try:
            with WriteTransaction() as tx:
                tx.update(order, actions, condition, label=ORDER_LABEL)
                audit.record(principal.actor, "order.status", "order", order.order_id, tx=tx,
                             before={"status": order.status},
                             after={"status": target, "reason": request.reason})  # fmt: skip
        except TransactionCancelled as cancelled:
            if ORDER_LABEL in cancelled.failed():
                order = load_order(order_id)  # moved meanwhile: the check above answers for the new status
                raise Retry from cancelled
            raise  # a race lost to another transaction is retried; anything else is raised
        moved = load_order(order_id)
        notifications.status_changed(moved)
        return order_out(moved)

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("The order is busy right now; retry.", headers={"Retry-After": "1"}),
    )
