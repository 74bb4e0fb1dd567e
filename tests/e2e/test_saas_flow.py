"""The SaaS side over HTTP against `make run`'s runner: plans, Stripe Billing on localstripe, GDPR, exports.

Clients play their part as they would: the first invoice is paid the way Stripe.js confirms a
``clientSecret`` (a test card on the PaymentIntent), localstripe then delivers its signed
``invoice.*`` and ``customer.subscription.*`` events to the runner's webhook route, which alone
moves the stored subscription and the entitlement; the period's end and a failed renewal are
localstripe's dev hooks (README "Stripe Billing on localstripe"). Requests that race are sent at
the same time from threads, through the runner's port; the exports and privacy workers are the
runner's own queue consumers, and the erasure's email lands in its outbox.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.client import PASSWORD, call, login, new_customer, ok, seed
from tests.e2e.conftest import Reply, RunnerProcess, http, wait_for

pytestmark = pytest.mark.e2e

STRIPE_KEY = "sk_test_souk_local"
PRICE = 1250


@dataclass(frozen=True)
class Shop:
    runner: RunnerProcess
    admin: str
    product_id: str


@pytest.fixture(scope="module", autouse=True)
def _shop_building(runner: RunnerProcess) -> Iterator[Future[Shop]]:
    """The shop is built in the background from the module's start, while the subscription tests (which need
    none of it) run: the module's time is the longer of the two, not their sum."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        building = pool.submit(_build_shop, runner)
        yield building
        building.exception()  # a failure is reported by the tests that use the shop; never left running


@pytest.fixture(scope="module")
def shop(_shop_building: Future[Shop]) -> Shop:
    return _shop_building.result(timeout=180)


def _build_shop(runner: RunnerProcess) -> Shop:
    """Demo accounts (`make seed`) and an approved store selling one product in usd."""
    seed(runner)
    admin, owner = login(runner, "admin@souk.example"), login(runner, "karim@souk.example")
    category = ok(call(runner, "POST", "/api/v1/categories", {"name": f"SaaS {uuid.uuid4().hex[:6]}"}, admin), 201)
    store = ok(call(runner, "POST", "/api/v1/stores", {
        "name": f"SaaS Spice House {uuid.uuid4().hex[:4]}", "categoryIds": [category["id"]], "currency": "usd",
        "address": {"line1": "22 Al Muizz St", "city": "Cairo", "country": "eg", "lat": 30.0497, "lng": 31.2622},
    }, owner), 201)  # fmt: skip
    ok(call(runner, "PATCH", f"/api/v1/admin/stores/{store['id']}", {"status": "approved"}, admin))
    product = ok(call(runner, "POST", "/api/v1/products", {
        "storeId": store["id"], "name": "Saffron", "price": {"amount": PRICE, "currency": "usd"},
        "categoryId": category["id"], "variants": [{"sku": "SAF-1G", "name": "1 g", "stock": 50}],
    }, owner), 201)  # fmt: skip
    return Shop(runner, admin, str(product["id"]))


def _stripe(runner: RunnerProcess) -> Any:
    from stripe import StripeClient

    return StripeClient(STRIPE_KEY, base_addresses={"api": runner.stripe_url})


def _hook(runner: RunnerProcess, path: str) -> dict[str, Any]:
    """A localstripe dev hook (README: "Dev hooks on STRIPE_PORT"), with the test key."""
    auth = base64.b64encode(f"{STRIPE_KEY}:".encode()).decode()
    reply = http("POST", f"{runner.stripe_url}{path}", headers={"Authorization": f"Basic {auth}"})
    assert reply.status == 200, (path, reply.status, reply.body[:500])
    return dict(json.loads(reply.body))


def _subscription(runner: RunnerProcess, token: str) -> dict[str, Any]:
    return dict(ok(call(runner, "GET", "/api/v1/subscriptions", token=token)))


def _until(runner: RunnerProcess, token: str, **expected: Any) -> dict[str, Any]:
    """GET /subscriptions until it shows ``expected`` (the webhooks arrive on their own), within 30 s."""

    def shown() -> dict[str, Any] | None:
        found = _subscription(runner, token)
        return found if all(found.get(key) == value for key, value in expected.items()) else None

    found = wait_for(shown, timeout=30)
    assert found, (expected, _subscription(runner, token), runner.output()[-3000:])
    return dict(found)


