"""Stripe Billing webhooks on DynamoDB Local: delivered in reverse order, twice, or all at once, the
subscription ends in its newest state with the entitlement that state grants, each event applied once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from souk.billing.store import customers
from souk.db.transactions import WriteTransaction
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber
from souk.settings import get_settings
from souk.webhooks import service as webhooks
from souk.webhooks.schemas import Delivery, WebhookAck
from tests.functional.billing.helpers import current, stored_subscription, subscription_object
from tests.stripe_support import event, signed_request

pytestmark = pytest.mark.integration
TEAM = Subscriber("team", "t-race")
T = int(time.time())


@pytest.fixture
def billing_hooks(table: str, stripe_offline: None, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("STRIPE_PRICE_PRO", "price_souk_pro")
    monkeypatch.setenv("STRIPE_PRICE_ENTERPRISE", "price_souk_enterprise")
    get_settings.cache_clear()
    with WriteTransaction() as tx:
        customers.add_customer(tx, TEAM.key, "cus_race")
    return table


def _delivery(event_type: str, obj: dict[str, Any], created: int, event_id: str) -> Delivery:
    body, headers = signed_request(event(event_type, obj, created=created, event_id=event_id))
    return Delivery(raw=body, signature=headers["Stripe-Signature"])


def _lifecycle() -> list[Delivery]:
    """created (incomplete) → active on Pro → upgraded to Enterprise → past_due → active again, oldest first."""
    states = [("customer.subscription.created", "incomplete", "price_souk_pro"),
              ("customer.subscription.updated", "active", "price_souk_pro"),
              ("customer.subscription.updated", "active", "price_souk_enterprise"),
              ("customer.subscription.updated", "past_due", "price_souk_enterprise"),
              ("customer.subscription.updated", "active", "price_souk_enterprise")]  # fmt: skip
    return [_delivery(kind, subscription_object("sub_race", status, TEAM, price=price, customer="cus_race"),
                      T + 10 * i, f"evt_race_{i}") for i, (kind, status, price) in enumerate(states)]  # fmt: skip


@pytest.mark.usefixtures("billing_hooks")
def test_reverse_order_deliveries_leave_the_newest_state() -> None:
    stored_subscription(TEAM, "sub_race")
    acks = [webhooks.receive(d) for d in reversed(_lifecycle())]
    assert all(not a.duplicate for a in acks)
    item = current(TEAM)
    assert (item.status, item.plan, item.past_due_since) == ("active", "enterprise", None)
    assert entitlements.current(TEAM).plan.id == "enterprise"


@pytest.mark.usefixtures("billing_hooks")
def test_every_delivery_twice_and_all_at_once_applies_each_event_once_and_the_newest_wins() -> None:
    stored_subscription(TEAM, "sub_race")
    lifecycle = _lifecycle()
    deleted = _delivery(
        "customer.subscription.deleted",
        subscription_object("sub_race", "canceled", TEAM, customer="cus_race"),
        T + 25,
        "evt_stale",
    )
    deliveries = [*lifecycle, *lifecycle, deleted]  # fmt: skip
    with ThreadPoolExecutor(max_workers=6) as pool:
        acks: list[WebhookAck] = list(pool.map(webhooks.receive, deliveries))
    assert sum(1 for a in acks if a.duplicate) == len(lifecycle)  # each event applied once
    item = current(TEAM)
    # the stale deleted (T+25) lost to the newer active state (T+40): still Enterprise
    assert (item.status, item.plan) == ("active", "enterprise")
    assert entitlements.current(TEAM).plan.id == "enterprise"
