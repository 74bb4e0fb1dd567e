"""Stripe Billing's webhooks in-process (moto, Stripe offline, events signed as Stripe signs them): each
event applied once, the newest state wins whatever the order, the entitlement follows, invoices kept."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.billing.store import customers
from souk.db.transactions import WriteTransaction
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber
from souk.settings import get_settings
from tests.functional.billing.helpers import (
    DAY,
    current,
    deliver,
    invoice_object,
    stored_subscription,
    subscription_object,
)
from tests.support import ApiClient

USER = Subscriber("user", "u-1")
T = int(time.time())


@pytest.fixture
def hook(api: ApiClient, stripe_offline: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiClient]:
    """The route client with our webhook secret, the seeded price ids, and Stripe offline (no call made)."""
    monkeypatch.setenv("STRIPE_PRICE_PRO", "price_souk_pro")
    monkeypatch.setenv("STRIPE_PRICE_ENTERPRISE", "price_souk_enterprise")
    get_settings.cache_clear()
    with WriteTransaction() as tx:
        customers.add_customer(tx, USER.key, "cus_test")
    yield api
    get_settings.cache_clear()


def plan_now(subscriber: Subscriber = USER) -> str:
    return entitlements.current(subscriber).plan.id


def test_activation_grants_the_plan_once_whatever_the_deliveries(hook: ApiClient) -> None:
    stored = stored_subscription(USER, "sub_1")
    active = subscription_object("sub_1", "active", USER)
    first = deliver(hook, "customer.subscription.updated", active, created=T, event_id="evt_active")
    again = deliver(hook, "customer.subscription.updated", active, created=T, event_id="evt_active")
    assert first.json["data"] == {"received": True, "duplicate": False}
    assert again.json["data"]["duplicate"] is True
    item = current(USER)
    assert (item.status, item.plan, item.client_secret) == ("active", "pro", None)
    assert item.current_period_end is not None
    assert plan_now() == "pro"
    states = [a for a in AuditRecord.gsi2.query(audit_keys.audit_resource("subscription", stored.subscription_id))
              if a.action == "subscription.state"]  # fmt: skip
    assert len(states) == 1  # applied once


def test_events_in_reverse_order_leave_the_newest_state(hook: ApiClient) -> None:
    stored_subscription(USER, "sub_1")
    newest = subscription_object("sub_1", "active", USER, price="price_souk_enterprise")
    older = subscription_object("sub_1", "active", USER)
    oldest = subscription_object("sub_1", "incomplete", USER)
    deliver(hook, "customer.subscription.updated", newest, created=T + 20)
    deliver(hook, "customer.subscription.updated", older, created=T + 10)
    deliver(hook, "customer.subscription.created", oldest, created=T)
    assert (current(USER).status, current(USER).plan) == ("active", "enterprise")
    assert plan_now() == "enterprise"


def test_a_stale_deleted_does_not_cancel_an_active_subscription(hook: ApiClient) -> None:
    stored_subscription(USER, "sub_1")
    deliver(hook, "customer.subscription.updated", subscription_object("sub_1", "active", USER), created=T + 5)
    deliver(hook, "customer.subscription.deleted", subscription_object("sub_1", "canceled", USER), created=T)
    assert current(USER).status == "active" and plan_now() == "pro"
    # a deleted event newer than the state does cancel it: Free
    deliver(hook, "customer.subscription.deleted", subscription_object("sub_1", "active", USER), created=T + 9)
    assert current(USER).status == "canceled" and plan_now() == "free"


def test_past_due_keeps_the_plan_for_the_grace_then_free(hook: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    stored_subscription(USER, "sub_1")
    deliver(hook, "customer.subscription.updated", subscription_object("sub_1", "active", USER), created=T - 10 * DAY)
    deliver(hook, "customer.subscription.updated", subscription_object("sub_1", "past_due", USER),
            created=T - 3 * DAY)  # fmt: skip
    # a later past_due event keeps the first one's time: the grace is not extended by Stripe's retries
    deliver(hook, "customer.subscription.updated", subscription_object("sub_1", "past_due", USER), created=T - DAY)
    item = current(USER)
    assert item.past_due_since is not None and int(item.past_due_since.timestamp()) == T - 3 * DAY
    assert plan_now() == "pro"  # 3 days into a 7-day grace
    monkeypatch.setenv("PLAN_GRACE_DAYS", "2")
    get_settings.cache_clear()
    assert plan_now() == "free"


@pytest.mark.parametrize("status", ["unpaid", "canceled"])
def test_unpaid_or_canceled_falls_back_to_free(hook: ApiClient, status: str) -> None:
    stored_subscription(USER, "sub_1")
    deliver(hook, "customer.subscription.updated", subscription_object("sub_1", "active", USER), created=T)
    assert plan_now() == "pro"
    deliver(hook, "customer.subscription.updated", subscription_object("sub_1", status, USER), created=T + 1)
    assert plan_now() == "free"


def test_events_of_another_subscription_change_nothing(hook: ApiClient) -> None:
    stored_subscription(USER, "sub_1")
    response = deliver(hook, "customer.subscription.updated", subscription_object("sub_other", "active", USER))
    assert response.json["data"]["duplicate"] is False
    assert current(USER).status == "incomplete" and plan_now() == "free"


def test_invoices_are_kept_from_invoice_events_newest_state_first(hook: ApiClient) -> None:
    stored_subscription(USER, "sub_1")
    deliver(hook, "invoice.paid", invoice_object("in_1", "paid", "cus_test", created=T), created=T + 2)
    deliver(hook, "invoice.finalized", invoice_object("in_1", "open", "cus_test", created=T), created=T + 1)
    deliver(hook, "invoice.created", invoice_object("in_2", "draft", "cus_test", created=T + 60), created=T + 60)
    deliver(hook, "invoice.paid", invoice_object("in_x", "paid", "cus_unknown"))  # not our customer: ignored
    from souk.billing.store import invoices

    found, cursor = invoices.invoices(USER.key, 10, None)
    assert [(i.invoice_id, i.status) for i in found] == [("in_2", "draft"), ("in_1", "paid")]
    assert cursor is None
    assert found[1].hosted_invoice_url == "https://invoice.stripe.test/in_1" and int(found[1].amount_paid) == 2900


def test_a_failed_payment_is_kept_and_told(hook: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from souk.billing.service import webhooks

    told: list[tuple[str, str]] = []
    monkeypatch.setattr(webhooks, "notify_user", lambda user_id, kind, *_, **__: told.append((user_id, kind)))
    stored_subscription(USER, "sub_1")
    deliver(hook, "invoice.payment_failed", invoice_object("in_1", "open", "cus_test"))
    assert told == [("u-1", "payment")]
