"""Catalog scenarios: product listing and search at 1,000 and 20,000 products cost the same calls.

The filler writes a synthetic catalog straight into the table with BatchWriteItem, item
by item as the products feature would write it (its own builders: the product, a
variant, :func:`souk.catalog.listing.entries` and
:func:`souk.catalog.search.product_entries`), so loading 20,000 products takes seconds
instead of 20,000 HTTP requests. Names come from a small vocabulary, so every search
word and every facet is shared by many products and each Query page is full at both
sizes: the comparison is between full pages, which is what a growing catalog looks like.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.ddb import BENCH_HEADERS, Request, Scenario, Table, batch_put

SIZES = (1_000, 2_000)
ADJECTIVES = ("red", "blue", "green", "black", "white", "small", "large", "light", "heavy", "soft")
NOUNS = ("shoe", "shirt", "lamp", "chair", "table", "mug", "bag", "hat", "sock", "coat")
TAGS = ("sale", "new", "eco", "gift")
STORES = tuple(f"01BENCHSTORE{i:014d}" for i in range(20))
ROOTS = tuple(f"01BENCHROOT{i:015d}" for i in range(5))
CHILDREN = 4  # per root
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)


def _child(root: int, child: int) -> str:
    return f"01BENCHCHILD{root:07d}{child:07d}"


def catalog_items(index: int) -> list[dict[str, Any]]:
    """Every item product number ``index`` writes, serialized for BatchWriteItem."""
    from souk.catalog import listing, search
    from souk.catalog.models import Product, Variant
    from souk.db import keys
    from souk.ids import new_id

    created = EPOCH + timedelta(seconds=index)
    product_id = new_id(int(created.timestamp() * 1000))
    root, child = index % len(ROOTS), (index // len(ROOTS)) % CHILDREN
    store_id = STORES[index % len(STORES)]
    product = Product(
        pk=keys.product(product_id), sk=keys.product(product_id),
        gsi1pk=keys.store_products(store_id), gsi1sk=keys.created_sort(created.isoformat(), product_id),
        product_id=product_id, store_id=store_id, owner_id="bench-owner",
        name=f"{ADJECTIVES[index % 10]} {NOUNS[(index // 10) % 10]} {index}", description="",
        price_amount=100 + (index * 37) % 10_000, currency="usd", category_id=_child(root, child),
        category_path=[ROOTS[root], _child(root, child)], tags=[TAGS[index % len(TAGS)]], image_upload_ids=[],
        status="active", in_stock=index % 7 != 0, rating_sum=(index % 5) * 3, rating_count=3 if index % 5 else 0,
        created_at=created, updated_at=created, version=1,
    )  # fmt: skip
    product.listing_facets = listing.facets(product)
    product.search_terms = search.terms(product)
    variant = Variant(pk=keys.product(product_id), sk=keys.variant("V1"), product_id=product_id, store_id=store_id,
                      sku="V1", name="Default", stock=0 if index % 7 == 0 else 10, created_at=created,
                      updated_at=created)  # fmt: skip
    items = [product, variant, *listing.entries(product), *search.product_entries(product)]
    return [item.serialize() for item in items]


def fill_catalog(table: Table, count: int) -> None:
    """``count`` products with their variant, listing and search entries."""
    batch: list[dict[str, Any]] = []
    for index in range(count):
        batch.extend(catalog_items(index))
        if len(batch) >= 2_500:
            batch_put(table, batch)
            batch = []
    batch_put(table, batch)


def _get(path: str, query: str) -> Scenario:
    def setup(_table: Table) -> Request:
        return Request("GET", path, query=query, headers=BENCH_HEADERS)

    return Scenario(f"GET {path}" + (f"?{query}" if query else ""), setup, fill=fill_catalog, sizes=SIZES)


SCENARIOS: list[Scenario] = [
    _get("/api/v1/products", ""),
    _get("/api/v1/products", "sort=price&minPrice=1000&maxPrice=5000"),
    _get("/api/v1/products", f"category={ROOTS[1]}&inStock=true&sort=rating"),
    _get("/api/v1/products", f"store={STORES[3]}&tag=sale&sort=name&order=desc"),
    _get("/api/v1/products", "tag=eco&sort=price&order=desc&maxPrice=6000"),
    _get("/api/v1/products", "search=red%20sho&inStock=true"),
    _get("/api/v1/search", "q=blue%20lamp"),
    _get("/api/v1/search", "q=sh%20gift&type=all"),
]
