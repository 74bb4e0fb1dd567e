"""Catalog: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.catalog.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def store(store_id: str) -> str:
    return join("STORE", store_id)


def owner_stores(user_id: str) -> str:
    return join("USER", user_id, "STORES")


def stores_by_status(status: str) -> str:
    return join("STORES", status)


def store_geo_cell(cell: str) -> str:
    return join("STOREGEO", cell)


def category(category_id: str) -> str:
    return join("CATEGORY", category_id)


CATEGORIES = "CATEGORIES"


def product(product_id: str) -> str:
    return join("PRODUCT", product_id)


def store_products(store_id: str) -> str:
    return join("STORE", store_id, "PRODUCTS")


def variant(sku: str) -> str:
    return join("VARIANT", sku)


VARIANT_PREFIX = "VARIANT#"


def movement(movement_id: str) -> str:
    return join("MOVE", movement_id)


MOVEMENT_PREFIX = "MOVE#"


def low_stock(store_id: str) -> str:
    return join("LOWSTOCK", store_id)


def listing(facet: str) -> str:
    """A product listing partition: ALL, CAT#<id>, STORE#<id> or TAG#<tag>."""
    return join("PL", facet)


def search_term(kind: str, prefix: str) -> str:
    """A search partition: ``kind`` P (products) or S (stores), ``prefix`` a normalized word prefix."""
    return join("SRCH", kind, prefix)


def price_sort(amount: int, entity_id: str) -> str:
    """Zero-padded minor units sort as strings: 12 digits covers 10^10 in major units."""
    return join(f"{amount:012d}", entity_id)


def rating_sort(rating_hundredths: int, count: int, entity_id: str) -> str:
    return join(f"{rating_hundredths:03d}", f"{count:09d}", entity_id)


def geo_sort(geohash: str, store_id: str) -> str:
    """Sort key in a STOREGEO partition: the full geohash first, so ``begins_with`` narrows to a finer cell."""
    return join(geohash, store_id)


def category_tree_sort(path: list[str]) -> str:
    """The category's ancestor ids root first: a parent sorts right before its subtree."""
    return join(*path)


def category_slug(parent_id: str | None, slug: str) -> str:
    """Uniqueness item for a slug among the children of one parent (``ROOT`` for top level)."""
    return join("CATSLUG", parent_id or "ROOT", slug)


LISTING_ALL = listing("ALL")


def listing_category(category_id: str) -> str:
    """Listing partition of one category: holds its products and those of every sub-category."""
    return listing(join("CAT", category_id))


def listing_store(store_id: str) -> str:
    return listing(join("STORE", store_id))


def listing_tag(tag: str) -> str:
    return listing(join("TAG", tag))


def product_search(prefix: str) -> str:
    return search_term("P", prefix)


def store_search(prefix: str) -> str:
    return search_term("S", prefix)


def low_stock_sort(product_id: str, sku: str) -> str:
    return join(product_id, sku)


def price_floor(amount: int) -> str:
    """The smallest price sort key at ``amount`` (a range's lower bound)."""
    return f"{amount:012d}"


def price_ceiling(amount: int) -> str:
    """The largest price sort key at ``amount`` (``~`` sorts after every id character)."""
    return join(f"{amount:012d}", "~")
