"""Wallet top-up (POST /api/v1/wallet/top-up): a card PaymentIntent, credited later by the webhook.

The PaymentIntent is created first (Stripe idempotency key ``pi-<paymentId>``; Stripe down
→ 502/503 and nothing written), then the ``pending`` Payment and its audit record in one
transaction; a failed transaction cancels the intent (best effort). Nothing touches the
balance here: the Stripe webhook credits ``topup-<paymentId>`` once the card is confirmed.
An ``Idempotency-Key`` replays the first answer; top-ups are rate limited per user.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from souk.audit import service as audit
from souk.db import expiry, keys
from souk.db.base import utc_now
from souk.db.idempotency import idempotent_call
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import WriteTransaction
from souk.errors import ValidationFailed
from souk.ids import new_id
from souk.money import Money, amount_in, display, money
from souk.payments.models import Payment
from souk.schema import CamelModel
from souk.wallet.ledger import wallet_currency

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from souk.caller import Principal

IDEMPOTENCY_SCOPE = "TOPUPS"
MIN_TOP_UP = 100  # minor units: 1.00
MAX_TOP_UP = 1_000_000  # minor units: 10,000.00
TOP_UPS_PER_USER = RateLimit("wallet-top-up", limit=10, window_seconds=60)
PAYMENT_LABEL = "payment"


class TopUpRequest(CamelModel):
    amount: Money = Field(description="In the wallet's currency, 100 to 1,000,000 minor units (1.00 to 10,000.00).",
                          examples=[{"amount": 5000, "currency": "usd"}])  # fmt: skip


def checked_amount(request: TopUpRequest, currency: str) -> int:
    """The minor units to top up: in the wallet's currency and within the limits, else a 400 on the field.

    Raises
    ------
    ValidationFailed
        ``amount.currency`` is not the wallet's, or ``amount.amount`` is outside
        :data:`MIN_TOP_UP`..:data:`MAX_TOP_UP`.
    """
    amount = amount_in(request.amount, currency, field="amount")
    if not MIN_TOP_UP <= amount <= MAX_TOP_UP:
        raise ValidationFailed.field("amount.amount", f"Top up between {display(MIN_TOP_UP, currency)} and "
                                                      f"{display(MAX_TOP_UP, currency)}.")  # fmt: skip
    return amount


class TopUpOut(CamelModel):
    payment_id: str
    client_secret: str = Field(description="Confirm the PaymentIntent with Stripe.js; the webhook credits the wallet.")
    intent_id: str = Field(description="The Stripe PaymentIntent's id (`pi_...`).")
    amount: Money
    status: Literal["pending"] = "pending"


def _payment(user_id: str, payment_id: str, amount: int, currency: str, intent_id: str, client_secret: str) -> Payment:
    now = utc_now()
    stamp = expiry.stamp(now)
    return Payment(pk=keys.payment(payment_id), sk=keys.payment(payment_id), payment_id=payment_id, user_id=user_id,
                   kind="topup", method="card", order_ids=[], amount=amount, currency=currency, status="pending",
                   stripe_payment_intent_id=intent_id, client_secret=client_secret,
                   gsi1pk=keys.user_payments(user_id), gsi1sk=keys.timeline_sort(stamp, payment_id),
                   gsi2pk=keys.PAYMENTS_ALL, gsi2sk=keys.timeline_sort(stamp, payment_id),
                   created_at=now, updated_at=now)  # fmt: skip


def start_top_up(principal: Principal, request: TopUpRequest) -> TopUpOut:
    """The PaymentIntent, then the pending Payment with its audit record (one transaction).

    Raises
    ------
    UpstreamError, ServiceUnavailable
        Stripe refused or could not be reached; nothing was written.
    """
    # Deferred for cold start: the gateway brings the Stripe SDK and its Tracer (X-Ray SDK).
    from souk.payments import gateway

    payment_id = new_id()
    currency = wallet_currency()
    amount = checked_amount(request, currency)
    metadata = {"paymentId": payment_id, "userId": principal.user_id, "kind": "topup"}
    intent = gateway.create_payment_intent(amount, currency, metadata=metadata,
                                           idempotency_key=f"pi-{payment_id}")  # fmt: skip
    payment = _payment(principal.user_id, payment_id, amount, currency, intent.id, intent.client_secret)
    try:
        with WriteTransaction() as tx:
            tx.put(payment, Payment.pk.does_not_exist(), label=PAYMENT_LABEL)
            audit.record(principal.actor, "wallet.top_up", "payment", payment_id, tx=tx,
                         after={"amount": amount, "currency": currency, "intentId": intent.id,
                                "status": "pending"})  # fmt: skip
    except Exception:
        gateway.cancel_payment_intent(intent.id)
        raise
    return TopUpOut(payment_id=payment_id, client_secret=intent.client_secret, intent_id=intent.id,
                    amount=money(amount, currency))  # fmt: skip


def top_up(principal: Principal, request: TopUpRequest, *, idempotency_key: str | None = None,
           context: LambdaContext | None = None) -> tuple[TopUpOut, RateState]:  # fmt: skip
    """POST /wallet/top-up: rate limited per user, then :func:`start_top_up` once per ``Idempotency-Key``.

    Returns the top-up and the rate-limit state for the ``X-RateLimit-*`` headers.

    Raises
    ------
    ValidationFailed
        The amount is not in the wallet's currency or outside the limits (before anything is counted).
    RateLimitExceeded
        More than :data:`TOP_UPS_PER_USER` requests in its window (replays count too).
    IdempotencyConflict, Conflict
        The key was used with another body / is still in flight.
    """
    checked_amount(request, wallet_currency())
    state = TOP_UPS_PER_USER.enforce(principal.user_id)
    result = idempotent_call(IDEMPOTENCY_SCOPE, principal.user_id, idempotency_key, request,
                             lambda: start_top_up(principal, request), TopUpOut, context=context)  # fmt: skip
    return result, state
