"""Stripe Billing on localstripe (infra/local/localstripe_billing.py), driven by the real stripe SDK.

The calls of ``souk.billing.gateway`` (customers and subscriptions with idempotency keys,
``default_incomplete`` with the first invoice's client secret expanded, a price change with
prorations, ``cancel_at_period_end``, cancel), invoices, the first payment with a test card, the
dev hooks (pay, renew, fail, unpaid) and the signed events the webhook route will meet.
Needs localstripe only (no DynamoDB Local).
"""

from __future__ import annotations

import calendar
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import stripe
from stripe import StripeClient

from infra.local.localstripe import PRICES, TEST_SECRET_KEY, LocalStripe
from tests.stripe_support import WebhookReceiver, dev_hook

WEBHOOK_SECRET = "whsec_billing_test"
PRO, ENTERPRISE = PRICES["STRIPE_PRICE_PRO"], PRICES["STRIPE_PRICE_ENTERPRISE"]
# What souk.billing.gateway expands on a new subscription (both API shapes of the client secret).
EXPAND = ["latest_invoice.payment_intent", "latest_invoice.confirmation_secret"]


@pytest.fixture
def client(stripe_fake: LocalStripe) -> StripeClient:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": stripe_fake.url}, max_network_retries=0)


def _dev_hook_error(server: LocalStripe, path: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(urllib.error.HTTPError) as refused:
        dev_hook(server, path)
    return refused.value.code, json.loads(refused.value.read())["error"]


def _customer(client: StripeClient, subscriber: str = "user#u-1", key: str | None = None) -> stripe.Customer:
    return client.v1.customers.create(
        params={"metadata": {"subscriber": subscriber}, "email": "ada@example.com", "name": "Ada"},
        options={"idempotency_key": key or f"customer-{uuid.uuid4().hex}"},
    )


def _subscribe(client: StripeClient, customer: str, price: str = PRO, key: str | None = None) -> dict[str, Any]:
    """``souk.billing.gateway.create_subscription``'s call, as a dict."""
    params: dict[str, Any] = {"customer": customer, "items": [{"price": price}],
                              "metadata": {"subscriber": "user#u-1", "subscriptionId": "s-1", "plan": "pro"},
                              "payment_behavior": "default_incomplete", "expand": EXPAND,
                              "payment_settings": {"save_default_payment_method": "on_subscription"}}  # fmt: skip
    created = client.v1.subscriptions.create(params=params,  # type: ignore[arg-type]
                                             options={"idempotency_key": key or f"sub-{uuid.uuid4().hex}"})  # fmt: skip
    return created.to_dict()


def _active(client: StripeClient, server: LocalStripe, price: str = PRO) -> dict[str, Any]:
    """A subscription whose first invoice was paid (by the dev hook)."""
    subscription = _subscribe(client, _customer(client).id, price)
    dev_hook(server, f"/billing/invoices/{subscription['latest_invoice']['id']}/pay")
    return client.v1.subscriptions.retrieve(subscription["id"]).to_dict()


def _events(client: StripeClient, event_type: str, object_id: str) -> list[stripe.Event]:
    """The events recorded about ``object_id``, oldest first."""
    events = client.v1.events.list(params={"type": event_type, "limit": 100}).auto_paging_iter()
    return sorted((event for event in events if event.data.object["id"] == object_id), key=lambda e: e.created)


def _month_after(start: int) -> int:
    moment = datetime.fromtimestamp(start, UTC)
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp())


class _Receiver(WebhookReceiver):
    def event(self, event_type: str, object_id: str, within: float = 20.0, **fields: Any) -> stripe.Event:
        """The delivery, verified as our webhook route verifies it."""
        body, signature = self.wait_for(event_type, object_id, within, **fields)
        return stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)


@pytest.fixture
def receiver(stripe_fake: LocalStripe) -> Iterator[_Receiver]:
    receiver = _Receiver(stripe_fake, WEBHOOK_SECRET)
    try:
        yield receiver
    finally:
        receiver.close()


# ---------------------------------------------------------------- prices and customers


