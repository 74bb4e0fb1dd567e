"""Refunds (POST /api/v1/payments/{paymentId}/refund) and :func:`refund_order`, which cancel reuses.

A refund is reserved in DynamoDB before any money moves (docs/commerce.md): one
transaction puts the :class:`Refund`, ADDs the amount to the payment's and the order's
``refundedAmount`` on conditions that keep both at or below what was paid, moves their
statuses (``refunded`` when fully refunded, else ``partially_refunded``) and, for a refund
to the wallet, credits it (ledger entry ``refund-<refundId>``) and, when the order has a
commission, reverses it at the lines' frozen rates (ledger entry ``REVERSAL#<refundId>``:
:func:`souk.finance.service.commissions.reversal_writes`). Only then is Stripe asked
(idempotency key ``refund-<refundId>``); if Stripe fails, a compensating transaction marks
the refund ``failed``, gives the amount back and undoes the reversal
(``REVERSAL#<refundId>#UNDONE``), and the 502/503 reaches the client. A refund that went
through and reversed a commission then asks finance to claw back what a reversal after the
payout left owing (:func:`souk.finance.service.clawbacks.recover_after_refund`, best effort).
Loyalty points follow a refund that went through, right after it in their own transactions
with idempotent keys (:func:`souk.points.service.earning.after_refund`): not in the reservation,
which a refused card refund compensates.

The conditions (:mod:`souk.orders.store.refunds`) are exact, so concurrent partial refunds
commute and the total never exceeds what was paid. A transaction that loses on a condition
is re-read and recomputed once; a second loss is 409 CONFLICT. The caps and the statuses a
failed refund restores (:func:`plan_refund`, :func:`compensation_statuses`) are plain
functions over the order and payment read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from souk.audit import service as audit
from souk.db.base import utc_now
from souk.db.idempotency import idempotent_call
from souk.db.transactions import CONTENTION, Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, InvalidState, NotFound, SoukError, UnprocessableEntity, ValidationFailed
from souk.finance.service import clawbacks, commissions
from souk.ids import new_id
from souk.money import amount_in
from souk.observability import logger
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.schemas import RefundReplay, RefundRequest
from souk.orders.service import notifications
from souk.orders.store import orders as order_store
from souk.orders.store import refunds as store
from souk.orders.store.refunds import ORDER_LABEL, PAYMENT_LABEL, REFUND_LABEL, REFUNDABLE_PAYMENTS, RefundPlan
from souk.payments.models import Payment, Refund
from souk.payments.schemas import RefundOut, refund_out
from souk.points.service import earning as points
from souk.wallet import service as ledger

if TYPE_CHECKING:
    from collections.abc import Callable

    from aws_lambda_powertools.utilities.typing import LambdaContext

    from souk.audit.models import AuditRecord
    from souk.caller import Actor, Principal
    from souk.db.transactions import WriteTransaction

IDEMPOTENCY_SCOPE = "REFUNDS"
MAX_ATTEMPTS = 25  # transactions lost to a concurrent one on the same item (TransactionConflict), retried
# Statuses a refund sets; a failed refund's compensation moves the order off them again.


# ---------------------------------------------------------------- rules: plain functions over loaded values


def plan_refund(order: Order, payment: Payment, amount: int | None, to: str, wallet_currency: str) -> RefundPlan:
    """Apply the refund rules to what was read: how much (default: all that is left), to where.

    Raises
    ------
    UnprocessableEntity
        A top-up, nothing left, an amount outside 1..left, a wallet refund in another currency.
    InvalidState
        The order or payment is not in a refundable status.
    NotFound
        The order is not paid by this payment.
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
    if destination == "wallet" and order.currency != wallet_currency:
        raise UnprocessableEntity(f"The wallet holds {wallet_currency}; refund this {order.currency} "
                                  "order to the card.")  # fmt: skip
    if destination == "card" and not payment.stripe_payment_intent_id:
        raise UnprocessableEntity("This payment has no card charge to refund.")
    return RefundPlan(order=order, payment=payment, amount=x, destination=destination, order_full=done + x == paid,
                      payment_full=int(payment.refunded_amount or 0) + x == int(payment.amount))  # fmt: skip


def status_before_refunds(order: Order) -> str:
    """The newest status of the history that a refund did not set (what a failed refund restores)."""
    return order_status.status_before_refunds(order.history or [])


