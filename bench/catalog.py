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

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.ddb import BENCH_HEADERS, Request, Scenario, Table, batch_put

SIZES = (1_000, 20_000)
# Three-letter words keep each product at 13 items (6 search prefixes, 5 listing entries),
# which is what makes 20,000 products loadable into moto in a bench run.
ADJECTIVES = ("red", "tan", "big", "old", "raw", "dry", "hot", "icy", "odd", "shy")
NOUNS = ("mug", "hat", "cup", "bag", "pen", "toy", "box", "jar", "mat", "fan")
TAGS = ("eco", "new", "top", "fun")
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
        name=f"{ADJECTIVES[index % 10]} {NOUNS[(index // 10) % 10]}", description="",
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


@contextlib.contextmanager
def _moto_without_item_size_check() -> Iterator[None]:
    """moto re-sums an item's size on every attribute it sets (quadratic, most of the fill's time).

    Our items are under 2 KB, far from DynamoDB's 400 KB limit, so the check is switched
    off while the filler writes, and restored after. It changes nothing that is counted.
    """
    try:
        from moto.dynamodb.models.dynamo_type import LimitedSizeDict
    except ImportError:  # another moto layout: just slower
        yield
        return
    original = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = original  # type: ignore[method-assign]


def fill_catalog(table: Table, count: int) -> None:
    """``count`` products with their variant, listing and search entries, 25 items a BatchWriteItem."""
    with _moto_without_item_size_check():
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
    _get("/api/v1/products", "search=red%20mu&inStock=true"),
    _get("/api/v1/search", "q=tan%20jar"),
    _get("/api/v1/search", "q=ic%20fan%20eco&type=all"),
]
