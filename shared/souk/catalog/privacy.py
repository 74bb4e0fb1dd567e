"""Catalog's privacy hook (souk.privacy): a store owner's stores and their products.

Both walk the owner's stores with the catalog's own queries, one call a step: the next store on gsi1
``USER#<owner>#STORES`` (Limit 1, oldest first), then that store's products on gsi1
``STORE#<id>#PRODUCTS``, a page of 25 a call. The cursor is a signed list cursor
(:func:`souk.db.paging.encode_cursor`) of where the walk is: the store list's key (``s``, ``e`` once it
has no more), the store being read (``id``) and its products' key (``k``).

Export: each store (a ``store`` row, every attribute but the table keys) and every product of it, deleted
ones too (``product`` rows). No refusal here: catalog cannot read orders (orders imports catalog), and
finance's hook refuses while a store's balance shows a paid order not yet released, a dispute, a payout
in flight or money to pay out.

Erase, store by store:

- the store is closed, in one transaction with its index changes and the audit record
  (``store.status_change`` by ``system``, reason ``account_erasure``): catalog has no store delete, so it
  becomes ``rejected`` (never public, out of the list, the near index and the search; only its owner's
  verification brings a rejected store back, and the owner is gone) with the reason
  :data:`CLOSED_REASON`; what may be personal goes with it: the name becomes :data:`CLOSED_NAME`, the
  description, the street, postcode, coordinates and verification document ids are removed (the address
  keeps its city and country). The store item stays: orders, commissions and payouts name its id;
- then its products are deleted as the owner's ``DELETE /products/{id}`` does (status ``deleted``, out
  of every listing, off the low-stock list, the categories' counts down, ``product.delete`` audited), their
  search entries removed first, so a step run again after a crash finds what is left to remove.

A step is idempotent: a store already closed and a product already deleted are left as they are.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.catalog import keys
from souk.catalog.models import Product, Store
from souk.catalog.service.products import snapshot
from souk.catalog.store import listing, search
from souk.catalog.store import products as product_store
from souk.catalog.store import stores as store_store
from souk.db import personal
from souk.db.base import utc_now
from souk.db.paging import decode_cursor, encode_cursor, one_page

if TYPE_CHECKING:
    from collections.abc import Callable

ORDER = 25  # early: the stores leave the listings soon after the request
CLOSED = "rejected"
CLOSED_NAME = "Closed store"
CLOSED_REASON = "Closed: the owner's account was erased."
KEPT_ADDRESS = ("city", "country")
ERASURE = "account_erasure"


def _products(store_id: str, last_key: dict[str, Any] | None) -> tuple[list[Product], dict[str, Any] | None]:
    """One page of the store's products, whatever their status (one Query)."""
    result = Product.gsi1.query(keys.store_products(store_id), page_size=personal.PAGE, last_evaluated_key=last_key)
    found, more = one_page(Product, result)
    return [p for p in found if isinstance(p, Product)], more


Rows = list[dict[str, Any]]


def _walk(user_id: str, cursor: str | None, on_store: Callable[[Store], Rows],
          on_products: Callable[[list[Product]], Rows]) -> tuple[Rows, str | None]:  # fmt: skip
    """One step of the walk over the owner's stores and their products (one Query)."""
    state = decode_cursor(cursor) or {}
    store_id = state.get("id") or None
    ended = bool(state.get("e"))
    if store_id is None:
        if ended:
            return [], None
        found, next_key = store_store.next_store(owner_id=user_id, last_key=state.get("s") or None)
        if found is None:
            return [], None
        rows = on_store(found)
        return rows, encode_cursor({"s": next_key or {}, "e": next_key is None, "id": found.store_id, "k": {}})
    products, more = _products(store_id, state.get("k") or None)
    rows = on_products(products)
    if more is None and ended:
        return rows, None
    following = {"s": state.get("s") or {}, "e": ended, "id": store_id if more else "", "k": more or {}}
    return rows, encode_cursor(following)


# ---------------------------------------------------------------- export


def _store_rows(store: Store) -> list[dict[str, Any]]:
    return [personal.row("store", store)]


def _product_rows(products: list[Product]) -> list[dict[str, Any]]:
    return [personal.row("product", p, drop=("listingFacets", "searchTerms")) for p in products]


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    return _walk(user_id, cursor, _store_rows, _product_rows)


# ---------------------------------------------------------------- erase


def is_closed(store: Store) -> bool:
    return store.status == CLOSED and store.status_reason == CLOSED_REASON and store.name == CLOSED_NAME


def _close(store: Store) -> list[dict[str, Any]]:
    if is_closed(store):
        return []
    current = store_store.get_store(store.store_id, consistent=True) or store  # the versioned write needs the latest
    if is_closed(current):
        return []
    before = store_store.snapshot(current)
    current.status, current.status_reason = CLOSED, CLOSED_REASON
    current.name, current.description = CLOSED_NAME, None
    current.address = personal.keep_only(current.address, KEPT_ADDRESS)
    current.lat = current.lng = current.geohash = None
    current.document_upload_ids = []  # type: ignore[assignment]
    record = audit.build_record(audit.SYSTEM, "store.status_change", "store", current.store_id,
                                before={"status": before.status, "statusReason": before.status_reason},
                                after={"status": CLOSED, "statusReason": CLOSED_REASON, "reason": ERASURE})  # fmt: skip
    store_store.save(before, current, record)  # the store, its search entries out, the audit record: one transaction
    return []


def _delete(product: Product) -> None:
    """The product deleted as the owner's delete does; its search entries first (see the module doc)."""
    current, variants = product_store.load(product.product_id, consistent=True)
    if current is None or current.status == "deleted":
        return
    before = snapshot(current)
    old_facets, old_terms, old_sort = list(current.listing_facets or []), list(current.search_terms or []), \
        listing.rating_key(current)  # fmt: skip
    product_store.write_search_entries([], [search.stale_entry(t, old_sort) for t in old_terms])
    current.status = "deleted"
    current.updated_at = utc_now()
    current.listing_facets, current.search_terms = [], []  # type: ignore[assignment]
    record = audit.build_record(audit.SYSTEM, "product.delete", "product", current.product_id, before=before,
                                after={"status": "deleted", "reason": ERASURE})  # fmt: skip
    product_store.soft_delete(current, variants, old_facets=old_facets, record=record)


def _delete_all(products: list[Product]) -> list[dict[str, Any]]:
    for product in products:
        if product.status != "deleted":
            _delete(product)
    return []


def erase(user_id: str, cursor: str | None) -> str | None:
    _, following = _walk(user_id, cursor, _close, _delete_all)
    return following
