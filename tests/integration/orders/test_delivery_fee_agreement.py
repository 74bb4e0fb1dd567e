"""On DynamoDB Local: the quote, the cart's delivery estimate and the order's delivery fee agree (one rule)."""

from __future__ import annotations

import pytest

from souk.admin_settings import service as admin_settings
from souk.caller import Principal
from souk.cart.schemas import AddItemRequest
from souk.cart.service import carts
from souk.delivery.schemas import QuoteRequest, ZoneIn
from souk.delivery.service import zones
from souk.identity.schemas.addresses import AddressIn
from souk.identity.schemas.sessions import Client
from souk.identity.service import addresses
from souk.ids import new_id
from souk.orders.schemas import CheckoutRequest
from souk.orders.service import checkout
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet
from tests.commerce_factories import fund_wallet
from tests.integration.catalog_data import ADMIN, SKU, product_with_stock

pytestmark = pytest.mark.integration

PRICE = 899
HOME = (40.1, -73.2)  # ~20 km from catalog_data's store (40.0, -73.0)


def test_the_quote_the_cart_and_the_order_charge_the_same_fee(table: str) -> None:
    # GIVEN a zone with a per-km fee around a customer's default address, and a store ~20 km away
    admin_settings.forget()
    zone = zones.create_zone(ADMIN, ZoneIn.model_validate({
        "name": "Springfield", "type": "radius", "center": {"lat": HOME[0], "lng": HOME[1]}, "radiusKm": 30,
        "priority": 1, "fee": {"base": {"amount": 150, "currency": "usd"}, "perKm": {"amount": 35, "currency": "usd"},
                               "minimum": {"amount": 250, "currency": "usd"}}}))  # fmt: skip
    listing = product_with_stock(5, price=PRICE)
    customer = Principal(user_id=f"it-customer-{new_id()}", role="customer", session_id=None)
    body = AddressIn(label="Home", line1="1 Elm St", city="Springfield", country="US", lat=HOME[0], lng=HOME[1])
    address = addresses.create_address(customer, body)
    fund_wallet(customer.user_id, 10_000)
    # WHEN the customer asks for a quote, fills the cart and reads it, then checks out from the wallet
    quote = zones.quote(customer, QuoteRequest(store_id=listing.store_id, address_id=address.id))
    owner = carts.CartOwner(customer.user_id, customer, Client(ip="127.0.0.1", user_agent="it"))
    carts.add_item(owner, AddItemRequest(product_id=listing.product_id, variant_sku=SKU, quantity=2))
    cart = carts.get_cart(owner)
    placed = checkout.checkout(customer, CheckoutRequest(address_id=address.id, payment_method="wallet"))
    # THEN one fee, from one zone, everywhere
    group = cart.stores[0]
    order = placed.orders[0]
    assert quote.zone_id == zone.id == group.delivery.zone_id
    assert quote.fee.amount > 250  # the per-km part counts: ~150 + 35 x 20
    assert quote.fee == group.delivery_fee == order.delivery_fee
    assert quote.eta_minutes == group.delivery.eta_minutes
    # AND the order, the payment and the wallet debit include it
    total = 2 * PRICE + quote.fee.amount
    assert order.total.amount == group.total.amount == placed.payment.amount.amount == total
    balance = Wallet.get(wallet_keys.wallet(customer.user_id), wallet_keys.WALLET, consistent_read=True).balance
    assert int(balance) == 10_000 - total
    admin_settings.forget()