def _stripe_subscriptions(runner: RunnerProcess, **metadata: str) -> list[Any]:
    everything = _stripe(runner).v1.subscriptions.list(params={"limit": 100}).data
    return [s for s in everything if all(s.metadata.to_dict().get(k) == v for k, v in metadata.items())]


def _new_key(runner: RunnerProcess, token: str) -> Reply:
    return call(runner, "POST", "/api/v1/api-keys", {"name": f"key {uuid.uuid4().hex[:6]}"}, token)


def _refused_for_api_keys(reply: Reply) -> bool:
    error = reply.json["error"]
    return reply.status == 403 and error["code"] == "FORBIDDEN" and error["details"][0]["field"] == "apiKeys"


def _all_at_once(calls: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda send: send(), calls))


def _completed_export(runner: RunnerProcess, token: str, export_id: str) -> dict[str, Any]:
    def completed() -> dict[str, Any] | None:
        job = ok(call(runner, "GET", f"/api/v1/exports/{export_id}", token=token))
        assert job["status"] != "failed", job
        return job if job["status"] == "completed" else None

    job = wait_for(completed, timeout=45, interval=0.3)
    assert job, (ok(call(runner, "GET", f"/api/v1/exports/{export_id}", token=token)), runner.output()[-3000:])
    assert job["progress"] == 100 and job["downloadUrl"] and job["expiresAt"], job
    return dict(job)


def _download(url: str) -> str:
    """The file behind a presigned link, fetched as a browser would (no credentials of ours)."""
    reply = http("GET", url)
    assert reply.status == 200, (reply.status, reply.body[:500])
    return reply.body.decode()


def _customer_with_an_order(shop: Shop, name: str) -> tuple[str, str, str]:
    """A new verified customer with an address and one card order awaiting payment: (email, token, order id)."""
    runner = shop.runner
    email = f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    token, address_id = new_customer(runner, name, email=email)
    line = {"productId": shop.product_id, "variantSku": "SAF-1G", "quantity": 1}
    ok(call(runner, "POST", "/api/v1/cart/items", line, token))
    checkout = ok(call(runner, "POST", "/api/v1/orders", {"addressId": address_id, "paymentMethod": "card"}, token,
                       {"Idempotency-Key": f"e2e-{uuid.uuid4()}"}), 201)  # fmt: skip
    return email, token, str(checkout["orders"][0]["id"])


# ---------------------------------------------------------------------------------------------- subscriptions


def test_two_subscription_requests_at_once_make_one_subscription_at_stripe(runner: RunnerProcess) -> None:
    # GIVEN a new user on Free
    token, _ = new_customer(runner, "Twice")
    assert _subscription(runner, token)["id"] is None
    # WHEN their two clients ask for Pro at the same time
    replies = _all_at_once([lambda: call(runner, "POST", "/api/v1/subscriptions", {"plan": "pro"}, token)] * 2)
    # THEN one is created and the other refused, before any second Stripe call
    outcomes = Counter(r.status if r.status < 300 else f"{r.status} {r.json['error']['code']}" for r in replies)
    assert outcomes == {201: 1, "409 CONFLICT": 1}, [r.body[:300] for r in replies]
    winner = next(r.json["data"] for r in replies if r.status == 201)
    assert (winner["plan"], winner["status"]) == ("pro", "incomplete") and winner["clientSecret"]
    # AND localstripe holds exactly one subscription for this customer: the winner's
    made = _stripe_subscriptions(runner, subscriptionId=winner["id"])
    assert len(made) == 1, made
    of_customer = [s for s in _stripe_subscriptions(runner) if s.customer == made[0].customer]
    assert [s.id for s in of_customer] == [made[0].id]
    assert _subscription(runner, token)["id"] == winner["id"]


