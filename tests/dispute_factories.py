"""Disputes and returns test data: a sale paid from the wallet through POST /orders (so it has its payment and
its commission, 10% by default), moved along by the fulfilment service as the store and couriers would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.identity.models import User
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.orders.schemas import StatusRequest
from souk.orders.service import fulfilment
from tests.commerce_factories import fund_wallet, make_cart
from tests.factories import create_user, token_for
from tests.functional.product_support import ADMIN, Seller, make_seller, principal_of
from tests.support import ApiClient

PRICE = 5999  # product_body's TRS-42
SKU = "TRS-42"
CHAIN = ("accepted", "preparing", "ready", "picked_up", "delivered")


@dataclass
class Sale:
    seller: Seller
    product_id: str
    customer: User
    customer_token: str
    order_id: str
    paid: int


def make_sale(api: ApiClient, *, quantity: int = 3, upto: str = "delivered", seller: Seller | None = None) -> Sale:
    """``quantity`` units of TRS-42 paid from the wallet, then moved to ``upto`` (``paid``: not moved)."""
    seller = seller or make_seller()
    product: dict[str, Any] = seller.create(api)
    customer = create_user("customer", name="Casey Customer")
    body = AddressIn(label="Home", line1="1 Elm St", city="Springfield", country="US", lat=40.1, lng=-73.2)
    address = addresses.create_address(principal_of(customer), body)
    fund_wallet(customer.user_id, PRICE * quantity)
    make_cart(customer.user_id, [{"productId": product["id"], "storeId": product["storeId"], "sku": SKU,
                                  "quantity": quantity, "seenPrice": PRICE, "currency": "usd"}])  # fmt: skip
    token = token_for(customer)
    response = api.post("/api/v1/orders", token=token, json_body={"addressId": address.id, "paymentMethod": "wallet"})
    assert response.status == 201, response.body
    order_id = response.json["data"]["orders"][0]["id"]
    if upto != "paid":
        for status in CHAIN[: CHAIN.index(upto) + 1]:
            fulfilment.move_order(ADMIN, order_id, StatusRequest(status=status))
    return Sale(seller, product["id"], customer, token, order_id, PRICE * quantity)


def stock_of(product_id: str, sku: str = SKU) -> int:
    variant = Variant.get(catalog_keys.product(product_id), catalog_keys.variant(sku), consistent_read=True)
    return int(variant.stock)


def admin() -> tuple[User, str]:
    user = create_user("admin")
    return user, token_for(user)
