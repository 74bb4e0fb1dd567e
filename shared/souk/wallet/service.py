"""Wallet: money moved in a caller's transaction (checkout, refunds, the Stripe webhook), the balance and
the ledger (GET /wallet, GET /wallet/transactions), and top-ups (POST /wallet/top-up).

A credit or a debit is added to the caller's WriteTransaction (souk.wallet.store), so money
never moves without the order, refund or payment that explains it. A user who was never
credited has no Wallet item and reads 0 in the wallet currency, without a write.

Top-up: the PaymentIntent is created first (Stripe idempotency key ``pi-<paymentId>``;
Stripe down → 502/503 and nothing written), then the ``pending`` Payment and its audit
record in one transaction; a failed transaction cancels the intent (best effort). Nothing
touches the balance here: the Stripe webhook credits ``topup-<paymentId>`` once the card
is confirmed. An ``Idempotency-Key`` replays the first answer; top-ups are rate limited
per user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.idempotency import idempotent_call
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import WriteTransaction
from souk.errors import NotFound, ValidationFailed
from souk.ids import new_id
from souk.money import amount_in, display, money
from souk.settings import get_settings
from souk.wallet import store
from souk.wallet.schemas import (
    TopUpOut,
    TopUpRequest,
    TransactionsQuery,
    WalletEntryOut,
    WalletOut,
    entry_out,
    wallet_out,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from souk.caller import Principal
    from souk.wallet.models import WalletEntry

WALLET_LABEL = "wallet"  # a ConditionalCheckFailed on it means insufficient funds (or another currency)
ENTRY_LABEL = "wallet-entry"  # a ConditionalCheckFailed on it means this movement was already applied

IDEMPOTENCY_SCOPE = "TOPUPS"
MIN_TOP_UP = 100  # minor units: 1.00
MAX_TOP_UP = 1_000_000  # minor units: 10,000.00
TOP_UPS_PER_USER = RateLimit("wallet-top-up", limit=10, window_seconds=60)
PAYMENT_LABEL = "payment"


@dataclass(frozen=True)
class Reference:
    """What a movement is for: ``("order", orderId)``, ``("payment", paymentId)``, ``("refund", refundId)``."""

    type: str
    id: str


def wallet_currency() -> str:
    return get_settings().wallet_currency


# ---------------------------------------------------------------- moving money (in the caller's transaction)


def _entry(user_id: str, entry_type: str, signed: int, reference: Reference | None, description: str | None,
           entry_id: str | None) -> WalletEntry:  # fmt: skip
    return store.new_entry(user_id, entry_type, signed, wallet_currency(),
                           reference_type=reference.type if reference else None,
                           reference_id=reference.id if reference else None, description=description,
                           entry_id=entry_id)  # fmt: skip


def credit(tx: WriteTransaction, user_id: str, amount: int, *, entry_type: str, reference: Reference | None = None,
           description: str | None = None, entry_id: str | None = None) -> WalletEntry:  # fmt: skip
    """Add ``amount`` (> 0) to the user's wallet, creating the wallet on first credit.

    Pass ``entry_id`` derived from the cause (e.g. ``topup-<paymentId>``) when the credit
    must happen once: a second attempt fails on :data:`ENTRY_LABEL`.
    """
    if amount <= 0:
        raise ValueError("a credit is positive")
    entry = _entry(user_id, entry_type, amount, reference, description, entry_id)
    store.add_credit(tx, entry, wallet_label=WALLET_LABEL, entry_label=ENTRY_LABEL)
    return entry


def debit(tx: WriteTransaction, user_id: str, amount: int, *, entry_type: str, reference: Reference | None = None,
          description: str | None = None, entry_id: str | None = None) -> WalletEntry:  # fmt: skip
    """Take ``amount`` (> 0) from the user's wallet; the transaction fails on :data:`WALLET_LABEL` below zero."""
    if amount <= 0:
        raise ValueError("a debit is positive")
    entry = _entry(user_id, entry_type, -amount, reference, description, entry_id)
    store.add_debit(tx, entry, wallet_label=WALLET_LABEL, entry_label=ENTRY_LABEL)
    return entry


# ---------------------------------------------------------------- reading


def get_wallet(principal: Principal) -> WalletOut:
    """The caller's balance: one strongly consistent GetItem, no write when there is no wallet yet."""
    return wallet_out(store.get_wallet(principal.user_id), currency=wallet_currency())


def ledger_owner(principal: Principal, user_id: str | None) -> str:
    """Whose ledger the caller may read: their own; an admin anyone's. Another user's → 404."""
    if user_id is None or user_id == principal.user_id:
        return principal.user_id
    if not principal.is_admin:
        raise NotFound()
    return user_id


def list_entries(principal: Principal, query: TransactionsQuery) -> tuple[list[WalletEntryOut], str | None]:
    """A page of ledger entries, newest first: one Query on gsi1 ``WALLET#<user>``."""
    owner = ledger_owner(principal, query.user_id)
    found, cursor = store.entries_page(owner, query.type, query.cursor, query.limit)
    return [entry_out(e) for e in found], cursor


# ---------------------------------------------------------------- top-ups


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
    payment = store.new_top_up_payment(principal.user_id, payment_id, amount, currency, intent.id,
                                       intent.client_secret)  # fmt: skip
    try:
        with WriteTransaction() as tx:
            store.add_payment(tx, payment, label=PAYMENT_LABEL)
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
