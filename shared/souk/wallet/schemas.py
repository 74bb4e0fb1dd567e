"""What clients see of a wallet (GET /wallet), its ledger (GET /wallet/transactions) and a top-up."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from souk.money import MAX_AMOUNT, Money, money
from souk.schema import CamelModel, PageQuery
from souk.wallet.models import Wallet, WalletEntry

EntryType = Literal["credit", "debit", "refund", "topup", "payout"]
ReferenceType = Literal["order", "payment", "refund", "payout"]


class WalletOut(CamelModel):
    balance: Money
    currency: str = Field(examples=["usd"])
    updated_at: datetime | None = Field(description="Last movement; null for a wallet never credited.")


class SignedMoney(CamelModel):
    """Money on a ledger line: like :class:`souk.money.Money`, but negative for a debit."""

    amount: int = Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT, strict=True, description="Minor units; < 0 for debits.")
    currency: str = Field(min_length=3, max_length=3, pattern=r"^[a-z]{3}$", examples=["usd"])


class WalletEntryOut(CamelModel):
    id: str
    type: EntryType
    amount: SignedMoney
    reference_type: ReferenceType | None
    reference_id: str | None
    description: str | None
    created_at: datetime


class TransactionsQuery(PageQuery):
    """Query string of GET /wallet/transactions."""

    type: EntryType | None = None
    user_id: str | None = Field(None, max_length=64, description="Admins only: whose ledger (default: your own).")


class TopUpRequest(CamelModel):
    amount: Money = Field(description="In the wallet's currency, 100 to 1,000,000 minor units (1.00 to 10,000.00).",
                          examples=[{"amount": 5000, "currency": "usd"}])  # fmt: skip


class TopUpOut(CamelModel):
    payment_id: str
    client_secret: str = Field(description="Confirm the PaymentIntent with Stripe.js; the webhook credits the wallet.")
    intent_id: str = Field(description="The Stripe PaymentIntent's id (`pi_...`).")
    amount: Money
    status: Literal["pending"] = "pending"


def wallet_out(wallet: Wallet | None, *, currency: str) -> WalletOut:
    """The balance as the API shows it; ``None`` is a wallet never credited (0 in ``currency``, the wallet's)."""
    if wallet is None:
        return WalletOut(balance=money(0, currency), currency=currency, updated_at=None)
    return WalletOut(balance=money(int(wallet.balance), wallet.currency), currency=wallet.currency,
                     updated_at=wallet.updated_at)  # fmt: skip


def entry_out(entry: WalletEntry) -> WalletEntryOut:
    return WalletEntryOut(id=entry.entry_id, type=entry.type,  # type: ignore[arg-type]
                          amount=SignedMoney(amount=int(entry.amount), currency=entry.currency),
                          reference_type=entry.reference_type,  # type: ignore[arg-type]
                          reference_id=entry.reference_id, description=entry.description,
                          created_at=entry.created_at)  # fmt: skip
