"""Cancelling an order (POST /api/v1/orders/{orderId}/cancel) before it is ``ready``.

- ``pending_payment``: the checkout's unpaid orders share one PaymentIntent, so they are
  cancelled together by :func:`souk.orders.service.expiry.cancel_unpaid_checkout` (stock
  released, payment ``canceled``, intent cancelled).
- ``paid`` / ``accepted`` / ``preparing``: one transaction moves the order to ``cancelled``
  (conditional on the status read), releases each line's stock, gives back the loyalty points it
  redeemed (to their lots, with their expiry: :func:`souk.points.service.redemption.restore_writes`)
  and records the audit;
  then what was paid goes back to where it came from through
  :func:`souk.orders.service.refunds.refund_order` (the order stays ``cancelled``), and the
  product flags catch up with the stock.

If the refund fails (Stripe down), the order is cancelled and its money not yet returned;
cancelling it again retries just the refund.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.catalog.service import inventory
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, InvalidState, NotFound
from souk.observability import logger
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.schemas import CancelOut, CancelRequest, order_out
from souk.orders.service import expiry, notifications
from souk.orders.service.refunds import refund_order
from souk.orders.store import orders as store
from souk.payments.models import Payment
from souk.points.service import redemption as points

if TYPE_CHECKING:
    from souk.caller import Actor, Principal

REFUND_REASON = "order cancelled"
MAX_ATTEMPTS = 25  # transactions lost to a concurrent one on the same item (TransactionConflict), retried


# ---------------------------------------------------------------- rules: plain functions over loaded values


def check_cancellable(order: Order) -> None:
    """409 INVALID_STATE unless a paid order may still be cancelled (``paid``, ``accepted``, ``preparing``)."""
    if order.status not in order_status.CANCELLABLE or order.status == "pending_payment":
        raise InvalidState(f"An order that is {order.status.replace('_', ' ')} can no longer be cancelled.")


def refund_left(order: Order) -> int:
    """What was paid for the order and not given back yet."""
    return int(order.paid_amount or 0) - int(order.refunded_amount or 0)


# ---------------------------------------------------------------- reads


def _load(order_id: str) -> Order:
    order = store.read_order(order_id)
    if order is None:
        raise NotFound()
    return order


def _owned(principal: Principal, order_id: str) -> Order:
    """The order if the caller is its customer, its store's owner or an admin; else 404."""
    order = _load(order_id)
    if not principal.is_admin and principal.user_id not in (order.customer_id, order.store_owner_id):
        raise NotFound()
    return order


def _payment(payment_id: str) -> Payment:
    payment = store.read_payment(payment_id)
    if payment is None:
        raise NotFound()
    return payment


# ---------------------------------------------------------------- the cancellation


def cancel_paid_order(actor: Actor, order: Order, reason: str | None) -> Order:
    """``paid``/``accepted``/``preparing`` → ``cancelled`` with its stock released, in one transaction.

    A variant deleted since checkout has no stock to give back: its release is dropped.
    A lost race on the order's status re-reads it once.

    Raises
    ------
    InvalidState
        The order is (now) in a status that cannot be cancelled.
    """
    releases = expiry.releases([order])
    gone: set[str] = set()
    recomputed = False

    def attempt() -> Order:
        nonlocal order, gone, recomputed
        check_cancellable(order)
        record = audit.build_record(actor, "order.cancel", "order", order.order_id, before={"status": order.status},
                                    after={"status": "cancelled", "reason": reason,
                                           "released": [{"productId": p, "sku": s, "quantity": q}
                                                        for (p, s), q in releases.items()]})  # fmt: skip
        restore = points.restore_writes([order])
        try:
            store.write_cancel(order, actor, reason, releases, gone, record, [restore] if restore is not None else [])
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if store.ORDER_LABEL in failed:
                if recomputed:
                    raise Conflict("The order changed meanwhile; check it and retry.") from cancelled
                recomputed = True
                order = _load(order.order_id)
                raise Retry from cancelled
            if points.lost_race(sorted(failed)):
                raise Retry from cancelled  # a lot expired meanwhile: decide the points again
            if failed:  # only stock labels: those variants no longer exist
                gone |= failed
                logger.warning("cancel: variants gone, stock not released", extra={"labels": sorted(failed)})
                raise Retry from cancelled
            if not set(cancelled.reasons.values()) <= CONTENTION:
                raise Conflict("The order could not be cancelled; retry.", headers={"Retry-After": "1"}) from cancelled
            raise  # a race lost to another transaction: retried
        return _load(order.order_id)

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("The order is busy right now; retry.", headers={"Retry-After": "1"}),
    )


def _cancel_unpaid(principal: Principal, order: Order, reason: str | None) -> CancelOut | Order:
    """The checkout's unpaid orders cancelled together; or the order re-read when it was paid meanwhile."""
    cancelled = expiry.cancel_unpaid_checkout(_payment(order.payment_id), reason or REFUND_REASON, principal.actor)
    mine = next((o for o in cancelled if o.order_id == order.order_id), None)
    if mine is None:  # the card was confirmed first: cancel it as a paid order
        return _load(order.order_id)
    return CancelOut(order=order_out(mine), cancelled_orders=[order_out(o) for o in cancelled])


def cancel_order(principal: Principal, order_id: str, request: CancelRequest) -> CancelOut:
    """POST /orders/{orderId}/cancel for the order's customer, its store's owner or an admin.

    Reads: the order (GetItem), its payment (GetItem) when money goes back.

    Raises
    ------
    NotFound
        No such order, or not the caller's.
    InvalidState
        The order is ``ready`` or later, or already cancelled with nothing left to refund.
    UpstreamError, ServiceUnavailable
        The order is cancelled but Stripe refused the refund; cancelling again retries it.
    """
    order = _owned(principal, order_id)
    if order.status == "pending_payment":
        unpaid = _cancel_unpaid(principal, order, request.reason)
        if isinstance(unpaid, CancelOut):
            return unpaid
        order = unpaid
    left = refund_left(order)
    if order.status == "cancelled" and left > 0:
        cancelled = order  # cancelled before, its refund did not go through: retry just that
    else:
        cancelled = cancel_paid_order(principal.actor, order, request.reason)
        inventory.refresh_after_commit([p for p, _ in expiry.releases([order])])
        notifications.cancelled(cancelled)
    if left > 0:
        refund_order(principal.actor, cancelled, _payment(cancelled.payment_id), None, to="original",
                     reason=REFUND_REASON)  # fmt: skip
        cancelled = _load(order_id)
    return CancelOut(order=order_out(cancelled), cancelled_orders=[order_out(cancelled)])