def test_the_plans_prices_exist_under_the_ids_the_settings_hold_even_after_a_flush(
    client: StripeClient, stripe_fake: LocalStripe
) -> None:
    from souk.plans import catalog
    from souk.settings import get_settings

    # GIVEN the environment the tests and the runner give the functions
    settings = get_settings()
    assert (settings.stripe_price_pro, settings.stripe_price_enterprise) == (PRO, ENTERPRISE)
    assert (catalog.PLANS["pro"].stripe_price(), catalog.PLANS["enterprise"].stripe_price()) == (PRO, ENTERPRISE)
    # WHEN localstripe forgets everything
    stripe_fake.clear()
    # THEN both prices are still there: recurring monthly, in USD, at the plans' amounts
    for price_id, amount in ((PRO, 2900), (ENTERPRISE, 9900)):
        price = client.v1.prices.retrieve(price_id)
        assert (price.id, price.object, price.unit_amount, price.currency, price.type) == (
            price_id, "price", amount, "usd", "recurring")  # fmt: skip
        assert (price.recurring.interval, price.recurring.interval_count, price.active) == ("month", 1, True)
    listed = {price.id for price in client.v1.prices.list(params={"active": True, "limit": 100}).data}
    assert {PRO, ENTERPRISE} <= listed


def test_a_customer_created_twice_with_one_idempotency_key_is_one_customer(client: StripeClient) -> None:
    key = f"customer-{uuid.uuid4().hex}"
    # WHEN the same customer is asked for twice with one key
    first = _customer(client, key=key)
    again = _customer(client, key=key)
    # THEN the second answer is the first one, replayed
    assert first.id.startswith("cus_") and again.id == first.id
    assert (again.email, again.metadata["subscriber"]) == ("ada@example.com", "user#u-1")
    assert again.last_response is not None and again.last_response.headers.get("Idempotent-Replayed") == "true"
    # AND the key with other parameters is Stripe's idempotency error
    with pytest.raises(stripe.IdempotencyError) as reused:
        _customer(client, subscriber="team#t-9", key=key)
    assert reused.value.http_status == 400


# ---------------------------------------------------------------- a new subscription and its first payment


def test_a_default_incomplete_subscription_waits_on_an_open_invoice_with_its_client_secret(
    client: StripeClient,
) -> None:
    customer = _customer(client)
    key = f"sub-{uuid.uuid4().hex}"
    # WHEN a subscription to Pro is created the way the gateway does
    subscription = _subscribe(client, customer.id, key=key)
    # THEN it is incomplete, with our metadata, one item on the Pro price for one month from now
    assert subscription["id"].startswith("sub_") and subscription["object"] == "subscription"
    assert (subscription["status"], subscription["customer"], subscription["cancel_at_period_end"]) == (
        "incomplete", customer.id, False)  # fmt: skip
    assert subscription["metadata"] == {"subscriber": "user#u-1", "subscriptionId": "s-1", "plan": "pro"}
    (item,) = subscription["items"]["data"]
    assert item["id"].startswith("si_") and (item["price"]["id"], item["price"]["unit_amount"]) == (PRO, 2900)
    assert abs(item["current_period_start"] - time.time()) < 60
    assert item["current_period_end"] == _month_after(item["current_period_start"])
    # AND its first invoice is open for the price, its intent's client secret under both expansions
    invoice = subscription["latest_invoice"]
    assert invoice["id"].startswith("in_")
    assert (invoice["status"], invoice["amount_due"], invoice["amount_paid"], invoice["currency"]) == (
        "open", 2900, 0, "usd")  # fmt: skip
    assert invoice["billing_reason"] == "subscription_create" and invoice["customer"] == customer.id
    assert invoice["parent"]["subscription_details"]["subscription"] == subscription["id"]
    assert (invoice["period_start"], invoice["period_end"]) == (item["current_period_start"],
                                                                item["current_period_end"])  # fmt: skip
    intent = invoice["payment_intent"]
    assert (intent["status"], intent["amount"], intent["currency"]) == ("requires_payment_method", 2900, "usd")
    assert intent["client_secret"].startswith(intent["id"] + "_secret_")
    assert invoice["confirmation_secret"] == {"client_secret": intent["client_secret"], "type": "payment_intent"}
    # AND without the expansion the invoice is an id and the secret is not shown
    plain = client.v1.invoices.retrieve(invoice["id"]).to_dict()
    assert client.v1.subscriptions.retrieve(subscription["id"]).latest_invoice == invoice["id"]
    assert "confirmation_secret" not in plain and plain["payment_intent"] == intent["id"]
    # AND the same key replays the same subscription: one subscription for the customer
    assert _subscribe(client, customer.id, key=key)["id"] == subscription["id"]
    listed = client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data
    assert [sub.id for sub in listed] == [subscription["id"]]
    # AND created, then the invoice created and finalized, were recorded
    assert [e.data.object["status"] for e in _events(client, "customer.subscription.created", subscription["id"])] == [
        "incomplete"]  # fmt: skip
    assert len(_events(client, "invoice.created", invoice["id"])) == 1
    assert [e.data.object["status"] for e in _events(client, "invoice.finalized", invoice["id"])] == ["open"]


