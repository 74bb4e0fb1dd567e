"""Refunds (POST /api/v1/payments/{paymentId}/refund) and :func:`refund_order`, which cancel reuses.

A refund is reserved in DynamoDB before any money moves (docs/commerce.md): one
transaction puts the :class:`Refund`, ADDs the amount to the payment's and the order's
``refundedAmount`` on conditions that keep both at or below what was paid, moves their
statuses (``refunded`` when fully refunded, else ``partially_refunded``) and, for a refund
to the wallet, credits it (ledger entry ``refund-<refundId>``). Only then is Stripe asked
(idempotency key ``refund-<refundId>``); if Stripe fails, a compensating transaction marks
the refund ``failed`` and gives the amount back, and the 502/503 reaches the client.

Why the conditions are exact: a refund that empties the order requires
``refundedAmount == paid - x`` (so ``refunded`` is right), a partial one
``refundedAmount < paid - x`` (so ``partially_refunded`` is right). Concurrent partial
refunds then commute (no condition on a value read), yet the total never exceeds what was
paid. A transaction that loses on a condition is re-read and recomputed once; a second
loss is 409 CONFLICT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.db import keys
from souk.db.base import utc_now
from souk.db.idempotency import idempotent_call
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, InvalidState, NotFound, SoukError, UnprocessableEntity, ValidationFailed
from souk.ids import new_id
from souk.money import Money, amount_in
from souk.observability import logger
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.payments import refund_retry
from souk.payments.models import Payment, Refund
from souk.payments.schemas import RefundOut, refund_out
from souk.schema import CamelModel, NonBlankText
from souk.wallet import ledger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.caller import Actor, Principal

IDEMPOTENCY_SCOPE = "REFUNDS"
REFUND_LABEL = "refund"
PAYMENT_LABEL = "payment"
ORDER_LABEL = "order"
MAX_ATTEMPTS = 25  # transactions lost to a concurrent one on the same item (TransactionConflict), retried
# A payment whose money was taken and not all given back.
REFUNDABLE_PAYMENTS = frozenset({"succeeded", "partially_refunded"})
# Statuses a refund sets; a failed refund's compensation moves the order off them again.
_REFUND_STATUSES = frozenset({"refunded", "partially_refunded"})


# ---------------------------------------------------------------- schemas


class RefundRequest(CamelModel):
    amount: Money | None = Field(None, description="In the payment's currency, 1 minor unit up to what is left; "
                                 "default: all of it.", examples=[{"amount": 500, "currency": "usd"}])  # fmt: skip
    reason: NonBlankText = Field(min_length=1, max_length=500, examples=["damaged on arrival"])
    to: Literal["original", "wallet"] = Field(
        description="`original`: the card (card payments) or the wallet (wallet payments); `wallet`: the "
        "customer's wallet."
    )
    order_id: str | None = Field(None, min_length=1, max_length=64,
                                 description="Which order of the payment; needed when it has several.")  # fmt: skip


class _Replayable(CamelModel):
    """What an Idempotency-Key replay must match: the path's payment and the body."""

    payment_id: str
    request: RefundRequest


# ---------------------------------------------------------------- planning


@dataclass(frozen=True)
class _Plan:
    order: Order
    payment: Payment
    amount: int
    destination: Literal["card", "wallet"]
    order_full: bool
    payment_full: bool


