"""Payout items: their keys in the four indexes, conditional status moves, pages, and the payouts queue.

A payout is ``PAYOUT#<id>`` / ``PAYOUT``, listed newest first (sort ``<requestedAt stamp>#<id>``)
by its owner (gsi1), by everyone (gsi2, admins), by status (gsi3: its partition follows every
status move) and by store (gsi4). Every status move is an update conditional on the status it
leaves, so two writers (an admin rejecting, the worker starting) never both win.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.update import Action

from souk.db import keys, queues
from souk.db.base import utc_now
from souk.db.expiry import stamp
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.queues import EnqueueFailed as EnqueueFailed  # enqueue raises it; the service catches it here
from souk.db.timeline import all_of
from souk.db.transactions import WriteTransaction
from souk.finance.keys import (
    PAYOUT,
    PAYOUTS_ALL,
    entry_sort,
    owner_payouts,
    payout,
    payouts_by_status,
    store_finance,
    store_payouts,
)
from souk.finance.models import LedgerEntry, Payout
from souk.settings import get_settings

PAYOUT_LABEL = "payout"  # a ConditionalCheckFailed on it: the payout left the status we read


def new_payout(payout_id: str, store_id: str, owner_id: str, amount: int, currency: str) -> Payout:
    now = utc_now()
    sort = keys.timeline_sort(stamp(now), payout_id)
    return Payout(
        pk=payout(payout_id), sk=PAYOUT, payout_id=payout_id, store_id=store_id, owner_id=owner_id,
        amount=amount, currency=currency, status="requested", requested_at=now, attempts=0,
        gsi1pk=owner_payouts(owner_id), gsi1sk=sort, gsi2pk=PAYOUTS_ALL, gsi2sk=sort,
        gsi3pk=payouts_by_status("requested"), gsi3sk=sort, gsi4pk=store_payouts(store_id), gsi4sk=sort,
        created_at=now, updated_at=now,
    )  # fmt: skip


def add_payout(tx: WriteTransaction, item: Payout) -> None:
    tx.put(item, Payout.pk.does_not_exist(), label=PAYOUT_LABEL)


def load_payout(payout_id: str, *, consistent: bool = True) -> Payout | None:
    try:
        return Payout.get(payout(payout_id), PAYOUT, consistent_read=consistent)
    except DoesNotExist:
        return None


def move(tx: WriteTransaction, item: Payout, leaving: Sequence[str], status: str,
         actions: Sequence[Action] = ()) -> None:  # fmt: skip
    """``item`` to ``status``, only if it is still in one of ``leaving`` (fails on :data:`PAYOUT_LABEL`)."""
    condition = Payout.pk.exists() & Payout.status.is_in(*leaving)
    tx.update(item, [Payout.status.set(status), Payout.gsi3pk.set(payouts_by_status(status)),
                     Payout.updated_at.set(utc_now()), *actions], condition, label=PAYOUT_LABEL)  # fmt: skip


def keep(tx: WriteTransaction, item: Payout, statuses: Sequence[str], actions: Sequence[Action]) -> None:
    """Change ``item`` without moving it, only if it is still in one of ``statuses``."""
    condition = Payout.pk.exists() & Payout.status.is_in(*statuses)
    tx.update(item, [Payout.updated_at.set(utc_now()), *actions], condition, label=PAYOUT_LABEL)


def posted_entries(store_id: str, business_keys: Sequence[str]) -> set[str]:
    """Which of ``business_keys`` the store's ledger holds already (one BatchGetItem)."""
    if not business_keys:
        return set()
    found = LedgerEntry.batch_get([(store_finance(store_id), entry_sort(key)) for key in business_keys],
                                  consistent_read=True)  # fmt: skip
    return {item.business_key for item in found if isinstance(item, LedgerEntry)}


# ---------------------------------------------------------------- pages


def payouts_page(*, owner_id: str | None, store_id: str | None, status: str | None, cursor: str | None,
                 limit: int) -> tuple[list[Payout], str | None]:  # fmt: skip
    """One page, newest first, in one Query: a store's (gsi4), an owner's (gsi1), a status (gsi3)
    or everything (gsi2); a status with a store or an owner is a filter on that page."""
    index: Any
    if store_id is not None:
        index, partition, attribute = Payout.gsi4, store_payouts(store_id), "gsi4pk"
    elif owner_id is not None:
        index, partition, attribute = Payout.gsi1, owner_payouts(owner_id), "gsi1pk"
    elif status is not None:
        index, partition, attribute = Payout.gsi3, payouts_by_status(status), "gsi3pk"
    else:
        index, partition, attribute = Payout.gsi2, PAYOUTS_ALL, "gsi2pk"
    start = decode_cursor_for(cursor, attribute, partition)
    filtered = status is not None and attribute != "gsi3pk"
    condition = all_of(Payout.status == status if filtered else None)
    result = index.query(partition, filter_condition=condition, scan_index_forward=False, page_size=limit,
                         last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Payout, result)
    return [p for p in found if isinstance(p, Payout)], encode_cursor(last_key)


def payouts_in(status: str) -> Iterator[Payout]:
    """Every payout now in ``status``, oldest first (the daily job; pages through gsi3)."""
    for item in Payout.gsi3.query(payouts_by_status(status), scan_index_forward=True):
        if isinstance(item, Payout):
            yield item


def older_than(items: Iterator[Payout], moment: datetime, attribute: str) -> Iterator[Payout]:
    for item in items:
        at = getattr(item, attribute) or item.updated_at
        if at < moment:
            yield item


# ---------------------------------------------------------------- the payouts queue


def enqueue(payout_id: str) -> None:
    """Put ``{"payoutId": ...}`` on the payouts queue for the worker (raises :class:`EnqueueFailed`)."""
    queues.send(get_settings().payouts_queue_url, "PAYOUTS_QUEUE_URL", json.dumps({"payoutId": payout_id}),
                what="a payout")  # fmt: skip
