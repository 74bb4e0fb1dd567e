"""The ``products`` export type (:mod:`souk.registry`: ``SOURCES``, read by :mod:`souk.exports.service.sources`).

Admins export every product, store owners the products of their own stores. The rows come from the
catalog's own queries, store by store, oldest first; a page is at most two Queries:

- the next store (Limit 1), when the previous one is done: an owner's stores on gsi1
  ``USER#<owner>#STORES``; for an admin every store, status list after status list on gsi2
  ``STORES#<status>`` (pending_review, approved, suspended, rejected);
- one page of that store's products on gsi1 ``STORE#<id>#PRODUCTS`` (``status`` a filter; without one,
  deleted products are left out).

With ``storeId`` only that store is read; a store owner naming a store that is not theirs gets an
empty export (one GetItem on the first page), as for orders. The cursor saved on the job is a signed
list cursor (:func:`souk.db.paging.encode_cursor`) holding where the walk is: it stays valid across
invocations and cannot be forged to read another owner's store. A store that changes status while an
admin's export walks the status lists can be read twice or missed (README, Exports).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import ConfigDict, Field

from souk.db.paging import decode_cursor, encode_cursor
from souk.registry import Source
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.catalog.models import Product
    from souk.registry import ExportScope, Page

COLUMNS = ("id", "storeId", "name", "status", "priceAmount", "currency", "categoryId", "tags", "inStock",
           "ratingCount", "createdAt", "updatedAt")  # fmt: skip


class ProductExportFilters(CamelModel):
    model_config = ConfigDict(extra="forbid")

    store_id: str | None = Field(None, min_length=1, max_length=64, description="Products of this store only.")
    status: Literal["active", "inactive", "deleted"] | None = Field(
        None, description="Products in this status only (without it: active and inactive)."
    )


def product_row(product: Product) -> dict[str, Any]:
    return {"id": product.product_id, "storeId": product.store_id, "name": product.name, "status": product.status,
            "priceAmount": int(product.price_amount), "currency": product.currency,
            "categoryId": product.category_id, "tags": " ".join(product.tags or []),
            "inStock": bool(product.in_stock), "ratingCount": int(product.rating_count or 0),
            "createdAt": product.created_at.isoformat() if product.created_at else None,
            "updatedAt": product.updated_at.isoformat() if product.updated_at else None}  # fmt: skip


def _first_store(scope: ExportScope, store_id: str) -> str | None:
    """The one store an export names, if the scope may read it (admins any; an owner their own)."""
    # Deferred for cold start: POST /exports reads the declarations only; the worker reads the stores.
    from souk.catalog.store.stores import get_store

    if scope.is_admin:
        return store_id
    store = get_store(store_id)
    return store_id if store is not None and store.owner_id == scope.user_id else None


def page(scope: ExportScope, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    # Deferred for cold start: POST /exports reads the declarations only; the worker reads the products.
    from souk.catalog.store.products import store_page
    from souk.catalog.store.stores import STATUSES, next_store

    wanted = ProductExportFilters.model_validate(filters)
    state: dict[str, Any] = decode_cursor(cursor) or {}
    store_id: str | None = state.get("s")
    walk: dict[str, Any] = {}  # where the store walk is: list ``i``, after store key ``after`` (none with storeId)
    lists = len(STATUSES) if scope.is_admin else 1
    if wanted.store_id is not None:
        if store_id is None and (store_id := _first_store(scope, wanted.store_id)) is None:
            return [], None
    else:
        walk = {"i": int(state.get("i", 0)), "after": state.get("after")}
        if store_id is None:  # the previous store is done: the next one
            owner = None if scope.is_admin else scope.user_id
            status = STATUSES[walk["i"]] if scope.is_admin else None
            store, after = next_store(owner_id=owner, status=status, last_key=walk["after"])
            walk = {"i": walk["i"], "after": after} if after is not None else {"i": walk["i"] + 1, "after": None}
            if store is None:
                return [], (encode_cursor(walk) if walk["i"] < lists else None)
            store_id = store.store_id
    products, last_key = store_page(store_id, status=wanted.status, limit=limit,
                                    last_key=state.get("k") if state.get("s") else None)  # fmt: skip
    rows = [product_row(p) for p in products]
    if last_key is not None:
        return rows, encode_cursor({**walk, "s": store_id, "k": last_key})
    return rows, (encode_cursor(walk) if walk and walk["i"] < lists else None)


SOURCES = {"products": Source(columns=COLUMNS, page=page, roles=frozenset({"admin", "store_owner"}),
                              filters=ProductExportFilters)}  # fmt: skip