def test_a_subscription_is_paid_changed_fails_recovers_and_ends_and_the_api_key_limit_follows(
    runner: RunnerProcess,
) -> None:
    # GIVEN a new user on Free: 1 API key allowed
    token, _ = new_customer(runner, "Subscriber")
    free = _subscription(runner, token)
    assert (free["id"], free["plan"], free["status"]) == (None, "free", "active"), free
    ok(_new_key(runner, token), 201)
    assert _refused_for_api_keys(_new_key(runner, token))

    # WHEN they subscribe to Pro and pay the first invoice as Stripe.js confirms its clientSecret
    started = ok(call(runner, "POST", "/api/v1/subscriptions", {"plan": "pro"}, token), 201)
    assert (started["plan"], started["status"], started["cancelAtPeriodEnd"]) == ("pro", "incomplete", False)
    intent_id = started["clientSecret"].split("_secret_")[0]
    assert intent_id.startswith("pi_"), started["clientSecret"]
    stripe = _stripe(runner)
    method = stripe.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})  # fmt: skip
    stripe.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    assert stripe.v1.payment_intents.confirm(intent_id).status == "succeeded"

    # THEN localstripe's signed webhooks make it active Pro, with no client secret any more
    active = _until(runner, token, status="active", plan="pro")
    assert active["id"] == started["id"] and active.get("clientSecret") is None
    assert active["usage"]["exports"] == 0 and active["currentPeriodEnd"]
    (at_stripe,) = _stripe_subscriptions(runner, subscriptionId=started["id"])
    assert at_stripe.status == "active"
    # AND Pro's 10 keys: a second one is allowed now
    ok(_new_key(runner, token), 201)

    # AND the paid invoice is listed with Stripe's hosted page
    def paid_invoices() -> list[dict[str, Any]]:
        return [i for i in ok(call(runner, "GET", "/api/v1/invoices", token=token)) if i["status"] == "paid"]

    paid = wait_for(paid_invoices, timeout=30)
    assert [(i["amount"]["amount"], i["amountPaid"]["amount"]) for i in paid] == [(2900, 2900)], paid
    assert paid[0]["hostedInvoiceUrl"].startswith("https://") and paid[0]["id"] in paid[0]["hostedInvoiceUrl"]

    # WHEN they move to Enterprise mid-period
    changed = ok(call(runner, "PUT", f"/api/v1/subscriptions/{started['id']}", {"plan": "enterprise"}, token))
    assert changed["plan"] == "enterprise"
    # THEN Stripe prorates: the unused Pro time credited, the Enterprise time left charged, for the next invoice
    items = stripe.v1.invoice_items.list(params={"customer": at_stripe.customer}).data
    assert sorted(i.amount > 0 for i in items) == [False, True], [(i.amount, i.description) for i in items]
    assert all(i.proration for i in items) and sum(i.amount for i in items) > 0  # Enterprise costs more
    assert stripe.v1.subscriptions.retrieve(at_stripe.id)["items"].data[0].price.id == "price_souk_enterprise"
    _until(runner, token, status="active", plan="enterprise")

    # WHEN the renewal's payment fails
    assert _hook(runner, f"/billing/subscriptions/{at_stripe.id}/fail")["status"] == "past_due"
    # THEN the subscription is past_due and keeps its plan through the grace: a third key is still allowed
    _until(runner, token, status="past_due", plan="enterprise")
    ok(_new_key(runner, token), 201)
    open_invoice = wait_for(lambda: [i for i in ok(call(runner, "GET", "/api/v1/invoices", token=token))
                                     if i["status"] == "open"], timeout=30)  # fmt: skip
    assert len(open_invoice) == 1, open_invoice
    assert open_invoice[0]["amountPaid"]["amount"] == 0

    # WHEN that invoice is paid after all, then they cancel at the period's end and the period ends
    _hook(runner, f"/billing/invoices/{open_invoice[0]['id']}/pay")
    _until(runner, token, status="active", plan="enterprise")
    ending = ok(call(runner, "PUT", f"/api/v1/subscriptions/{started['id']}", {"cancelAtPeriodEnd": True}, token))
    assert ending["cancelAtPeriodEnd"] is True and ending["status"] == "active"
    assert _until(runner, token, cancelAtPeriodEnd=True)["plan"] == "enterprise"
    assert _hook(runner, f"/billing/subscriptions/{at_stripe.id}/renew")["status"] == "canceled"

    # THEN the subscription is shown canceled and they are back on Free: the keys they hold stay, a fourth is
    # refused by Free's limit of 1
    ended = _until(runner, token, status="canceled")
    assert ended["id"] == started["id"] and ended.get("clientSecret") is None, ended
    assert _refused_for_api_keys(_new_key(runner, token))

    # AND every invoice ended paid (the first and the renewal paid after its failure: invoice.paid arrives on its
    # own, after or before the subscription's event)
    def settled() -> Counter[str] | None:
        statuses = Counter(i["status"] for i in ok(call(runner, "GET", "/api/v1/invoices", token=token)))
        return statuses if statuses["paid"] == 2 and statuses["open"] == 0 else None

    assert wait_for(settled, timeout=30), ok(call(runner, "GET", "/api/v1/invoices", token=token))
    # AND an ended subscription is no longer live: they may subscribe again
    again = ok(call(runner, "POST", "/api/v1/subscriptions", {"plan": "pro"}, token), 201)
    assert again["id"] != started["id"] and again["status"] == "incomplete"


