"""Billing test helpers: a stored subscription without Stripe, Stripe-shaped objects, signed deliveries."""

from __future__ import annotations

import time
from typing import Any

from infra.local.routing import HttpResponse
from souk.billing.models import Subscription
from souk.billing.store import subscriptions
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.plans.service.entitlements import Subscriber
from tests.stripe_support import WEBHOOK_PATH, event, signed_request
from tests.support import ApiClient

DAY = 86_400


def stored_subscription(subscriber: Subscriber, stripe_id: str, *, plan: str = "pro", owner_id: str = "owner",
                        subscription_id: str | None = None) -> Subscription:  # fmt: skip
    """Our item as POST /subscriptions leaves it: the claim with Stripe's id attached (status incomplete)."""
    item = subscriptions.new_claim(subscriber.key, subscription_id or f"s-{stripe_id}", owner_id, plan)
    with WriteTransaction() as tx:
        subscriptions.claim(tx, item, utc_now())
    subscriptions.attach(item, stripe_id, {"stripe_item_id": f"si_{stripe_id}"}, 0)
    return current(subscriber)


def current(subscriber: Subscriber) -> Subscription:
    found = subscriptions.get_current(subscriber.key)
    assert found is not None
    return found


def subscription_object(stripe_id: str, status: str, subscriber: Subscriber, *, price: str = "price_souk_pro",
                        start: int | None = None, cancel_at_period_end: bool = False,
                        customer: str = "cus_test") -> dict[str, Any]:  # fmt: skip
    """A Stripe subscription as the 2025 API shapes it (the period on its item)."""
    begin = start or int(time.time()) - DAY
    return {"id": stripe_id, "object": "subscription", "status": status, "customer": customer,
            "cancel_at_period_end": cancel_at_period_end, "metadata": {"subscriber": subscriber.key},
            "items": {"data": [{"id": f"si_{stripe_id}", "price": {"id": price},
                                "current_period_start": begin, "current_period_end": begin + 30 * DAY}]}}  # fmt: skip


def invoice_object(invoice_id: str, status: str, customer: str, *, amount: int = 2900, created: int | None = None,
                   subscription: str = "sub_1") -> dict[str, Any]:  # fmt: skip
    made = created or int(time.time())
    return {"id": invoice_id, "object": "invoice", "status": status, "customer": customer, "currency": "usd",
            "amount_due": amount, "amount_paid": amount if status == "paid" else 0, "created": made,
            "hosted_invoice_url": f"https://invoice.stripe.test/{invoice_id}",
            "parent": {"subscription_details": {"subscription": subscription}},
            "lines": {"data": [{"period": {"start": made, "end": made + 30 * DAY}}]}}  # fmt: skip


def deliver(api: ApiClient, event_type: str, obj: dict[str, Any], *, created: int | None = None,
            event_id: str | None = None) -> HttpResponse:  # fmt: skip
    body, headers = signed_request(event(event_type, obj, created=created, event_id=event_id))
    response = api.post(WEBHOOK_PATH, body=body, headers=headers)
    assert response.status == 200, response.body
    return response
