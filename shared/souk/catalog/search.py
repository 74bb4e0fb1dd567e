"""Search: word-prefix index entries, and ``GET /api/v1/search`` as at most five Queries a page.

A listed product writes one :class:`SearchEntry` per distinct prefix (2 to 15 characters)
of the words of its name and tags, in partition ``SRCH#P#<prefix>`` with sort key
``<rating sort>#<id>``: read backwards, a partition lists its best-rated products first.
Stores write ``SRCH#S#<prefix>`` the same way (the stores feature maintains those).

A query keeps its first five words; each costs one Query of at most
:data:`PER_WORD_LIMIT` entries. Candidates are ranked by how many words they match,
then by rating, and the ranked list is paged with an offset cursor. The work per page
is therefore bounded by the number of words, never by the size of the catalog; the
price is that a word shared by more than :data:`PER_WORD_LIMIT` products only reaches
its best-rated ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import Field

from souk.catalog import listing, text
from souk.catalog.listing import (
    DEFAULT_ORDER,
    Money,
    ProductListQuery,
    ProductSummary,
    Rating,
    fingerprint,
    make_cursor,
    rating_average,
    rating_key,
    read_cursor,
)
from souk.catalog.models import Product, SearchEntry
from souk.db import keys
from souk.db.paging import one_page
from souk.errors import ValidationFailed
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel

PER_WORD_LIMIT = 100

SearchType = Literal["products", "stores", "all"]


class SearchQuery(CamelModel):
    """The query string of ``GET /api/v1/search``."""

    q: str = Field(min_length=1, max_length=200, description="Up to five words; each also matches as a prefix.")
    type: SearchType = "products"
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


class SearchHit(CamelModel):
    """A product or store that matched, with what the result list shows."""

    type: Literal["product", "store"]
    id: str
    name: str
    rating: Rating
    matched_words: int = Field(description="How many of the query's words it matched.")
    price: Money | None = None
    store_id: str | None = None
    in_stock: bool | None = None
    image_upload_id: str | None = None


# ---------------------------------------------------------------- the index a product writes


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


# ---------------------------------------------------------------- reading


@dataclass
class _Candidate:
    entry: SearchEntry
    words: set[str] = field(default_factory=set)

    @property
    def rank(self) -> tuple[int, float, int, str, str]:
        """Sort key: most words matched, best rated, most rated, then name and id for a stable order."""
        e = self.entry
        return (-len(self.words), -float(e.rating_avg or 0), -int(e.rating_count or 0), e.name.lower(), e.target_id)


def query_words(q: str, *, field: str = "q") -> list[str]:
    """The query's words that can be looked up (2+ characters), at most five; 400 naming ``field`` when none."""
    words = [w for w in text.normalize_words(q) if text.query_term(w)][: text.MAX_QUERY_WORDS]
    if not words:
        raise ValidationFailed.field(field, "Search for at least one word of two or more letters or digits.")
    return words


def _candidates(kind: Literal["P", "S"], words: list[str]) -> list[_Candidate]:
    """One Query per word; entries merged by target, each counting the words it matched."""
    found: dict[str, _Candidate] = {}
    for word in words:
        term = text.query_term(word)
        if term is None:
            continue
        partition = keys.product_search(term) if kind == "P" else keys.store_search(term)
        result = SearchEntry.query(partition, scan_index_forward=False, page_size=PER_WORD_LIMIT)
        entries, _ = one_page(SearchEntry, result)
        for item in entries:
            if not isinstance(item, SearchEntry):
                continue
            candidate = found.setdefault(item.target_id, _Candidate(item))
            candidate.words.add(word)
    return list(found.values())


def _hit(candidate: _Candidate) -> SearchHit:
    e = candidate.entry
    is_product = e.kind == "product"
    price = None
    if is_product and e.price_amount is not None:
        price = Money(amount=int(e.price_amount), currency=e.currency)
    return SearchHit(
        type="product" if is_product else "store", id=e.target_id, name=e.name,
        rating=Rating(average=float(e.rating_avg or 0), count=int(e.rating_count or 0)),
        matched_words=len(candidate.words), price=price, store_id=e.store_id if is_product else None,
        in_stock=e.in_stock if is_product else None, image_upload_id=e.image_upload_id,
    )  # fmt: skip


