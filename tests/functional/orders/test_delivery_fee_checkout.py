"""POST /api/v1/orders charges each store order the delivery fee of the quote's rule, to the chosen address.

The fee is in the order's deliveryFee and total and the payment's amount (the card PaymentIntent's,
the wallet debit). It is the platform's (its couriers deliver): the commission keeps it beside the
goods (``deliveryFee``), never in the store's net; a refund takes the goods first and a refund in
full gives the fee back too, leaving the store at zero. (Paying the courier: tests/functional/dispatch/
test_delivery_fee_money.py.)
Every test's teardown checks each store's balance is the sum of its ledger entries.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY
from souk.admin_settings import service as admin_settings
from souk.cart import keys as cart_keys
from souk.cart.models import Cart
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Store, Variant
from souk.delivery import geo
from souk.finance.service.balance import reconcile
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet
from tests.commerce_factories import fund_wallet, make_cart, stored_order, stored_payment
from tests.factories import create_user, token_for
from tests.finance_support import stored_commission
from tests.functional.catalog_helpers import admin_token
from tests.functional.product_support import Seller, make_seller, principal_of
from tests.support import ApiClient, assert_error

PATH = "/api/v1/orders"
PRICE = 5999  # TRS-42
STORE_AT = (40.0, -73.0)  # product_support.make_store's address
HOME = (40.1, -73.2)
FAR = (30.0444, 31.2357)  # Cairo: in no zone these tests add
FEE = {"base": {"amount": 200, "currency": "usd"}, "perKm": {"amount": 50, "currency": "usd"},
       "minimum": {"amount": 300, "currency": "usd"}}  # fmt: skip
FUNDS = 100_000


def expected_fee(km: float) -> int:
    return max(300, 200 + math.floor(50 * km + 0.5))


FEE_HOME = expected_fee(geo.haversine_km(*STORE_AT, *HOME))


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()
    yield
    admin_settings.forget()


@pytest.fixture
def zone(api: ApiClient) -> dict[str, Any]:
    """A 30 km zone around HOME with a per-km fee."""
    body = {"name": "Springfield", "type": "radius", "center": {"lat": HOME[0], "lng": HOME[1]}, "radiusKm": 30,
            "fee": FEE, "priority": 1}  # fmt: skip
    response = api.post("/api/v1/delivery-zones", json_body=body, token=admin_token())
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


class Shopper:
    def __init__(self, at: tuple[float, float] = HOME, funds: int = 0) -> None:
        self.user = create_user("customer")
        body = AddressIn(label="Home", line1="1 Elm St", city="Springfield", country="US", lat=at[0], lng=at[1])
        self.address_id = addresses.create_address(principal_of(self.user), body).id
        self.token = token_for(self.user)
        if funds:
            fund_wallet(self.user.user_id, funds)

    def fill(self, *products: dict[str, Any], quantity: int = 1) -> Cart:
        return make_cart(self.user.user_id, [
            {"productId": p["id"], "storeId": p["storeId"], "sku": "TRS-42", "quantity": quantity,
             "seenPrice": PRICE, "currency": "usd"} for p in products])  # fmt: skip

    def checkout(self, api: ApiClient, method: str) -> Any:
        return api.post(PATH, token=self.token, json_body={"addressId": self.address_id, "paymentMethod": method})

    def balance(self) -> int:
        return int(Wallet.get(wallet_keys.wallet(self.user.user_id), wallet_keys.WALLET, consistent_read=True).balance)

    def orders(self) -> list[Order]:
        return [o for o in Order.gsi1.query(orders_keys.customer_orders(self.user.user_id)) if isinstance(o, Order)]

    def payments(self) -> list[Payment]:
        found = Payment.gsi1.query(payments_keys.user_payments(self.user.user_id))
        return [p for p in found if isinstance(p, Payment)]


def _stock(product: dict[str, Any]) -> int:
    variant = Variant.get(catalog_keys.product(product["id"]), catalog_keys.variant("TRS-42"), consistent_read=True)
    return int(variant.stock)


def _refund_in_full(api: ApiClient, payment_id: str) -> dict[str, Any]:
    response = api.post(f"/api/v1/payments/{payment_id}/refund", token=token_for(create_user("admin")),
                        json_body={"reason": "damaged", "to": "original"})  # fmt: skip
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def test_a_wallet_checkout_charges_the_fee_the_platform_keeps_it_and_a_full_refund_gives_it_back(
    api: ApiClient, zone: dict[str, Any]
) -> None:
    # GIVEN 2 shoes of a store ~20 km from the customer's address, in a zone with a per-km fee
    seller = make_seller()
    shoes = seller.create(api)
    shopper = Shopper(funds=FUNDS)
    shopper.fill(shoes, quantity=2)
    total = 2 * PRICE + FEE_HOME
    # WHEN they pay from the wallet
    response = shopper.checkout(api, "wallet")
    # THEN the order carries the fee and the total with it; the wallet paid exactly that
    assert response.status == 201, response.body
    data = response.json["data"]
    order = data["orders"][0]
    assert order["deliveryFee"] == {"amount": FEE_HOME, "currency": "usd"}
    assert (order["subtotal"]["amount"], order["total"]["amount"], order["paid"]["amount"]) == (2 * PRICE, total, total)
    assert data["payment"]["amount"] == {"amount": total, "currency": "usd"}
    stored = stored_order(order["id"])
    assert (int(stored.delivery_fee), int(stored.total)) == (FEE_HOME, total)
    assert shopper.balance() == FUNDS - total
    # AND the commission is the goods' (10% of the shoes); the fee stands beside it, the platform's
    commission = stored_commission(seller.store.store_id, order["id"])
    assert [line["kind"] for line in commission.lines] == ["product"]
    goods_net = 2 * PRICE - 1200
    assert (int(commission.gross), int(commission.commission), int(commission.net)) == (2 * PRICE, 1200, goods_net)
    assert int(commission.delivery_fee) == FEE_HOME
    # AND the store's net excludes the fee: its pending is the goods less the commission
    check = reconcile(seller.store.store_id)
    assert check.matches and check.stored["pending"] == 2 * PRICE - 1200
    # AND the owner's commissions route shows the goods' split and the fee passed to the platform
    listed = api.get(f"/api/v1/stores/{seller.store.store_id}/commissions", token=seller.token)
    assert listed.status == 200, listed.body
    [entry] = listed.json["data"]
    assert [entry[k]["amount"] for k in ("gross", "commission", "net", "deliveryFee")] == [
        2 * PRICE, 1200, 2 * PRICE - 1200, FEE_HOME]  # fmt: skip
    assert entry["rateBps"] == 1000
    # WHEN the payment is refunded in full, before delivery
    refund = _refund_in_full(api, data["payment"]["id"])
    # THEN the customer gets the fee back too, the commission is reversed whole and the store is at 0
    assert refund["amount"] == {"amount": total, "currency": "usd"}
    assert shopper.balance() == FUNDS
    reversed_ = stored_commission(seller.store.store_id, order["id"])
    assert reversed_.status == "reversed"
    assert (int(reversed_.reversed_gross), int(reversed_.reversed_net)) == (2 * PRICE, 2 * PRICE - 1200)
    assert int(reversed_.reversed_delivery_fee) == FEE_HOME
    check = reconcile(seller.store.store_id)
    assert check.matches and (check.stored["pending"], check.stored["available"]) == (0, 0)


def test_a_partial_refund_takes_the_goods_net_from_the_store_never_the_fee(
    api: ApiClient, zone: dict[str, Any]
) -> None:
    # GIVEN two shoes paid from the wallet with the delivery fee
    seller = make_seller()
    shopper = Shopper(funds=FUNDS)
    shopper.fill(seller.create(api), quantity=2)
    response = shopper.checkout(api, "wallet")
    assert response.status == 201, response.body
    data = response.json["data"]
    order_id = data["orders"][0]["id"]
    # WHEN one shoe's price is refunded
    response = api.post(f"/api/v1/payments/{data['payment']['id']}/refund", token=token_for(create_user("admin")),
                        json_body={"reason": "one was scuffed", "to": "wallet",
                                   "amount": {"amount": PRICE, "currency": "usd"}})  # fmt: skip
    assert response.status == 201, response.body
    # THEN it is all goods: the store gives back one shoe's net at its frozen 10%, the fee stays the platform's
    commission = stored_commission(seller.store.store_id, order_id)
    assert commission.status == "partially_reversed"
    assert (int(commission.reversed_gross), int(commission.reversed_commission)) == (PRICE, 600)
    assert int(commission.reversed_delivery_fee) == 0
    assert reconcile(seller.store.store_id).stored["pending"] == (2 * PRICE - 1200) - (PRICE - 600)
    # WHEN the rest is refunded THEN the fee goes back too and the store is at zero for the order
    _refund_in_full(api, data["payment"]["id"])
    commission = stored_commission(seller.store.store_id, order_id)
    assert commission.status == "reversed" and int(commission.reversed_delivery_fee) == FEE_HOME
    assert reconcile(seller.store.store_id).stored["pending"] == 0
    assert shopper.balance() == FUNDS  # both refunds went back to the wallet: goods and fee


def test_a_card_checkout_asks_stripe_for_goods_and_fees_of_every_store(
    api: ApiClient, zone: dict[str, Any], stripe_fake: Any
) -> None:
    # GIVEN one shoe from each of two stores, both ~20 km away
    first, second = make_seller(), make_seller()
    shopper = Shopper()
    shopper.fill(first.create(api), second.create(api))
    # WHEN the customer checks out by card
    response = shopper.checkout(api, "card")
    # THEN each order carries its store's fee, and the payment and the PaymentIntent the sum
    assert response.status == 201, response.body
    data = response.json["data"]
    assert [o["deliveryFee"]["amount"] for o in data["orders"]] == [FEE_HOME, FEE_HOME]
    assert [o["total"]["amount"] for o in data["orders"]] == [PRICE + FEE_HOME] * 2
    total = 2 * (PRICE + FEE_HOME)
    assert data["payment"]["amount"] == {"amount": total, "currency": "usd"}
    assert int(stored_payment(data["payment"]["id"]).amount) == total
    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": stripe_fake.url})
    assert client.v1.payment_intents.retrieve(data["payment"]["intentId"]).amount == total


@pytest.mark.no_default_zone
def test_an_address_outside_every_zone_is_422_and_nothing_is_held_or_charged(
    api: ApiClient, zone: dict[str, Any]
) -> None:
    # GIVEN a customer whose address is in no zone, with a funded wallet and a shoe in the cart
    seller = make_seller()
    shoes = seller.create(api)
    shopper = Shopper(at=FAR, funds=FUNDS)
    cart = shopper.fill(shoes)
    stock = _stock(shoes)
    # WHEN they check out
    response = shopper.checkout(api, "wallet")
    # THEN 422 naming the store, and no order, payment, stock hold or debit; the cart is as it was
    error = assert_error(response, 422, "UNPROCESSABLE_ENTITY")["error"]
    assert seller.store.name in error["message"]
    assert error["details"] == [
        {
            "field": f"stores[{seller.store.store_id}]",
            "message": f"{seller.store.name}: This address is outside every delivery zone.",
        }
    ]
    assert shopper.orders() == [] and shopper.payments() == []
    assert _stock(shoes) == stock and shopper.balance() == FUNDS
    saved = Cart.get(cart_keys.cart(shopper.user.user_id), cart_keys.CART, consistent_read=True)
    assert saved.lines == cart.lines and saved.version == cart.version


def test_one_store_that_cannot_deliver_refuses_the_whole_checkout_naming_only_it(
    api: ApiClient, zone: dict[str, Any]
) -> None:
    # GIVEN two stores in the cart, one of which has no location to deliver from
    located, unlocated = make_seller(), make_seller()
    products = located.create(api), unlocated.create(api)
    item = Store.get(catalog_keys.store(unlocated.store.store_id), catalog_keys.store(unlocated.store.store_id))
    item.update(actions=[Store.lat.remove(), Store.lng.remove()])
    shopper = Shopper(funds=FUNDS)
    shopper.fill(*products)
    # WHEN they check out
    response = shopper.checkout(api, "wallet")
    # THEN 422 naming the store without a location only; nothing is written
    error = assert_error(response, 422, "UNPROCESSABLE_ENTITY")["error"]
    assert unlocated.store.name in error["message"] and located.store.name not in error["message"]
    assert [d["field"] for d in error["details"]] == [f"stores[{unlocated.store.store_id}]"]
    assert "no location" in error["details"][0]["message"]
    assert shopper.orders() == [] and shopper.balance() == FUNDS
    assert [_stock(p) for p in products] == [10, 10]


def test_a_zero_fee_zone_charges_nothing_for_delivery(api: ApiClient) -> None:
    # The suites' generic zone (tests/commerce_factories.deliver_everywhere): a flat 0.
    seller: Seller = make_seller()
    shopper = Shopper(at=FAR, funds=FUNDS)
    shopper.fill(seller.create(api))
    response = shopper.checkout(api, "wallet")
    assert response.status == 201, response.body
    order = response.json["data"]["orders"][0]
    assert order["deliveryFee"]["amount"] == 0 and order["total"]["amount"] == PRICE
