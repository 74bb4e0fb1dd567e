"""Refunds' reads and transactions: the reservation, the card refund's settlement, and its compensation.

Why the conditions are exact: a refund that empties the order requires
``refundedAmount == paid - x`` (so ``refunded`` is right), a partial one
``refundedAmount < paid - x`` (so ``partially_refunded`` is right). Concurrent partial
refunds then commute (no condition on a value read), yet the total never exceeds what was
paid.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.orders import keys
from souk.orders.models import Order, move_actions
from souk.orders.store.orders import put_audit
from souk.payments import keys as payments_keys
from souk.payments import service as refund_retry
from souk.payments.models import Payment, Refund
from souk.wallet import service as ledger

if TYPE_CHECKING:
    from collections.abc import Callable

    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord
    from souk.caller import Actor

REFUND_LABEL = "refund"
PAYMENT_LABEL = "payment"
ORDER_LABEL = "order"
# A payment whose money was taken and not all given back.
REFUNDABLE_PAYMENTS = frozenset({"succeeded", "partially_refunded"})


@dataclass(frozen=True)
class RefundPlan:
    """One refund decided from the order and payment read (:func:`souk.orders.service.refunds.plan_refund`)."""

    order: Order
    payment: Payment
    amount: int
    destination: Literal["card", "wallet"]
    order_full: bool
    payment_full: bool


def read_orders_of(order_ids: list[str]) -> list[Order]:
    """The payment's orders (one consistent BatchGetItem, at most 30), in no particular order."""
    return list(Order.batch_get([(keys.order(i), keys.order(i)) for i in order_ids], consistent_read=True))


def _refunded_room(attribute: Any, done: int, total: int, x: int, *, full: bool) -> Condition:
    """``refundedAmount`` leaves exactly ``x`` (full) or more than ``x`` (partial) of ``total``."""
    condition = (attribute == total - x) if full else (attribute < total - x)
    if done == 0:  # items written before the attribute existed count as 0
        condition = condition | attribute.does_not_exist()
    return condition


def _order_update(plan: RefundPlan, actor: Actor, reason: str) -> tuple[list[Action], Condition]:
    order = plan.order
    done = int(order.refunded_amount or 0)
    room = _refunded_room(Order.refunded_amount, done, int(order.paid_amount or 0), plan.amount, full=plan.order_full)
    target = "refunded" if plan.order_full else "partially_refunded"
    if order.status == "cancelled" or order.status == target:
        # No move: the status it was read with still holds (cancelled orders stay cancelled).
        actions: list[Action] = [Order.updated_at.set(utc_now())]
        condition: Condition = Order.status == order.status
    else:
        actions, condition = move_actions(order, target, actor, reason)
    return [*actions, Order.refunded_amount.add(plan.amount)], condition & room


def _payment_update(plan: RefundPlan) -> tuple[list[Action], Condition]:
    payment = plan.payment
    done = int(payment.refunded_amount or 0)
    room = _refunded_room(Payment.refunded_amount, done, int(payment.amount), plan.amount, full=plan.payment_full)
    actions: list[Action] = [Payment.refunded_amount.add(plan.amount),
                             Payment.status.set("refunded" if plan.payment_full else "partially_refunded"),
                             Payment.updated_at.set(utc_now())]  # fmt: skip
    return actions, Payment.status.is_in(*REFUNDABLE_PAYMENTS) & room


def new_refund(plan: RefundPlan, refund_id: str, to: str, reason: str, actor_id: str, now: datetime) -> Refund:
    """An unsaved refund: ``pending`` to the card (scheduled for the retry job), ``succeeded`` to the wallet."""
    payment_id = plan.payment.payment_id
    refund = Refund(pk=payments_keys.payment(payment_id), sk=payments_keys.refund(refund_id), refund_id=refund_id,
                    payment_id=payment_id, order_id=plan.order.order_id, amount=plan.amount,
                    currency=plan.order.currency, to=to, reason=reason,
                    status="pending" if plan.destination == "card" else "succeeded", actor_id=actor_id,
                    created_at=now, updated_at=now)  # fmt: skip
    if plan.destination == "card":
        refund.stripe_idempotency_key = f"refund-{refund_id}"
        refund_retry.schedule(refund, now)
    return refund


def reserve(plan: RefundPlan, refund: Refund, actor: Actor, reason: str, record: AuditRecord,
            finance: Callable[[WriteTransaction], None] | None = None) -> None:  # fmt: skip
    """The refund, both totals and statuses, the wallet credit (if any), ``finance``'s items (the commission's
    reversal) and the audit: one transaction."""
    with WriteTransaction() as tx:
        if finance is not None:
            finance(tx)
        tx.put(refund, Refund.pk.does_not_exist(), label=REFUND_LABEL)
        actions, condition = _payment_update(plan)
        tx.update(plan.payment, actions, condition, label=PAYMENT_LABEL)
        actions, condition = _order_update(plan, actor, reason)
        tx.update(plan.order, actions, condition, label=ORDER_LABEL)
        if plan.destination == "wallet":
            ledger.credit(tx, plan.order.customer_id, plan.amount, entry_type="refund",
                          reference=ledger.Reference("refund", refund.refund_id),
                          description=f"Refund of order {plan.order.order_id}",
                          entry_id=f"refund-{refund.refund_id}")  # fmt: skip
        put_audit(tx, record)


def mark_sent(refund: Refund, stripe_id: str, record: AuditRecord) -> None:
    """A pending card refund ``succeeded`` with Stripe's id, and its audit record."""
    with WriteTransaction() as tx:
        tx.update(refund, [*refund_retry.settled_actions("succeeded"), Refund.stripe_refund_id.set(stripe_id)],
                  Refund.status == "pending", label=REFUND_LABEL)  # fmt: skip
        put_audit(tx, record)


def write_compensation(refund: Refund, order: Order, payment: Payment, actor: Actor, *, order_target: str | None,
                       payment_status: str | None, record: AuditRecord,
                       finance: Callable[[WriteTransaction], None] | None = None) -> None:  # fmt: skip
    """A pending refund ``failed`` and its amount given back to both totals (statuses moved to ``order_target``
    and ``payment_status`` when given), conditioned on the totals and statuses read, with ``finance``'s items
    (the commission's reversal undone); one transaction."""
    x = int(refund.amount)
    order_done, payment_done = int(order.refunded_amount or 0) - x, int(payment.refunded_amount or 0) - x
    order_actions: list[Action] = [Order.refunded_amount.add(-x), Order.updated_at.set(utc_now())]
    order_condition: Condition = (Order.status == order.status) & (Order.refunded_amount == order_done + x)
    if order_target is not None:
        moves, _ = move_actions(order, order_target, actor, "refund failed at the payment provider")
        order_actions = [*moves, Order.refunded_amount.add(-x)]
    payment_actions: list[Action] = [Payment.refunded_amount.add(-x), Payment.updated_at.set(utc_now())]
    if payment_status is not None:
        payment_actions.append(Payment.status.set(payment_status))
    payment_condition = (Payment.status == payment.status) & (Payment.refunded_amount == payment_done + x)
    with WriteTransaction() as tx:
        tx.update(refund, refund_retry.settled_actions("failed"), Refund.status == "pending",
                  label=REFUND_LABEL)  # fmt: skip
        tx.update(payment, payment_actions, payment_condition, label=PAYMENT_LABEL)
        tx.update(order, order_actions, order_condition, label=ORDER_LABEL)
        if finance is not None:
            finance(tx)
        put_audit(tx, record)