def compensation_statuses(order: Order, payment: Payment, amount: int) -> tuple[str | None, str | None]:
    """``(order status, payment status)`` after giving back a failed refund of ``amount`` (None: unchanged)."""
    order_done, payment_done = int(order.refunded_amount or 0) - amount, int(payment.refunded_amount or 0) - amount
    order_target = None
    if order.status in order_status.REFUND_STATUSES:
        target = "partially_refunded" if order_done > 0 else status_before_refunds(order)
        order_target = target if target != order.status else None
    payment_status = None
    if payment.status in order_status.REFUND_STATUSES:
        payment_status = "partially_refunded" if payment_done > 0 else "succeeded"
    return order_target, payment_status


# ---------------------------------------------------------------- reads


def _load(order_id: str, payment_id: str) -> tuple[Order, Payment]:
    """The order and its payment as they are now (two consistent GetItems)."""
    order = order_store.read_order(order_id)
    payment = order_store.read_payment(payment_id) if order is not None else None
    if order is None or payment is None:
        raise NotFound()
    return order, payment


def order_payment(order: Order) -> Payment:
    """The payment of ``order`` as it is now (consistent GetItem), for a domain above orders that refunds it; 404
    when there is none."""
    payment = order_store.read_payment(order.payment_id)
    if payment is None:
        raise NotFound()
    return payment


# ---------------------------------------------------------------- Stripe and its compensation


def _send_to_card(plan: RefundPlan, refund: Refund, actor: Actor) -> None:
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
        record = audit.build_record(actor, "payment.refund_sent", "payment", plan.payment.payment_id,
                                    after={"refundId": refund.refund_id, "stripeRefundId": stripe_id,
                                           "amount": plan.amount})  # fmt: skip
        store.mark_sent(refund, stripe_id, record)
    except Exception:
        # The money went back at Stripe and the totals already say so: never answer an error that a
        # retry (a new refund id) would turn into a second refund. The hourly job settles the pending record
        # (souk.payments.refund_retry: the same idempotency key, so Stripe answers with this very refund).
        logger.exception("refund sent but not marked succeeded", extra={"refund_id": refund.refund_id,
                                                                        "stripe_refund_id": stripe_id})  # fmt: skip


def _compensate(refund: Refund, actor: Actor) -> None:
    """Stripe refused: the refund ``failed``, the amount given back to both totals, statuses restored.

    Conditioned on the refund still ``pending`` (once only) and on the totals and statuses
    read (so the statuses written match the totals); a lost race is re-read and retried.
    """
    x = int(refund.amount)

    def attempt() -> None:
        order, payment = _load(str(refund.order_id), refund.payment_id)
        order_target, payment_status = compensation_statuses(order, payment, x)
        record = audit.build_record(actor, "payment.refund_failed", "payment", refund.payment_id,
                                    after={"refundId": refund.refund_id, "orderId": refund.order_id,
                                           "amount": x})  # fmt: skip
        undo = commissions.undo_writes(order.store_id, order.order_id, refund.refund_id)
        try:
            store.write_compensation(refund, order, payment, actor, order_target=order_target,
                                     payment_status=payment_status, record=record, finance=undo)  # fmt: skip
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


def _reserve_record(plan: RefundPlan, refund: Refund, actor: Actor, reason: str) -> AuditRecord:
    return audit.build_record(actor, "payment.refund", "payment", plan.payment.payment_id,
                              before={"refundedAmount": int(plan.payment.refunded_amount or 0),
                                      "orderRefundedAmount": int(plan.order.refunded_amount or 0),
                                      "orderStatus": plan.order.status},
                              after={"refundId": refund.refund_id, "orderId": plan.order.order_id,
                                     "amount": plan.amount, "currency": refund.currency, "to": refund.to,
                                     "destination": plan.destination, "status": refund.status,
                                     "reason": reason})  # fmt: skip


