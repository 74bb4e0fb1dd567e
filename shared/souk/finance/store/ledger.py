"""Posting ledger entries: the entry and the balance update in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.finance.keys import BALANCE, ENTRY_PREFIX, NEGATIVE_STORES, entry_sort, store_entries, store_finance
from souk.finance.ledger import Entry
from souk.finance.models import LedgerEntry, StoreBalance

_BUCKET_ATTRIBUTES = {
    "pending": StoreBalance.pending,
    "available": StoreBalance.available,
    "held": StoreBalance.held,
    "in_payout": StoreBalance.in_payout,
    "paid_out": StoreBalance.paid_out,
}


def entry_label(entry: Entry) -> str:
    return f"entry:{entry.business_key}"


def post(tx: WriteTransaction, entry: Entry, *, balance_condition: Condition | None = None) -> None:
    """Add ``entry`` and its balance change to ``tx``.

    The entry is put only if its business key was never posted (the transaction fails
    with :func:`entry_label` among its reasons otherwise: the caller treats that as
    "already done"). The balance item is created by the first entry; its currency is set
    then and every later entry must match it. ``balance_condition`` guards a debit
    (``StoreBalance.available >= amount``); an unguarded debit of ``available`` puts the
    balance in the negative index (gsi1 ``FINANCE#NEGATIVE``).
    """
    now = utc_now()
    tx.put(LedgerEntry(
        pk=store_finance(entry.store_id), sk=entry_sort(entry.business_key),
        gsi1pk=store_entries(entry.store_id), gsi1sk=f"{now.isoformat()}#{entry.business_key}",
        store_id=entry.store_id, business_key=entry.business_key, kind=entry.kind, currency=entry.currency,
        postings=dict(entry.postings), order_id=entry.order_id, payout_id=entry.payout_id, memo=entry.memo,
        created_at=now, updated_at=now,
    ), LedgerEntry.pk.does_not_exist(), label=entry_label(entry))  # fmt: skip
    actions: list[Action] = [
        StoreBalance.store_id.set(entry.store_id),
        StoreBalance.currency.set(StoreBalance.currency | entry.currency),
        StoreBalance.entity.set(StoreBalance),
        StoreBalance.created_at.set(StoreBalance.created_at | now),
        StoreBalance.updated_at.set(now),
        StoreBalance.entry_count.add(1),
    ]
    deltas = entry.store_deltas()
    actions += [_BUCKET_ATTRIBUTES[bucket].add(delta) for bucket, delta in deltas.items()]
    if deltas.get("available", 0) < 0 and balance_condition is None:
        # An unguarded debit of available (a claw-back, a dispute) may leave it negative: the store joins
        # the negative index (gsi1), which souk.finance.service.clawbacks reads and clears once it is >= 0.
        actions += [StoreBalance.gsi1pk.set(NEGATIVE_STORES), StoreBalance.gsi1sk.set(entry.store_id)]
    same_currency = StoreBalance.currency.does_not_exist() | (StoreBalance.currency == entry.currency)
    condition = same_currency & balance_condition if balance_condition is not None else same_currency
    tx.update(StoreBalance(pk=store_finance(entry.store_id), sk=BALANCE), actions, condition,
              label=f"balance:{entry.store_id}")  # fmt: skip


def load_balance(store_id: str, *, consistent: bool = False) -> StoreBalance | None:
    try:
        return StoreBalance.get(store_finance(store_id), BALANCE, consistent_read=consistent)
    except DoesNotExist:
        return None


def entries(store_id: str) -> Iterator[LedgerEntry]:
    """Every entry of a store (reconciliation and tests: pages through the partition)."""
    return LedgerEntry.query(store_finance(store_id), LedgerEntry.sk.startswith(ENTRY_PREFIX), consistent_read=True)


def raw_postings(item: LedgerEntry) -> dict[str, Any]:
    return dict(item.postings or {})
