"""The product listing's API models (``GET /api/v1/products``) and the converter from a listing entry."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from souk.catalog import text
from souk.catalog.models import ListingEntry
from souk.money import MAX_AMOUNT, Money
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel

SortField = Literal["createdAt", "price", "rating", "name"]
Order = Literal["asc", "desc"]
# Newest and best rated first; cheapest and A→Z first.
DEFAULT_ORDER: dict[str, Order] = {"createdAt": "desc", "rating": "desc", "price": "asc", "name": "asc"}


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


def rating_average(rating_sum: float, rating_count: float) -> float:
    """The mean rating to two decimals (0 when unrated)."""
    return round(float(rating_sum) / float(rating_count), 2) if rating_count else 0.0


def summary_of_entry(entry: ListingEntry) -> ProductSummary:
    return ProductSummary(
        id=entry.product_id, store_id=entry.store_id, name=entry.name,
        price=Money(amount=int(entry.price_amount), currency=entry.currency), in_stock=bool(entry.in_stock),
        rating=Rating(average=float(entry.rating_avg or 0), count=int(entry.rating_count or 0)),
        category_id=entry.category_id, tags=sorted(entry.tags or []), image_upload_id=entry.image_upload_id,
        created_at=entry.created_at,
    )  # fmt: skip
