"""Catalog test data for the product, listing, search and inventory route tests, built through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import boto3

from souk.caller import Principal
from souk.catalog.models import Category, Store
from souk.catalog.schemas.categories import CreateCategoryRequest
from souk.catalog.schemas.stores import CreateStoreRequest, StoreStatusRequest
from souk.catalog.service import categories, review, stores
from souk.identity.models import User
from souk.schema import PostalAddress
from souk.settings import get_settings
from souk.uploads import service as uploads
from souk.uploads.schemas import CreateUploadRequest
from souk.uploads.store import object_key
from tests.factories import create_user, token_for
from tests.support import ApiClient

ADMIN = Principal(user_id="test-admin", role="admin", session_id=None)


def principal_of(user: User) -> Principal:
    return Principal(user_id=user.user_id, role=user.role, session_id=None)


def make_category(name: str, parent: Category | None = None) -> Category:
    request = CreateCategoryRequest(name=name, parent_id=parent.category_id if parent else None)
    return categories.create_category(ADMIN, request)


def make_store(owner: User, category: Category, *, approved: bool = True, currency: str = "usd",
               name: str | None = None) -> Store:  # fmt: skip
    request = CreateStoreRequest(
        name=name or f"Store {uuid.uuid4().hex[:6]}", category_ids=[category.category_id], currency=currency,
        address=PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0),
    )  # fmt: skip
    store = stores.create_store(principal_of(owner), request)
    if approved:
        store = review.set_store_status(ADMIN, store.store_id, StoreStatusRequest(status="approved"))
    return store


def make_image(owner: User) -> str:
    """A product_image upload whose file is in S3 (what the browser would have sent)."""
    request = CreateUploadRequest(filename="shoe.png", content_type="image/png", size=4,
                                  purpose="product_image")  # fmt: skip
    presigned = uploads.create_upload(principal_of(owner), request)
    key = object_key("product_image", owner.user_id, presigned.upload_id)
    boto3.client("s3").put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=b"\x89PNG",
                                  ContentType="image/png")  # fmt: skip
    return presigned.upload_id


def product_body(store: Store, category: Category, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "storeId": store.store_id,
        "name": "Trail Running Shoes",
        "description": "Light and grippy.",
        "price": {"amount": 5999, "currency": store.currency},
        "categoryId": category.category_id,
        "tags": ["running", "outdoor"],
        "variants": [
            {"sku": "TRS-42", "name": "Size 42", "attributes": {"size": "42"}, "stock": 10},
            {"sku": "TRS-43", "name": "Size 43", "attributes": {"size": "43"}, "stock": 3, "lowStockThreshold": 2,
             "price": {"amount": 6499, "currency": store.currency}},
        ],
        "imageUploadIds": [],
    }  # fmt: skip
    body.update(overrides)
    return body


@dataclass
class Seller:
    """A store owner with a token, an approved store and a category to sell in."""

    user: User
    token: str
    store: Store
    category: Category

    def create(self, api: ApiClient, **overrides: Any) -> dict[str, Any]:
        response = api.post("/api/v1/products", json_body=product_body(self.store, self.category, **overrides),
                            token=self.token)  # fmt: skip
        assert response.status == 201, response.body
        return response.json["data"]  # type: ignore[no-any-return]


def make_seller(category: Category | None = None, *, approved: bool = True, currency: str = "usd") -> Seller:
    owner = create_user("store_owner")
    category = category or make_category(f"Cat {uuid.uuid4().hex[:6]}")
    store = make_store(owner, category, approved=approved, currency=currency)
    return Seller(owner, token_for(owner), store, category)