def test_confirming_the_first_payment_with_a_test_card_activates_the_subscription_with_signed_events(
    client: StripeClient, receiver: _Receiver
) -> None:
    subscription = _subscribe(client, _customer(client).id)
    invoice, intent = subscription["latest_invoice"], subscription["latest_invoice"]["payment_intent"]
    # WHEN the client confirms the intent with a test card
    confirmed = client.v1.payment_intents.confirm(intent["id"], params={"payment_method": "pm_card_visa"})
    # THEN the payment succeeded, the invoice is paid and the subscription active, the card its default
    assert confirmed.status == "succeeded"
    paid = client.v1.invoices.retrieve(invoice["id"])
    assert (paid.status, paid.amount_paid, paid.amount_remaining, paid.attempt_count) == ("paid", 2900, 0, 1)
    assert paid.status_transitions.paid_at is not None
    active = client.v1.subscriptions.retrieve(subscription["id"])
    assert active.status == "active" and active.default_payment_method == confirmed.payment_method
    # AND invoice.paid and customer.subscription.updated (incomplete -> active) arrive signed, with `created`
    delivered_paid = receiver.event("invoice.paid", invoice["id"])
    assert delivered_paid.data.object["status"] == "paid" and delivered_paid.data.object["amount_paid"] == 2900
    assert isinstance(delivered_paid.created, int) and abs(delivered_paid.created - time.time()) < 60
    updated = receiver.event("customer.subscription.updated", subscription["id"], status="active")
    assert updated.data.previous_attributes["status"] == "incomplete"
    assert updated.data.object["metadata"]["subscriptionId"] == "s-1"
    created = receiver.event("customer.subscription.created", subscription["id"])
    assert created.data.object["status"] == "incomplete"


def test_a_declined_card_leaves_the_subscription_incomplete_and_another_card_pays(
    client: StripeClient, receiver: _Receiver
) -> None:
    subscription = _subscribe(client, _customer(client).id)
    invoice, intent = subscription["latest_invoice"], subscription["latest_invoice"]["payment_intent"]
    # WHEN the first card is declined
    with pytest.raises(stripe.CardError) as declined:
        client.v1.payment_intents.confirm(intent["id"], params={"payment_method": "pm_card_visa_chargeDeclined"})
    # THEN Stripe's 402, the invoice still open after one attempt, the subscription incomplete
    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    still_open = client.v1.invoices.retrieve(invoice["id"])
    assert (still_open.status, still_open.attempt_count, still_open.amount_paid) == ("open", 1, 0)
    assert client.v1.subscriptions.retrieve(subscription["id"]).status == "incomplete"
    failed = receiver.event("invoice.payment_failed", invoice["id"])
    assert failed.data.object["last_finalization_error"]["code"] == "card_declined"
    # WHEN another card is confirmed on the same intent
    assert client.v1.payment_intents.confirm(intent["id"], params={"payment_method": "pm_card_visa"}).status == (
        "succeeded")  # fmt: skip
    # THEN it pays
    assert client.v1.invoices.retrieve(invoice["id"]).status == "paid"
    assert client.v1.subscriptions.retrieve(subscription["id"]).status == "active"


def test_the_pay_dev_hook_pays_the_first_invoice_without_a_card(client: StripeClient, stripe_fake: LocalStripe) -> None:
    subscription = _subscribe(client, _customer(client).id, ENTERPRISE)
    invoice = subscription["latest_invoice"]
    # WHEN the hook pays it
    paid = dev_hook(stripe_fake, f"/billing/invoices/{invoice['id']}/pay")
    # THEN it is paid out of band, the subscription active, and its intent can no longer charge
    assert (paid["status"], paid["amount_paid"], paid["paid_out_of_band"]) == ("paid", 9900, True)
    assert client.v1.subscriptions.retrieve(subscription["id"]).status == "active"
    assert client.v1.payment_intents.retrieve(invoice["payment_intent"]["id"]).status == "canceled"
    assert [e.data.object["status"] for e in _events(client, "invoice.paid", invoice["id"])] == ["paid"]
    # AND a second payment is refused
    status, error = _dev_hook_error(stripe_fake, f"/billing/invoices/{invoice['id']}/pay")
    assert (status, error["type"]) == (400, "invalid_request_error")


