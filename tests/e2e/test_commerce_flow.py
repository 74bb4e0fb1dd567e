"""Buying with a card and topping up a wallet, over HTTP against `make run`'s runner and its localstripe.

The client side of Stripe is played the way Stripe.js would: attach a test card to the
PaymentIntent and confirm it. localstripe then sends the signed events to the runner's
webhook route, which is the only thing that marks the order paid or credits the wallet.
"""

from __future__ import annotations

import uuid

import pytest

from tests.e2e.client import call, login, ok, pay_with_test_card, seed
from tests.e2e.conftest import RunnerProcess, wait_for

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(runner: RunnerProcess) -> RunnerProcess:
    seed(runner)
    return runner


def test_card_checkout_is_paid_by_the_webhook_and_a_top_up_credits_the_wallet(seeded: RunnerProcess) -> None:
    runner = seeded
    admin, owner, customer = (login(runner, f"{name}@souk.example") for name in ("admin", "karim", "amina"))
    # GIVEN an approved store selling a product with 5 in stock
    category = ok(call(runner, "POST", "/api/v1/categories", {"name": f"Spices {uuid.uuid4().hex[:6]}"}, admin), 201)
    store = ok(call(runner, "POST", "/api/v1/stores", {
        "name": "Karim Spice House", "categoryIds": [category["id"]],
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": 30.0497, "lng": 31.2622},
    }, owner), 201)  # fmt: skip
    ok(call(runner, "PATCH", f"/api/v1/admin/stores/{store['id']}", {"status": "approved"}, admin))
    product = ok(call(runner, "POST", "/api/v1/products", {
        "storeId": store["id"], "name": "Saffron", "price": {"amount": 1250, "currency": store["currency"]},
        "categoryId": category["id"], "variants": [{"sku": "SAF-1G", "name": "1 g", "stock": 5}],
    }, owner), 201)  # fmt: skip

    # WHEN the customer puts 2 in the cart and checks out by card
    ok(call(runner, "POST", "/api/v1/cart/items", {"productId": product["id"], "variantSku": "SAF-1G",
                                                     "quantity": 2}, customer))  # fmt: skip
    cart = ok(call(runner, "GET", "/api/v1/cart", token=customer))
    address_id = ok(call(runner, "GET", "/api/v1/addresses", token=customer))[0]["id"]  # Amina's default, Zamalek
    # (the cart's delivery estimate is the quote's fee: the seed's Greater Cairo zone, 4.3 km from the store)
    quote = ok(call(runner, "POST", "/api/v1/delivery/quote", {"storeId": store["id"], "addressId": address_id},
                    customer), 201)  # fmt: skip
    group = cart["stores"][0]
    assert group["delivery"]["status"] == "quoted" and group["delivery"]["zoneId"] == quote["zoneId"]
    assert group["deliveryFee"] == quote["fee"] and quote["fee"]["amount"] > 0
    fee = quote["fee"]["amount"]
    assert cart["totals"] == [{"amount": 2500 + fee, "currency": store["currency"]}]
    checkout = ok(call(runner, "POST", "/api/v1/orders", {"addressId": address_id, "paymentMethod": "card"},
                         customer, {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    order = checkout["orders"][0]
    assert order["status"] == "pending_payment"
    assert order["deliveryFee"] == quote["fee"] and order["total"]["amount"] == 2500 + fee
    assert checkout["payment"]["amount"]["amount"] == 2500 + fee
    intent_id = checkout["payment"]["intentId"]

    # THEN paying with a test card makes localstripe send the signed event that marks the order paid
    assert pay_with_test_card(runner, intent_id) == "succeeded"

    def order_status() -> str | None:
        status = ok(call(runner, "GET", f"/api/v1/orders/{order['id']}", token=customer))["status"]
        return status if status == "paid" else None

    assert wait_for(order_status, timeout=30) == "paid", runner.output()[-3000:]
    stock = ok(call(runner, "GET", f"/api/v1/products/{product['id']}/inventory", token=owner))
    assert stock["variants"][0]["stock"] == 3

    # WHEN the customer tops up the wallet by card
    top_up = ok(call(runner, "POST", "/api/v1/wallet/top-up", {"amount": {"amount": 5000, "currency": "usd"}}, customer,
                       {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    assert pay_with_test_card(runner, top_up["intentId"]) == "succeeded"

    # THEN the webhook credits it, once
    def balance() -> int | None:
        amount = int(ok(call(runner, "GET", "/api/v1/wallet", token=customer))["balance"]["amount"])
        return amount if amount else None

    assert wait_for(balance, timeout=30) == 5000, runner.output()[-3000:]
    entries = ok(call(runner, "GET", "/api/v1/wallet/transactions", token=customer))
    assert [(e["type"], e["amount"]["amount"]) for e in entries] == [("topup", 5000)]
