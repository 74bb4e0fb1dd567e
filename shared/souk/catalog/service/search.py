"""Search: ``GET /api/v1/search`` as at most five Queries a page, and the product listing with ``search``.

A query keeps its first five words; each costs one Query of at most
:data:`~souk.catalog.store.search.PER_WORD_LIMIT` entries. Candidates are ranked by how
many words they match, then by rating, and the ranked list is paged with an offset
cursor. The work per page is therefore bounded by the number of words, never by the size
of the catalog; the price is that a word shared by more than that many products only
reaches its best-rated ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from souk.catalog import text
from souk.catalog.models import SearchEntry
from souk.catalog.schemas.listing import DEFAULT_ORDER, ProductListQuery, ProductSummary
from souk.catalog.schemas.search import SearchHit, SearchQuery, search_hit, summary_of_search_entry
from souk.catalog.service import listing
from souk.catalog.service.listing import fingerprint, make_cursor, read_cursor
from souk.catalog.store import search as store
from souk.errors import ValidationFailed


@dataclass
class Candidate:
    entry: SearchEntry
    words: set[str] = field(default_factory=set)

    @property
    def rank(self) -> tuple[int, float, int, str, str]:
        """Sort key: most words matched, best rated, most rated, then name and id for a stable order."""
        e = self.entry
        return (-len(self.words), -float(e.rating_avg or 0), -int(e.rating_count or 0), e.name.lower(), e.target_id)


# ---------------------------------------------------------------- rules


def query_words(q: str, *, field: str = "q") -> list[str]:
    """The query's words that can be looked up (2+ characters), at most five; 400 naming ``field`` when none."""
    words = [w for w in text.normalize_words(q) if text.query_term(w)][: text.MAX_QUERY_WORDS]
    if not words:
        raise ValidationFailed.field(field, "Search for at least one word of two or more letters or digits.")
    return words


def merge(found_by_word: dict[str, list[SearchEntry]]) -> list[Candidate]:
    """Entries merged by target, each counting the words it matched (first entry seen kept)."""
    found: dict[str, Candidate] = {}
    for word, entries in found_by_word.items():
        for item in entries:
            candidate = found.setdefault(item.target_id, Candidate(item))
            candidate.words.add(word)
    return list(found.values())


def keep(entry: SearchEntry, query: ProductListQuery) -> bool:
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


def sort_value(entry: SearchEntry, sort: str) -> tuple[object, ...]:
    if sort == "price":
        return (int(entry.price_amount or 0), entry.target_id)
    if sort == "rating":
        return (float(entry.rating_avg or 0), int(entry.rating_count or 0), entry.target_id)
    if sort == "name":
        return (entry.name.lower(), entry.target_id)
    created: datetime = entry.created_at
    return (created.isoformat(), entry.target_id)


def _offset(cursor: str | None, marker: str) -> int:
    position = read_cursor(cursor, marker)
    if position is None:
        return 0
    if not isinstance(position, int) or position < 0:
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    return position


def _window(ranked: list[Candidate], offset: int, limit: int, marker: str) -> tuple[list[Candidate], str | None]:
    page = ranked[offset : offset + limit]
    following = offset + limit if offset + limit < len(ranked) else None
    return page, make_cursor(following, marker)


# ---------------------------------------------------------------- reading


def _candidates(kind: Literal["P", "S"], words: list[str]) -> list[Candidate]:
    """One Query per word; entries merged by target, each counting the words it matched."""
    found_by_word: dict[str, list[SearchEntry]] = {}
    for word in words:
        term = text.query_term(word)
        if term is None:
            continue
        found_by_word.setdefault(word, []).extend(store.best_entries(kind, term))
    return merge(found_by_word)


def search(query: SearchQuery) -> tuple[list[SearchHit], str | None]:
    """One page of ranked hits for ``q`` and the cursor of the next.

    At most five Queries for products and five for stores, whatever the page: the ranked
    list is rebuilt on every page and the cursor is an offset into it.
    """
    words = query_words(query.q)
    marker = fingerprint("search", words, query.type)
    offset = _offset(query.cursor, marker)
    candidates: list[Candidate] = []
    if query.type in ("products", "all"):
        candidates += _candidates("P", words)
    if query.type in ("stores", "all"):
        candidates += _candidates("S", words)
    ranked = sorted(candidates, key=lambda c: c.rank)
    page, cursor = _window(ranked, offset, query.limit, marker)
    return [search_hit(c.entry, len(c.words)) for c in page], cursor


def product_summaries(query: ProductListQuery) -> tuple[list[ProductSummary], str | None]:
    """``GET /api/v1/products?search=``: ranked by relevance, or by ``sort`` when one is given.

    The candidates come from the search Queries (at most five); the listing's other
    filters are applied to them in memory, which is bounded by those Queries' limits.
    """
    words = query_words(query.search or "", field="search")
    marker = fingerprint("products-search", words, query.model_dump(exclude={"cursor", "limit", "search"}))
    offset = _offset(query.cursor, marker)
    kept = [c for c in _candidates("P", words) if keep(c.entry, query)]
    if query.sort is None:
        ranked = sorted(kept, key=lambda c: c.rank)
    else:
        descending = (query.order or DEFAULT_ORDER[query.sort]) == "desc"
        ranked = sorted(kept, key=lambda c: sort_value(c.entry, query.sort or "createdAt"), reverse=descending)
    page, cursor = _window(ranked, offset, query.limit, marker)
    return [summary_of_search_entry(c.entry) for c in page], cursor


def list_products(query: ProductListQuery) -> tuple[list[ProductSummary], str | None]:
    """``GET /api/v1/products``: the listing index (:func:`souk.catalog.service.listing.list_page`), or with
    ``search`` the search index (:func:`product_summaries`)."""
    if query.search:
        return product_summaries(query)
    return listing.list_page(query)
