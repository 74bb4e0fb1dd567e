"""PATCH /api/v1/orders/{orderId}/status: an order one step along the fulfilment chain.

Who may set what (:data:`souk.orders.status.ROLE_TARGETS`): a store owner ``accepted``,
``preparing`` and ``ready`` on their stores' orders; a courier ``picked_up`` and
``delivered`` on orders assigned to them; an admin any of those. The move itself must be
the next step (:func:`souk.orders.status.can_move`) from where the order stands on the
chain (a partially refunded order moves on from its status before the refund), else 409
INVALID_STATE. These rules
(:func:`check_target`, :func:`may_move`, :func:`check_move`) are plain functions.

One transaction: the order's update, conditional on the status it was read with (history
appended in the same write), its audit record and, when it becomes ``delivered``, its
commission's ``deliveredAt``/``availableAt`` and release index entry
(:func:`souk.finance.service.commissions.delivery_writes`) and the customer's purchases
(:func:`souk.orders.service.purchases.delivered_writes`) and the loyalty points it earns (one lot per
order, put once: :func:`souk.points.service.earning.delivered_writes`). Of two racing moves only one applies;
the other re-reads the order and answers 409 INVALID_STATE. ``cancelled`` has its own
route (POST /orders/{id}/cancel: stock and money go back); ``paid`` and the refund
statuses are set by payments and refunds only.

A delivery that failed gives the order back to the store (:func:`return_to_store`: ``ready`` or
``picked_up`` → ``preparing`` with the reason in its history, the courier removed): a system move
outside the chain, called by dispatch, which decides who may.

After the commit the customer is emailed when the order is ``ready`` or ``delivered``
(best effort: the move stands if the email cannot be queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, Forbidden, InvalidState, NotFound, ValidationFailed
from souk.finance.service import commissions
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.schemas import OrderOut, StatusRequest, order_out
from souk.orders.service import notifications, purchases
from souk.orders.service.orders import load_order
from souk.orders.store import orders as store
from souk.points.service import earning as points

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pynamodb.expressions.update import Action

    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction

    # A domain's part in an order's move: given the order as read, its writes for the same transaction
    # (or a Joined, or None).
    JoinMove = Callable[[Order], "Callable[[WriteTransaction], None] | Joined | None"]


@dataclass(frozen=True)
class Joined:
    """A domain's part in an order's move: ``writes`` on its own items, and ``order_actions`` that join the
    order's own update (a transaction writes an item once: dispatch's ``deliveryId`` on the order)."""

    writes: Callable[[WriteTransaction], None] | None = None
    order_actions: Sequence[Action] = ()


MAX_ATTEMPTS = 8  # transactions lost to a concurrent one on the same item (TransactionConflict), retried
# The statuses other routes set, and where.
SET_ELSEWHERE = {
    "cancelled": "Cancel an order with POST /api/v1/orders/{orderId}/cancel.",
    "pending_payment": "An order is pending payment only until its payment arrives.",
    "paid": "An order becomes paid when its payment succeeds.",
    "refunded": "Refund statuses are set by refunds (POST /api/v1/payments/{paymentId}/refund).",
    "partially_refunded": "Refund statuses are set by refunds (POST /api/v1/payments/{paymentId}/refund).",
}


# ---------------------------------------------------------------- rules: plain functions


def _label(status: str) -> str:
    return status.replace("_", " ")


def invalid_move(current: str, target: str) -> InvalidState:
    return InvalidState(f"An order that is {_label(current)} cannot become {_label(target)}.")


def check_target(role: str, target: str) -> None:
    """400 for a status set by another route; 403 for a status the role may not set."""
    if target in SET_ELSEWHERE:
        raise ValidationFailed.field("status", SET_ELSEWHERE[target])
    allowed = order_status.ROLE_TARGETS.get(role, frozenset())
    if target not in allowed:
        names = ", ".join(sorted(allowed, key=list(order_status.STATUSES).index))
        raise Forbidden(f"Your role may set an order's status to: {names}." if names else None)


def may_move(principal: Principal, order: Order) -> bool:
    """Admins any order; a store owner their stores' orders; a courier the orders assigned to them."""
    if principal.is_admin:
        return True
    if principal.role == "store_owner":
        return order.store_owner_id == principal.user_id
    if principal.role == "courier":
        return order.courier_id is not None and order.courier_id == principal.user_id
    return False


