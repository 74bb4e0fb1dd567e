"""Payments: who may see which payment (GET /payments, GET /payments/{paymentId}), and card refunds
left ``pending`` sent again until Stripe confirms them.

A card refund is written ``pending`` (its amount already counted in the payment's and the
order's totals) before Stripe is called. Normally the same request marks it ``succeeded``
(or, when Stripe refuses, ``failed`` and compensated). It stays ``pending`` when that
second step never happened: Stripe was down for an automatic refund (webhook), the
process stopped between the two steps, or the final write failed after Stripe refunded.

Such a refund carries an entry in the expiry index (:mod:`souk.db.expiry`) due
:data:`RETRY_AFTER` after it was written; marking it ``succeeded``/``failed`` removes the
entry. The hourly cleanup job hands due entries to :func:`resend` (declared in
:mod:`souk.payments.expiring`), which calls Stripe with the refund's own idempotency key
(Stripe answers a repeat with the refund it already made, so the card is credited once)
and marks it ``succeeded``, or moves the entry an hour on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.caller import Actor
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import NotFound, SoukError
from souk.observability import logger
from souk.payments import store
from souk.payments.schemas import PaymentDetailOut, PaymentOut, PaymentsQuery, payment_detail_out, payment_out

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.caller import Principal
    from souk.payments.models import Payment, Refund

RETRY_AFTER = timedelta(minutes=10)
RETRY_AGAIN = timedelta(hours=1)
SYSTEM = Actor(user_id="system:refund-retry", role="system")


# ---------------------------------------------------------------- reading


def may_see(principal: Principal, payment: Payment) -> bool:
    """Its payer, an owner of one of its stores, or an admin."""
    if principal.is_admin or principal.user_id == payment.user_id:
        return True
    return principal.role == "store_owner" and principal.user_id in (payment.store_owner_ids or [])


def list_payments(principal: Principal, query: PaymentsQuery) -> tuple[list[PaymentOut], str | None]:
    """The caller's payments as payer, or every payment for an admin; newest first, one Query."""
    found, cursor = store.payments_page(query, payer_id=None if principal.is_admin else principal.user_id)
    return [payment_out(p, viewer_id=principal.user_id) for p in found], cursor


def get_payment(principal: Principal, payment_id: str) -> PaymentDetailOut:
    """The payment and its refunds (one Query): for its payer, an owner of one of its stores, or an admin."""
    payment, refunds = store.payment_with_refunds(payment_id)
    if payment is None or not may_see(principal, payment):
        raise NotFound("No such payment.")
    return payment_detail_out(payment, refunds, viewer_id=principal.user_id)


# ---------------------------------------------------------------- pending card refunds


def schedule(refund: Refund, now: datetime | None = None) -> None:
    """Put a new pending card refund in the expiry index (set before it is first written)."""
    store.index_refund(refund, (now or utc_now()) + RETRY_AFTER)


def settled_actions(status: str) -> list[Action]:
    """The update that settles a pending refund (``succeeded``/``failed``) and takes it out of the index."""
    return store.settled_refund_actions(status)


def resend(raw: dict[str, Any]) -> bool:
    """The cleanup job's handler for a due Refund entry: True once the refund is settled."""
    # The entry may be stale (settled since the job read it): only the item itself says pending.
    refund = store.refund_of_entry(raw)
    if refund is None or refund.status != "pending":
        return True
    payment = store.get_payment(refund.payment_id)
    if payment is None:
        logger.error("pending refund without its payment", extra={"refund_id": refund.refund_id})
        return False
    # Deferred for cold start: the gateway brings the Stripe SDK and its Tracer (X-Ray SDK).
    from souk.payments import gateway

    key = refund.stripe_idempotency_key or f"refund-{refund.refund_id}"
    metadata = {"refundId": refund.refund_id, "paymentId": refund.payment_id, "orderId": str(refund.order_id or "")}
    try:
        stripe_id = gateway.create_refund(str(payment.stripe_payment_intent_id), int(refund.amount),
                                          idempotency_key=key, metadata=metadata)  # fmt: skip
    except SoukError:
        logger.warning("pending refund still refused by Stripe; retrying later", extra={"refund_id": refund.refund_id})
        store.postpone_refund(refund, utc_now() + RETRY_AGAIN)
        return False
    try:
        with WriteTransaction() as tx:
            store.settle_refund_sent(tx, refund, stripe_id)
            audit.record(SYSTEM, "refund.sent", "payment", refund.payment_id, tx=tx,
                         after={"refundId": refund.refund_id, "stripeRefundId": stripe_id, "amount": int(refund.amount),
                                "retried": True})  # fmt: skip
    except TransactionCancelled:
        return True  # settled meanwhile by the request that created it
    return True
