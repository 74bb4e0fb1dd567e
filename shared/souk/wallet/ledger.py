"""Wallet ledger building blocks: add a credit or a debit to a caller's WriteTransaction.

Every movement is two writes in the caller's transaction: the balance (an ADD, so
concurrent movements never conflict unless a debit would go below zero) and an immutable
:class:`WalletEntry`. Checkout, refunds, top-ups and payouts compose them with their own
writes, so money never moves without the order, refund or payment that explains it.
"""

from __future__ import annotations

from dataclasses import dataclass

from souk.db import expiry, keys
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.ids import new_id
from souk.settings import get_settings
from souk.wallet.models import Wallet, WalletEntry

WALLET_LABEL = "wallet"  # a ConditionalCheckFailed on it means insufficient funds (or another currency)
ENTRY_LABEL = "wallet-entry"  # a ConditionalCheckFailed on it means this movement was already applied


@dataclass(frozen=True)
class Reference:
    """What a movement is for: ``("order", orderId)``, ``("payment", paymentId)``, ``("refund", refundId)``."""

    type: str
    id: str


def wallet_currency() -> str:
    return get_settings().wallet_currency


def _entry(user_id: str, entry_type: str, amount: int, currency: str, reference: Reference | None,
           description: str | None, entry_id: str | None) -> WalletEntry:  # fmt: skip
    entry_id = entry_id or new_id()
    now = utc_now()
    # The sk (``TX#<entryId>``) makes a derived id count once, but ``topup-…``/``refund-…`` sort after
    # every ULID: the ledger's time order is gsi1, ``WALLET#<user>`` / ``<stamp>#<entryId>``.
    return WalletEntry(pk=keys.wallet(user_id), sk=keys.wallet_entry(entry_id), entry_id=entry_id, user_id=user_id,
                       type=entry_type, amount=amount, currency=currency,
                       reference_type=reference.type if reference else None,
                       reference_id=reference.id if reference else None, description=description,
                       gsi1pk=keys.wallet(user_id), gsi1sk=keys.timeline_sort(expiry.stamp(now), entry_id),
                       created_at=now, updated_at=now)  # fmt: skip


def credit(tx: WriteTransaction, user_id: str, amount: int, *, entry_type: str, reference: Reference | None = None,
           description: str | None = None, entry_id: str | None = None) -> WalletEntry:  # fmt: skip
    """Add ``amount`` (> 0) to the user's wallet, creating the wallet on first credit.

    Pass ``entry_id`` derived from the cause (e.g. ``topup-<paymentId>``) when the credit
    must happen once: a second attempt fails on :data:`ENTRY_LABEL`.
    """
    if amount <= 0:
        raise ValueError("a credit is positive")
    currency = wallet_currency()
    entry = _entry(user_id, entry_type, amount, currency, reference, description, entry_id)
    wallet = Wallet(pk=keys.wallet(user_id), sk=keys.WALLET)
    # An upsert: the first credit creates the wallet item with its discriminator and currency.
    tx.update(wallet, [Wallet.balance.add(amount), Wallet.entity.set(Wallet),
                       Wallet.user_id.set(user_id), Wallet.currency.set(Wallet.currency | currency),
                       Wallet.created_at.set(Wallet.created_at | utc_now()), Wallet.updated_at.set(utc_now())],
              Wallet.currency.does_not_exist() | (Wallet.currency == currency), label=WALLET_LABEL)  # fmt: skip
    tx.put(entry, WalletEntry.pk.does_not_exist(), label=ENTRY_LABEL)
    return entry


def debit(tx: WriteTransaction, user_id: str, amount: int, *, entry_type: str, reference: Reference | None = None,
          description: str | None = None, entry_id: str | None = None) -> WalletEntry:  # fmt: skip
    """Take ``amount`` (> 0) from the user's wallet; the transaction fails on :data:`WALLET_LABEL` below zero."""
    if amount <= 0:
        raise ValueError("a debit is positive")
    currency = wallet_currency()
    entry = _entry(user_id, entry_type, -amount, currency, reference, description, entry_id)
    wallet = Wallet(pk=keys.wallet(user_id), sk=keys.WALLET)
    tx.update(wallet, [Wallet.balance.add(-amount), Wallet.updated_at.set(utc_now())],
              (Wallet.balance >= amount) & (Wallet.currency == currency), label=WALLET_LABEL)  # fmt: skip
    tx.put(entry, WalletEntry.pk.does_not_exist(), label=ENTRY_LABEL)
    return entry
