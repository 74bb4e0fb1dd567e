"""Races clients can cause, sent with real concurrency through the runner's port.

Each function runs in execution environments of its own, one event at a time, as in
Lambda: parallel requests are parallel processes on DynamoDB Local, so these races are
decided by the table's conditions and transactions, never by requests sharing a module.
"""

from __future__ import annotations

import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra.local.runner import LOCAL_WEBHOOK_SECRET
from tests.e2e.client import call, login, new_customer, ok, seed
from tests.e2e.conftest import Reply, RunnerProcess, http
from tests.stripe_support import event, intent_object, signed_request

pytestmark = pytest.mark.e2e

PRICE = 1250


@pytest.fixture(scope="module")
def shop(runner: RunnerProcess) -> dict[str, Any]:
    """Demo accounts (`make seed`, through stack.json) and an approved store selling in usd."""
    seed(runner)
    admin, owner = login(runner, "admin@souk.example"), login(runner, "karim@souk.example")
    category = ok(call(runner, "POST", "/api/v1/categories", {"name": f"Races {uuid.uuid4().hex[:6]}"}, admin), 201)
    store = ok(call(runner, "POST", "/api/v1/stores", {
        "name": "Race Spice House", "categoryIds": [category["id"]], "currency": "usd",
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": 30.0497, "lng": 31.2622},
    }, owner), 201)  # fmt: skip
    ok(call(runner, "PATCH", f"/api/v1/admin/stores/{store['id']}", {"status": "approved"}, admin))
    return {"owner": owner, "store": store, "category": category}


def _product(runner: RunnerProcess, shop: dict[str, Any], stock: int) -> str:
    body = {"storeId": shop["store"]["id"], "name": f"Saffron {uuid.uuid4().hex[:6]}",
            "categoryId": shop["category"]["id"], "price": {"amount": PRICE, "currency": "usd"},
            "variants": [{"sku": "SAF-1G", "name": "1 g", "stock": stock}]}  # fmt: skip
    return str(ok(call(runner, "POST", "/api/v1/products", body, shop["owner"]), 201)["id"])


def _in_cart(runner: RunnerProcess, token: str, product_id: str) -> None:
    line = {"productId": product_id, "variantSku": "SAF-1G", "quantity": 1}
    ok(call(runner, "POST", "/api/v1/cart/items", line, token))


def _checkout(runner: RunnerProcess, token: str, address_id: str, method: str) -> Reply:
    return call(runner, "POST", "/api/v1/orders", {"addressId": address_id, "paymentMethod": method}, token,
                {"Idempotency-Key": f"race-{uuid.uuid4()}"})  # fmt: skip


def _stock(runner: RunnerProcess, shop: dict[str, Any], product_id: str) -> int:
    inventory = ok(call(runner, "GET", f"/api/v1/products/{product_id}/inventory", token=shop["owner"]))
    return int(inventory["variants"][0]["stock"])


def _outcome(reply: Reply) -> str:
    return str(reply.status) if reply.status < 300 else f"{reply.status} {reply.json['error']['code']}"


def _all_at_once(calls: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda send: send(), calls))


def test_two_hundred_parallel_reads_from_four_users_never_cross(runner: RunnerProcess, shop: dict[str, Any]) -> None:
    # GIVEN four users with addresses of their own (the seed's), and what each one's list is
    tokens = {email: login(runner, email) for email in
              ("amina@souk.example", "omar@souk.example", "lina@souk.example", "karim@souk.example")}  # fmt: skip
    own = {email: {a["id"] for a in ok(call(runner, "GET", "/api/v1/addresses", token=token))}
           for email, token in tokens.items()}  # fmt: skip
    assert all(own.values()) and len(set().union(*own.values())) == sum(len(ids) for ids in own.values())
    # WHEN 200 GET /addresses, 50 each, interleaved, go out at once
    order = [email for _ in range(50) for email in tokens]
    with ThreadPoolExecutor(max_workers=64) as pool:
        replies = list(pool.map(lambda email: (email, call(runner, "GET", "/api/v1/addresses", token=tokens[email])),
                                order))  # fmt: skip
    # THEN every answer is 200 and carries exactly its caller's addresses
    statuses = Counter(reply.status for _, reply in replies)
    crossed = [(email, reply.json["data"]) for email, reply in replies
               if reply.status == 200 and {a["id"] for a in reply.json["data"]} != own[email]]  # fmt: skip
    assert statuses == {200: 200}, statuses
    assert crossed == [], f"{len(crossed)} answers carried another user's addresses"


