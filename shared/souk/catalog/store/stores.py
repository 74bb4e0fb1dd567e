"""Stores in the table: reads, the indexes kept on every write, and the write itself.

Indexes kept on every write, in the same transaction as the store:

- gsi2 ``STORES#<status>``: the public list is one Query on ``STORES#approved``;
- gsi4 ``STOREGEO#<4-char geohash>`` / ``<geohash>#<id>``: set only while approved, so
  a near query (9 Queries, see :mod:`souk.catalog.geo`) never meets another status;
- SearchEntry items ``SRCH#S#<prefix>`` for each word prefix of the name, only while
  approved. Their number is capped (:data:`MAX_STORE_TERMS`) so a rename, which deletes
  the old terms and writes the new ones, fits one transaction with the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.catalog import geo, keys
from souk.catalog.models import APPROVED, SearchEntry, Store
from souk.catalog.text import index_terms
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.db.paging import one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord
    from souk.schema import PostalAddress

STORE_INDEX_WORDS = 6
MAX_STORE_TERMS = 40  # 40 deletes + 40 puts + store + audit stay under DynamoDB's 100 items per transaction
CELL_LIMIT = 200  # stores read per geohash cell: one Query page each, so 9 calls at most


# --- reading
def get_store(store_id: str, *, consistent: bool = False) -> Store | None:
    try:
        return Store.get(keys.store(store_id), keys.store(store_id), consistent_read=consistent)
    except DoesNotExist:
        return None


def approved_page(category: str | None, *, limit: int, last_key: dict[str, Any] | None
                  ) -> tuple[list[Store], dict[str, Any] | None]:  # fmt: skip
    """One Query on ``STORES#approved``, newest first; ``category`` is a FilterExpression, so a page
    can come back short with a key to go on."""
    condition = Store.category_ids.contains(category) if category else None
    result = Store.gsi2.query(keys.stores_by_status(APPROVED), scan_index_forward=False, filter_condition=condition,
                              page_size=limit, last_evaluated_key=last_key)  # fmt: skip
    return one_page(Store, result)


def search_page(term: str, *, limit: int, last_key: dict[str, Any] | None
                ) -> tuple[list[SearchEntry], dict[str, Any] | None]:  # fmt: skip
    """One page of the store search partition of ``term``, best rated first."""
    result = SearchEntry.query(keys.store_search(term), scan_index_forward=False, page_size=limit,
                               last_evaluated_key=last_key)  # fmt: skip
    return one_page(SearchEntry, result)


STATUSES = ("pending_review", "approved", "suspended", "rejected")  # every store is in one gsi2 STORES#<status>


def next_store(*, owner_id: str | None = None, status: str | None = None, last_key: dict[str, Any] | None
               ) -> tuple[Store | None, dict[str, Any] | None]:  # fmt: skip
    """The store after ``last_key`` in one store list, oldest first, and its key (None: the list is done):
    one Query with Limit 1, on gsi1 ``USER#<owner>#STORES`` (``owner_id``) or gsi2 ``STORES#<status>``."""
    if owner_id is not None:
        result = Store.gsi1.query(keys.owner_stores(owner_id), page_size=1, last_evaluated_key=last_key)
    else:
        result = Store.gsi2.query(keys.stores_by_status(status or APPROVED), page_size=1, last_evaluated_key=last_key)
    found, next_key = one_page(Store, result)
    return next((s for s in found if isinstance(s, Store)), None), next_key


def owner_page(owner_id: str, *, limit: int) -> tuple[list[Store], bool]:
    """The owner's first ``limit`` stores, oldest first (one Query on gsi1 ``USER#<owner>#STORES``) and
    whether they have more."""
    found, next_key = one_page(Store, Store.gsi1.query(keys.owner_stores(owner_id), page_size=limit))
    return [s for s in found if isinstance(s, Store)], next_key is not None


def get_stores(store_ids: list[str]) -> dict[str, Store]:
    """The stores that exist among ``store_ids``, by id (one BatchGetItem)."""
    if not store_ids:
        return {}
    return {s.store_id: s for s in Store.batch_get([(keys.store(i), keys.store(i)) for i in store_ids])}


def stores_in_cell(cell: str) -> list[Store]:
    """The approved stores indexed in a geohash cell: one Query page of at most :data:`CELL_LIMIT`.

    A cell longer than the partition's precision is read with ``begins_with`` on the sort key.
    """
    partition = keys.store_geo_cell(cell[: geo.PARTITION_PRECISION])
    narrow = Store.gsi4sk.startswith(cell) if len(cell) > geo.PARTITION_PRECISION else None
    stores, _ = one_page(Store, Store.gsi4.query(partition, narrow, page_size=CELL_LIMIT))
    return stores


