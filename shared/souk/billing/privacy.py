"""Billing's privacy hook (souk.privacy): the user's own subscription is cancelled at Stripe, their
invoices kept (accounting), anonymised.

Export: the user's Stripe customer link and current subscription, then their invoices (``BILLING#user#<id>``,
a page a call). Erase: a live subscription is cancelled now (``souk.billing.gateway.cancel_subscription``;
audited ``subscription.erase_cancel``; Stripe answering it is gone already is fine: the step is safe to
repeat); Stripe's
``customer.subscription.deleted`` webhook then sets the stored status as for any cancellation. Each
invoice loses its hosted invoice link (Stripe's page shows the customer's name and address); amounts,
periods and statuses stay. A team's subscription is the team's, not the user's: untouched.
"""

from __future__ import annotations

from typing import Any

from souk.audit import service as audit
from souk.billing import gateway
from souk.billing.models import Invoice
from souk.billing.objects import LIVE
from souk.billing.store import customers, invoices, subscriptions
from souk.db import personal

ORDER = 20


def subscriber(user_id: str) -> str:
    return f"user#{user_id}"


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    phase, inner = personal.unwrap(cursor)
    if phase is None:
        found = [customers.get_customer(subscriber(user_id)), subscriptions.get_current(subscriber(user_id))]
        kinds = ("billing_customer", "subscription")
        rows = [personal.row(k, i, drop=("clientSecret",)) for k, i in zip(kinds, found, strict=True) if i]
        return rows, personal.wrap("invoices", None)
    found_invoices, more = invoices.invoices(subscriber(user_id), personal.PAGE, inner)
    return [personal.row("invoice", i) for i in found_invoices], personal.wrap("invoices", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    phase, inner = personal.unwrap(cursor)
    if phase is None:
        current = subscriptions.get_current(subscriber(user_id))
        if current is not None and current.status in LIVE and current.stripe_subscription_id:
            cancelled = gateway.cancel_subscription(str(current.stripe_subscription_id))
            if cancelled is not None:  # None: Stripe had it gone already (a repeated step)
                audit.record(audit.SYSTEM, "subscription.erase_cancel", "subscription", current.subscription_id,
                             before={"status": current.status}, after={"status": cancelled.get("status")})  # fmt: skip
        return personal.wrap("invoices", None)
    found, more = invoices.invoices(subscriber(user_id), personal.PAGE, inner)
    for invoice in found:
        if invoice.hosted_invoice_url:
            invoice.update(actions=[Invoice.hosted_invoice_url.remove()])
    return personal.wrap("invoices", more) if more else None