def test_twelve_parallel_card_checkouts_for_three_units_sell_exactly_three(
    runner: RunnerProcess, shop: dict[str, Any]
) -> None:
    # GIVEN 3 units in stock and 12 customers with 1 unit each in their carts
    product_id = _product(runner, shop, stock=3)
    customers = _all_at_once([lambda i=i: new_customer(runner, f"Racer {i}") for i in range(12)])
    for token, _ in customers:
        _in_cart(runner, token, product_id)
    # WHEN the 12 check out by card at once
    replies = _all_at_once([lambda c=c: _checkout(runner, c[0], c[1], "card") for c in customers])
    # THEN exactly 3 orders, 9 refused for stock, and the stock is 0
    outcomes = Counter(_outcome(reply) for reply in replies)
    assert outcomes == {"201": 3, "409 INSUFFICIENT_STOCK": 9}, outcomes
    assert _stock(runner, shop, product_id) == 0
    orders = [ok(call(runner, "GET", "/api/v1/orders", token=token)) for token, _ in customers]
    assert sorted(len(mine) for mine in orders) == [0] * 9 + [1] * 3
    assert {o["status"] for mine in orders for o in mine} == {"pending_payment"}


def test_one_webhook_event_five_times_in_parallel_credits_once_then_wallet_checkouts_spend_it_twice(
    runner: RunnerProcess, shop: dict[str, Any]
) -> None:
    # GIVEN a customer's pending top-up for two purchases, and its signed success event
    token, address_id = new_customer(runner, "Wallet Racer")
    amount = {"amount": {"amount": 2 * PRICE, "currency": "usd"}}
    top_up = ok(call(runner, "POST", "/api/v1/wallet/top-up", amount, token,
                     {"Idempotency-Key": f"race-{uuid.uuid4()}"}), 201)  # fmt: skip
    metadata = {"paymentId": top_up["paymentId"], "kind": "topup"}
    succeeded = event("payment_intent.succeeded", intent_object(top_up["intentId"], 2 * PRICE, metadata))
    body, headers = signed_request(succeeded, secret=LOCAL_WEBHOOK_SECRET)
    # WHEN Stripe delivers that event 5 times at once
    webhook = runner.url("/api/v1/webhooks/stripe")
    deliveries = _all_at_once([lambda: http("POST", webhook, body=body, headers=headers) for _ in range(5)])
    # THEN every delivery is acknowledged and the wallet is credited once
    assert [reply.status for reply in deliveries] == [200] * 5, [reply.body[:200] for reply in deliveries]
    assert _balance(runner, token) == 2 * PRICE
    entries = ok(call(runner, "GET", "/api/v1/wallet/transactions", token=token))
    assert [(e["type"], e["amount"]["amount"]) for e in entries] == [("topup", 2 * PRICE)]

    # GIVEN that balance for two purchases. One customer has one cart, and a checkout empties
    # it: 6 parallel checkouts of it make at most one order; three rounds are 18 attempts.
    product_id = _product(runner, shop, stock=100)
    rounds = []
    for _ in range(3):
        _in_cart(runner, token, product_id)
        # WHEN 6 wallet checkouts of the cart go out at once, with distinct Idempotency-Keys
        replies = _all_at_once([lambda: _checkout(runner, token, address_id, "wallet") for _ in range(6)])
        rounds.append(Counter(_outcome(reply) for reply in replies))
    # THEN one order per round while the balance covers it, then none: exactly 2, never an overdraft
    assert [r["201"] for r in rounds] == [1, 1, 0], rounds
    assert rounds[2] == {"409 INSUFFICIENT_FUNDS": 6}, rounds
    losers = rounds[0] + rounds[1]
    del losers["201"]
    # a loser read the cart before the winner's commit (409: the cart changed; the wallet too, in round 2),
    # or after it (422: the cart is empty)
    assert set(losers) <= {"409 CONFLICT", "409 INSUFFICIENT_FUNDS", "422 UNPROCESSABLE_ENTITY"}, rounds
    assert _balance(runner, token) == 0
    orders = ok(call(runner, "GET", "/api/v1/orders", token=token))
    assert len(orders) == 2 and {o["status"] for o in orders} == {"paid"}
    entries = ok(call(runner, "GET", "/api/v1/wallet/transactions", token=token))
    assert sorted(e["amount"]["amount"] for e in entries) == [-PRICE, -PRICE, 2 * PRICE]
    assert _stock(runner, shop, product_id) == 98


def _balance(runner: RunnerProcess, token: str) -> int:
    return int(ok(call(runner, "GET", "/api/v1/wallet", token=token))["balance"]["amount"])
