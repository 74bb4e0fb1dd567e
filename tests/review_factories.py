"""Reviews test data: a delivered purchase of a product made through the real services.

The order is written as checkout leaves it (``make_order``), then moved to ``delivered`` by
the fulfilment service, so orders records the purchases exactly as in production.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from souk.caller import Principal
from souk.catalog.schemas.categories import CreateCategoryRequest
from souk.catalog.schemas.products import CreateProductRequest
from souk.catalog.schemas.stores import CreateStoreRequest, StoreStatusRequest
from souk.catalog.service import categories, products, review, stores
from souk.identity.models import User
from souk.orders.models import Order
from souk.orders.schemas import StatusRequest
from souk.orders.service import fulfilment
from souk.schema import PostalAddress
from tests.commerce_factories import make_order
from tests.factories import create_user, token_for

ADMIN = Principal(user_id="reviews-admin", role="admin", session_id=None)


def principal_of(user: User) -> Principal:
    return Principal(user_id=user.user_id, role=user.role, session_id=None)


@dataclass
class Shop:
    """An approved store with one product, and its owner."""

    owner: User
    owner_token: str
    store_id: str
    product_id: str


def make_shop(*, products_count: int = 1) -> Shop:
    owner = create_user("store_owner", name="Owner")
    category = categories.create_category(ADMIN, CreateCategoryRequest(name=f"Cat {uuid.uuid4().hex[:6]}"))
    address = PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)
    store = stores.create_store(principal_of(owner), CreateStoreRequest(
        name=f"Corner {uuid.uuid4().hex[:4]}", address=address, category_ids=[category.category_id]))  # fmt: skip
    review.set_store_status(ADMIN, store.store_id, StoreStatusRequest(status="approved"))
    request = CreateProductRequest(
        store_id=store.store_id, name="Olive Oil", price={"amount": 899, "currency": "usd"},
        category_id=category.category_id, tags=["pantry"],
        variants=[{"sku": "OIL-1L", "name": "1 litre", "stock": 50}],
    )  # fmt: skip
    product_id = products.create_product(principal_of(owner), request).id
    return Shop(owner, token_for(owner), store.store_id, product_id)


def delivered_order(customer: User, shop: Shop, *, product_ids: list[str] | None = None) -> Order:
    """An order of ``shop``'s product(s) by ``customer``, moved to delivered by the fulfilment service."""
    lines = [{"productId": pid, "sku": "OIL-1L", "name": "Olive Oil", "variantName": "1 litre", "quantity": 1,
              "unitPrice": 899, "lineTotal": 899} for pid in product_ids or [shop.product_id]]  # fmt: skip
    order = make_order(customer.user_id, shop.store_id, shop.owner.user_id, status="picked_up", lines=lines)
    fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status="delivered"))
    return order


def customer() -> tuple[User, str]:
    user = create_user("customer", name="Casey Customer")
    return user, token_for(user)
