"""Search's API models (``GET /api/v1/search``) and the converters from a search entry."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from souk.catalog.models import SearchEntry
from souk.catalog.schemas.listing import ProductSummary, Rating
from souk.money import Money
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel

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


def search_hit(e: SearchEntry, matched_words: int) -> SearchHit:
    """A product's or a store's entry as a hit."""
    is_product = e.kind == "product"
    price = None
    if is_product and e.price_amount is not None:
        price = Money(amount=int(e.price_amount), currency=e.currency)
    return SearchHit(
        type="product" if is_product else "store", id=e.target_id, name=e.name,
        rating=Rating(average=float(e.rating_avg or 0), count=int(e.rating_count or 0)),
        matched_words=matched_words, price=price, store_id=e.store_id if is_product else None,
        in_stock=e.in_stock if is_product else None, image_upload_id=e.image_upload_id,
    )  # fmt: skip


def summary_of_search_entry(entry: SearchEntry) -> ProductSummary:
    """A product's search entry as a listing summary (product entries carry it all)."""
    return ProductSummary(
        id=entry.target_id, store_id=entry.store_id or "", name=entry.name,
        price=Money(amount=int(entry.price_amount or 0), currency=entry.currency or "usd"),
        in_stock=bool(entry.in_stock), rating=Rating(average=float(entry.rating_avg or 0),
                                                     count=int(entry.rating_count or 0)),
        category_id=entry.category_id or "", tags=list(entry.tags or []), image_upload_id=entry.image_upload_id,
        created_at=entry.created_at,
    )  # fmt: skip
