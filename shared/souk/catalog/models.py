"""Catalog entities in the single table. Keys come from its `keys` module only.

| entity | pk | sk | GSIs |
|---|---|---|---|
| Store | STORE#<id> | STORE#<id> | gsi1 USER#<owner>#STORES / C#<created>#<id>; gsi2 STORES#<status> / C#<created>#<id>; gsi4 STOREGEO#<geohash4> / <geohash>#<id> (approved only) |
| Category | CATEGORY#<id> | CATEGORY#<id> | gsi1 CATEGORIES / <path of ids> |
| CategorySlug | CATSLUG#<parentId or ROOT>#<slug> | same | |
| Product | PRODUCT#<id> | PRODUCT#<id> | gsi1 STORE#<store>#PRODUCTS / C#<created>#<id> |
| Variant | PRODUCT#<id> | VARIANT#<sku> | gsi2 LOWSTOCK#<store> / <productId>#<sku> (sparse: only at or below threshold) |
| StockMovement | PRODUCT#<id> | MOVE#<ulid> | |
| ListingEntry | PL#<facet> | PRODUCT#<id> | gsi1..gsi4 pk PL#<facet>; sk created / price / rating / name |
| SearchEntry | SRCH#<P or S>#<prefix> | <rating sort>#<id> | |
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)

from souk.db.base import SoukItem, VersionedItem

APPROVED = "approved"  # the one store status that is public, listed, searchable and sells


def strings(values: Any) -> list[str]:
    """A PynamoDB list of strings as a plain list (its type stubs say list of attributes)."""
    return [str(v) for v in values or []]


class Store(VersionedItem, discriminator="Store"):
    store_id = UnicodeAttribute(attr_name="storeId")
    owner_id = UnicodeAttribute(attr_name="ownerId")
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    category_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="categoryIds", default=list)  # type: ignore[arg-type]
    address = JSONAttribute(null=True)
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    geohash = UnicodeAttribute(null=True)
    currency = UnicodeAttribute(default="usd")
    status = UnicodeAttribute(default="pending_review")  # pending_review | approved | rejected | suspended
    status_reason = UnicodeAttribute(attr_name="statusReason", null=True)
    document_upload_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="documentUploadIds", default=list)  # type: ignore[arg-type]
    rating_sum = NumberAttribute(attr_name="ratingSum", default=0)
    rating_count = NumberAttribute(attr_name="ratingCount", default=0)
    # Published reviews per star, 1 to 5 (souk.reviews keeps all three in its transactions).
    rating_histogram = ListAttribute[float](of=NumberAttribute, attr_name="ratingHistogram", default=list)  # type: ignore[arg-type]


class Category(SoukItem, discriminator="Category"):
    category_id = UnicodeAttribute(attr_name="categoryId")
    name = UnicodeAttribute()
    slug = UnicodeAttribute()
    parent_id = UnicodeAttribute(attr_name="parentId", null=True)
    # Ancestor ids, root first, self last.
    path = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    # Counters kept by the writers (atomic ADDs), so "is it a leaf, is it empty" costs no Query.
    child_count = NumberAttribute(attr_name="childCount", default=0)
    # Products in this category's subtree: adjust_product_count adds to every category of a path.
    product_count = NumberAttribute(attr_name="productCount", default=0)


class CategorySlug(SoukItem, discriminator="CategorySlug"):
    """Makes a slug unique among siblings: written with a condition in the category's transaction."""

    category_id = UnicodeAttribute(attr_name="categoryId")


