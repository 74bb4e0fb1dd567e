"""A seller gets paid, over HTTP against `make run`'s runner, its localstripe (with Connect) and its workers.

The README's "Sell something, get paid" as a client plays it: the store owner onboards at
localstripe (which sends the signed ``account.updated`` to the runner's webhook), a
customer pays by card (the signed ``payment_intent.succeeded`` freezes the commission), an
admin delivers the order, the daily finance job (fired through ``POST
/api/_dev/schedules/{name}``) releases the net, the payouts worker transfers it at
localstripe, and a refund after the payout claws the store's share back (a reversal of the transfer).

``funds.holdDays`` is set to 0 by the module's first request that touches finance: the
hold is read (and frozen as ``availableAt``) when the order moves to ``delivered``, through
the settings cache of 60 s of each function environment; set before any environment of
this runner has read the settings, it applies to every order here.
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.client import call, login, ok, pay_with_test_card, seed
from tests.e2e.conftest import Reply, RunnerProcess, wait_for

pytestmark = pytest.mark.e2e

PRICE = 1250  # usd cents; the default commission is 10%
DAILY = "FinanceDailyFunction.Daily"  # the template's schedule: GET /api/_dev/schedules lists them
FULFILMENT = ("accepted", "preparing", "ready", "picked_up", "delivered")


@dataclass(frozen=True)
class Market:
    runner: RunnerProcess
    admin: str
    owner: str
    customer: str
    category_id: str
    address_id: str  # the customer's address served by the zero-fee zone: the amounts are the goods' alone


@dataclass(frozen=True)
class Sale:
    """An approved store with an active payout account whose one card order was delivered and released."""

    store_id: str
    order_id: str
    payment_id: str
    net: int


@pytest.fixture(scope="module")
def market(runner: RunnerProcess) -> Market:
    """Demo accounts, a category, and ``funds.holdDays`` 0 before any function has read the settings."""
    seed(runner)
    admin, owner, customer = (login(runner, f"{name}@souk.example") for name in ("admin", "karim", "amina"))
    settings = ok(call(runner, "GET", "/api/v1/admin/settings", token=admin))
    funds = {**settings["funds"], "holdDays": 0}
    changed = ok(call(runner, "PUT", "/api/v1/admin/settings", {"version": settings["version"], "funds": funds}, admin))
    assert changed["funds"]["holdDays"] == 0 and changed["version"] == settings["version"] + 1
    assert changed["funds"]["minimumPayout"] == {"amount": 1000, "currency": "usd"}
    category = ok(call(runner, "POST", "/api/v1/categories", {"name": f"Spices {uuid.uuid4().hex[:6]}"}, admin), 201)
    # Amina's Cairo addresses are in the seed's Greater Cairo zone (a delivery fee); this one is in the
    # zero-fee zone serving everywhere, so the sales below are the goods alone (the fee: test_commerce_flow).
    far = {"label": "Abroad", "line1": "1 Elm St", "city": "Springfield", "country": "US", "lat": 40.1, "lng": -73.2}
    address = ok(call(runner, "POST", "/api/v1/addresses", far, customer), 201)
    return Market(runner, admin, owner, customer, str(category["id"]), str(address["id"]))


def _no_redirect(url: str) -> Reply:
    """A browser's first request to the onboarding link: its answer, redirect not followed."""

    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    opener = urllib.request.build_opener(Keep)
    try:
        with opener.open(url, timeout=30) as response:
            return Reply(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as exc:  # a 302 unfollowed arrives as an HTTPError
        return Reply(exc.code, dict(exc.headers.items()), exc.read())


def balance(m: Market, store_id: str) -> dict[str, Any]:
    return dict(ok(call(m.runner, "GET", f"/api/v1/stores/{store_id}/balance", token=m.owner)))


def amounts(found: dict[str, Any]) -> dict[str, int]:
    return {key: int(found[key]["amount"]) for key in ("available", "pending", "held", "inPayout", "paidOut")}


def onboard(m: Market, store_id: str) -> None:
    """POST payout-account, open the link as the owner's browser would, until account.updated made it active."""
    link = ok(call(m.runner, "POST", f"/api/v1/stores/{store_id}/payout-account", token=m.owner))
    assert link["status"] == "pending" and link["onboardingUrl"].startswith(m.runner.stripe_url)
    opened = _no_redirect(link["onboardingUrl"])
    assert opened.status == 302, (opened.status, opened.body[:300])
    assert opened.headers["Location"].endswith(f"/stores/{store_id}/payout-account?done=1")
    active = wait_for(lambda: balance(m, store_id)["payoutAccount"]["status"] == "active", timeout=30)
    assert active, (balance(m, store_id), m.runner.output()[-3000:])


def delivered_and_released(m: Market, quantity: int) -> Sale:
    """A new store sells ``quantity`` at :data:`PRICE` by card; delivered, then released by the daily job."""
    runner = m.runner
    store = ok(call(runner, "POST", "/api/v1/stores", {
        "name": f"Karim Spice House {uuid.uuid4().hex[:4]}", "categoryIds": [m.category_id], "currency": "usd",
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": 30.0497, "lng": 31.2622},
    }, m.owner), 201)  # fmt: skip
    store_id = str(store["id"])
    ok(call(runner, "PATCH", f"/api/v1/admin/stores/{store_id}", {"status": "approved"}, m.admin))
    product = ok(call(runner, "POST", "/api/v1/products", {
        "storeId": store_id, "name": "Saffron", "price": {"amount": PRICE, "currency": "usd"},
        "categoryId": m.category_id, "variants": [{"sku": "SAF-1G", "name": "1 g", "stock": 5}],
    }, m.owner), 201)  # fmt: skip
    onboard(m, store_id)

    ok(call(runner, "POST", "/api/v1/cart/items", {"productId": product["id"], "variantSku": "SAF-1G",
                                                     "quantity": quantity}, m.customer))  # fmt: skip
    checkout = ok(call(runner, "POST", "/api/v1/orders", {"addressId": m.address_id, "paymentMethod": "card"},
                         m.customer, {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    order_id = str(checkout["orders"][0]["id"])
    assert pay_with_test_card(runner, checkout["payment"]["intentId"]) == "succeeded"
    gross = PRICE * quantity
    net = gross - (gross + 5) // 10  # 10%, rounded half up
    # The webhook froze the commission and credited the net as pending.
    pending = wait_for(lambda: amounts(balance(m, store_id))["pending"] == net, timeout=30)
    assert pending, (balance(m, store_id), runner.output()[-3000:])
    commission = ok(call(runner, "GET", f"/api/v1/stores/{store_id}/commissions", token=m.owner))[0]
    assert (commission["orderId"], commission["status"], commission["net"]["amount"]) == (order_id, "pending", net)

    for status in FULFILMENT:
        moved = ok(call(runner, "PATCH", f"/api/v1/orders/{order_id}/status", {"status": status}, m.admin))
        assert moved["status"] == status
    fired = ok(call(runner, "POST", f"/api/_dev/schedules/{DAILY}"))
    assert fired["ok"] is True, fired
    assert fired["result"]["release"]["released"] >= 1, fired
    assert amounts(balance(m, store_id)) == {"available": net, "pending": 0, "held": 0, "inPayout": 0, "paidOut": 0}
    return Sale(store_id, order_id, str(checkout["payment"]["id"]), net)


def payouts_of(m: Market, store_id: str) -> list[dict[str, Any]]:
    return list(ok(call(m.runner, "GET", f"/api/v1/payouts?storeId={store_id}", token=m.owner)))


def test_a_sale_is_paid_out_once_and_a_refund_after_it_claws_the_net_back(market: Market) -> None:
    m = market
    sale = delivered_and_released(m, quantity=2)  # 2500 gross, 250 commission, 2250 net
    assert sale.net == 2250

    # WHEN the owner asks for all of it (and their client retries with the same key)
    body, key = {"amount": {"amount": sale.net, "currency": "usd"}}, {"Idempotency-Key": f"po-{uuid.uuid4()}"}
    payout = ok(call(m.runner, "POST", f"/api/v1/stores/{sale.store_id}/payouts", body, m.owner, key), 201)
    again = ok(call(m.runner, "POST", f"/api/v1/stores/{sale.store_id}/payouts", body, m.owner, key), 201)
    assert payout["status"] == "requested" and again["id"] == payout["id"]
    assert amounts(balance(m, sale.store_id))["inPayout"] == sale.net

    # AND an admin approves it: the payouts worker transfers it to the store's connected account
    approved = ok(call(m.runner, "PATCH", f"/api/v1/admin/payouts/{payout['id']}", {"status": "approved"}, m.admin))
    assert approved["status"] == "approved"
    paid = wait_for(lambda: [p for p in payouts_of(m, sale.store_id) if p["status"] == "paid"], timeout=45)
    assert paid, (payouts_of(m, sale.store_id), m.runner.output()[-3000:])
    assert [(p["id"], p["amount"]["amount"]) for p in paid] == [(payout["id"], sale.net)]

    # THEN localstripe holds one transfer of the payout's group, and the balance says paid out
    from stripe import StripeClient

    stripe = StripeClient("sk_test_souk_local", base_addresses={"api": m.runner.stripe_url})
    transfers = stripe.v1.transfers.list(params={"transfer_group": payout["id"]}).data
    assert [(t.id, t.amount, t.currency, t.reversed) for t in transfers] == [
        (paid[0]["transferId"], sale.net, "usd", False)]  # fmt: skip
    assert amounts(balance(m, sale.store_id)) == {"available": 0, "pending": 0, "held": 0, "inPayout": 0,
                                                  "paidOut": sale.net}  # fmt: skip

    # WHEN the owner refunds one of the two jars to the card after the payout
    refund = ok(call(m.runner, "POST", f"/api/v1/payments/{sale.payment_id}/refund",
                     {"amount": {"amount": PRICE, "currency": "usd"}, "reason": "jar broken", "to": "original"},
                     m.owner, {"Idempotency-Key": f"rf-{uuid.uuid4()}"}), 201)  # fmt: skip
    assert refund["status"] == "succeeded"

    # THEN the store's share of it (1250 less its frozen 10%) was owed, and clawed back at once: one reversal of
    # the payout's transfer at localstripe (naming its claw-back), available back to 0, paid out reduced by it
    after = amounts(balance(m, sale.store_id))
    assert after == {"available": 0, "pending": 0, "held": 0, "inPayout": 0, "paidOut": sale.net - 1125}
    reversed_ = stripe.v1.transfers.retrieve(paid[0]["transferId"])
    assert (reversed_.amount_reversed, [r.amount for r in reversed_.reversals.data]) == (1125, [1125])
    assert reversed_.reversals.data[0].metadata["clawbackId"]
    commission = ok(call(m.runner, "GET", f"/api/v1/stores/{sale.store_id}/commissions", token=m.owner))[0]
    assert (commission["status"], commission["reversedNet"]["amount"]) == ("partially_reversed", 1125)


def test_ten_parallel_payout_requests_against_enough_for_three_make_exactly_three(market: Market) -> None:
    m = market
    sale = delivered_and_released(m, quantity=3)  # 3750 gross, 375 commission, 3375 net: 3 payouts of 10.00
    assert sale.net == 3375
    path, body = f"/api/v1/stores/{sale.store_id}/payouts", {"amount": {"amount": 1000, "currency": "usd"}}

    def ask(_: int) -> Reply:
        return call(m.runner, "POST", path, body, m.owner, {"Idempotency-Key": f"race-{uuid.uuid4()}"})

    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(ask, range(10)))
    outcomes = Counter((r.status, r.json["data"]["status"] if r.status == 201 else r.json["error"]["code"])
                       for r in replies)  # fmt: skip
    assert outcomes == {(201, "requested"): 3, (409, "INSUFFICIENT_FUNDS"): 7}, [r.body[:300] for r in replies]
    assert amounts(balance(m, sale.store_id)) == {"available": 375, "pending": 0, "held": 0, "inPayout": 3000,
                                                  "paidOut": 0}  # fmt: skip
    listed = payouts_of(m, sale.store_id)
    assert sorted(p["id"] for p in listed) == sorted(r.json["data"]["id"] for r in replies if r.status == 201)
