"""A subscriber's Stripe customer, and the link back from the Stripe customer id (invoice events)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist

from souk.billing import keys
from souk.billing.models import BillingCustomer, CustomerLink
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction

CUSTOMER_LABEL = "billing-customer"  # a ConditionalCheckFailed on it: another request stored one first


def get_customer(subscriber: str) -> BillingCustomer | None:
    try:
        return BillingCustomer.get(keys.billing(subscriber), keys.CUSTOMER_SK, consistent_read=True)
    except DoesNotExist:
        return None


def subscriber_of(customer_id: str) -> str | None:
    """The subscriber key of a Stripe customer we made (consistent GetItem), or None."""
    try:
        link = CustomerLink.get(keys.stripe_customer(customer_id), keys.CUSTOMER_SK, consistent_read=True)
    except DoesNotExist:
        return None
    return str(link.subscriber)


def add_customer(tx: WriteTransaction, subscriber: str, customer_id: str) -> BillingCustomer:
    """The customer item (only if the subscriber has none: fails on :data:`CUSTOMER_LABEL`) and its link."""
    now = utc_now()
    customer = BillingCustomer(pk=keys.billing(subscriber), sk=keys.CUSTOMER_SK, subscriber=subscriber,
                               stripe_customer_id=customer_id, created_at=now, updated_at=now)  # fmt: skip
    link = CustomerLink(pk=keys.stripe_customer(customer_id), sk=keys.CUSTOMER_SK, subscriber=subscriber,
                        created_at=now, updated_at=now)  # fmt: skip
    tx.put(customer, BillingCustomer.pk.does_not_exist(), label=CUSTOMER_LABEL)
    tx.put(link, label="billing-customer-link")
    return customer
