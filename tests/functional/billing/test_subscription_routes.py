"""Subscription and invoice routes in-process (moto, localstripe through the real SDK): start a paid plan
(201 with the client secret), read it with the period's usage (Free when none), change the plan and
cancel at the period's end, list invoices; validation, no token, wrong team role, another's → 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from infra.local.localstripe import TEST_SECRET_KEY
from souk.db.base import utc_now
from souk.plans.rules import calendar_month
from souk.plans.service import usage
from souk.plans.service.entitlements import Subscriber
from tests.factories import create_user, token_for
from tests.functional.billing.helpers import deliver
from tests.functional.teams.helpers import TeamFixture, make_team, person
from tests.support import ApiClient, assert_error

SUBSCRIPTIONS = "/api/v1/subscriptions"


def month_end() -> str:
    """Free counts per UTC calendar month: its period ends with the month."""
    return calendar_month(utc_now())[1].strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def billing(api: ApiClient, stripe_fake: Any) -> ApiClient:
    return api


def stripe_subscription(server: Any, stripe_id: str) -> dict[str, Any]:
    from stripe import StripeClient

    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url})
    found = client.v1.subscriptions.retrieve(stripe_id, params={"expand": ["latest_invoice"]}).to_dict()
    return dict(json.loads(json.dumps(found, default=str)))  # as Stripe sends it (decimals are strings)


def pay_first_invoice(server: Any, stripe_id: str) -> dict[str, Any]:
    """What the client's card does (a dev hook pays the open invoice), then Stripe's webhook of it to us."""
    invoice = stripe_subscription(server, stripe_id)["latest_invoice"]
    paid = requests.post(f"{server.url}/billing/invoices/{invoice['id']}/pay", auth=(TEST_SECRET_KEY, ""), timeout=10)
    assert paid.status_code == 200, paid.text
    return stripe_subscription(server, stripe_id)


def test_a_user_starts_pro_pays_and_reads_it_with_usage(billing: ApiClient, stripe_fake: Any) -> None:
    buyer = person()
    free = billing.get(SUBSCRIPTIONS, token=buyer.token)
    assert free.status == 200, free.body
    assert free.json["data"] | {"usage": None} == {"id": None, "plan": "free", "status": "active",
                                                   "currentPeriodEnd": month_end(), "cancelAtPeriodEnd": False,
                                                   "clientSecret": None, "teamId": None, "usage": None}  # fmt: skip
    assert free.json["data"]["usage"]["exports"] == 0
    started = billing.post(SUBSCRIPTIONS, json_body={"plan": "pro"}, token=buyer.token)
    assert started.status == 201, started.body
    data = started.json["data"]
    assert (data["plan"], data["status"], data["cancelAtPeriodEnd"]) == ("pro", "incomplete", False)
    assert data["clientSecret"] and data["id"] and data["currentPeriodEnd"]
    # a second start while this one lives: 409, no second Stripe subscription
    assert_error(billing.post(SUBSCRIPTIONS, json_body={"plan": "enterprise"}, token=buyer.token), 409, "CONFLICT")
    from souk.billing.store import subscriptions

    stripe_id = str(subscriptions.get_current(f"user#{buyer.id}").stripe_subscription_id)  # type: ignore[union-attr]
    paid = pay_first_invoice(stripe_fake, stripe_id)
    assert paid["status"] == "active"
    deliver(billing, "customer.subscription.updated", paid, created=int(paid["created"]) + 1)
    deliver(billing, "invoice.paid", paid["latest_invoice"], created=int(paid["created"]) + 1)
    usage.reserve(Subscriber("user", buyer.id), "exports", "export-1")
    read = billing.get(SUBSCRIPTIONS, token=buyer.token)
    assert read.status == 200, read.body
    body = read.json["data"]
    assert (body["id"], body["plan"], body["status"], body["clientSecret"]) == (data["id"], "pro", "active", None)
    assert body["usage"]["exports"] == 1 and body["usage"]["apiCalls"] == 0
    invoices = billing.get("/api/v1/invoices", token=buyer.token)
    assert invoices.status == 200, invoices.body
    [invoice] = invoices.json["data"]
    assert (invoice["status"], invoice["amount"]) == ("paid", {"amount": 2900, "currency": "usd"})
    assert invoice["hostedInvoiceUrl"] is None or invoice["hostedInvoiceUrl"].startswith("http")


def _active(billing: ApiClient, server: Any, token: str, body: dict[str, Any]) -> dict[str, Any]:
    started = billing.post(SUBSCRIPTIONS, json_body=body, token=token)
    assert started.status == 201, started.body
    from souk.billing.store import subscriptions

    item = subscriptions.by_id(started.json["data"]["id"])
    assert item is not None
    paid = pay_first_invoice(server, str(item.stripe_subscription_id))
    deliver(billing, "customer.subscription.updated", paid, created=int(paid["created"]) + 1)
    return dict(started.json["data"])


def test_a_plan_change_is_prorated_and_cancel_at_period_end_is_undone(billing: ApiClient, stripe_fake: Any) -> None:
    buyer = person()
    sub = _active(billing, stripe_fake, buyer.token, {"plan": "pro"})
    path = f"{SUBSCRIPTIONS}/{sub['id']}"
    changed = billing.put(path, json_body={"plan": "enterprise"}, token=buyer.token)
    assert changed.status == 200, changed.body
    assert changed.json["data"]["plan"] == "enterprise"
    from souk.billing.store import subscriptions

    stripe_id = str(subscriptions.by_id(sub["id"]).stripe_subscription_id)  # type: ignore[union-attr]
    at_stripe = stripe_subscription(stripe_fake, stripe_id)
    assert at_stripe["items"]["data"][0]["price"]["id"] == "price_souk_enterprise"
    pending = requests.get(f"{stripe_fake.url}/v1/invoiceitems", params={"customer": at_stripe["customer"]},
                           auth=(TEST_SECRET_KEY, ""), timeout=10).json()["data"]  # fmt: skip
    assert len(pending) == 2  # the unused Pro time credited, the Enterprise rest charged
    cancelled = billing.put(path, json_body={"cancelAtPeriodEnd": True}, token=buyer.token)
    assert cancelled.status == 200 and cancelled.json["data"]["cancelAtPeriodEnd"] is True
    assert stripe_subscription(stripe_fake, stripe_id)["cancel_at_period_end"] is True
    undone = billing.put(path, json_body={"cancelAtPeriodEnd": False}, token=buyer.token)
    assert undone.json["data"]["cancelAtPeriodEnd"] is False
    # another user's subscription: 404, as an unknown id
    assert_error(billing.put(path, json_body={"plan": "pro"}, token=person().token), 404, "NOT_FOUND")
    # "own" holds for a platform admin too: no changing someone else's plan
    admin_token = token_for(create_user("admin"))
    assert_error(billing.put(path, json_body={"cancelAtPeriodEnd": True}, token=admin_token), 404, "NOT_FOUND")
    assert_error(billing.put(f"{SUBSCRIPTIONS}/nope", json_body={"plan": "pro"}, token=buyer.token), 404, "NOT_FOUND")


def test_team_subscriptions_are_for_admins_members_read_strangers_get_404(billing: ApiClient,
                                                                         stripe_fake: Any) -> None:  # fmt: skip
    team: TeamFixture = make_team(billing)
    admin, member, stranger = team.people["admin"], team.people["member"], person()
    body = {"plan": "pro", "teamId": team.id}
    assert_error(billing.post(SUBSCRIPTIONS, json_body=body, token=member.token), 403, "FORBIDDEN")
    assert_error(billing.post(SUBSCRIPTIONS, json_body=body, token=stranger.token), 404, "NOT_FOUND")
    sub = _active(billing, stripe_fake, admin.token, body)
    assert sub["teamId"] == team.id
    read = billing.get(f"{SUBSCRIPTIONS}?teamId={team.id}", token=member.token)
    assert read.status == 200 and read.json["data"]["plan"] == "pro"
    assert_error(billing.get(f"{SUBSCRIPTIONS}?teamId={team.id}", token=stranger.token), 404, "NOT_FOUND")
    path = f"{SUBSCRIPTIONS}/{sub['id']}"
    assert_error(billing.put(path, json_body={"cancelAtPeriodEnd": True}, token=member.token), 403, "FORBIDDEN")
    assert_error(billing.put(path, json_body={"cancelAtPeriodEnd": True}, token=stranger.token), 404, "NOT_FOUND")
    assert billing.put(path, json_body={"cancelAtPeriodEnd": True}, token=team.people["owner"].token).status == 200
    assert_error(billing.get(f"/api/v1/invoices?teamId={team.id}", token=member.token), 403, "FORBIDDEN")
    assert_error(billing.get(f"/api/v1/invoices?teamId={team.id}", token=stranger.token), 404, "NOT_FOUND")
    assert billing.get(f"/api/v1/invoices?teamId={team.id}", token=admin.token).status == 200
    # the caller's own subscription is not the team's
    assert billing.get(SUBSCRIPTIONS, token=admin.token).json["data"]["plan"] == "free"


@pytest.mark.parametrize("body", [{}, {"plan": "free"}, {"plan": "gold"}, {"plan": "pro", "teamId": ""},
                                  {"plan": None}])  # fmt: skip
def test_a_bad_start_is_400(api: ApiClient, stripe_offline: None, body: dict[str, Any]) -> None:
    assert_error(api.post(SUBSCRIPTIONS, json_body=body, token=person().token), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("body", [{}, {"plan": "free"}, {"plan": None}, {"cancelAtPeriodEnd": "soon"}])
def test_a_bad_change_is_400(api: ApiClient, stripe_offline: None, body: dict[str, Any]) -> None:
    assert_error(api.put(f"{SUBSCRIPTIONS}/s1", json_body=body, token=person().token), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(("method", "path"), [("GET", SUBSCRIPTIONS), ("POST", SUBSCRIPTIONS),
                                              ("PUT", f"{SUBSCRIPTIONS}/s1"), ("GET", "/api/v1/invoices")])  # fmt: skip
def test_no_token_is_401(api: ApiClient, method: str, path: str) -> None:
    response = api.request(method, path, json_body={"plan": "pro"} if method != "GET" else None)
    assert_error(response, 401, "UNAUTHORIZED")


def test_no_invoices_yet_is_an_empty_page(api: ApiClient) -> None:
    listed = api.get("/api/v1/invoices?limit=5", token=person().token)
    assert listed.status == 200 and listed.json["data"] == []
