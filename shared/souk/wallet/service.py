"""Wallet routes' reads: the balance (GET /wallet) and the ledger (GET /wallet/transactions).

The balance is one strongly consistent GetItem (it is money): a user who was never
credited has no Wallet item and reads 0 in the wallet currency, without a write. The
ledger is one Query per page on gsi1 ``WALLET#<user>`` newest first (entries' time
order: their sk ``TX#<entryId>`` does not sort by time for derived ids such as
``topup-<paymentId>``), with ``type`` as a FilterExpression, so a page can come back short
with a cursor to go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from souk.db import keys
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.errors import NotFound
from souk.money import MAX_AMOUNT, Money, money
from souk.schema import CamelModel, PageQuery
from souk.wallet.ledger import wallet_currency
from souk.wallet.models import Wallet, WalletEntry

if TYPE_CHECKING:
    from souk.caller import Principal

EntryType = Literal["credit", "debit", "refund", "topup", "payout"]
ReferenceType = Literal["order", "payment", "refund", "payout"]


# ---------------------------------------------------------------- schemas


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


# ---------------------------------------------------------------- shaping


def wallet_out(wallet: Wallet | None) -> WalletOut:
    """The balance as the API shows it; ``None`` is a wallet never credited (0 in the wallet currency)."""
    if wallet is None:
        currency = wallet_currency()
        return WalletOut(balance=money(0, currency), currency=currency, updated_at=None)
    return WalletOut(balance=money(int(wallet.balance), wallet.currency), currency=wallet.currency,
                     updated_at=wallet.updated_at)  # fmt: skip


def entry_out(entry: WalletEntry) -> WalletEntryOut:
    return WalletEntryOut(id=entry.entry_id, type=entry.type,  # type: ignore[arg-type]
                          amount=SignedMoney(amount=int(entry.amount), currency=entry.currency),
                          reference_type=entry.reference_type,  # type: ignore[arg-type]
                          reference_id=entry.reference_id, description=entry.description,
                          created_at=entry.created_at)  # fmt: skip


# ---------------------------------------------------------------- reading


def get_wallet(principal: Principal) -> WalletOut:
    """The caller's balance: one strongly consistent GetItem, no write when there is no wallet yet."""
    try:
        wallet = Wallet.get(keys.wallet(principal.user_id), keys.WALLET, consistent_read=True)
    except DoesNotExist:
        return wallet_out(None)
    return wallet_out(wallet)


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
    partition = keys.wallet(owner)
    start = decode_cursor_for(query.cursor, "gsi1pk", partition)
    condition = WalletEntry.type == query.type if query.type else None
    result = WalletEntry.gsi1.query(partition, filter_condition=condition, scan_index_forward=False,
                                    page_size=query.limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(WalletEntry, result)
    return [entry_out(e) for e in found if isinstance(e, WalletEntry)], encode_cursor(last_key)
