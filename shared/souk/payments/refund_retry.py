"""Card refunds left ``pending`` are sent again until Stripe confirms them.

A card refund is written ``pending`` (its amount already counted in the payment's and the
order's totals) before Stripe is called. Normally the same request marks it ``succeeded``
(or, when Stripe refuses, ``failed`` and compensated). It stays ``pending`` when that
second step never happened: Stripe was down for an automatic refund (webhook), the
process stopped between the two steps, or the final write failed after Stripe refunded.

Such a refund carries an entry in the expiry index (:mod:`souk.db.expiry`) due
:data:`RETRY_AFTER` after it was written; marking it ``succeeded``/``failed`` removes the
entry. The hourly cleanup job hands due entries to :func:`resend`, which calls Stripe with
the refund's own idempotency key (Stripe answers a repeat with the refund it already made,
so the card is credited once) and marks it ``succeeded``, or moves the entry an hour on.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.audit import service as audit
from souk.caller import Actor
from souk.db import expiry, keys
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import SoukError
from souk.observability import logger
from souk.payments.models import Payment, Refund

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

RETRY_AFTER = timedelta(minutes=10)
RETRY_AGAIN = timedelta(hours=1)
SYSTEM = Actor(user_id="system:refund-retry", role="system")


def schedule(refund: Refund, now: datetime | None = None) -> None:
    """Put a new pending card refund in the expiry index (set before it is first written)."""
    due = (now or utc_now()) + RETRY_AFTER
    index = expiry.index_keys(due, refund.pk)
    refund.gsi4pk, refund.gsi4sk = index["gsi4pk"], index["gsi4sk"]


def settled_actions(status: str) -> list[Action]:
    """The update that settles a pending refund (``succeeded``/``failed``) and takes it out of the index."""
    return [Refund.status.set(status), Refund.updated_at.set(utc_now()), Refund.gsi4pk.remove(), Refund.gsi4sk.remove()]


def _postpone(refund: Refund) -> None:
    index = expiry.index_keys(utc_now() + RETRY_AGAIN, refund.pk)
    try:
        refund.update([Refund.gsi4pk.set(index["gsi4pk"]), Refund.gsi4sk.set(index["gsi4sk"])],
                      condition=Refund.status == "pending")  # fmt: skip
    except UpdateError as error:
        if getattr(error, "cause_response_code", None) != "ConditionalCheckFailedException":  # settled meanwhile
            logger.exception("pending refund not rescheduled", extra={"refund_id": refund.refund_id})


def resend(raw: dict[str, Any]) -> bool:
    """The cleanup job's handler for a due Refund entry: True once the refund is settled."""
    entry = Refund.from_raw_data(raw)
    try:
        # The entry may be stale (settled since the job read it): only the item itself says pending.
        refund = Refund.get(entry.pk, entry.sk, consistent_read=True)
    except DoesNotExist:
        return True
    if refund.status != "pending":
        return True
    try:
        payment = Payment.get(keys.payment(refund.payment_id), keys.payment(refund.payment_id))
    except DoesNotExist:
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
        _postpone(refund)
        return False
    try:
        with WriteTransaction() as tx:
            tx.update(refund, [*settled_actions("succeeded"), Refund.stripe_refund_id.set(stripe_id)],
                      Refund.status == "pending", label="refund")  # fmt: skip
            audit.record(SYSTEM, "refund.sent", "payment", refund.payment_id, tx=tx,
                         after={"refundId": refund.refund_id, "stripeRefundId": stripe_id, "amount": int(refund.amount),
                                "retried": True})  # fmt: skip
    except TransactionCancelled:
        return True  # settled meanwhile by the request that created it
    return True