def _load(order_id: str, payment_id: str) -> tuple[Order, Payment]:
    """The order and its payment as they are now (two consistent GetItems)."""
    try:
        order = Order.get(keys.order(order_id), keys.order(order_id), consistent_read=True)
        payment = Payment.get(keys.payment(payment_id), keys.payment(payment_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None
    return order, payment


def _plan(order: Order, payment: Payment, amount: int | None, to: str) -> _Plan:
    """Apply the refund rules to what was read.

    Raises
    ------
    UnprocessableEntity
        A top-up, nothing left, an amount outside 1..left, a wallet refund in another currency.
    InvalidState
        The order or payment is not in a refundable status.
    """
    if payment.kind != "order":
        raise UnprocessableEntity("Wallet top-ups are not refunded here.")
    if order.order_id not in (payment.order_ids or []):
        raise NotFound("This order is not paid by this payment.")
    paid, done = int(order.paid_amount or 0), int(order.refunded_amount or 0)
    left = paid - done
    if paid > 0 and left <= 0:
        raise UnprocessableEntity("This order is refunded in full already.", data={"refundable": 0})
    # A cancelled order keeps what it was paid until its refund went through (Stripe was down): refundable too.
    if order.status not in order_status.REFUNDABLE and not (order.status == "cancelled" and left > 0):
        raise InvalidState(f"An order that is {order.status.replace('_', ' ')} cannot be refunded.")
    if payment.status not in REFUNDABLE_PAYMENTS:
        raise InvalidState(f"A payment that is {payment.status.replace('_', ' ')} cannot be refunded.")
    payment_left = int(payment.amount) - int(payment.refunded_amount or 0)
    x = left if amount is None else amount
    if x > min(left, payment_left):
        raise UnprocessableEntity(f"Only {min(left, payment_left)} can still be refunded.",
                                  data={"refundable": min(left, payment_left)})  # fmt: skip
    if x < 1:
        raise UnprocessableEntity(f"Refund between 1 and {left}.", data={"refundable": left})
    destination: Literal["card", "wallet"] = "wallet" if to == "wallet" or payment.method == "wallet" else "card"
    if destination == "wallet" and order.currency != ledger.wallet_currency():
        raise UnprocessableEntity(f"The wallet holds {ledger.wallet_currency()}; refund this {order.currency} "
                                  "order to the card.")  # fmt: skip
    if destination == "card" and not payment.stripe_payment_intent_id:
        raise UnprocessableEntity("This payment has no card charge to refund.")
    return _Plan(order=order, payment=payment, amount=x, destination=destination, order_full=done + x == paid,
                 payment_full=int(payment.refunded_amount or 0) + x == int(payment.amount))  # fmt: skip


def _refunded_room(attribute: Any, done: int, total: int, x: int, *, full: bool) -> Condition:
    """``refundedAmount`` leaves exactly ``x`` (full) or more than ``x`` (partial) of ``total``."""
    condition = (attribute == total - x) if full else (attribute < total - x)
    if done == 0:  # items written before the attribute existed count as 0
        condition = condition | attribute.does_not_exist()
    return condition


def _order_update(plan: _Plan, actor: Actor, reason: str) -> tuple[list[Action], Condition]:
    order = plan.order
    done = int(order.refunded_amount or 0)
    room = _refunded_room(Order.refunded_amount, done, int(order.paid_amount or 0), plan.amount, full=plan.order_full)
    target = "refunded" if plan.order_full else "partially_refunded"
    if order.status == "cancelled" or order.status == target:
        # No move: the status it was read with still holds (cancelled orders stay cancelled).
        actions: list[Action] = [Order.updated_at.set(utc_now())]
        condition: Condition = Order.status == order.status
    else:
        actions, condition = order_status.move_actions(order, target, actor, reason)
    return [*actions, Order.refunded_amount.add(plan.amount)], condition & room


def _payment_update(plan: _Plan) -> tuple[list[Action], Condition]:
    payment = plan.payment
    done = int(payment.refunded_amount or 0)
    room = _refunded_room(Payment.refunded_amount, done, int(payment.amount), plan.amount, full=plan.payment_full)
    actions: list[Action] = [Payment.refunded_amount.add(plan.amount),
                             Payment.status.set("refunded" if plan.payment_full else "partially_refunded"),
                             Payment.updated_at.set(utc_now())]  # fmt: skip
    return actions, Payment.status.is_in(*REFUNDABLE_PAYMENTS) & room


def _refund_item(plan: _Plan, refund_id: str, to: str, reason: str, actor: Actor) -> Refund:
    now = utc_now()
    payment_id = plan.payment.payment_id
    refund = Refund(pk=keys.payment(payment_id), sk=keys.refund(refund_id), refund_id=refund_id,
                    payment_id=payment_id, order_id=plan.order.order_id, amount=plan.amount,
                    currency=plan.order.currency, to=to, reason=reason,
                    status="pending" if plan.destination == "card" else "succeeded", actor_id=actor.user_id,
                    created_at=now, updated_at=now)  # fmt: skip
    if plan.destination == "card":
        refund.stripe_idempotency_key = f"refund-{refund_id}"
        refund_retry.schedule(refund, now)
    return refund


def _reserve(plan: _Plan, refund: Refund, actor: Actor, reason: str) -> None:
    """The refund, both totals and statuses, the wallet credit (if any) and the audit: one transaction."""
    with WriteTransaction() as tx:
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
        audit.record(actor, "payment.refund", "payment", plan.payment.payment_id, tx=tx,
                     before={"refundedAmount": int(plan.payment.refunded_amount or 0),
                             "orderRefundedAmount": int(plan.order.refunded_amount or 0),
                             "orderStatus": plan.order.status},
                     after={"refundId": refund.refund_id, "orderId": plan.order.order_id, "amount": plan.amount,
                            "currency": refund.currency, "to": refund.to, "destination": plan.destination,
                            "status": refund.status, "reason": reason})  # fmt: skip


# ---------------------------------------------------------------- Stripe and its compensation


def _send_to_card(plan: _Plan, refund: Refund, actor: Actor) -> None:
    """Stripe refunds the card; the refund becomes ``succeeded``, or is compensated and the error raised."""
    # Deferred for cold start: the gateway brings the Stripe SDK and its Tracer (X-Ray SDK).
    from souk.payments import gateway

    metadata = {"refundId": refund.refund_id, "orderId": plan.order.order_id, "paymentId": plan.payment.payment_id}
    try:
        stripe_id = gateway.create_refund(str(plan.payment.stripe_payment_intent_id), plan.amount,
                                          idempotency_key=str(refund.stripe_idempotency_key),
                                          metadata=metadata)  # fmt: skip
    except SoukError:
        _compensate(refund, actor)
        raise
    refund.status, refund.stripe_refund_id = "succeeded", stripe_id
    try:
        with WriteTransaction() as tx:
            tx.update(refund, [*refund_retry.settled_actions("succeeded"), Refund.stripe_refund_id.set(stripe_id)],
                      Refund.status == "pending", label=REFUND_LABEL)  # fmt: skip
            audit.record(actor, "payment.refund_sent", "payment", plan.payment.payment_id, tx=tx,
                         after={"refundId": refund.refund_id, "stripeRefundId": stripe_id,
                                "amount": plan.amount})  # fmt: skip
    except Exception:
        # The money went back at Stripe and the totals already say so: never answer an error that a
        # retry (a new refund id) would turn into a second refund. The hourly job settles the pending record
        # (souk.payments.refund_retry: the same idempotency key, so Stripe answers with this very refund).
        logger.exception("refund sent but not marked succeeded", extra={"refund_id": refund.refund_id,
                                                                        "stripe_refund_id": stripe_id})  # fmt: skip


def _status_before_refunds(order: Order) -> str:
    """The newest status of the history that a refund did not set (what a failed refund restores)."""
    history: list[Any] = list(order.history or [])
    for entry in reversed(history):
        if entry.get("status") not in _REFUND_STATUSES:
            return str(entry["status"])
    return "paid"


def _compensate(refund: Refund, actor: Actor) -> None:
    """Stripe refused: the refund ``failed``, the amount given back to both totals, statuses restored.

    Conditioned on the refund still ``pending`` (once only) and on the totals and statuses
    read (so the statuses written match the totals); a lost race is re-read and retried.
    """
    x = int(refund.amount)

    def attempt() -> None:
        order, payment = _load(str(refund.order_id), refund.payment_id)
        order_done, payment_done = int(order.refunded_amount or 0) - x, int(payment.refunded_amount or 0) - x
        order_actions: list[Action] = [Order.refunded_amount.add(-x), Order.updated_at.set(utc_now())]
        order_condition: Condition = (Order.status == order.status) & (Order.refunded_amount == order_done + x)
        if order.status in _REFUND_STATUSES:
            target = "partially_refunded" if order_done > 0 else _status_before_refunds(order)
            if target != order.status:
                moves, _ = order_status.move_actions(order, target, actor, "refund failed at the payment provider")
                order_actions = [*moves, Order.refunded_amount.add(-x)]
        payment_actions: list[Action] = [Payment.refunded_amount.add(-x), Payment.updated_at.set(utc_now())]
        if payment.status in _REFUND_STATUSES:
            payment_actions.append(Payment.status.set("partially_refunded" if payment_done > 0 else "succeeded"))
        payment_condition = (Payment.status == payment.status) & (Payment.refunded_amount == payment_done + x)
        try:
            with WriteTransaction() as tx:
                tx.update(refund, refund_retry.settled_actions("failed"), Refund.status == "pending",
                          label=REFUND_LABEL)  # fmt: skip
                tx.update(payment, payment_actions, payment_condition, label=PAYMENT_LABEL)
                tx.update(order, order_actions, order_condition, label=ORDER_LABEL)
                audit.record(actor, "payment.refund_failed", "payment", refund.payment_id, tx=tx,
                             after={"refundId": refund.refund_id, "orderId": refund.order_id, "amount": x})  # fmt: skip
        except TransactionCancelled as cancelled:
            if REFUND_LABEL in cancelled.failed():
                return  # compensated already
            if "*" in cancelled.reasons:
                raise  # not a cancellation: retrying cannot help
            raise Retry from cancelled  # the totals or statuses moved: re-read them
        refund.status = "failed"

    try:
        retry_on_contention(
            attempt, attempts=MAX_ATTEMPTS, exhausted=lambda: Conflict("Refunds of this order are busy.")
        )
    except (TransactionCancelled, Conflict):
        logger.error("failed refund not compensated", extra={"refund_id": refund.refund_id, "amount": x})


# ---------------------------------------------------------------- the service


def refund_order(actor: Actor, order: Order, payment: Payment, amount: int | None = None, *,
                 to: Literal["original", "wallet"], reason: str) -> Refund:  # fmt: skip
    """Refund ``amount`` (default: all that is left) of ``order``, paid by ``payment``.

    Reserves the refund in one transaction, then refunds the card through Stripe when the
    destination is the card. ``order`` and ``payment`` are what the caller read; a lost race
    re-reads them and recomputes once. Cancelled orders may be refunded (they stay cancelled).

    Returns
    -------
    Refund
        ``succeeded`` (wallet, or Stripe accepted it).

    Raises
    ------
    UnprocessableEntity
        A top-up, nothing left, an amount outside 1..left, a wallet refund in another currency.
    InvalidState
        The order is not refundable in its status (e.g. ``pending_payment``).
    Conflict
        Lost the race twice to other refunds of the same order or payment.
    UpstreamError, ServiceUnavailable
        Stripe refused or could not be reached; the refund was compensated (``failed``).
    """
    refund_id = new_id()
    recomputed = False

    def attempt() -> Refund:
        nonlocal order, payment, recomputed
        plan = _plan(order, payment, amount, to)
        refund = _refund_item(plan, refund_id, to, reason, actor)
        try:
            _reserve(plan, refund, actor, reason)
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if ledger.WALLET_LABEL in failed:
                raise UnprocessableEntity("The customer's wallet holds another currency; refund to the card.") from None
            if failed & {ORDER_LABEL, PAYMENT_LABEL, REFUND_LABEL}:
                if recomputed:
                    raise Conflict("Another refund of this order went through meanwhile; check it and retry.",
                                   headers={"Retry-After": "1"}) from cancelled  # fmt: skip
                recomputed = True
            elif not set(cancelled.reasons.values()) <= CONTENTION:
                raise Conflict("The refund could not be recorded; retry.", headers={"Retry-After": "1"}) from cancelled
            order, payment = _load(order.order_id, payment.payment_id)
            raise Retry from cancelled
        if plan.destination == "card":
            _send_to_card(plan, refund, actor)
        return refund

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS,
                               exhausted=lambda: Conflict("Refunds of this order are busy right now; retry.",
                                                          headers={"Retry-After": "1"}))  # fmt: skip


def _order_to_refund(principal: Principal, payment: Payment, order_id: str | None) -> Order:
    """The order named (it must be in the payment and, for a store owner, theirs) or the only candidate."""
    order_ids: list[str] = [str(i) for i in payment.order_ids or []]
    if order_id is not None:
        if order_id not in order_ids:
            raise NotFound()
        candidates = [order_id]
    elif len(order_ids) == 1 or principal.is_admin:
        candidates = order_ids
    else:  # a store owner: their orders among the payment's (one BatchGetItem, at most 30)
        found = Order.batch_get([(keys.order(i), keys.order(i)) for i in order_ids], consistent_read=True)
        candidates = [str(o.order_id) for o in found if o.store_owner_id == principal.user_id]
    if len(candidates) != 1:
        raise ValidationFailed.field("orderId", "This payment pays several orders; send the orderId to refund.")
    try:
        order = Order.get(keys.order(candidates[0]), keys.order(candidates[0]), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None
    if not principal.is_admin and order.store_owner_id != principal.user_id:
        raise NotFound()
    return order


def refund_payment(principal: Principal, payment_id: str, request: RefundRequest) -> RefundOut:
    """One refund of one order of a payment: admins any payment, a store owner only their store's order.

    Reads: the payment (GetItem), the order (GetItem; a BatchGetItem first when a store
    owner leaves out ``orderId`` on a payment of several orders).

    Raises
    ------
    NotFound
        No such payment, or not the caller's store's; an ``orderId`` not in the payment.
    ValidationFailed
        Several orders could be meant and ``orderId`` is missing; ``amount.currency`` is not the payment's.
    """
    try:
        payment = Payment.get(keys.payment(payment_id), keys.payment(payment_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound() from None
    if not principal.is_admin and principal.user_id not in (payment.store_owner_ids or []):
        raise NotFound()
    if payment.kind != "order":
        raise UnprocessableEntity("Wallet top-ups are not refunded here.")
    amount = None if request.amount is None else amount_in(request.amount, payment.currency, field="amount")
    order = _order_to_refund(principal, payment, request.order_id)
    refund = refund_order(principal.actor, order, payment, amount, to=request.to, reason=request.reason)
    return refund_out(refund)


def refund(principal: Principal, payment_id: str, request: RefundRequest, *, idempotency_key: str | None = None,
           context: LambdaContext | None = None) -> RefundOut:  # fmt: skip
    """POST /payments/{paymentId}/refund: :func:`refund_payment` once per ``Idempotency-Key``.

    Raises
    ------
    IdempotencyConflict, Conflict
        The key was used with another payment or body / is still in flight.
    """
    replayable = _Replayable(payment_id=payment_id, request=request)
    return idempotent_call(IDEMPOTENCY_SCOPE, principal.user_id, idempotency_key, replayable,
                           lambda: refund_payment(principal, payment_id, request), RefundOut,
                           context=context)  # fmt: skip