# ---------------------------------------------------------------- changes


def test_an_upgrade_with_prorations_keeps_the_item_and_leaves_proration_items_the_renewal_bills(
    client: StripeClient, stripe_fake: LocalStripe
) -> None:
    subscription = _active(client, stripe_fake)
    (item,) = subscription["items"]["data"]
    # WHEN the price changes to Enterprise with prorations (the gateway's update)
    updated = client.v1.subscriptions.update(subscription["id"], params={
        "items": [{"id": item["id"], "price": ENTERPRISE}], "proration_behavior": "create_prorations",
        "metadata": {"plan": "enterprise"}}, options={"idempotency_key": f"up-{uuid.uuid4().hex}"})  # fmt: skip
    # THEN the same item now bills Enterprise, for the same period, and the subscription is still active
    (changed,) = updated["items"]["data"]
    assert (changed["id"], changed["price"]["id"], updated.status) == (item["id"], ENTERPRISE, "active")
    assert changed["current_period_end"] == item["current_period_end"]
    assert updated.metadata["plan"] == "enterprise" and updated.metadata["subscriber"] == "user#u-1"
    # AND two pending proration items: the unused Pro time credited, the Enterprise time left charged
    pending = client.v1.invoice_items.list(params={"customer": subscription["customer"]}).data
    assert sorted(ii.amount for ii in pending) == [-2900, 9900] and all(ii.proration for ii in pending)
    # AND customer.subscription.updated says what the price was
    (event,) = _events(client, "customer.subscription.updated", subscription["id"])[-1:]
    assert event.data.previous_attributes["items"]["data"][0]["price"]["id"] == PRO
    # WHEN the period ends
    renewed = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/renew")
    # THEN the next invoice bills Enterprise plus the prorations (9900 + 9900 - 2900), paid
    invoice = renewed["latest_invoice"]
    assert (invoice["billing_reason"], invoice["status"], invoice["amount_paid"]) == ("subscription_cycle", "paid",
                                                                                      16900)  # fmt: skip
    assert invoice["lines"]["total_count"] == 3
    assert client.v1.invoice_items.list(params={"customer": subscription["customer"]}).data == []
    # AND the new period starts where the last one ended
    (next_item,) = renewed["items"]["data"]
    assert next_item["current_period_start"] == item["current_period_end"]
    assert next_item["current_period_end"] == _month_after(item["current_period_end"])


def test_a_change_without_prorations_leaves_no_proration_items(client: StripeClient, stripe_fake: LocalStripe) -> None:
    subscription = _active(client, stripe_fake, ENTERPRISE)
    (item,) = subscription["items"]["data"]
    # WHEN the price changes down with proration_behavior=none
    updated = client.v1.subscriptions.update(subscription["id"], params={
        "items": [{"id": item["id"], "price": PRO}], "proration_behavior": "none"})  # fmt: skip
    # THEN the price changed and nothing is pending: the next invoice bills Pro alone
    assert updated["items"]["data"][0]["price"]["id"] == PRO
    assert client.v1.invoice_items.list(params={"customer": subscription["customer"]}).data == []
    renewed = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/renew")
    assert renewed["latest_invoice"]["amount_paid"] == 2900


