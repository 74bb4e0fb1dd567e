"""Buying with a card and topping up a wallet, over HTTP against `make run`'s runner and its localstripe.

The client side of Stripe is played the way Stripe.js would: attach a test card to the
PaymentIntent and confirm it. localstripe then sends the signed events to the runner's
webhook route, which is the only thing that marks the order paid or credits the wallet.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

import pytest

from infra.seed import DEMO_PASSWORD
from infra.stack import local_table_name
from infra.template import ROOT
from tests.e2e.conftest import RunnerProcess, http, wait_for

pytestmark = pytest.mark.e2e


def _call(runner: RunnerProcess, method: str, path: str, body: Any = None, token: str | None = None,
          headers: dict[str, str] | None = None):  # fmt: skip
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    return http(method, runner.url(path), body=data, headers=sent)


def _ok(reply: Any, status: int = 200) -> Any:
    assert reply.status == status, reply.body[:800]
    return reply.json["data"]


def _login(runner: RunnerProcess, email: str) -> str:
    data = _ok(_call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": DEMO_PASSWORD}))
    return str(data["accessToken"])


def _pay_with_test_card(runner: RunnerProcess, intent_id: str) -> str:
    """What Stripe.js does on the client: a card payment method, attached and confirmed."""
    from stripe import StripeClient

    client = StripeClient("sk_test_souk_local", base_addresses={"api": runner.stripe_url})
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})  # fmt: skip
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    return str(client.v1.payment_intents.confirm(intent_id).status)


@pytest.fixture(scope="module")
def seeded(runner: RunnerProcess) -> RunnerProcess:
    env = {k: v for k, v in runner.env().items() if k != "TABLE_NAME"}
    command = [sys.executable, "-m", "infra.seed", "--table", local_table_name(), "--endpoint", runner.dynamodb_url]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return runner


def test_card_checkout_is_paid_by_the_webhook_and_a_top_up_credits_the_wallet(seeded: RunnerProcess) -> None:
    runner = seeded
    admin, owner, customer = (_login(runner, f"{name}@souk.example") for name in ("admin", "karim", "amina"))
    # GIVEN an approved store selling a product with 5 in stock
    category = _ok(_call(runner, "POST", "/api/v1/categories", {"name": f"Spices {uuid.uuid4().hex[:6]}"}, admin), 201)
    store = _ok(_call(runner, "POST", "/api/v1/stores", {
        "name": "Karim Spice House", "categoryIds": [category["id"]],
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": 30.0497, "lng": 31.2622},
    }, owner), 201)  # fmt: skip
    _ok(_call(runner, "PATCH", f"/api/v1/admin/stores/{store['id']}", {"status": "approved"}, admin))
    product = _ok(_call(runner, "POST", "/api/v1/products", {
        "storeId": store["id"], "name": "Saffron", "price": {"amount": 1250, "currency": store["currency"]},
        "categoryId": category["id"], "variants": [{"sku": "SAF-1G", "name": "1 g", "stock": 5}],
    }, owner), 201)  # fmt: skip

    # WHEN the customer puts 2 in the cart and checks out by card
    _ok(_call(runner, "POST", "/api/v1/cart/items", {"productId": product["id"], "variantSku": "SAF-1G",
                                                     "quantity": 2}, customer))  # fmt: skip
    cart = _ok(_call(runner, "GET", "/api/v1/cart", token=customer))
    assert cart["totals"] == [{"amount": 2500, "currency": store["currency"]}]
    address_id = _ok(_call(runner, "GET", "/api/v1/addresses", token=customer))[0]["id"]
    checkout = _ok(_call(runner, "POST", "/api/v1/orders", {"addressId": address_id, "paymentMethod": "card"},
                         customer, {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    order = checkout["orders"][0]
    assert order["status"] == "pending_payment"
    payment = checkout["payment"]
    intent_id = payment["clientSecret"].split("_secret_")[0]

    # THEN paying with a test card makes localstripe send the signed event that marks the order paid
    assert _pay_with_test_card(runner, intent_id) == "succeeded"

    def order_status() -> str | None:
        status = _ok(_call(runner, "GET", f"/api/v1/orders/{order['id']}", token=customer))["status"]
        return status if status == "paid" else None

    assert wait_for(order_status, timeout=30) == "paid", runner.output()[-3000:]
    stock = _ok(_call(runner, "GET", f"/api/v1/products/{product['id']}/inventory", token=owner))
    assert stock["variants"][0]["stock"] == 3

    # WHEN the customer tops up the wallet by card
    top_up = _ok(_call(runner, "POST", "/api/v1/wallet/top-up", {"amount": 5000}, customer,
                       {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    assert _pay_with_test_card(runner, top_up["clientSecret"].split("_secret_")[0]) == "succeeded"

    # THEN the webhook credits it, once
    def balance() -> int | None:
        amount = int(_ok(_call(runner, "GET", "/api/v1/wallet", token=customer))["balance"]["amount"])
        return amount if amount else None

    assert wait_for(balance, timeout=30) == 5000, runner.output()[-3000:]
    entries = _ok(_call(runner, "GET", "/api/v1/wallet/transactions", token=customer))
    assert [(e["type"], e["amount"]["amount"]) for e in entries] == [("topup", 5000)]
