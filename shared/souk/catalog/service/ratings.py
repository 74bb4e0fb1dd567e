"""A product's or a store's rating aggregate, changed inside another domain's transaction (reviews).

The caller (:mod:`souk.reviews`) reads the item, computes the new aggregate (sum, count and
per-star histogram) and adds :attr:`RatingChange.writes` to the transaction that publishes,
hides or restores a review. What that transaction holds:

- a product: the product item (versioned: a product changed since it was read fails on
  :attr:`RatingChange.label` and the caller re-reads) and its listing entries, which carry
  ``ratingAvg``/``ratingCount`` and sort by rating (gsi3): at most 17 items, so product
  pages and listings are true the moment the review commits;
- a store: the store item (versioned) and its search entries (sorted by rating): at most
  2 x MAX_STORE_TERMS + 1 items.

A product's search entries (one per word prefix: up to a few hundred) cannot join a
transaction; :attr:`RatingChange.after_commit` moves them right after, best effort (logged,
repaired by :func:`souk.catalog.service.products.reindex_product`), like every product write.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from souk.catalog.models import Product, Store
from souk.catalog.service.stores import get_store
from souk.catalog.store import listing
from souk.catalog.store import products as product_store
from souk.catalog.store import stores as store_store
from souk.db.base import utc_now

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.db.transactions import WriteTransaction


@dataclass(frozen=True)
class RatingChange:
    """The writes that join the caller's transaction, the label a stale read fails on, and what runs after."""

    writes: Callable[[WriteTransaction], None]
    label: str
    after_commit: Callable[[], None]


def _nothing() -> None:
    return None


def load_product(product_id: str, *, deleted: bool = False) -> Product | None:
    """The product as it is now (consistent), None when there is none or (unless ``deleted``) it was deleted."""
    product, _ = product_store.load(product_id, consistent=True)
    return None if product is None or (product.status == "deleted" and not deleted) else product


def load_store(store_id: str) -> Store:
    """The store as it is now (consistent), or 404."""
    return get_store(store_id, consistent=True)


def _set(item: Product | Store, rating_sum: int, rating_count: int, histogram: list[int]) -> None:
    item.rating_sum, item.rating_count = rating_sum, rating_count
    item.rating_histogram = list(histogram)
    item.updated_at = utc_now()


def _sync_search(product: Product, old_terms: list[str], old_sort: str) -> None:
    """Move the search entries, unless a later write moved the rating again (its own sync covers it)."""
    fresh = load_product(product.product_id)
    if fresh is None or listing.rating_key(fresh) != listing.rating_key(product):
        return
    product_store.sync_search(product, old_terms=old_terms, old_sort=old_sort)


def product_change(product: Product, rating_sum: int, rating_count: int, histogram: list[int]) -> RatingChange:
    """``product`` (as read) with the new aggregate: its versioned put and its listing entries."""
    old_sort, old_terms = listing.rating_key(product), list(product.search_terms or [])
    _set(product, rating_sum, rating_count, histogram)
    return RatingChange(writes=partial(product_store.put_rated, product=product), label=product_store.RATED_LABEL,
                        after_commit=partial(_sync_search, product, old_terms, old_sort))  # fmt: skip


def store_change(store: Store, rating_sum: int, rating_count: int, histogram: list[int]) -> RatingChange:
    """``store`` (as read) with the new aggregate: its versioned put and its search entries."""
    before = store_store.snapshot(store)
    _set(store, rating_sum, rating_count, histogram)
    return RatingChange(writes=partial(store_store.put_rated, before=before, store=store),
                        label=store_store.RATED_LABEL, after_commit=_nothing)  # fmt: skip
