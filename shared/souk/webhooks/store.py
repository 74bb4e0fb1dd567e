"""The webhook's DynamoDB access: the event record, the payment, its refunds and orders an event is about,
and the writes each effect adds to the event's transaction.

Every write is conditional on the state it was read with (the payment's status and refund
total, the orders' statuses): a transaction that loses a race fails and is rebuilt from a
fresh read. The common path is one GetItem (the payment), one BatchGetItem (its orders)
and one transaction.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from souk.db.base import SoukItem, utc_now
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from souk.payments import keys as payments_keys
from souk.payments.models import Payment, Refund
from souk.webhooks import keys
from souk.webhooks.models import StripeEvent

EVENT_LABEL = "stripe-event"  # a ConditionalCheckFailed on it: this event was applied already
PAYMENT_LABEL = "payment"
EVENT_TTL = timedelta(days=30)  # longer than Stripe retries a delivery (3 days)
# A payment's partition holds the payment and its refunds: one page of this many items is all of them.
DETAIL_PAGE = 500


def add_event(tx: WriteTransaction, event_id: str, event_type: str, outcome: str) -> None:
    """Add to ``tx``: the event's record, on condition it is new (else ``tx`` fails on :data:`EVENT_LABEL`)."""
    now = utc_now()
    item = StripeEvent(pk=keys.stripe_event(event_id), sk=keys.stripe_event(event_id), event_id=event_id,
                       type=event_type, outcome=outcome[:500], expires_at=now + EVENT_TTL, created_at=now,
                       updated_at=now)  # fmt: skip
    tx.put(item, StripeEvent.pk.does_not_exist(), label=EVENT_LABEL)


def load_payment(payment_id: str | None) -> Payment | None:
    """The payment, strongly consistent; None for no id or no such payment."""
    if not payment_id:
        return None
    try:
        return Payment.get(payments_keys.payment(payment_id), payments_keys.payment(payment_id), consistent_read=True)
    except Payment.DoesNotExist:
        return None


def payment_with_refunds(payment_id: str) -> tuple[Payment | None, list[Refund]]:
    """The payment and its refunds, strongly consistent: one Query on its partition."""
    query = SoukItem.query(payments_keys.payment(payment_id), consistent_read=True, page_size=DETAIL_PAGE)
    found, _ = one_page(SoukItem, query)
    payment = next((item for item in found if isinstance(item, Payment)), None)
    return payment, [item for item in found if isinstance(item, Refund)]


def update_payment(tx: WriteTransaction, payment: Payment, actions: list[Any]) -> None:
    """Add to ``tx``: update the payment only if it is still in the status (and refund total) it was read with."""
    known = int(payment.refunded_amount or 0)
    same_total = Payment.refunded_amount == known
    if not known:
        same_total |= Payment.refunded_amount.does_not_exist()
    condition = (Payment.status == payment.status) & same_total
    tx.update(payment, [*actions, Payment.updated_at.set(utc_now())], condition, label=PAYMENT_LABEL)


def orders_of(order_ids: list[str]) -> list[Order]:
    """The orders, strongly consistent: one BatchGetItem."""
    return list(
        Order.batch_get([(orders_keys.order(i), orders_keys.order(i)) for i in order_ids], consistent_read=True)
    )


def get_order(order_id: str) -> Order:
    return Order.get(orders_keys.order(order_id), orders_keys.order(order_id), consistent_read=True)


def update_order(tx: WriteTransaction, order: Order, actions: list[Any], condition: Any) -> None:
    tx.update(order, actions, condition, label=f"order:{order.order_id}")


def order_refund_actions(order: Order, amount: int, moves: tuple[list[Any], Any] | None) -> tuple[list[Any], Any]:
    """The update adding ``amount`` to an order's refunded total, conditional on the total and status read.

    ``moves`` is the status move that goes with it (its actions set ``updatedAt``), when there is one.
    """
    refunded = int(order.refunded_amount or 0) + amount
    unchanged_total = Order.refunded_amount == int(order.refunded_amount or 0)
    if moves is None:
        return [Order.refunded_amount.set(refunded), Order.updated_at.set(utc_now())], (
            (Order.status == order.status) & unchanged_total
        )
    actions, condition = moves
    return [Order.refunded_amount.set(refunded), *actions], condition & unchanged_total


def new_refund(payment: Payment, refund_id: str, *, order_id: str | None, amount: int, reason: str, status: str,
               actor_id: str, stripe_refund_id: str | None = None,
               stripe_idempotency_key: str | None = None) -> Refund:  # fmt: skip
    """A card refund of ``payment`` (not written)."""
    return Refund(pk=payments_keys.payment(payment.payment_id), sk=payments_keys.refund(refund_id), refund_id=refund_id,
                  payment_id=payment.payment_id, order_id=order_id, amount=amount, currency=payment.currency,
                  to="original", reason=reason, status=status, actor_id=actor_id, stripe_refund_id=stripe_refund_id,
                  stripe_idempotency_key=stripe_idempotency_key)  # fmt: skip


def add_refund(tx: WriteTransaction, refund: Refund, *, label: str) -> None:
    """Add to ``tx``: put the new refund (fails on ``label`` if it exists)."""
    tx.put(refund, Refund.sk.does_not_exist(), label=label)


def settle_refund(tx: WriteTransaction, refund: Refund, settled: list[Any], stripe_refund_id: str) -> None:
    """Add to ``tx``: the pending refund gets its ``settled`` actions and Stripe's id (fails if not pending)."""
    tx.update(refund, [*settled, Refund.stripe_refund_id.set(stripe_refund_id)], Refund.status == "pending",
              label="refund")  # fmt: skip
