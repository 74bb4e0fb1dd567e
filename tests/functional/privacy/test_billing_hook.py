"""Billing's privacy hook against localstripe through the real SDK: the user's live subscription is cancelled
at Stripe, their invoices kept without the hosted link, a team's subscription untouched."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from souk.audit.models import AuditRecord
from souk.billing import gateway, keys
from souk.billing import privacy as hook
from souk.billing.models import Invoice, Subscription
from souk.billing.store import subscriptions
from souk.payments.gateway import client
from souk.settings import get_settings


def _subscribe(subscriber: str, owner_id: str) -> str:
    """A Stripe subscription at localstripe and our item of it, live; its Stripe id."""
    customer = gateway.create_customer(metadata={"subscriber": subscriber}, idempotency_key=f"c-{subscriber}")
    price = get_settings().stripe_price_pro
    assert price
    created = gateway.create_subscription(customer, price, metadata={"subscriber": subscriber},
                                          idempotency_key=f"s-{subscriber}")  # fmt: skip
    Subscription(pk=keys.billing(subscriber), sk=keys.SUBSCRIPTION_SK, subscription_id=f"sub-{owner_id}",
                 subscriber=subscriber, owner_id=owner_id, plan="pro", status="active",
                 stripe_subscription_id=created["id"]).save()  # fmt: skip
    return str(created["id"])


def _invoice(subscriber: str, n: int) -> None:
    Invoice(pk=keys.billing(subscriber), sk=keys.invoice(1_700_000_000 + n, f"in_{n}"), invoice_id=f"in_{n}",
            subscriber=subscriber, amount=1500, amount_paid=1500, currency="usd", status="paid",
            period_start=datetime(2026, 11, 1, tzinfo=UTC), hosted_invoice_url=f"https://invoice.stripe.com/i/{n}",
            ).save()  # fmt: skip


def _run(step: Any, user_id: str) -> list[Any]:
    pages, cursor = [], None
    while True:
        result = step(user_id, cursor)
        rows, cursor = result if isinstance(result, tuple) else ([], result)
        pages.append(rows)
        if cursor is None:
            return pages


def test_the_users_subscription_is_cancelled_and_invoices_lose_their_link(
    aws_resources: dict[str, str], stripe_fake: object
) -> None:
    mine = _subscribe("user#u-1", "u-1")
    team = _subscribe("team#t-1", "u-1")  # a team's, started by the same user: not theirs to cancel
    for n in range(30):  # two pages
        _invoice("user#u-1", n)
    exported = [r for page in _run(hook.export, "u-1") for r in page]
    assert [r["kind"] for r in exported].count("invoice") == 30
    assert [r["stripeSubscriptionId"] for r in exported if r["kind"] == "subscription"] == [mine]
    assert not any("clientSecret" in r for r in exported)
    # WHEN the hook erases (twice: a step may run again)
    _run(hook.erase, "u-1")
    _run(hook.erase, "u-1")
    # THEN Stripe has the user's subscription cancelled, not the team's
    assert client().v1.subscriptions.retrieve(mine).status == "canceled"
    assert client().v1.subscriptions.retrieve(team).status != "canceled"
    # AND the invoices are kept, amounts and all, without the hosted link
    kept = list(Invoice.query(keys.billing("user#u-1"), Invoice.sk.startswith(keys.INVOICE_PREFIX)))
    assert len(kept) == 30 and all(i.hosted_invoice_url is None and i.amount == 1500 for i in kept)
    current = subscriptions.get_current("user#u-1")
    assert current is not None and current.stripe_subscription_id == mine
    # AND the cancellation is audited once
    records = list(AuditRecord.gsi2.query("AUDIT_RES#subscription#sub-u-1"))
    assert [r.action for r in records] == ["subscription.erase_cancel"]
