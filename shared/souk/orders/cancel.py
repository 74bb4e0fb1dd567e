"""Cancelling an order (POST /api/v1/orders/{orderId}/cancel) before it is ``ready``.

- ``pending_payment``: the checkout's unpaid orders share one PaymentIntent, so they are
  cancelled together by :func:`souk.orders.expiry.cancel_unpaid_checkout` (stock released,
  payment ``canceled``, intent cancelled).
- ``paid`` / ``accepted`` / ``preparing``: one transaction moves the order to ``cancelled``
  (conditional on the status read), releases each line's stock and records the audit;
  then what was paid goes back to where it came from through
  :func:`souk.orders.refunds.refund_order` (the order stays ``cancelled``), and the
  product flags catch up with the stock.

If the refund fails (Stripe down), the order is cancelled and its money not yet returned;
cancelling it again retries just the refund.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.catalog import inventory
from souk.db import keys
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, InvalidState, NotFound
from souk.observability import logger
from souk.orders import expiry
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.refunds import refund_order
from souk.orders.schemas import OrderOut, order_out
from souk.payments.models import Payment
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Actor, Principal

ORDER_LABEL = "order"
REFUND_REASON = "order cancelled"
MAX_ATTEMPTS = 25  # transactions lost to a concurrent one on the same item (TransactionConflict), retried


class CancelRequest(CamelModel):
    reason: str | None = Field(None, max_length=500, examples=["ordered by mistake"])

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return (value or "").strip() or None


class CancelOut(CamelModel):
    order: OrderOut = Field(description="The order asked for, after the cancel (with what was refunded).")
    cancelled_orders: list[OrderOut] = Field(
        description="Every order this cancel cancelled: an unpaid checkout's orders share one payment and go together."
    )


def _load(order_id: str) -> Order:
    try:
        return Order.get(keys.order(order_id), keys.order(order_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None


def _owned(principal: Principal, order_id: str) -> Order:
    """The order if the caller is its customer, its store's owner or an admin; else 404."""
    order = _load(order_id)
    if not principal.is_admin and principal.user_id not in (order.customer_id, order.store_owner_id):
        raise NotFound()
    return order


def _payment(payment_id: str) -> Payment:
    try:
        return Payment.get(keys.payment(payment_id), keys.payment(payment_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None


def _releases(order: Order) -> dict[tuple[str, str], int]:
    """Units per (product, sku): one update per variant in the transaction."""
    units: Counter[tuple[str, str]] = Counter()
    for line in order.lines or []:
        units[(str(line["productId"]), str(line["sku"]))] += int(line["quantity"])
    return dict(units)


def _not_cancellable(order: Order) -> InvalidState:
    return InvalidState(f"An order that is {order.status.replace('_', ' ')} can no longer be cancelled.")


def cancel_paid_order(actor: Actor, order: Order, reason: str | None) -> Order:
    """``paid``/``accepted``/``preparing`` → ``cancelled`` with its stock released, in one transaction.

    A variant deleted since checkout has no stock to give back: its release is dropped.
    A lost race on the order's status re-reads it once.

    Raises
    ------
    InvalidState
        The order is (now) in a status that cannot be cancelled.
    """
    releases = _releases(order)
    gone: set[str] = set()
    recomputed = False

    def attempt() -> Order:
        nonlocal order, gone, recomputed
        if order.status not in order_status.CANCELLABLE or order.status == "pending_payment":
            raise _not_cancellable(order)
        actions, condition = order_status.move_actions(order, "cancelled", actor, reason)
        try:
            with WriteTransaction() as tx:
                tx.update(order, actions, condition, label=ORDER_LABEL)
                for (product_id, sku), quantity in releases.items():
                    if inventory.stock_label(product_id, sku) not in gone:
                        inventory.release_stock(tx, product_id, sku, quantity)
                audit.record(actor, "order.cancel", "order", order.order_id, tx=tx, before={"status": order.status},
                             after={"status": "cancelled", "reason": reason,
                                    "released": [{"productId": p, "sku": s, "quantity": q}
                                                 for (p, s), q in releases.items()]})  # fmt: skip
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if ORDER_LABEL in failed:
                if recomputed:
                    raise Conflict("The order changed meanwhile; check it and retry.") from cancelled
                recomputed = True
                order = _load(order.order_id)
                raise Retry from cancelled
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
    left = int(order.paid_amount or 0) - int(order.refunded_amount or 0)
    if order.status == "cancelled" and left > 0:
        cancelled = order  # cancelled before, its refund did not go through: retry just that
    else:
        cancelled = cancel_paid_order(principal.actor, order, request.reason)
        inventory.refresh_after_commit([p for p, _ in _releases(order)])
    if left > 0:
        refund_order(principal.actor, cancelled, _payment(cancelled.payment_id), None, to="original",
                     reason=REFUND_REASON)  # fmt: skip
        cancelled = _load(order_id)
    return CancelOut(order=order_out(cancelled), cancelled_orders=[order_out(cancelled)])