# ---------------------------------------------------------------------------------------------- GDPR, exports


def test_a_customer_downloads_their_data_then_erases_their_account(shop: Shop) -> None:
    runner = shop.runner
    # GIVEN a customer with an address and an order, and another customer with theirs
    email, token, order_id = _customer_with_an_order(shop, "Grace Export")
    other_email, _, other_order = _customer_with_an_order(shop, "Other Person")

    # WHEN they ask for their data
    job = ok(call(runner, "GET", "/api/v1/me/export", token=token), 202)
    assert (job["type"], job["status"], job["downloadUrl"]) == ("account", "queued", None), job
    # THEN the exports worker builds it and the link gives the file: theirs, nothing of the other's
    done = _completed_export(runner, token, job["id"])
    text = _download(done["downloadUrl"])
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert len(rows) == done["rowCount"] and all(row.get("kind") for row in rows), rows[:3]
    kinds = Counter(row["kind"] for row in rows)
    assert {"profile", "order"} <= set(kinds), kinds
    assert email in text and order_id in text and "1 Elm St" in text
    assert other_email not in text and other_order not in text
    assert "passwordHash" not in text and PASSWORD not in text

    # WHEN they delete their account
    erased = ok(call(runner, "DELETE", "/api/v1/me", {"password": PASSWORD}, token), 202)
    assert erased["status"] == "deleting", erased
    # THEN sign-in is refused at once, as for an unknown account, and so is the session they had
    refused = call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert (refused.status, refused.json["error"]["code"]) == (401, "INVALID_CREDENTIALS")
    assert call(runner, "GET", "/api/v1/subscriptions", token=token).status == 401

    # AND the privacy worker erases it and the confirmation email reaches the outbox
    def confirmation() -> list[dict[str, Any]]:
        sent = http("GET", runner.url(f"/api/_dev/outbox?to={email}&channel=email")).json["data"]
        return [m for m in sent if m["subject"] == "Your Souk account was deleted"]

    mail = wait_for(confirmation, timeout=45)
    assert len(mail) == 1, (mail, runner.output()[-3000:])
    assert "Grace Export" in mail[0]["text"]
    # the order is kept for the store's records, the other customer untouched
    assert login(runner, other_email, PASSWORD)


def test_an_admin_exports_every_order_and_downloads_the_csv(shop: Shop) -> None:
    runner = shop.runner
    # GIVEN two customers' orders
    _, _, first = _customer_with_an_order(shop, "Csv One")
    _, _, second = _customer_with_an_order(shop, "Csv Two")
    # WHEN an admin exports the orders as CSV
    job = ok(call(runner, "POST", "/api/v1/exports", {"type": "orders", "format": "csv"}, shop.admin), 202)
    assert (job["type"], job["format"], job["status"]) == ("orders", "csv", "queued"), job
    # THEN the worker completes it and the presigned link serves the file over HTTP
    done = _completed_export(runner, shop.admin, job["id"])
    table = list(csv.DictReader(io.StringIO(_download(done["downloadUrl"]))))
    assert len(table) == done["rowCount"] >= 2
    by_id = {row["id"]: row for row in table}
    assert {first, second} <= set(by_id), sorted(by_id)
    assert [by_id[order]["status"] for order in (first, second)] == ["pending_payment"] * 2
    assert by_id[first]["customerId"] != by_id[second]["customerId"]