def refund_order(actor: Actor, order: Order, payment: Payment, amount: int | None = None, *,
                 to: Literal["original", "wallet"], reason: str, refund_id: str | None = None,
                 also: Callable[[WriteTransaction], None] | None = None, also_label: str | None = None
                 ) -> Refund:  # fmt: skip
    """Refund ``amount`` (default: all that is left) of ``order``, paid by ``payment``.

    Reserves the refund in one transaction, then refunds the card through Stripe when the
    destination is the card. ``order`` and ``payment`` are what the caller read; a lost race
    re-reads them and recomputes once. Cancelled orders may be refunded (they stay cancelled).

    A domain above orders may join the reservation: ``also`` adds its writes to the same
    transaction (a dispute resolved, a return marked refunded, conditional on their status),
    ``refund_id`` names the refund in advance (those writes may record it), and a failed
    condition on ``also_label`` re-raises the :class:`TransactionCancelled` unchanged (the
    caller's item moved: no refund was made).

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
    refund_id = refund_id or new_id()
    recomputed = clawed = full = False

    def attempt() -> Refund:
        nonlocal order, payment, recomputed, clawed, full
        plan = plan_refund(order, payment, amount, to, ledger.wallet_currency())
        full = plan.order_full
        refund = store.new_refund(plan, refund_id, to, reason, actor.user_id, utc_now())
        # The store's net and the platform's cut go back at the lines' frozen rates (none: paid before commissions).
        reversal = commissions.reversal_writes(order.store_id, order.order_id, refund_id, plan.amount)
        joined = reversal if also is None else _both(reversal, also)
        try:
            store.reserve(plan, refund, actor, reason, _reserve_record(plan, refund, actor, reason), joined)
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if also_label is not None and also_label in failed:
                raise  # the joining domain's item moved: its caller answers
            if ledger.WALLET_LABEL in failed:
                raise UnprocessableEntity("The customer's wallet holds another currency; refund to the card.") from None
            if commissions.is_commission_race(list(failed)) and not failed & {ORDER_LABEL, PAYMENT_LABEL, REFUND_LABEL}:
                raise Retry from cancelled  # another refund (or the release) changed the commission: re-read it
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
        clawed = reversal is not None
        return refund

    done = retry_on_contention(attempt, attempts=MAX_ATTEMPTS,
                               exhausted=lambda: Conflict("Refunds of this order are busy right now; retry.",
                                                          headers={"Retry-After": "1"}))  # fmt: skip
    if clawed:
        _claw_back(order.store_id)
    # The money went back: the loyalty points follow (earned ones taken back pro rata; redeemed ones given back
    # on a full refund), in their own transactions keyed by the refund and the order (best effort, logged).
    points.after_refund(order, refund_id, int(done.amount), full=full)
    notifications.refunded(order, done)
    return done


def _both(first: Callable[[WriteTransaction], None] | None,
          second: Callable[[WriteTransaction], None]) -> Callable[[WriteTransaction], None]:  # fmt: skip
    def writes(tx: WriteTransaction) -> None:
        if first is not None:
            first(tx)
        second(tx)

    return writes


def _claw_back(store_id: str) -> None:
    """The refund stands: if its reversal left the store's available negative after a payout, ask Stripe for
    the store's share back (best effort, never raises: the daily finance job tries again)."""
    clawbacks.recover_after_refund(store_id)


def order_to_refund(principal: Principal, order_ids: list[str], order_id: str | None,
                    owned: list[str] | None) -> str:  # fmt: skip
    """Which order of a payment's ``order_ids`` the caller refunds: the one named (it must be the payment's), the
    only one, or (a store owner naming none of several) the only one of theirs (``owned``, read for them).

    Raises
    ------
    NotFound
        ``order_id`` is not the payment's.
    ValidationFailed
        Several orders could be meant.
    """
    if order_id is not None:
        if order_id not in order_ids:
            raise NotFound()
        candidates = [order_id]
    elif len(order_ids) == 1 or principal.is_admin:
        candidates = order_ids
    else:
        candidates = owned or []
    if len(candidates) != 1:
        raise ValidationFailed.field("orderId", "This payment pays several orders; send the orderId to refund.")
    return candidates[0]


def _order_to_refund(principal: Principal, payment: Payment, order_id: str | None) -> Order:
    """The order named (it must be in the payment and, for a store owner, theirs) or the only candidate."""
    order_ids: list[str] = [str(i) for i in payment.order_ids or []]
    owned = None
    if order_id is None and len(order_ids) != 1 and not principal.is_admin:
        # a store owner: their orders among the payment's (one BatchGetItem, at most 30)
        owned = [str(o.order_id) for o in store.read_orders_of(order_ids) if o.store_owner_id == principal.user_id]
    order = order_store.read_order(order_to_refund(principal, order_ids, order_id, owned))
    if order is None:
        raise NotFound()
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
    payment = order_store.read_payment(payment_id)
    if payment is None:
        raise NotFound()
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
    replayable = RefundReplay(payment_id=payment_id, request=request)
    return idempotent_call(IDEMPOTENCY_SCOPE, principal.user_id, idempotency_key, replayable,
                           lambda: refund_payment(principal, payment_id, request), RefundOut,
                           context=context)  # fmt: skip
