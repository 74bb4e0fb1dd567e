"""Disputes in the table: one item per (dispute, store), written beside the dispute's ledger entries.

| item | pk | sk | GSIs |
|---|---|---|---|
| Dispute | FINANCE#<storeId> | DISPUTE#<disputeId> | |

The items of one dispute are created together (with the hold) and changed together, each
change conditioned on the version read (label ``dispute:<storeId>``): an event that lost a
race to another event of the same dispute fails and is rebuilt from a fresh read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from souk.db.base import utc_now
from souk.finance.keys import DISPUTE_PREFIX, dispute_sort, store_finance
from souk.finance.models import Dispute

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.db.transactions import WriteTransaction

LABEL_PREFIX = "dispute:"


def label(store_id: str) -> str:
    return f"{LABEL_PREFIX}{store_id}"


def load_many(dispute_id: str, store_ids: Sequence[str]) -> dict[str, Dispute]:
    """The dispute's items of ``store_ids`` that exist, by store (one consistent BatchGetItem)."""
    if not store_ids:
        return {}
    keys = [(store_finance(s), dispute_sort(dispute_id)) for s in sorted(set(store_ids))]
    return {item.store_id: item for item in Dispute.batch_get(keys, consistent_read=True)}


def store_disputes(store_id: str) -> list[Dispute]:
    """A store's disputes (one Query on its partition; tests and support)."""
    found = Dispute.query(store_finance(store_id), Dispute.sk.startswith(DISPUTE_PREFIX), consistent_read=True)
    return [item for item in found if isinstance(item, Dispute)]


def new_dispute(store_id: str, dispute_id: str, **fields: Any) -> Dispute:
    now = utc_now()
    return Dispute(pk=store_finance(store_id), sk=dispute_sort(dispute_id), store_id=store_id, dispute_id=dispute_id,
                   created_at=now, updated_at=now, **fields)  # fmt: skip


def put_new(tx: WriteTransaction, item: Dispute) -> None:
    """The store's item of the dispute, only if it has none yet."""
    tx.put(item, Dispute.pk.does_not_exist(), label=label(item.store_id))


def update(tx: WriteTransaction, item: Dispute, actions: Sequence[Action]) -> None:
    """``actions`` on the item, on the version read."""
    tx.update(item, [*actions, Dispute.updated_at.set(utc_now())], label=label(item.store_id))