def test_cancel_at_period_end_ends_the_subscription_at_renewal_and_can_be_undone(
    client: StripeClient, stripe_fake: LocalStripe, receiver: _Receiver
) -> None:
    subscription = _active(client, stripe_fake)
    end = subscription["items"]["data"][0]["current_period_end"]
    # WHEN it is set to cancel at the period's end, then unset, then set again
    scheduled = client.v1.subscriptions.update(subscription["id"], params={"cancel_at_period_end": True})
    assert (scheduled.status, scheduled.cancel_at_period_end, scheduled.cancel_at) == ("active", True, end)
    undone = client.v1.subscriptions.update(subscription["id"], params={"cancel_at_period_end": False})
    assert (undone.cancel_at_period_end, undone.cancel_at) == (False, None)
    client.v1.subscriptions.update(subscription["id"], params={"cancel_at_period_end": True})
    updated = receiver.event("customer.subscription.updated", subscription["id"], cancel_at_period_end=True)
    assert updated.data.previous_attributes["cancel_at_period_end"] is False
    # WHEN the period ends
    ended = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/renew")
    # THEN it is canceled at the period end, no new invoice, and customer.subscription.deleted arrives
    assert (ended["status"], ended["ended_at"], ended["latest_invoice"]["id"]) == (
        "canceled", end, subscription["latest_invoice"])  # fmt: skip
    deleted = receiver.event("customer.subscription.deleted", subscription["id"])
    assert deleted.data.object["status"] == "canceled"
    # AND a canceled subscription renews no more
    status, error = _dev_hook_error(stripe_fake, f"/billing/subscriptions/{subscription['id']}/renew")
    assert (status, error["type"]) == (400, "invalid_request_error")


def test_cancel_now_then_again_and_an_unknown_subscription(client: StripeClient, stripe_fake: LocalStripe) -> None:
    subscription = _active(client, stripe_fake)
    # WHEN it is canceled now (the gateway's cancel)
    canceled = client.v1.subscriptions.cancel(subscription["id"])
    # THEN it is canceled, and customer.subscription.deleted was recorded
    assert canceled.status == "canceled" and canceled.canceled_at is not None
    assert canceled.ended_at == canceled.canceled_at
    assert canceled.cancellation_details.reason == "cancellation_requested"
    assert [e.data.object["status"] for e in _events(client, "customer.subscription.deleted", canceled.id)] == [
        "canceled"]  # fmt: skip
    # AND canceling it again, or one that never existed, is Stripe's 404 resource_missing
    for missing in (subscription["id"], "sub_1nope"):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.subscriptions.cancel(missing)
        assert (refused.value.http_status, refused.value.code) == (404, "resource_missing")
    # AND a canceled subscription takes no new price
    with pytest.raises(stripe.InvalidRequestError) as frozen:
        client.v1.subscriptions.update(subscription["id"], params={"items": [{"price": ENTERPRISE}]})
    assert frozen.value.http_status == 400
    # AND it is listed only among the ended ones
    assert client.v1.subscriptions.list(params={"customer": subscription["customer"]}).data == []


def test_a_subscription_to_an_unknown_price_or_customer_is_refused(client: StripeClient) -> None:
    customer = _customer(client)
    with pytest.raises(stripe.InvalidRequestError) as price:
        _subscribe(client, customer.id, "price_nope")
    with pytest.raises(stripe.InvalidRequestError) as who:
        _subscribe(client, "cus_nope")
    assert (price.value.http_status, price.value.code, price.value.param) == (400, "resource_missing",
                                                                              "items[0][price]")  # fmt: skip
    assert (who.value.http_status, who.value.code, who.value.param) == (400, "resource_missing", "customer")
    assert client.v1.subscriptions.list(params={"customer": customer.id, "status": "all"}).data == []


# ---------------------------------------------------------------- renewals that fail


