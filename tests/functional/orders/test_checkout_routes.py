"""Checkout, POST /api/v1/orders: one order per store, stock reserved, card (localstripe) or wallet, all or nothing."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.cart import keys as cart_keys
from souk.cart.models import Cart, Coupon, CouponUse
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.identity.models import User
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from souk.orders import keys as orders_keys
from souk.orders.models import Order
from souk.orders.service import checkout
from souk.orders.store.checkout import CheckoutPlan
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from souk.settings import get_settings
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet, WalletEntry
from tests.commerce_factories import fund_wallet, make_cart
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.product_support import make_seller, principal_of
from tests.stripe_support import confirm_with_test_card
from tests.support import ApiClient, assert_error

PATH = "/api/v1/orders"
PRICE_42, PRICE_43 = 5999, 6499  # TRS-42 (stock 10) uses the product price; TRS-43 (stock 3) its own


@dataclass
class Customer:
    user: User
    token: str
    address_id: str


def _customer() -> Customer:
    user = create_user("customer")
    body = AddressIn(label="Home", line1="1 Elm St", city="Springfield", country="US", lat=40.1, lng=-73.2)
    address = addresses.create_address(principal_of(user), body)
    return Customer(user, token_for(user), address.id)


def _line(product: dict[str, Any], sku: str, quantity: int, seen: int) -> dict[str, Any]:
    return {"productId": product["id"], "storeId": product["storeId"], "sku": sku, "quantity": quantity,
            "seenPrice": seen, "currency": "usd"}  # fmt: skip


def _cart(customer: Customer, *lines: dict[str, Any], coupon: str | None = None) -> Cart:
    cart = make_cart(customer.user.user_id, list(lines))
    if coupon:
        cart.coupon_code = coupon
        cart.save()
    return cart


def _checkout(api: ApiClient, customer: Customer, method: str = "card", *, key: str | None = None,
              **extra: Any) -> Any:  # fmt: skip
    headers = {"Idempotency-Key": key} if key else None
    return api.post(PATH, token=customer.token, headers=headers,
                    json_body={"addressId": customer.address_id, "paymentMethod": method, **extra})  # fmt: skip


def _stock(product_id: str, sku: str) -> int:
    return int(Variant.get(catalog_keys.product(product_id), catalog_keys.variant(sku), consistent_read=True).stock)


def _orders_of(user: User) -> list[Order]:
    return [o for o in Order.gsi1.query(orders_keys.customer_orders(user.user_id)) if isinstance(o, Order)]


def _payments_of(user: User) -> list[Payment]:
    return [p for p in Payment.gsi1.query(payments_keys.user_payments(user.user_id)) if isinstance(p, Payment)]


def _saved_cart(user: User) -> Cart:
    return Cart.get(cart_keys.cart(user.user_id), cart_keys.CART, consistent_read=True)


def _balance(user: User) -> int:
    return int(Wallet.get(wallet_keys.wallet(user.user_id), wallet_keys.WALLET, consistent_read=True).balance)


def _intent(server: LocalStripe, intent_id: str) -> Any:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}).v1.payment_intents.retrieve(intent_id)


def _assert_nothing_written(customer: Customer, cart_before: Cart, stock: dict[tuple[str, str], int]) -> None:
    assert _orders_of(customer.user) == [] and _payments_of(customer.user) == []
    cart = _saved_cart(customer.user)
    assert cart.lines == cart_before.lines and cart.version == cart_before.version
    for (product_id, sku), units in stock.items():
        assert _stock(product_id, sku) == units


# --- happy paths


def test_card_checkout_reserves_stock_creates_the_order_and_a_payment_intent(api: ApiClient, stripe_fake) -> None:
    # GIVEN a customer whose cart holds 2 x TRS-42 and 1 x TRS-43 of one store
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    _cart(customer, _line(product, "TRS-42", 2, PRICE_42), _line(product, "TRS-43", 1, PRICE_43))
    total = 2 * PRICE_42 + PRICE_43
    # WHEN they check out by card
    response = _checkout(api, customer, "card")
    # THEN one pending order with the lines, totals and address snapshot
    assert response.status == 201, response.body
    data = response.json["data"]
    assert len(data["orders"]) == 1
    order = data["orders"][0]
    assert order["status"] == "pending_payment" and order["storeId"] == seller.store.store_id
    assert order["total"] == {"amount": total, "currency": "usd"} and order["paid"]["amount"] == 0
    assert [(line["variantSku"], line["quantity"], line["lineTotal"]["amount"]) for line in order["lines"]] == [
        ("TRS-42", 2, 2 * PRICE_42), ("TRS-43", 1, PRICE_43)]  # fmt: skip
    assert order["address"]["id"] == customer.address_id and order["reservedUntil"] is not None
    assert [h["status"] for h in order["history"]] == ["pending_payment"]
    payment = data["payment"]
    assert payment["method"] == "card" and payment["status"] == "pending"
    assert payment["amount"] == {"amount": total, "currency": "usd"} and payment["clientSecret"]
    # AND the PaymentIntent is named, the one the client secret belongs to and the payment records
    intent_id = payment["intentId"]
    assert intent_id.startswith("pi_") and payment["clientSecret"].startswith(f"{intent_id}_secret_")
    stored_payment = Payment.get(payments_keys.payment(payment["id"]), payments_keys.payment(payment["id"]))
    assert stored_payment.stripe_payment_intent_id == intent_id
    # AND the stock is reserved, the cart emptied, the order and payment stored and indexed
    assert (_stock(product["id"], "TRS-42"), _stock(product["id"], "TRS-43")) == (8, 2)
    assert _saved_cart(customer.user).lines == [] and _saved_cart(customer.user).coupon_code is None
    stored = Order.get(orders_keys.order(order["id"]), orders_keys.order(order["id"]))
    assert stored.gsi4pk.startswith("EXPIRES#") and stored.store_owner_id == seller.user.user_id
    assert [o.order_id for o in _orders_of(customer.user)] == [order["id"]]
    saved_payment = Payment.get(payments_keys.payment(payment["id"]), payments_keys.payment(payment["id"]))
    assert (saved_payment.status, saved_payment.amount, saved_payment.order_ids) == ("pending", total, [order["id"]])
    # AND the PaymentIntent at Stripe has the amount and our metadata
    intent = _intent(stripe_fake, saved_payment.stripe_payment_intent_id)
    assert (intent.amount, intent.currency) == (total, "usd")
    assert intent.metadata.to_dict() == {"paymentId": payment["id"], "orderIds": order["id"],
                                     "userId": customer.user.user_id, "kind": "order"}  # fmt: skip
    # AND the checkout is audited on the payment, with the order ids
    records = list(AuditRecord.gsi2.query(audit_keys.audit_resource("payment", payment["id"])))
    assert [r.action for r in records] == ["order.checkout"] and records[0].after["orderIds"] == [order["id"]]
    # AND the client can confirm the intent with a test card
    confirmed = confirm_with_test_card(stripe_fake, saved_payment.stripe_payment_intent_id)
    assert confirmed["status"] == "succeeded" and confirmed["amount"] == total


def test_wallet_checkout_pays_the_orders_and_debits_the_wallet(api: ApiClient) -> None:
    # GIVEN a customer with 20,000 in their wallet and 3 x TRS-42 in their cart
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 20_000)
    _cart(customer, _line(product, "TRS-42", 3, PRICE_42))
    # WHEN they pay with the wallet
    response = _checkout(api, customer, "wallet")
    # THEN the order is paid, the payment succeeded without any client secret
    assert response.status == 201, response.body
    data = response.json["data"]
    order = data["orders"][0]
    assert order["status"] == "paid" and order["paid"]["amount"] == 3 * PRICE_42 and order["reservedUntil"] is None
    assert [h["status"] for h in order["history"]] == ["pending_payment", "paid"]
    assert data["payment"]["status"] == "succeeded" and data["payment"]["clientSecret"] is None
    assert data["payment"]["intentId"] is None
    assert Order.get(orders_keys.order(order["id"]), orders_keys.order(order["id"])).gsi4pk is None
    # AND the wallet went down by the total, with one debit entry referencing the payment
    assert _balance(customer.user) == 20_000 - 3 * PRICE_42
    ledger = WalletEntry.query(
        wallet_keys.wallet(customer.user.user_id), WalletEntry.sk.startswith(wallet_keys.WALLET_ENTRY_PREFIX)
    )
    entries = [e for e in ledger if e.type == "debit"]
    assert [(e.amount, e.reference_type, e.reference_id) for e in entries] == [
        (-3 * PRICE_42, "payment", data["payment"]["id"])]  # fmt: skip
    assert _stock(product["id"], "TRS-42") == 7


def test_two_stores_make_two_orders_and_one_payment(api: ApiClient, stripe_fake) -> None:
    # GIVEN a cart with items from two stores
    first, second = make_seller(), make_seller()
    shoes, boots = first.create(api), second.create(api)
    customer = _customer()
    _cart(customer, _line(shoes, "TRS-42", 1, PRICE_42), _line(boots, "TRS-43", 2, PRICE_43))
    # WHEN they check out
    response = _checkout(api, customer, "card")
    # THEN one order per store, sharing one checkout and one payment of the sum
    assert response.status == 201, response.body
    data = response.json["data"]
    assert [o["storeId"] for o in data["orders"]] == [first.store.store_id, second.store.store_id]
    assert [o["total"]["amount"] for o in data["orders"]] == [PRICE_42, 2 * PRICE_43]
    assert {o["checkoutId"] for o in data["orders"]} == {data["checkoutId"]}
    assert {o["paymentId"] for o in data["orders"]} == {data["payment"]["id"]}
    assert data["payment"]["amount"]["amount"] == PRICE_42 + 2 * PRICE_43
    payment = Payment.get(payments_keys.payment(data["payment"]["id"]), payments_keys.payment(data["payment"]["id"]))
    assert payment.store_ids == [first.store.store_id, second.store.store_id]
    assert payment.store_owner_ids == [first.user.user_id, second.user.user_id]
    # AND each store owner sees their own order
    for seller, order in zip((first, second), data["orders"], strict=True):
        sales = list(Order.gsi2.query(orders_keys.seller_orders(seller.user.user_id)))
        assert [o.order_id for o in sales] == [order["id"]]
    assert (_stock(shoes["id"], "TRS-42"), _stock(boots["id"], "TRS-43")) == (9, 1)


def test_a_coupon_is_charged_and_counted(api: ApiClient, stripe_fake) -> None:
    # GIVEN a 10% coupon applied to the cart
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    Coupon(pk=cart_keys.coupon("SAVE10"), sk=cart_keys.COUPON, code="SAVE10", owner_id="test-admin", type="percent",
           value=10, uses=0).save()  # fmt: skip
    _cart(customer, _line(product, "TRS-42", 2, PRICE_42), coupon="SAVE10")
    subtotal = 2 * PRICE_42
    discount = subtotal * 10 // 100
    # WHEN they check out
    response = _checkout(api, customer, "card")
    # THEN the discount is charged and the coupon counted once, for this customer too
    assert response.status == 201, response.body
    data = response.json["data"]
    order = data["orders"][0]
    assert (order["subtotal"]["amount"], order["discount"]["amount"], order["total"]["amount"]) == (
        subtotal, discount, subtotal - discount)  # fmt: skip
    assert order["couponCode"] == "SAVE10" and data["payment"]["amount"]["amount"] == subtotal - discount
    assert Coupon.get(cart_keys.coupon("SAVE10"), cart_keys.COUPON, consistent_read=True).uses == 1
    assert CouponUse.get(cart_keys.coupon("SAVE10"), cart_keys.coupon_use(customer.user.user_id)).uses == 1
    assert _saved_cart(customer.user).coupon_code is None


# --- refusals: validation, auth, ownership


@pytest.mark.parametrize("body", [
    {"paymentMethod": "card"},
    {"addressId": "a", "paymentMethod": "cash"},
    {"addressId": "a", "paymentMethod": "card", "pointsToRedeem": -1},
    {"addressId": "a", "paymentMethod": "card", "pointsToRedeem": "5"},
    {"addressId": "", "paymentMethod": "wallet"},
])  # fmt: skip
def test_invalid_bodies_are_400(api: ApiClient, body: dict[str, Any]) -> None:
    # GIVEN a customer with a cart
    customer = _customer()
    # WHEN the body is invalid
    response = api.post(PATH, token=customer.token, json_body=body)
    # THEN 400 VALIDATION_ERROR naming a field, and no order
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"]
    assert _orders_of(customer.user) == []


def test_an_empty_idempotency_key_is_400(api: ApiClient) -> None:
    customer = _customer()
    response = _checkout(api, customer, "wallet", key=" ")
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "Idempotency-Key"


def test_redeeming_points_one_does_not_have_is_422(api: ApiClient) -> None:
    # GIVEN a customer without loyalty points and something in the cart (spending points: tests/functional/points)
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    # WHEN they ask to redeem points
    response = _checkout(api, customer, "wallet", pointsToRedeem=100)
    # THEN 422 naming the balance, and nothing written
    payload = assert_error(response, 422, "UNPROCESSABLE_ENTITY")
    assert payload["error"]["message"] == "You have 0 points."
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})


def test_an_empty_cart_is_422(api: ApiClient) -> None:
    customer = _customer()
    payload = assert_error(_checkout(api, customer, "wallet"), 422, "UNPROCESSABLE_ENTITY")
    assert payload["error"]["message"] == "Your cart is empty."
    make_cart(customer.user.user_id, [])
    assert_error(_checkout(api, customer, "wallet"), 422, "UNPROCESSABLE_ENTITY")


def test_no_token_is_401(api: ApiClient) -> None:
    response = api.post(PATH, json_body={"addressId": "a", "paymentMethod": "card"})
    assert_error(response, 401, "UNAUTHORIZED")


def test_store_owners_cannot_check_out(api: ApiClient) -> None:
    # GIVEN a store owner with a cart
    seller = make_seller()
    product = seller.create(api)
    make_cart(seller.user.user_id, [_line(product, "TRS-42", 1, PRICE_42)])
    # WHEN they check out
    response = api.post(PATH, token=seller.token, json_body={"addressId": "a", "paymentMethod": "card"})
    # THEN 403, stock untouched
    assert_error(response, 403, "FORBIDDEN")
    assert _stock(product["id"], "TRS-42") == 10


def test_another_users_address_is_404(api: ApiClient) -> None:
    # GIVEN a customer with a cart, and another customer's address
    seller = make_seller()
    product = seller.create(api)
    customer, other = _customer(), _customer()
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    # WHEN the customer checks out to the other's address
    response = api.post(PATH, token=customer.token,
                        json_body={"addressId": other.address_id, "paymentMethod": "wallet"})  # fmt: skip
    # THEN 404, nothing written
    assert_error(response, 404, "NOT_FOUND")
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})


def test_a_cart_mixing_currencies_is_422(api: ApiClient) -> None:
    dollars, euros = make_seller(), make_seller(currency="eur")
    shoes, boots = dollars.create(api), euros.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 100_000)
    cart = _cart(customer, _line(shoes, "TRS-42", 1, PRICE_42), _line(boots, "TRS-42", 1, PRICE_42))
    payload = assert_error(_checkout(api, customer, "wallet"), 422, "UNPROCESSABLE_ENTITY")
    assert "currencies" in payload["error"]["message"]
    _assert_nothing_written(customer, cart, {(shoes["id"], "TRS-42"): 10, (boots["id"], "TRS-42"): 10})


def test_the_wallet_pays_only_in_its_currency(api: ApiClient) -> None:
    euros = make_seller(currency="eur")
    product = euros.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 100_000)
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    assert_error(_checkout(api, customer, "wallet"), 422, "UNPROCESSABLE_ENTITY")
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})
    assert _balance(customer.user) == 100_000


def test_an_unavailable_line_is_422_naming_it(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42), _line(product, "GONE-1", 1, 100))
    payload = assert_error(_checkout(api, customer, "wallet"), 422, "UNPROCESSABLE_ENTITY")
    assert [d["field"] for d in payload["error"]["details"]] == [f"lines[{cart.lines[1]['id']}]"]
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})


# --- all or nothing


def test_insufficient_stock_is_409_naming_the_line_and_writes_nothing(api: ApiClient, stripe_fake) -> None:
    # GIVEN a cart wanting 4 x TRS-43 (3 in stock) next to a line that could be served
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    cart = _cart(customer, _line(product, "TRS-42", 2, PRICE_42), _line(product, "TRS-43", 4, PRICE_43))
    # WHEN they check out
    payload = assert_error(_checkout(api, customer, "card"), 409, "INSUFFICIENT_STOCK")
    # THEN the short line is named with what is available
    assert payload["data"] == {"lines": [{"lineId": cart.lines[1]["id"], "productId": product["id"],
                                          "variantSku": "TRS-43", "requested": 4, "available": 3}]}  # fmt: skip
    # AND nothing was written: stock, cart, orders, payments
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10, (product["id"], "TRS-43"): 3})


def test_stock_sold_between_the_read_and_the_transaction_is_409_and_the_intent_cancelled(
    api: ApiClient, stripe_fake, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a cart of 2 x TRS-43, and another buyer taking 2 of the 3 right after checkout priced the cart
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42), _line(product, "TRS-43", 2, PRICE_43))
    planned: list[CheckoutPlan] = []
    real_plan = checkout.plan_checkout

    def plan_then_sell_out(*args: Any, **kwargs: Any) -> CheckoutPlan:
        plan = real_plan(*args, **kwargs)
        Variant(pk=catalog_keys.product(product["id"]), sk=catalog_keys.variant("TRS-43")).update(
            [Variant.stock.add(-2)]
        )
        planned.append(plan)
        return plan

    monkeypatch.setattr(checkout, "plan_checkout", plan_then_sell_out)
    # WHEN the checkout's transaction runs
    payload = assert_error(_checkout(api, customer, "card"), 409, "INSUFFICIENT_STOCK")
    # THEN the failed line is named with the stock now, and nothing was written
    assert payload["data"]["lines"] == [{"lineId": cart.lines[1]["id"], "productId": product["id"],
                                         "variantSku": "TRS-43", "requested": 2, "available": 1}]  # fmt: skip
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10, (product["id"], "TRS-43"): 1})
    # AND the PaymentIntent created before the transaction was cancelled at Stripe
    intent_id = planned[0].payment.stripe_payment_intent_id
    assert intent_id and _intent(stripe_fake, intent_id).status == "canceled"


def test_a_cart_changed_meanwhile_is_409_conflict(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a wallet checkout whose cart gets a new line after it was read
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 50_000)
    _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    real_plan = checkout.plan_checkout

    def plan_then_edit_cart(*args: Any, **kwargs: Any) -> CheckoutPlan:
        plan = real_plan(*args, **kwargs)
        cart = _saved_cart(customer.user)
        cart.lines = [*cart.lines, {**cart.lines[0], "id": "second", "sku": "TRS-43", "seenPrice": PRICE_43}]
        cart.save()
        return plan

    monkeypatch.setattr(checkout, "plan_checkout", plan_then_edit_cart)
    # WHEN the transaction runs
    payload = assert_error(_checkout(api, customer, "wallet"), 409, "CONFLICT")
    # THEN nothing was charged or reserved, and the edited cart is kept
    assert "cart changed" in payload["error"]["message"]
    assert _balance(customer.user) == 50_000 and _stock(product["id"], "TRS-42") == 10
    assert len(_saved_cart(customer.user).lines) == 2 and _orders_of(customer.user) == []


def test_a_coupon_used_up_meanwhile_is_409_conflict(api: ApiClient, stripe_fake,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # GIVEN a one-use coupon in the cart, used by someone else right after checkout read it
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    Coupon(
        pk=cart_keys.coupon("ONCE"),
        sk=cart_keys.COUPON,
        code="ONCE",
        owner_id="test-admin",
        type="fixed",
        value=500,
        currency="usd",
        max_uses=1,
        uses=0,
    ).save()
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42), coupon="ONCE")
    real_plan = checkout.plan_checkout

    def plan_then_use_up(*args: Any, **kwargs: Any) -> CheckoutPlan:
        plan = real_plan(*args, **kwargs)
        Coupon(pk=cart_keys.coupon("ONCE"), sk=cart_keys.COUPON).update(
            [Coupon.uses.add(1)], add_version_condition=False
        )
        return plan

    monkeypatch.setattr(checkout, "plan_checkout", plan_then_use_up)
    # WHEN the transaction runs
    payload = assert_error(_checkout(api, customer, "card"), 409, "CONFLICT")
    # THEN the coupon is not over-used and nothing else was written
    assert payload["error"]["message"] == "This coupon was just used up."
    assert Coupon.get(cart_keys.coupon("ONCE"), cart_keys.COUPON, consistent_read=True).uses == 1
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})


def test_two_lines_of_one_variant_reserve_their_sum(api: ApiClient) -> None:
    # GIVEN a cart holding TRS-43 (3 in stock) twice, 2 units each (the cart merges lines; checkout must not rely on it)
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 100_000)
    cart = _cart(customer, _line(product, "TRS-43", 2, PRICE_43), _line(product, "TRS-43", 2, PRICE_43))
    # WHEN they check out
    payload = assert_error(_checkout(api, customer, "wallet"), 409, "INSUFFICIENT_STOCK")
    # THEN both lines are named and nothing was written
    assert [line["lineId"] for line in payload["data"]["lines"]] == [line["id"] for line in cart.lines]
    assert {line["available"] for line in payload["data"]["lines"]} == {3}
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-43"): 3})
    assert _balance(customer.user) == 100_000


def test_insufficient_funds_is_409_and_writes_nothing(api: ApiClient) -> None:
    # GIVEN a wallet holding less than the cart's total
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, PRICE_42)
    cart = _cart(customer, _line(product, "TRS-42", 2, PRICE_42))
    # WHEN they pay with the wallet
    assert_error(_checkout(api, customer, "wallet"), 409, "INSUFFICIENT_FUNDS")
    # THEN nothing was written, the balance is intact
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})
    assert _balance(customer.user) == PRICE_42


def test_no_wallet_at_all_is_insufficient_funds(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    cart = _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    assert_error(_checkout(api, customer, "wallet"), 409, "INSUFFICIENT_FUNDS")
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})


# --- Idempotency-Key


def test_a_replayed_idempotency_key_returns_the_first_response_and_one_order(api: ApiClient) -> None:
    # GIVEN a wallet checkout sent with an Idempotency-Key
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 50_000)
    _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    first = _checkout(api, customer, "wallet", key="order-key-1")
    assert first.status == 201, first.body
    # WHEN it is sent again with the same key and body
    again = _checkout(api, customer, "wallet", key="order-key-1")
    # THEN the same answer, and still one order, one debit
    assert again.status == 201, again.body
    assert again.json["data"] == first.json["data"]
    assert len(_orders_of(customer.user)) == 1
    assert _balance(customer.user) == 50_000 - PRICE_42 and _stock(product["id"], "TRS-42") == 9


def test_the_same_key_with_another_body_is_idempotency_conflict(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 50_000)
    _cart(customer, _line(product, "TRS-42", 1, PRICE_42))
    assert _checkout(api, customer, "wallet", key="order-key-2").status == 201
    # WHEN the key comes back with another payment method
    response = _checkout(api, customer, "card", key="order-key-2")
    # THEN 409 IDEMPOTENCY_CONFLICT, and still one order
    assert_error(response, 409, "IDEMPOTENCY_CONFLICT")
    assert len(_orders_of(customer.user)) == 1


# --- Stripe down


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_stripe_unreachable_is_503_and_writes_nothing(api: ApiClient, stripe_fake,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # GIVEN a cart, and Stripe unreachable
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    cart = _cart(customer, _line(product, "TRS-42", 2, PRICE_42))
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{_closed_port()}")
    get_settings.cache_clear()
    # WHEN they check out by card
    response = _checkout(api, customer, "card")
    # THEN 503, nothing written, the cart intact
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    _assert_nothing_written(customer, cart, {(product["id"], "TRS-42"): 10})


def test_a_wallet_checkout_emails_the_customer_and_the_store_owner(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN a funded customer with 3 x TRS-42 in their cart
    seller = make_seller()
    product = seller.create(api)
    customer = _customer()
    fund_wallet(customer.user.user_id, 20_000)
    _cart(customer, _line(product, "TRS-42", 3, PRICE_42))
    queued_jobs(aws_resources["EmailQueue"])  # the store approval email
    # WHEN they pay with the wallet
    order_id = _checkout(api, customer, "wallet").json["data"]["orders"][0]["id"]
    # THEN the confirmation and the owner's new-order email are queued with the total
    jobs = {(j["template"], j["to"]): j["variables"] for j in queued_jobs(aws_resources["EmailQueue"])}
    assert set(jobs) == {("order_paid", customer.user.email), ("new_order", seller.user.email)}
    assert all(v["order_id"] == order_id and v["total"] == "179.97 USD" and v["items"] == 3 for v in jobs.values())