def check_move(current: str, target: str) -> None:
    """409 INVALID_STATE unless ``target`` is the next step of the chain from ``current``."""
    if not order_status.can_move(current, target):
        raise invalid_move(current, target)


# ---------------------------------------------------------------- the route


def move_order(principal: Principal, order_id: str, request: StatusRequest, *, also: JoinMove | None = None
               ) -> OrderOut:  # fmt: skip
    """Move the order to ``request.status``; reads one GetItem, writes one transaction (+ a re-read if it lost).

    ``also`` lets a domain above orders join the move (dispatch: the delivery an order creates
    when it becomes ready, or follows): called with the order as read on each attempt, it may
    raise to refuse the move, or return writes for the same transaction (or None), or a :class:`Joined`
    when it also sets fields of the order itself.

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
    check_target(principal.role, target)
    order = load_order(order_id)
    if not may_move(principal, order):
        raise NotFound("No such order.")

    def attempt() -> OrderOut:
        nonlocal order
        check_move(order_status.fulfilment_status(order.status, order.history or []), target)
        record = audit.build_record(principal.actor, "order.status", "order", order.order_id,
                                    before={"status": order.status},
                                    after={"status": target, "reason": request.reason})  # fmt: skip
        # Delivered: the commission's net becomes available funds.holdDays later (same transaction).
        finance = commissions.delivery_writes(order, utc_now()) if target == "delivered" else None
        # ... and what the customer received is recorded (purchases: read by reviews above orders).
        bought = purchases.delivered_writes(order, utc_now()) if target == "delivered" else None
        # ... and the customer earns loyalty points (a lot keyed by the order: never twice).
        earned = points.delivered_writes(order, utc_now()) if target == "delivered" else None
        joined = also(order) if also is not None else None
        part = joined if isinstance(joined, Joined) else Joined(writes=joined)
        extras = [writes for writes in (finance, bought, earned, part.writes) if writes is not None]
        try:
            store.write_move(order, target, principal.actor, request.reason, record, extras, part.order_actions)
        except TransactionCancelled as cancelled:
            if store.ORDER_LABEL in cancelled.failed():
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


def return_to_store(principal: Principal, order_id: str, reason: str, *,
                    also: Callable[[Order], Callable[[WriteTransaction], None] | None] | None = None
                    ) -> OrderOut:  # fmt: skip
    """A delivery that failed: the order goes back to the store's hands (``preparing``), outside the chain.

    Only from ``ready`` or ``picked_up`` (:data:`souk.orders.status.RETURNABLE`), by whoever may move the
    order (:func:`may_move`: the courier it is assigned to, admins). One transaction, like
    :func:`move_order`: the order's update conditional on the status read (history appended with
    ``reason``; ``courierId`` and its place on the courier's timeline removed: the store marks it ready
    again and a new delivery follows), its audit record (``order.status``) and what ``also`` joins (the
    failed delivery). Orders knows nothing of that delivery: the caller decides who may fail it.

    Raises
    ------
    NotFound
        No such order, or not one the caller may move.
    InvalidState
        The order is not ready or picked up (also when a concurrent move got there first).
    """
    order = load_order(order_id)
    if not may_move(principal, order):
        raise NotFound("No such order.")
    target = order_status.RETURNED_TO

    def attempt() -> OrderOut:
        nonlocal order
        if order_status.fulfilment_status(order.status, order.history or []) not in order_status.RETURNABLE:
            raise invalid_move(order.status, target)
        record = audit.build_record(principal.actor, "order.status", "order", order.order_id,
                                    before={"status": order.status},
                                    after={"status": target, "reason": reason})  # fmt: skip
        joined = also(order) if also is not None else None
        try:
            store.write_return(order, principal.actor, reason, record, [joined] if joined is not None else [])
        except TransactionCancelled as cancelled:
            if store.ORDER_LABEL in cancelled.failed():
                order = load_order(order_id)
                raise Retry from cancelled
            raise
        return order_out(load_order(order_id))

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("The order is busy right now; retry.", headers={"Retry-After": "1"}),
    )