def test_a_failed_renewal_turns_past_due_then_unpaid_and_paying_the_invoice_reactivates(
    client: StripeClient, stripe_fake: LocalStripe, receiver: _Receiver
) -> None:
    subscription = _active(client, stripe_fake)
    first_end = subscription["items"]["data"][0]["current_period_end"]
    # WHEN the renewal's payment fails
    failed = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/fail")
    # THEN a new period started, its invoice is open after one attempt, the subscription past_due
    invoice = failed["latest_invoice"]
    assert failed["status"] == "past_due" and failed["items"]["data"][0]["current_period_start"] == first_end
    assert (invoice["status"], invoice["attempt_count"], invoice["amount_due"], invoice["billing_reason"]) == (
        "open", 1, 2900, "subscription_cycle")  # fmt: skip
    assert invoice["next_payment_attempt"] > time.time()
    payment_failed = receiver.event("invoice.payment_failed", invoice["id"])
    assert payment_failed.data.object["attempt_count"] == 1
    past_due = receiver.event("customer.subscription.updated", subscription["id"], status="past_due")
    assert past_due.data.previous_attributes["status"] == "active"
    # WHEN the retry fails too, and then the retries are over
    retried = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/fail")
    assert (retried["latest_invoice"]["id"], retried["latest_invoice"]["attempt_count"]) == (invoice["id"], 2)
    assert len(_events(client, "invoice.payment_failed", invoice["id"])) == 2
    unpaid = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/unpaid")
    # THEN it is unpaid, the invoice still open
    assert unpaid["status"] == "unpaid" and unpaid["latest_invoice"]["status"] == "open"
    receiver.event("customer.subscription.updated", subscription["id"], status="unpaid")
    # WHEN the invoice is paid (invoices.pay): with no saved card, refused; with a new card, paid
    with pytest.raises(stripe.InvalidRequestError) as no_card:
        client.v1.invoices.pay(invoice["id"])
    assert no_card.value.http_status == 400
    paid = client.v1.invoices.pay(invoice["id"], params={"payment_method": "pm_card_visa"})
    # THEN it is paid and the subscription active again
    assert (paid.status, paid.amount_paid) == ("paid", 2900)
    assert client.v1.subscriptions.retrieve(subscription["id"]).status == "active"
    receiver.event("invoice.paid", invoice["id"])


def test_only_a_past_due_subscription_turns_unpaid_and_an_incomplete_one_does_not_renew(
    client: StripeClient, stripe_fake: LocalStripe
) -> None:
    active = _active(client, stripe_fake)
    incomplete = _subscribe(client, _customer(client).id)
    assert _dev_hook_error(stripe_fake, f"/billing/subscriptions/{active['id']}/unpaid")[0] == 400
    assert _dev_hook_error(stripe_fake, f"/billing/subscriptions/{incomplete['id']}/renew")[0] == 400
    assert client.v1.subscriptions.retrieve(active["id"]).status == "active"
    assert client.v1.subscriptions.retrieve(incomplete["id"]).status == "incomplete"


# ---------------------------------------------------------------- invoices


def test_invoices_are_listed_newest_first_by_customer_and_by_subscription(
    client: StripeClient, stripe_fake: LocalStripe
) -> None:
    subscription = _active(client, stripe_fake)
    renewed = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/renew")
    other = _active(client, stripe_fake)
    # WHEN its invoices are listed by customer and by subscription
    by_customer = client.v1.invoices.list(params={"customer": subscription["customer"]}).data
    by_subscription = client.v1.invoices.list(params={"subscription": subscription["id"]}).data
    # THEN both hold its two invoices, newest first, and none of the other customer's
    expected = [renewed["latest_invoice"]["id"], subscription["latest_invoice"]]
    assert [invoice.id for invoice in by_customer] == expected == [invoice.id for invoice in by_subscription]
    assert [invoice.billing_reason for invoice in by_customer] == ["subscription_cycle", "subscription_create"]
    assert other["latest_invoice"] not in {invoice.id for invoice in by_customer}
    # AND one is retrieved as listed, with its line for the price and period
    fetched = client.v1.invoices.retrieve(expected[1])
    assert fetched.to_dict() == by_customer[1].to_dict()
    (line,) = fetched.lines.data
    assert (line.amount, line.pricing.price_details.price) == (2900, PRO)
    assert line.period.start == fetched.period_start and line.period.end == fetched.period_end
    # AND an unknown invoice is Stripe's 404
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.invoices.retrieve("in_1nope")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


# ---------------------------------------------------------------- souk.billing.gateway itself


