"""The product listing: the entries a product writes, and ``GET /api/v1/products`` as one Query per page.

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

import hashlib
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from souk.catalog import text
from souk.catalog.models import ListingEntry, Product
from souk.db import keys
from souk.db.paging import decode_cursor, encode_cursor, one_page
from souk.errors import ValidationFailed
from souk.money import MAX_AMOUNT, Money
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition


SortField = Literal["createdAt", "price", "rating", "name"]
Order = Literal["asc", "desc"]
# Newest and best rated first; cheapest and A→Z first.
DEFAULT_ORDER: dict[str, Order] = {"createdAt": "desc", "rating": "desc", "price": "asc", "name": "asc"}
_GSI_BY_SORT = {"createdAt": "gsi1", "price": "gsi2", "rating": "gsi3", "name": "gsi4"}


# ---------------------------------------------------------------- schemas


class Rating(CamelModel):
    average: float = Field(description="0 when unrated, else 1.00 to 5.00.")
    count: int


class ProductSummary(CamelModel):
    """A product as lists and search show it."""

    id: str
    store_id: str
    name: str
    price: Money
    in_stock: bool
    rating: Rating
    category_id: str
    tags: list[str]
    image_upload_id: str | None
    created_at: datetime


class ProductListQuery(CamelModel):
    """The query string of ``GET /api/v1/products``."""

    search: str | None = Field(None, min_length=1, max_length=200, description="Words or word prefixes.")
    category: str | None = Field(None, max_length=64, description="Category id; its sub-categories are included.")
    store: str | None = Field(None, max_length=64, description="Store id.")
    min_price: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="Minor units, inclusive.")
    max_price: int | None = Field(None, ge=0, le=MAX_AMOUNT, description="Minor units, inclusive.")
    in_stock: bool | None = Field(None, description="true: only products with stock; false: only sold out.")
    tag: str | None = Field(None, max_length=40)
    sort: SortField | None = Field(None, description="Default createdAt (relevance with search).")
    order: Order | None = Field(None, description="Default desc for createdAt and rating, asc for price and name.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)

    @model_validator(mode="after")
    def _price_range(self) -> ProductListQuery:
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError("minPrice must not exceed maxPrice")
        return self

    @property
    def tag_key(self) -> str | None:
        return text.tag_key(self.tag) if self.tag else None


# ---------------------------------------------------------------- ratings and summaries


def rating_average(rating_sum: float, rating_count: float) -> float:
    """The mean rating to two decimals (0 when unrated)."""
    return round(float(rating_sum) / float(rating_count), 2) if rating_count else 0.0


def rating_key(product: Product) -> str:
    """The rating sort key of a product: best average, then most reviews, first when read backwards."""
    average = rating_average(product.rating_sum, product.rating_count)
    return keys.rating_sort(round(average * 100), int(product.rating_count), product.product_id)


def summary_of(product: Product) -> ProductSummary:
    return ProductSummary(
        id=product.product_id, store_id=product.store_id, name=product.name,
        price=Money(amount=int(product.price_amount), currency=product.currency), in_stock=bool(product.in_stock),
        rating=Rating(average=rating_average(product.rating_sum, product.rating_count),
                      count=int(product.rating_count)),
        category_id=product.category_id, tags=list(product.tags or []),
        image_upload_id=next(iter(product.image_upload_ids or []), None), created_at=product.created_at,
    )  # fmt: skip


def summary_of_entry(entry: ListingEntry) -> ProductSummary:
    return ProductSummary(
        id=entry.product_id, store_id=entry.store_id, name=entry.name,
        price=Money(amount=int(entry.price_amount), currency=entry.currency), in_stock=bool(entry.in_stock),
        rating=Rating(average=float(entry.rating_avg or 0), count=int(entry.rating_count or 0)),
        category_id=entry.category_id, tags=sorted(entry.tags or []), image_upload_id=entry.image_upload_id,
        created_at=entry.created_at,
    )  # fmt: skip


# ---------------------------------------------------------------- the index a product writes


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
    created = keys.created_sort(product.created_at.isoformat(), product.product_id)
    return ListingEntry(
        pk=facet, sk=keys.product(product.product_id),
        gsi1pk=facet, gsi1sk=created,
        gsi2pk=facet, gsi2sk=keys.price_sort(int(product.price_amount), product.product_id),
        gsi3pk=facet, gsi3sk=rating_key(product),
        gsi4pk=facet, gsi4sk=keys.name_sort(product.name, product.product_id),
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


def fingerprint(*parts: Any) -> str:
    """Ties a cursor to the query that made it: reused with other filters it is refused, not misread."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _query_fingerprint(query: ProductListQuery) -> str:
    return fingerprint(query.model_dump(exclude={"cursor", "limit"}))


def read_cursor(cursor: str | None, expected: str) -> dict[str, Any] | None:
    """The position inside a cursor made by :func:`make_cursor` for the same query, else 400."""
    decoded = decode_cursor(cursor)
    if decoded is None:
        return None
    if decoded.get("q") != expected or "p" not in decoded:
        raise ValidationFailed.field("cursor", "The cursor belongs to another query; start again without it.")
    return decoded["p"]  # type: ignore[no-any-return]


def make_cursor(position: Any, query_fingerprint: str) -> str | None:
    return encode_cursor({"p": position, "q": query_fingerprint}) if position is not None else None


def _key_after(item: ListingEntry, gsi: str) -> dict[str, Any]:
    """The LastEvaluatedKey DynamoDB would give after ``item`` on ``gsi``: resumes right after it."""
    return {name: {"S": getattr(item, name)} for name in ("pk", "sk", f"{gsi}pk", f"{gsi}sk")}


def list_page(query: ProductListQuery) -> tuple[list[ProductSummary], str | None]:
    """One page of the listing index and the cursor of the next (None on the last page).

    One Query of ``limit + 1`` items: when all of them pass the filters, the extra one
    proves a next page exists; when DynamoDB stops early (the filter dropped some), its
    LastEvaluatedKey is the cursor. A query with ``search`` goes to
    :func:`souk.catalog.search.list_products` instead.
    """
    facet, gsi, forward, key_condition, filter_condition = _plan(query)
    marker = _query_fingerprint(query)
    start = read_cursor(query.cursor, marker)
    index = getattr(ListingEntry, gsi)
    result = index.query(facet, range_key_condition=key_condition, filter_condition=filter_condition,
                         scan_index_forward=forward, page_size=query.limit + 1, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(ListingEntry, result)
    page = [item for item in found if isinstance(item, ListingEntry)]
    if len(page) > query.limit:
        page = page[: query.limit]
        last_key = _key_after(page[-1], gsi)
    return [summary_of_entry(item) for item in page], make_cursor(last_key, marker)
