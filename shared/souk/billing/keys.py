"""Billing: the key values of its items, one function per key.

Beside :mod:`souk.billing.models`; ``docs/access-patterns.md`` lists the access patterns.

| pattern | key |
|---|---|
| a subscriber's Stripe customer | pk BILLING#<subscriber>, sk CUSTOMER |
| the subscriber of a Stripe customer (invoice events) | pk STRIPE_CUSTOMER#<cus>, sk CUSTOMER |
| a subscriber's current subscription | pk BILLING#<subscriber>, sk SUBSCRIPTION |
| a subscription by its id (PUT) | gsi1 SUBSCRIPTION#<id> / SUBSCRIPTION |
| a subscriber's invoices, newest first (one Query) | pk BILLING#<subscriber>, sk begins_with INVOICE# |
"""

from __future__ import annotations

from souk.db.keys import join

CUSTOMER_SK = "CUSTOMER"
SUBSCRIPTION_SK = "SUBSCRIPTION"
INVOICE_PREFIX = "INVOICE#"


def billing(subscriber: str) -> str:
    return join("BILLING", subscriber)


def stripe_customer(customer_id: str) -> str:
    return join("STRIPE_CUSTOMER", customer_id)


def subscription(subscription_id: str) -> str:
    return join("SUBSCRIPTION", subscription_id)


def invoice(created: int, invoice_id: str) -> str:
    """Sorts by the invoice's creation (fixed-width seconds), then its id."""
    return join("INVOICE", f"{created:012d}", invoice_id)