def test_the_gateways_own_calls_run_against_it(stripe_fake: LocalStripe) -> None:
    gateway = pytest.importorskip("souk.billing.gateway")
    objects = pytest.importorskip("souk.billing.objects")
    tag = uuid.uuid4().hex
    # WHEN the gateway makes a customer (twice, one key) and an incomplete subscription
    customer = gateway.create_customer(metadata={"subscriber": "user#u-7"}, idempotency_key=f"c-{tag}",
                                       email="grace@example.com")  # fmt: skip
    assert gateway.create_customer(metadata={"subscriber": "user#u-7"}, idempotency_key=f"c-{tag}",
                                   email="grace@example.com") == customer  # fmt: skip
    created = gateway.create_subscription(customer, PRO, metadata={"subscriber": "user#u-7"},
                                          idempotency_key=f"s-{tag}")  # fmt: skip
    # THEN what the service reads from it is there
    assert created["status"] == "incomplete" and objects.price_id(created) == PRO
    secret = objects.client_secret(created)
    assert secret is not None and secret.startswith(created["latest_invoice"]["payment_intent"]["id"])
    start, end = objects.period(created)
    assert start is not None and end is not None and int(end.timestamp()) == _month_after(int(start.timestamp()))
    # WHEN the first invoice is paid, the plan changes and the subscription is canceled
    dev_hook(stripe_fake, f"/billing/invoices/{created['latest_invoice']['id']}/pay")
    item = objects.first_item(created)["id"]
    updated = gateway.update_subscription(created["id"], {"items": [{"id": item, "price": ENTERPRISE}],
                                                          "proration_behavior": "create_prorations",
                                                          "cancel_at_period_end": False},
                                          idempotency_key=f"u-{tag}")  # fmt: skip
    assert (updated["status"], objects.price_id(updated)) == ("active", ENTERPRISE)
    assert gateway.cancel_subscription(created["id"])["status"] == "canceled"
    # THEN canceling what is gone is None, not an error
    assert gateway.cancel_subscription(created["id"]) is None


# ---------------------------------------------------------------- charging a saved card


def _with_card(client: StripeClient) -> stripe.Customer:
    """A customer whose default payment method is a test card that pays."""
    customer = _customer(client)
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})  # fmt: skip
    client.v1.payment_methods.attach(method.id, params={"customer": customer.id})
    return client.v1.customers.update(customer.id, params={"invoice_settings": {"default_payment_method": method.id}})


def test_allow_incomplete_charges_the_default_card_at_once_and_needs_one(client: StripeClient) -> None:
    customer = _with_card(client)
    # WHEN a subscription is created with the default payment_behavior (allow_incomplete)
    subscription = client.v1.subscriptions.create(params={"customer": customer.id, "items": [{"price": ENTERPRISE}],
                                                          "expand": ["latest_invoice"]})  # fmt: skip
    # THEN the card was charged: active, the first invoice paid
    assert subscription.status == "active"
    assert (subscription.latest_invoice.status, subscription.latest_invoice.amount_paid) == ("paid", 9900)
    # AND without a default payment method it is refused, and nothing is made
    bare = _customer(client)
    for behavior in ("allow_incomplete", "error_if_incomplete"):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.subscriptions.create(
                params={"customer": bare.id, "items": [{"price": PRO}], "payment_behavior": behavior}
            )  # type: ignore[typeddict-item]
        assert refused.value.http_status == 400
    assert client.v1.subscriptions.list(params={"customer": bare.id, "status": "all"}).data == []


def test_a_renewal_charges_the_saved_card_and_always_invoice_bills_prorations_now(
    client: StripeClient, stripe_fake: LocalStripe
) -> None:
    # GIVEN a subscription paid with a card kept as its default (save_default_payment_method=on_subscription)
    subscription = _subscribe(client, _customer(client).id)
    intent = subscription["latest_invoice"]["payment_intent"]["id"]
    client.v1.payment_intents.confirm(intent, params={"payment_method": "pm_card_visa"})
    card = client.v1.subscriptions.retrieve(subscription["id"]).default_payment_method
    assert card is not None and card.startswith("pm_")
    # WHEN the period ends
    renewed = dev_hook(stripe_fake, f"/billing/subscriptions/{subscription['id']}/renew")
    # THEN its invoice was paid through an intent charged on that card
    renewal = renewed["latest_invoice"]
    assert (renewal["status"], renewal["paid_out_of_band"], renewal["amount_paid"]) == ("paid", False, 2900)
    charged = client.v1.payment_intents.retrieve(renewal["payment_intent"])
    assert (charged.status, charged.payment_method, charged.amount) == ("succeeded", card, 2900)
    # WHEN it upgrades with always_invoice
    (item,) = renewed["items"]["data"]
    updated = client.v1.subscriptions.update(subscription["id"], params={
        "items": [{"id": item["id"], "price": ENTERPRISE}], "proration_behavior": "always_invoice",
        "expand": ["latest_invoice"]})  # fmt: skip
    # THEN the prorations (9900 - 2900, pro rata of the period left: all of it) are invoiced and paid now
    invoice = updated.latest_invoice
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == ("subscription_update", "paid", 7000)
    assert client.v1.invoice_items.list(params={"customer": subscription["customer"]}).data == []