class Product(VersionedItem, discriminator="Product"):
    product_id = UnicodeAttribute(attr_name="productId")
    store_id = UnicodeAttribute(attr_name="storeId")
    owner_id = UnicodeAttribute(attr_name="ownerId")
    name = UnicodeAttribute()
    description = UnicodeAttribute(null=True)
    price_amount = NumberAttribute(attr_name="priceAmount")  # minor units
    currency = UnicodeAttribute()
    category_id = UnicodeAttribute(attr_name="categoryId")
    category_path = ListAttribute[str](of=UnicodeAttribute, attr_name="categoryPath", default=list)  # type: ignore[arg-type]
    tags = ListAttribute[str](of=UnicodeAttribute, default=list)  # type: ignore[arg-type]
    image_upload_ids = ListAttribute[str](of=UnicodeAttribute, attr_name="imageUploadIds", default=list)  # type: ignore[arg-type]
    status = UnicodeAttribute(default="active")  # active | inactive (hidden by its owner) | deleted
    in_stock = BooleanAttribute(attr_name="inStock", default=False)
    # What the product wrote into the indexes, so an update or delete removes exactly that,
    # even after the normalization rules change (products feature).
    listing_facets = ListAttribute[str](of=UnicodeAttribute, attr_name="listingFacets", default=list)  # type: ignore[arg-type]
    search_terms = ListAttribute[str](of=UnicodeAttribute, attr_name="searchTerms", default=list)  # type: ignore[arg-type]
    rating_sum = NumberAttribute(attr_name="ratingSum", default=0)
    rating_count = NumberAttribute(attr_name="ratingCount", default=0)
    # Published reviews per star, 1 to 5 (souk.reviews keeps all three in its transactions).
    rating_histogram = ListAttribute[float](of=NumberAttribute, attr_name="ratingHistogram", default=list)  # type: ignore[arg-type]


class Variant(SoukItem, discriminator="Variant"):
    product_id = UnicodeAttribute(attr_name="productId")
    store_id = UnicodeAttribute(attr_name="storeId")
    sku = UnicodeAttribute()
    name = UnicodeAttribute()
    attributes = JSONAttribute(default=dict)
    price_amount = NumberAttribute(attr_name="priceAmount", null=True)  # override, minor units
    stock = NumberAttribute(default=0)
    low_stock_threshold = NumberAttribute(attr_name="lowStockThreshold", default=5)
    low_stock_notified = BooleanAttribute(attr_name="lowStockNotified", default=False)


class StockMovement(SoukItem, discriminator="StockMovement"):
    movement_id = UnicodeAttribute(attr_name="movementId")
    sku = UnicodeAttribute()
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    stock_after = NumberAttribute(attr_name="stockAfter")
    actor_id = UnicodeAttribute(attr_name="actorId")


class ListingEntry(SoukItem, discriminator="ListingEntry"):
    """A denormalized product summary in one listing partition: a list page is one Query."""

    product_id = UnicodeAttribute(attr_name="productId")
    store_id = UnicodeAttribute(attr_name="storeId")
    name = UnicodeAttribute()
    price_amount = NumberAttribute(attr_name="priceAmount")
    currency = UnicodeAttribute()
    in_stock = BooleanAttribute(attr_name="inStock")
    rating_avg = NumberAttribute(attr_name="ratingAvg", default=0)
    rating_count = NumberAttribute(attr_name="ratingCount", default=0)
    tags = UnicodeSetAttribute(null=True)
    category_id = UnicodeAttribute(attr_name="categoryId")
    image_upload_id = UnicodeAttribute(attr_name="imageUploadId", null=True)
    # Lets a store or tag page filter by category, sub-categories included (products feature).
    category_path = ListAttribute[str](of=UnicodeAttribute, attr_name="categoryPath", null=True)  # type: ignore[arg-type]


class SearchEntry(SoukItem, discriminator="SearchEntry"):
    """One word prefix of a product or store name/tags, pointing at it."""

    target_id = UnicodeAttribute(attr_name="targetId")
    kind = UnicodeAttribute()  # product | store
    word = UnicodeAttribute()
    name = UnicodeAttribute()
    rating_avg = NumberAttribute(attr_name="ratingAvg", default=0)
    # Product entries carry the listing summary, so a product list with ``search`` can filter
    # and answer from the search Queries alone (products feature; null on store entries).
    rating_count = NumberAttribute(attr_name="ratingCount", null=True)
    store_id = UnicodeAttribute(attr_name="storeId", null=True)
    price_amount = NumberAttribute(attr_name="priceAmount", null=True)
    currency = UnicodeAttribute(null=True)
    in_stock = BooleanAttribute(attr_name="inStock", null=True)
    category_id = UnicodeAttribute(attr_name="categoryId", null=True)
    category_path = ListAttribute[str](of=UnicodeAttribute, attr_name="categoryPath", null=True)  # type: ignore[arg-type]
    tags = ListAttribute[str](of=UnicodeAttribute, null=True)  # type: ignore[arg-type]
    image_upload_id = UnicodeAttribute(attr_name="imageUploadId", null=True)
