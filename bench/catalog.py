"""Catalog scenarios: product listing and search at 1,000 and 20,000 products cost the same calls.

The filler writes a synthetic catalog straight into the table, item by item as the
products feature would write it (its own builders: the product, a variant,
:func:`souk.catalog.store.listing.entries` and :func:`souk.catalog.store.search.product_entries`),
instead of 20,000 HTTP requests (see :func:`_writer` for how it reaches moto). Names
come from a small vocabulary, so every search word and every facet is shared by many
products and each Query page is full at both sizes: the comparison is between full
pages, which is what a growing catalog looks like.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.ddb import BENCH_HEADERS, Request, Scenario, Table, batch_put
from infra.local import aws

SIZES = tuple(int(n) for n in os.environ.get("BENCH_CATALOG_SIZES", "1000,20000").split(","))  # e.g. "200,1000" to try
# Three-letter words keep each product at 13 items (6 search prefixes, 5 listing entries),
# which is what makes 20,000 products loadable into moto in a bench run.
ADJECTIVES = ("red", "tan", "big", "old", "raw", "dry", "hot", "icy", "odd", "shy")
NOUNS = ("mug", "hat", "cup", "bag", "pen", "toy", "box", "jar", "mat", "fan")
TAGS = ("eco", "new", "top", "fun")
STORES = tuple(f"01BENCHSTORE{i:014d}" for i in range(20))
ROOTS = tuple(f"01BENCHROOT{i:015d}" for i in range(5))
CHILDREN = 4  # per root
EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
CHUNK = 500  # products built per worker task


def _child(root: int, child: int) -> str:
    return f"01BENCHCHILD{root:07d}{child:07d}"


def catalog_items(index: int) -> list[dict[str, Any]]:
    """Every item product number ``index`` writes, serialized for BatchWriteItem."""
    from souk.catalog import keys as catalog_keys
    from souk.catalog.models import Product, Variant
    from souk.catalog.store import listing, search
    from souk.db import keys as db_keys
    from souk.ids import new_id

    created = EPOCH + timedelta(seconds=index)
    product_id = new_id(int(created.timestamp() * 1000))
    root, child = index % len(ROOTS), (index // len(ROOTS)) % CHILDREN
    store_id = STORES[index % len(STORES)]
    product = Product(
        pk=catalog_keys.product(product_id), sk=catalog_keys.product(product_id),
        gsi1pk=catalog_keys.store_products(store_id), gsi1sk=db_keys.created_sort(created.isoformat(), product_id),
        product_id=product_id, store_id=store_id, owner_id="bench-owner",
        name=f"{ADJECTIVES[index % 10]} {NOUNS[(index // 10) % 10]}", description="",
        price_amount=100 + (index * 37) % 10_000, currency="usd", category_id=_child(root, child),
        category_path=[ROOTS[root], _child(root, child)], tags=[TAGS[index % len(TAGS)]], image_upload_ids=[],
        status="active", in_stock=index % 7 != 0, rating_sum=(index % 5) * 3, rating_count=3 if index % 5 else 0,
        created_at=created, updated_at=created, version=1,
    )  # fmt: skip
    product.listing_facets = listing.facets(product)
    product.search_terms = search.terms(product)
    variant = Variant(
        pk=catalog_keys.product(product_id),
        sk=catalog_keys.variant("V1"),
        product_id=product_id,
        store_id=store_id,
        sku="V1",
        name="Default",
        stock=0 if index % 7 == 0 else 10,
        created_at=created,
        updated_at=created,
    )
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


_PARTITION_KEYS = ("pk", "gsi1pk", "gsi2pk", "gsi3pk", "gsi4pk")


def _moto_table(table: Table) -> Any:
    """moto's own object for the bench table, or None when the table is not moto's."""
    try:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.dynamodb.models import dynamodb_backends

        return dynamodb_backends[DEFAULT_ACCOUNT_ID][aws.REGION].get_table(table.name)
    except Exception:
        return None


def _writer(table: Table) -> Callable[[list[dict[str, Any]]], None]:
    """How the filler writes: moto's own ``Table.put_item`` when the table is moto's, else BatchWriteItem.

    BatchWriteItem through botocore serializes every item to JSON and moto parses it back:
    2.5 times the cost of the put itself, minutes at 20,000 products. moto's BatchWriteItem
    handler calls this same ``put_item`` for each item, so the table ends up identical.
    """
    target = _moto_table(table)
    if target is None:
        return lambda items: batch_put(table, items)

    def put(items: list[dict[str, Any]]) -> None:
        for item in items:
            target.put_item(item)

    return put


def _partitioned_queries(target: Any) -> None:
    """Let moto answer a Query from the partition it names instead of the whole table.

    moto's ``Table.query`` starts from ``all_items()``: every item of the table, sorted,
    on every call, which at 260,000 items takes longer than the rest of the bench. Here
    ``all_items`` hands a Query only the items whose partition key (table or GSI) is the
    one queried, from an index built once (rebuilt if the item count changes); moto then
    sorts, pages, filters and counts exactly as before, so calls and ScannedCount are the
    same. Only this table object is patched, and any surprise falls back to moto's own.
    """
    import inspect

    original_query, original_all = target.query, target.all_items
    signature = inspect.signature(original_query)
    state: dict[str, Any] = {"hint": None, "count": -1, "index": {}}

    def item_count() -> int:
        return sum(len(p) if isinstance(p, dict) else 1 for p in target.items.values())

    def all_items() -> list[Any]:
        hint = state["hint"]
        if hint is None:
            return original_all()  # type: ignore[no-any-return]
        if state["count"] != item_count():
            index: dict[tuple[str, Any], list[Any]] = {}
            for item in original_all():
                for attr in _PARTITION_KEYS:
                    value = item.attrs.get(attr)
                    if value is not None:
                        index.setdefault((attr, value.value), []).append(item)
            state["index"], state["count"] = index, item_count()
        return state["index"].get(hint, [])  # type: ignore[no-any-return]

    def query(*args: Any, **kwargs: Any) -> Any:
        try:
            arguments = signature.bind(*args, **kwargs).arguments
            conditions = arguments.get("hash_key_conditions") or []
            if arguments.get("index_name") and len(conditions) == 1:
                state["hint"] = (conditions[0][0], conditions[0][1].value)
            elif not arguments.get("index_name") and arguments.get("hash_key") is not None:
                state["hint"] = (target.hash_key_attr, arguments["hash_key"].value)
        except Exception:
            state["hint"] = None
        try:
            return original_query(*args, **kwargs)
        finally:
            state["hint"] = None

    target.all_items, target.query = all_items, query


def _build(indexes: range) -> list[dict[str, Any]]:
    return [item for index in indexes for item in catalog_items(index)]


def fill_catalog(table: Table, count: int) -> None:
    """``count`` products with their variant, listing and search entries.

    Building the items (PynamoDB models, serialized) costs as much as writing them, so
    forked workers build chunks while this process writes the chunks already built.
    """
    import multiprocessing

    target = _moto_table(table)
    if target is not None and target.hash_key_attr in _PARTITION_KEYS:
        _partitioned_queries(target)
    write = _writer(table)
    chunks = [range(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    with _moto_without_item_size_check():
        if len(chunks) <= 1 or "fork" not in multiprocessing.get_all_start_methods():
            for chunk in chunks:
                write(_build(chunk))
            return
        # fork: the workers only build items (no AWS call), from the modules already imported here.
        with multiprocessing.get_context("fork").Pool(processes=max(1, (os.cpu_count() or 2) - 1)) as pool:
            for items in pool.imap(_build, chunks):
                write(items)


def _get(path: str, query: str) -> Scenario:
    def setup(_table: Table) -> Request:
        return Request("GET", path, query=query, headers=BENCH_HEADERS)

    return Scenario(f"GET {path}" + (f"?{query}" if query else ""), setup, fill=fill_catalog, sizes=SIZES)


SCENARIOS: list[Scenario] = [
    _get("/api/v1/products", ""),
    _get("/api/v1/products", "sort=price&minPrice=1000&maxPrice=5000"),
    _get("/api/v1/products", f"category={ROOTS[1]}&inStock=true&sort=rating"),
    _get("/api/v1/products", f"store={STORES[3]}&tag=top&sort=name&order=desc"),
    _get("/api/v1/products", "tag=eco&sort=price&order=desc&maxPrice=6000"),
    _get("/api/v1/products", "search=red%20mu&inStock=true"),
    _get("/api/v1/search", "q=tan%20jar"),
    _get("/api/v1/search", "q=ic%20fan%20eco&type=all"),
]
