"""The products' API models and the converters from a product and its variants."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, field_validator

from souk.catalog import text
from souk.catalog.models import Product, Variant
from souk.catalog.schemas.listing import Rating, rating_average
from souk.money import Money
from souk.schema import CamelModel, NonBlankText, OneLine, OneLineText, PatchModel

MAX_VARIANTS = 50
MAX_TAGS = 10
MAX_IMAGES = 10
MAX_STOCK = 1_000_000
DEFAULT_LOW_STOCK = 5
StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(text.tag_key(t) for t in tags))
    if "" in cleaned:
        raise ValueError("a tag needs at least one letter or digit")
    if any(len(t) > 30 for t in cleaned):
        raise ValueError("a tag is at most 30 characters")
    return cleaned


class VariantIn(CamelModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: Annotated[NonBlankText, OneLine] = Field(min_length=1, max_length=100)
    attributes: dict[OneLineText, OneLineText] = Field(default_factory=dict, max_length=20,
                                       description="e.g. {\"size\": \"42\", \"color\": \"red\"}")  # fmt: skip
    price: Money | None = Field(None, description="Overrides the product price for this variant.")
    stock: int = Field(ge=0, le=MAX_STOCK, strict=True)
    low_stock_threshold: int = Field(DEFAULT_LOW_STOCK, ge=0, le=MAX_STOCK, strict=True)


class CreateProductRequest(CamelModel):
    store_id: str = Field(min_length=1, max_length=64)
    name: OneLineText = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    price: Money
    category_id: str = Field(min_length=1, max_length=64)
    tags: list[OneLineText] = Field(default_factory=list, max_length=MAX_TAGS)
    variants: list[VariantIn] = Field(min_length=1, max_length=MAX_VARIANTS)
    image_upload_ids: list[str] = Field(default_factory=list, max_length=MAX_IMAGES)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not text.normalize_words(value):
            raise ValueError("needs at least one letter or digit")
        return value.strip()

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _clean_tags(value)

    @field_validator("variants")
    @classmethod
    def _unique_skus(cls, value: list[VariantIn]) -> list[VariantIn]:
        skus = [v.sku for v in value]
        if len(set(skus)) != len(skus):
            raise ValueError("SKUs must be unique within a product")
        return value


class UpdateProductRequest(PatchModel):
    """Only the fields sent are changed."""

    name: OneLineText | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    price: Money | None = None
    category_id: str | None = Field(None, min_length=1, max_length=64)
    tags: list[OneLineText] | None = Field(None, max_length=MAX_TAGS)
    image_upload_ids: list[str] | None = Field(None, max_length=MAX_IMAGES)
    status: Literal["active", "inactive"] | None = Field(None, description="inactive hides it from lists and search.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not text.normalize_words(value):
            raise ValueError("needs at least one letter or digit")
        return value.strip() if value is not None else None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return _clean_tags(value) if value is not None else None


class VariantOut(CamelModel):
    sku: str
    name: str
    attributes: dict[str, str]
    price: Money
    stock_status: StockStatus
    stock: int | None = Field(None, description="Only for the owner and admins.")
    low_stock_threshold: int | None = Field(None, description="Only for the owner and admins.")


class ImageOut(CamelModel):
    upload_id: str


class ProductOut(CamelModel):
    id: str
    store_id: str
    name: str
    description: str
    price: Money
    category_id: str
    category_path: list[str]
    tags: list[str]
    status: Literal["active", "inactive", "deleted"]
    in_stock: bool
    rating: Rating
    images: list[ImageOut]
    variants: list[VariantOut]
    created_at: datetime
    updated_at: datetime


class DeletedProduct(CamelModel):
    id: str
    deleted: bool


def stock_status(stock: int, threshold: int) -> StockStatus:
    if stock <= 0:
        return "out_of_stock"
    if stock <= threshold:
        return "low_stock"
    return "in_stock"


def product_out(product: Product, variants: list[Variant], *, private: bool) -> ProductOut:
    """The product page; ``private`` (owner or admin) adds exact stock and thresholds."""
    return ProductOut(
        id=product.product_id, store_id=product.store_id, name=product.name, description=product.description or "",
        price=Money(amount=int(product.price_amount), currency=product.currency), category_id=product.category_id,
        category_path=list(product.category_path or []), tags=list(product.tags or []),
        status=product.status,  # type: ignore[arg-type]
        in_stock=bool(product.in_stock),
        rating=Rating(average=rating_average(product.rating_sum, product.rating_count),
                      count=int(product.rating_count)),
        images=[ImageOut(upload_id=i) for i in product.image_upload_ids or []],
        variants=[_variant_out(product, v, private=private) for v in variants],
        created_at=product.created_at, updated_at=product.updated_at,
    )  # fmt: skip


def _variant_out(product: Product, variant: Variant, *, private: bool) -> VariantOut:
    amount = int(variant.price_amount if variant.price_amount is not None else product.price_amount)
    stock, threshold = int(variant.stock), int(variant.low_stock_threshold)
    return VariantOut(
        sku=variant.sku, name=variant.name, attributes=dict(variant.attributes or {}),
        price=Money(amount=amount, currency=product.currency), stock_status=stock_status(stock, threshold),
        stock=stock if private else None, low_stock_threshold=threshold if private else None,
    )  # fmt: skip