# --- building
def new_store(store_id: str, owner_id: str, *, name: str, description: str | None, category_ids: list[str],
              currency: str) -> Store:  # fmt: skip
    """A new store, ``pending_review``."""
    now = utc_now()
    created = db_keys.created_sort(now.isoformat(), store_id)
    return Store(
        pk=keys.store(store_id), sk=keys.store(store_id),
        gsi1pk=keys.owner_stores(owner_id), gsi1sk=created,
        gsi2pk=keys.stores_by_status("pending_review"), gsi2sk=created,
        store_id=store_id, owner_id=owner_id, name=name, description=description,
        category_ids=category_ids, currency=currency, status="pending_review",
        created_at=now, updated_at=now,
    )  # fmt: skip


def set_address(store: Store, address: PostalAddress) -> None:
    """The address, its coordinates and the geohash the near index is cut by."""
    store.address = {"line1": address.line1, "line2": address.line2, "city": address.city,
                     "country": address.country, "postalCode": address.postal_code}  # fmt: skip
    store.lat = address.lat
    store.lng = address.lng
    store.geohash = geo.encode(address.lat, address.lng)


def snapshot(store: Store) -> Store:
    """A detached copy, to compare a store before and after a change."""
    return Store.from_raw_data(store.serialize())


# --- index upkeep
def _search_entries(store: Store) -> list[SearchEntry]:
    """The store's SearchEntry items: one per distinct name prefix, only while approved."""
    if store.status != APPROVED:
        return []
    count = int(store.rating_count or 0)
    average = float(store.rating_sum or 0) / count if count else 0.0
    sort = keys.rating_sort(round(average * 100), count, store.store_id)
    entries = []
    for term in index_terms([store.name], max_words=STORE_INDEX_WORDS)[:MAX_STORE_TERMS]:
        # Shaped like the products' entries (souk.catalog.service.search reads both kinds).
        entry = SearchEntry(pk=keys.store_search(term), sk=sort, target_id=store.store_id, kind="store", word=term,
                            name=store.name, rating_avg=round(average, 2), rating_count=count)  # fmt: skip
        entries.append(entry)
    return entries


def _set_keys(store: Store) -> None:
    """gsi2 follows the status; gsi4 keys present only while approved: the near index is sparse."""
    store.gsi2pk = keys.stores_by_status(store.status)
    if store.status == APPROVED and store.geohash:
        store.gsi4pk = keys.store_geo_cell(store.geohash[: geo.PARTITION_PRECISION])
        store.gsi4sk = keys.geo_sort(store.geohash, store.store_id)
    else:
        store.gsi4pk = None
        store.gsi4sk = None


def reindex(tx: WriteTransaction, before: Store | None, after: Store) -> None:
    """Bring the store's search entries from ``before`` to ``after`` inside ``tx``.

    Also for other features that change what the index holds (a review changing the
    rating): pass a copy of the store as it was and the store as it will be saved.
    """
    old = {(e.pk, e.sk): e for e in (_search_entries(before) if before is not None else [])}
    new = {(e.pk, e.sk): e for e in _search_entries(after)}
    unchanged = old.keys() == new.keys() and (before is None or before.name == after.name)
    if unchanged:
        return
    for key, entry in old.items():
        if key not in new:
            tx.delete(entry, label="search")
    for entry in new.values():
        tx.put(entry, label="search")


# --- writing
RATED_LABEL = "store"


def put_rated(tx: WriteTransaction, before: Store, store: Store) -> None:
    """A store whose rating changed (versioned, on :data:`RATED_LABEL`) and its search entries, which
    sort by rating, inside the caller's transaction (at most 2 x MAX_STORE_TERMS + 1 items)."""
    store.updated_at = utc_now()
    tx.put(store, label=RATED_LABEL)
    reindex(tx, before, store)


def save(before: Store | None, store: Store, record: AuditRecord) -> None:
    """Save the store (new when ``before`` is None) with its index changes and the audit record, atomically."""
    _set_keys(store)
    store.updated_at = utc_now()
    try:
        with WriteTransaction() as tx:
            tx.put(store, Store.pk.does_not_exist() if before is None else None, label="store")
            reindex(tx, before, store)
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled:
        raise Conflict("The store changed at the same time; retry.") from None
