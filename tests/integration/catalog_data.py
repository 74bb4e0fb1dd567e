"""A store with one product of one variant (``OIL-1L``), made through the services, for the race tests."""

from __future__ import annotations

from dataclasses import dataclass

from souk.caller import Principal
from souk.catalog.schemas.categories import CreateCategoryRequest
from souk.catalog.schemas.products import CreateProductRequest
from souk.catalog.schemas.stores import CreateStoreRequest, StoreStatusRequest
from souk.catalog.service import categories, products, review, stores
from souk.schema import PostalAddress

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)
OWNER = Principal(user_id="it-owner", role="store_owner", session_id=None)
SKU = "OIL-1L"


@dataclass(frozen=True)
class Listing:
    product_id: str
    store_id: str
    sku: str = SKU


def product_with_stock(stock: int, *, price: int = 899) -> Listing:
    """An approved store's product with ``stock`` units of its one variant (no low-stock threshold)."""
    category = categories.create_category(ADMIN, CreateCategoryRequest(name="Pantry"))
    address = PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)
    store = stores.create_store(OWNER, CreateStoreRequest(name="Corner Shop", address=address,
                                                          category_ids=[category.category_id]))  # fmt: skip
    review.set_store_status(ADMIN, store.store_id, StoreStatusRequest(status="approved"))
    request = CreateProductRequest(
        store_id=store.store_id, name="Olive Oil", price={"amount": price, "currency": "usd"},
        category_id=category.category_id,
        variants=[{"sku": SKU, "name": "1 litre", "stock": stock, "low_stock_threshold": 0}],
    )  # fmt: skip
    return Listing(products.create_product(OWNER, request).id, store.store_id)
