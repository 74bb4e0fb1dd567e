"""The product listing index: the entries a product writes, and one Query per page.

A listed product (active, in an approved store) writes one :class:`ListingEntry` per facet
it can be listed under: ``PL#ALL``, ``PL#STORE#<store>``, ``PL#CAT#<id>`` for every
category of its path (so a category page includes its sub-categories) and
``PL#TAG#<tag>``. Each entry carries the summary a list shows and four sort keys, one
per GSI: created (gsi1), price (gsi2), rating (gsi3) and name (gsi4). A page is then one
Query on ``gsiN`` of the most selective facet; the remaining filters are a
FilterExpression over at most ``limit + 1`` items, so a page may come back short but
never costs more than one call, whatever the catalog holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.catalog import keys
from souk.catalog.models import ListingEntry, Product
from souk.catalog.schemas.listing import DEFAULT_ORDER, ProductListQuery, rating_average
from souk.db import keys as db_keys
from souk.db.paging import one_page
from souk.money import MAX_AMOUNT

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition

_GSI_BY_SORT = {"createdAt": "gsi1", "price": "gsi2", "rating": "gsi3", "name": "gsi4"}


# ---------------------------------------------------------------- the index a product writes


def rating_key(product: Product) -> str:
    """The rating sort key of a product: best average, then most reviews, first when read backwards."""
    average = rating_average(product.rating_sum, product.rating_count)
    return keys.rating_sort(round(average * 100), int(product.rating_count), product.product_id)


def facets(product: Product) -> list[str]:
    """The listing partitions a product belongs in: none unless it is active."""
    if product.status != "active":
        return []
    found = [keys.LISTING_ALL, keys.listing_store(product.store_id)]
    found += [keys.listing_category(c) for c in product.category_path or [product.category_id]]
    found += [keys.listing_tag(t) for t in product.tags or []]
    return list(dict.fromkeys(found))


def entry(product: Product, facet: str) -> ListingEntry:
    """The product's entry in one listing partition, with its four sort keys."""
    created = db_keys.created_sort(product.created_at.isoformat(), product.product_id)
    return ListingEntry(
        pk=facet, sk=keys.product(product.product_id),
        gsi1pk=facet, gsi1sk=created,
        gsi2pk=facet, gsi2sk=keys.price_sort(int(product.price_amount), product.product_id),
        gsi3pk=facet, gsi3sk=rating_key(product),
        gsi4pk=facet, gsi4sk=db_keys.name_sort(product.name, product.product_id),
        product_id=product.product_id, store_id=product.store_id, name=product.name,
        price_amount=int(product.price_amount), currency=product.currency, in_stock=bool(product.in_stock),
        rating_avg=rating_average(product.rating_sum, product.rating_count), rating_count=int(product.rating_count),
        tags=set(product.tags) if product.tags else None, category_id=product.category_id,
        category_path=list(product.category_path or []) or None,
        image_upload_id=next(iter(product.image_upload_ids or []), None),
        created_at=product.created_at, updated_at=product.updated_at,
    )  # fmt: skip


def entries(product: Product) -> list[ListingEntry]:
    return [entry(product, facet) for facet in facets(product)]


def stale_entry(facet: str, product_id: str) -> ListingEntry:
    """A key-only entry, enough to delete it."""
    return ListingEntry(pk=facet, sk=keys.product(product_id))


# ---------------------------------------------------------------- reading a page


def _plan(query: ProductListQuery) -> tuple[str, str, bool, Condition | None, Condition | None]:
    """(facet, gsi, forward, key condition on the sort key, filter) for a list query.

    The facet is the most selective filter the partitions are cut by: a store has fewer
    products than a tag, a tag fewer than a category, a category fewer than everything.
    """
    sort = query.sort or "createdAt"
    gsi = _GSI_BY_SORT[sort]
    forward = (query.order or DEFAULT_ORDER[sort]) == "asc"
    tag = query.tag_key
    if query.store:
        facet = keys.listing_store(query.store)
    elif tag:
        facet = keys.listing_tag(tag)
    elif query.category:
        facet = keys.listing_category(query.category)
    else:
        facet = keys.LISTING_ALL
    filters: list[Condition] = []
    if tag and facet != keys.listing_tag(tag):
        filters.append(ListingEntry.tags.contains(tag))
    if query.category and facet != keys.listing_category(query.category):
        filters.append(ListingEntry.category_path.contains(query.category))
    key_condition = None
    has_range = query.min_price is not None or query.max_price is not None
    if has_range and sort == "price":
        # The range is read straight off the price index: no item outside it is touched.
        low = keys.price_floor(query.min_price or 0)
        high = keys.price_ceiling(MAX_AMOUNT if query.max_price is None else query.max_price)
        key_condition = ListingEntry.gsi2sk.between(low, high)
    elif has_range:
        if query.min_price is not None:
            filters.append(ListingEntry.price_amount >= query.min_price)
        if query.max_price is not None:
            filters.append(ListingEntry.price_amount <= query.max_price)
    if query.in_stock is not None:
        filters.append(ListingEntry.in_stock == query.in_stock)
    combined: Condition | None = None
    for condition in filters:
        combined = condition if combined is None else combined & condition
    return facet, gsi, forward, key_condition, combined


def _key_after(item: ListingEntry, gsi: str) -> dict[str, Any]:
    """The LastEvaluatedKey DynamoDB would give after ``item`` on ``gsi``: resumes right after it."""
    return {name: {"S": getattr(item, name)} for name in ("pk", "sk", f"{gsi}pk", f"{gsi}sk")}


def page(query: ProductListQuery, start: dict[str, Any] | None) -> tuple[list[ListingEntry], dict[str, Any] | None]:
    """One page of the listing index from ``start`` and the key to resume at (None on the last page).

    One Query of ``limit + 1`` items: when all of them pass the filters, the extra one
    proves a next page exists; when DynamoDB stops early (the filter dropped some), its
    LastEvaluatedKey is the position.
    """
    facet, gsi, forward, key_condition, filter_condition = _plan(query)
    index = getattr(ListingEntry, gsi)
    result = index.query(facet, range_key_condition=key_condition, filter_condition=filter_condition,
                         scan_index_forward=forward, page_size=query.limit + 1, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(ListingEntry, result)
    items = [item for item in found if isinstance(item, ListingEntry)]
    if len(items) > query.limit:
        items = items[: query.limit]
        last_key = _key_after(items[-1], gsi)
    return items, last_key
