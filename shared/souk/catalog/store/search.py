"""The search index: word-prefix entries a product writes, and one Query per word.

A listed product writes one :class:`SearchEntry` per distinct prefix (2 to 15 characters)
of the words of its name and tags, in partition ``SRCH#P#<prefix>`` with sort key
``<rating sort>#<id>``: read backwards, a partition lists its best-rated products first.
Stores write ``SRCH#S#<prefix>`` the same way (:mod:`souk.catalog.store.stores` maintains those).
"""

from __future__ import annotations

from typing import Literal

from souk.catalog import keys, text
from souk.catalog.models import Product, SearchEntry
from souk.catalog.schemas.listing import rating_average
from souk.catalog.store.listing import rating_key
from souk.db.paging import one_page

PER_WORD_LIMIT = 100


def product_entries(product: Product) -> list[SearchEntry]:
    """The search entries of a product: one per prefix recorded in ``product.search_terms``."""
    return [_entry(product, term) for term in product.search_terms or []]


def _entry(product: Product, term: str) -> SearchEntry:
    return SearchEntry(
        pk=keys.product_search(term), sk=rating_key(product), target_id=product.product_id, kind="product",
        word=term, name=product.name, rating_avg=rating_average(product.rating_sum, product.rating_count),
        rating_count=int(product.rating_count), store_id=product.store_id, price_amount=int(product.price_amount),
        currency=product.currency, in_stock=bool(product.in_stock), category_id=product.category_id,
        category_path=list(product.category_path or []) or None, tags=list(product.tags or []) or None,
        image_upload_id=next(iter(product.image_upload_ids or []), None),
        created_at=product.created_at, updated_at=product.updated_at,
    )  # fmt: skip


def terms(product: Product) -> list[str]:
    """The prefixes a product is found by: none unless it is active."""
    if product.status != "active":
        return []
    return text.index_terms([product.name, *[t.replace("-", " ") for t in product.tags or []]])


def stale_entry(term: str, sort: str) -> SearchEntry:
    """A key-only entry, enough to delete it."""
    return SearchEntry(pk=keys.product_search(term), sk=sort)


def best_entries(kind: Literal["P", "S"], term: str) -> list[SearchEntry]:
    """The best-rated :data:`PER_WORD_LIMIT` entries of a product (``P``) or store (``S``) prefix: one Query."""
    partition = keys.product_search(term) if kind == "P" else keys.store_search(term)
    result = SearchEntry.query(partition, scan_index_forward=False, page_size=PER_WORD_LIMIT)
    found, _ = one_page(SearchEntry, result)
    return [item for item in found if isinstance(item, SearchEntry)]
