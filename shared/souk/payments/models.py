"""Payment entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Payment | PAYMENT#<id> | PAYMENT#<id> | gsi1 USER#<payer>#PAYMENTS / <stamp>#<id>; gsi2 PAYMENTS / <stamp>#<id> (stamp: keys.timeline_sort) |
| Refund | PAYMENT#<id> | REFUND#<refundId> | gsi4 expiry index while a card refund is pending (souk.payments.service, declared in souk.payments.expiring) |

One payment per checkout (its orders share one PaymentIntent) or per wallet top-up.
Stripe's metadata carries ``paymentId``, so a webhook finds its payment with one GetItem (the
events applied are :class:`souk.webhooks.models.StripeEvent`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute

from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import SoukItem
from souk.payments import keys


class Payment(SoukItem, discriminator="Payment"):
    payment_id = UnicodeAttribute(attr_name="paymentId")
    user_id = UnicodeAttribute(attr_name="userId")  # the payer
    kind = UnicodeAttribute()  # order | topup
    method = UnicodeAttribute()  # card | wallet
    order_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="orderIds", default=list)  # type: ignore[arg-type]
    store_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="storeIds", default=list)  # type: ignore[arg-type]
    store_owner_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="storeOwnerIds", default=list)  # type: ignore[arg-type]
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    # pending | succeeded | failed | canceled | refunded | partially_refunded
    status = UnicodeAttribute()
    refunded_amount = NumberAttribute(attr_name="refundedAmount", default=0)
    stripe_payment_intent_id = UnicodeAttribute(attr_name="stripePaymentIntentId", null=True)
    client_secret = UnicodeAttribute(attr_name="clientSecret", null=True)
    failure_reason = UnicodeAttribute(attr_name="failureReason", null=True)


class Refund(SoukItem, discriminator="Refund"):
    refund_id = UnicodeAttribute(attr_name="refundId")
    payment_id = UnicodeAttribute(attr_name="paymentId")
    order_id = UnicodeAttribute(attr_name="orderId", null=True)
    amount = NumberAttribute()
    currency = UnicodeAttribute()
    to = UnicodeAttribute()  # original | wallet
    reason = UnicodeAttribute()
    status = UnicodeAttribute()  # pending | succeeded | failed
    actor_id = UnicodeAttribute(attr_name="actorId")
    stripe_refund_id = UnicodeAttribute(attr_name="stripeRefundId", null=True)
    # The key Stripe deduplicates this refund by: a retry sends the same one, so it never refunds twice.
    stripe_idempotency_key = UnicodeAttribute(attr_name="stripeIdempotencyKey", null=True)


def new_payment(payment_id: str, user_id: str, *, now: datetime, **fields: Any) -> Payment:
    """An unsaved payment on its payer's and the admins' timelines (``fields``: kind, method,
    amount, currency, status and what else the payment carries)."""
    stamp = expiry.stamp(now)
    return Payment(
        pk=keys.payment(payment_id),
        sk=keys.payment(payment_id),
        payment_id=payment_id,
        user_id=user_id,
        gsi1pk=keys.user_payments(user_id),
        gsi1sk=db_keys.timeline_sort(stamp, payment_id),
        gsi2pk=keys.PAYMENTS_ALL,
        gsi2sk=db_keys.timeline_sort(stamp, payment_id),
        created_at=now,
        updated_at=now,
        **fields,
    )