def _offset(cursor: str | None, marker: str) -> int:
    position = read_cursor(cursor, marker)
    if position is None:
        return 0
    if not isinstance(position, int) or position < 0:
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    return position


def _window(ranked: list[_Candidate], offset: int, limit: int, marker: str) -> tuple[list[_Candidate], str | None]:
    page = ranked[offset : offset + limit]
    following = offset + limit if offset + limit < len(ranked) else None
    return page, make_cursor(following, marker)


def search(query: SearchQuery) -> tuple[list[SearchHit], str | None]:
    """One page of ranked hits for ``q`` and the cursor of the next.

    At most five Queries for products and five for stores, whatever the page: the ranked
    list is rebuilt on every page and the cursor is an offset into it.
    """
    words = query_words(query.q)
    marker = fingerprint("search", words, query.type)
    offset = _offset(query.cursor, marker)
    candidates: list[_Candidate] = []
    if query.type in ("products", "all"):
        candidates += _candidates("P", words)
    if query.type in ("stores", "all"):
        candidates += _candidates("S", words)
    ranked = sorted(candidates, key=lambda c: c.rank)
    page, cursor = _window(ranked, offset, query.limit, marker)
    return [_hit(c) for c in page], cursor


# ---------------------------------------------------------------- the product listing with ``search``


def _keep(entry: SearchEntry, query: ProductListQuery) -> bool:
    """The listing's filters, applied to a product's search entry."""
    tag = query.tag_key
    checks = (
        query.store is None or entry.store_id == query.store,
        tag is None or tag in (entry.tags or []),
        query.category is None or query.category in (entry.category_path or [entry.category_id]),
        query.min_price is None or int(entry.price_amount or 0) >= query.min_price,
        query.max_price is None or int(entry.price_amount or 0) <= query.max_price,
        query.in_stock is None or bool(entry.in_stock) == query.in_stock,
    )
    return all(checks)


def _sort_value(entry: SearchEntry, sort: str) -> tuple[object, ...]:
    if sort == "price":
        return (int(entry.price_amount or 0), entry.target_id)
    if sort == "rating":
        return (float(entry.rating_avg or 0), int(entry.rating_count or 0), entry.target_id)
    if sort == "name":
        return (entry.name.lower(), entry.target_id)
    created: datetime = entry.created_at
    return (created.isoformat(), entry.target_id)


def _summary(entry: SearchEntry) -> ProductSummary:
    return ProductSummary(
        id=entry.target_id, store_id=entry.store_id or "", name=entry.name,
        price=Money(amount=int(entry.price_amount or 0), currency=entry.currency or "usd"),
        in_stock=bool(entry.in_stock), rating=Rating(average=float(entry.rating_avg or 0),
                                                     count=int(entry.rating_count or 0)),
        category_id=entry.category_id or "", tags=list(entry.tags or []), image_upload_id=entry.image_upload_id,
        created_at=entry.created_at,
    )  # fmt: skip


def product_summaries(query: ProductListQuery) -> tuple[list[ProductSummary], str | None]:
    """``GET /api/v1/products?search=``: ranked by relevance, or by ``sort`` when one is given.

    The candidates come from the search Queries (at most five); the listing's other
    filters are applied to them in memory, which is bounded by those Queries' limits.
    """
    words = query_words(query.search or "", field="search")
    marker = fingerprint("products-search", words, query.model_dump(exclude={"cursor", "limit", "search"}))
    offset = _offset(query.cursor, marker)
    kept = [c for c in _candidates("P", words) if _keep(c.entry, query)]
    if query.sort is None:
        ranked = sorted(kept, key=lambda c: c.rank)
    else:
        descending = (query.order or DEFAULT_ORDER[query.sort]) == "desc"
        ranked = sorted(kept, key=lambda c: _sort_value(c.entry, query.sort or "createdAt"), reverse=descending)
    page, cursor = _window(ranked, offset, query.limit, marker)
    return [_summary(c.entry) for c in page], cursor


def list_products(query: ProductListQuery) -> tuple[list[ProductSummary], str | None]:
    """``GET /api/v1/products``: the listing index (:func:`souk.catalog.listing.list_page`), or with
    ``search`` the search index (:func:`product_summaries`)."""
    if query.search:
        return product_summaries(query)
    return listing.list_page(query)
