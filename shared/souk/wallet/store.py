"""Wallet's DynamoDB access: ledger movements added to a caller's WriteTransaction, the balance, the ledger,
and the pending Payment of a top-up.

Every movement is two writes in the caller's transaction: the balance (an ADD, so
concurrent movements never conflict unless a debit would go below zero) and an immutable
:class:`WalletEntry`. Checkout, refunds, top-ups and payouts compose them with their own
writes, so money never moves without the order, refund or payment that explains it.

The balance is one strongly consistent GetItem (it is money). The ledger is one Query per
page on gsi1 ``WALLET#<user>`` newest first (entries' time order: their sk
``TX#<entryId>`` does not sort by time for derived ids such as ``topup-<paymentId>``),
with ``type`` as a FilterExpression, so a page can come back short with a cursor to go on.
"""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import WriteTransaction
from souk.ids import new_id
from souk.payments import models as payment_models
from souk.payments.models import Payment
from souk.wallet import keys
from souk.wallet.models import Wallet, WalletEntry


def new_entry(user_id: str, entry_type: str, amount: int, currency: str, *, reference_type: str | None,
              reference_id: str | None, description: str | None, entry_id: str | None) -> WalletEntry:  # fmt: skip
    """A ledger entry (not written); ``amount`` is signed: credits > 0, debits < 0."""
    entry_id = entry_id or new_id()
    now = utc_now()
    # The sk (``TX#<entryId>``) makes a derived id count once, but ``topup-…``/``refund-…`` sort after
    # every ULID: the ledger's time order is gsi1, ``WALLET#<user>`` / ``<stamp>#<entryId>``.
    return WalletEntry(pk=keys.wallet(user_id), sk=keys.wallet_entry(entry_id), entry_id=entry_id, user_id=user_id,
                       type=entry_type, amount=amount, currency=currency, reference_type=reference_type,
                       reference_id=reference_id, description=description,
                       gsi1pk=keys.wallet(user_id), gsi1sk=db_keys.timeline_sort(expiry.stamp(now), entry_id),
                       created_at=now, updated_at=now)  # fmt: skip


def add_credit(tx: WriteTransaction, entry: WalletEntry, *, wallet_label: str, entry_label: str) -> None:
    """Add to ``tx``: the balance grows by the entry's amount (the first credit creates the wallet), and the entry.

    ``wallet_label`` fails when the wallet holds another currency, ``entry_label`` when the entry exists.
    """
    wallet = Wallet(pk=keys.wallet(entry.user_id), sk=keys.WALLET)
    # An upsert: the first credit creates the wallet item with its discriminator and currency.
    tx.update(wallet, [Wallet.balance.add(int(entry.amount)), Wallet.entity.set(Wallet),
                       Wallet.user_id.set(entry.user_id), Wallet.currency.set(Wallet.currency | entry.currency),
                       Wallet.created_at.set(Wallet.created_at | utc_now()), Wallet.updated_at.set(utc_now())],
              Wallet.currency.does_not_exist() | (Wallet.currency == entry.currency), label=wallet_label)  # fmt: skip
    tx.put(entry, WalletEntry.pk.does_not_exist(), label=entry_label)


def add_debit(tx: WriteTransaction, entry: WalletEntry, *, wallet_label: str, entry_label: str) -> None:
    """Add to ``tx``: the balance shrinks by the (negative) entry's amount, never below zero, and the entry.

    ``wallet_label`` fails on insufficient funds (or another currency), ``entry_label`` when the entry exists.
    """
    taken = -int(entry.amount)
    wallet = Wallet(pk=keys.wallet(entry.user_id), sk=keys.WALLET)
    tx.update(wallet, [Wallet.balance.add(-taken), Wallet.updated_at.set(utc_now())],
              (Wallet.balance >= taken) & (Wallet.currency == entry.currency), label=wallet_label)  # fmt: skip
    tx.put(entry, WalletEntry.pk.does_not_exist(), label=entry_label)


def get_wallet(user_id: str) -> Wallet | None:
    """The balance item, strongly consistent; None for a user never credited (no write)."""
    try:
        return Wallet.get(keys.wallet(user_id), keys.WALLET, consistent_read=True)
    except DoesNotExist:
        return None


def entries_page(owner_id: str, entry_type: str | None, cursor: str | None,
                 limit: int) -> tuple[list[WalletEntry], str | None]:  # fmt: skip
    """A page of ledger entries, newest first: one Query on gsi1 ``WALLET#<user>``."""
    partition = keys.wallet(owner_id)
    start = decode_cursor_for(cursor, "gsi1pk", partition)
    condition = WalletEntry.type == entry_type if entry_type else None
    result = WalletEntry.gsi1.query(partition, filter_condition=condition, scan_index_forward=False,
                                    page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(WalletEntry, result)
    return [e for e in found if isinstance(e, WalletEntry)], encode_cursor(last_key)


def new_top_up_payment(user_id: str, payment_id: str, amount: int, currency: str, intent_id: str,
                       client_secret: str) -> Payment:  # fmt: skip
    """The pending card Payment of a top-up (not written)."""
    return payment_models.new_payment(
        payment_id,
        user_id,
        now=utc_now(),
        kind="topup",
        method="card",
        order_ids=[],
        amount=amount,
        currency=currency,
        status="pending",
        stripe_payment_intent_id=intent_id,
        client_secret=client_secret,
    )


def add_payment(tx: WriteTransaction, payment: Payment, *, label: str) -> None:
    """Add to ``tx``: put the new payment (fails on ``label`` if it exists)."""
    tx.put(payment, Payment.pk.does_not_exist(), label=label)
