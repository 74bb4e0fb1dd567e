"""Billing entities in the single table (their keys: :mod:`souk.billing.keys`).

A subscriber is a user or a team (:class:`souk.plans.service.entitlements.Subscriber`, key
``user#<id>`` / ``team#<id>``); its billing items share the partition ``BILLING#<subscriber>``.

| entity | pk | sk | GSIs |
|---|---|---|---|
| BillingCustomer | BILLING#<subscriber> | CUSTOMER | |
| CustomerLink | STRIPE_CUSTOMER#<cus_...> | CUSTOMER | |
| Subscription | BILLING#<subscriber> | SUBSCRIPTION | gsi1 SUBSCRIPTION#<id> / SUBSCRIPTION |
| Invoice | BILLING#<subscriber> | INVOICE#<created>#<in_...> | |

One Subscription item per subscriber: the current one. A new subscription replaces it only when
the stored one is no longer live (conditional put), and that put is the claim written before the
Stripe call, so two racing POSTs never make two Stripe subscriptions. ``orderKey``
(:func:`souk.billing.rules.order_key`) is the order of the state stored: a webhook's state is
written only when its key is greater (conditional update).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem


class BillingCustomer(SoukItem, discriminator="BillingCustomer"):
    """The subscriber's Stripe customer, created once (idempotency key of the subscriber)."""

    subscriber = UnicodeAttribute()  # user#<id> | team#<id>
    stripe_customer_id = UnicodeAttribute(attr_name="stripeCustomerId")


class CustomerLink(SoukItem, discriminator="CustomerLink"):
    """Stripe customer id -> subscriber (a consistent GetItem for invoice events)."""

    subscriber = UnicodeAttribute()


class Subscription(SoukItem, discriminator="Subscription"):
    subscription_id = UnicodeAttribute(attr_name="subscriptionId")
    subscriber = UnicodeAttribute()
    owner_id = UnicodeAttribute(attr_name="ownerId")  # the user who started it
    plan = UnicodeAttribute()  # pro | enterprise
    status = UnicodeAttribute()  # Stripe's status; "incomplete" from the claim on
    order_key = NumberAttribute(null=True, attr_name="orderKey")  # of the state stored (None: the claim's)
    stripe_subscription_id = UnicodeAttribute(null=True, attr_name="stripeSubscriptionId")
    stripe_item_id = UnicodeAttribute(null=True, attr_name="stripeItemId")
    client_secret = UnicodeAttribute(null=True, attr_name="clientSecret")  # to pay the first invoice
    current_period_start = UTCDateTimeAttribute(null=True, attr_name="currentPeriodStart")
    current_period_end = UTCDateTimeAttribute(null=True, attr_name="currentPeriodEnd")
    cancel_at_period_end = BooleanAttribute(default=False, attr_name="cancelAtPeriodEnd")
    past_due_since = UTCDateTimeAttribute(null=True, attr_name="pastDueSince")


class Invoice(SoukItem, discriminator="Invoice"):
    """A Stripe invoice as the newest ``invoice.*`` event showed it (``orderKey``)."""

    invoice_id = UnicodeAttribute(attr_name="invoiceId")
    subscriber = UnicodeAttribute()
    stripe_subscription_id = UnicodeAttribute(null=True, attr_name="stripeSubscriptionId")
    amount = NumberAttribute()  # minor units: amount_due
    amount_paid = NumberAttribute(default=0, attr_name="amountPaid")
    currency = UnicodeAttribute()
    status = UnicodeAttribute()  # draft | open | paid | uncollectible | void
    period_start = UTCDateTimeAttribute(null=True, attr_name="periodStart")
    period_end = UTCDateTimeAttribute(null=True, attr_name="periodEnd")
    hosted_invoice_url = UnicodeAttribute(null=True, attr_name="hostedInvoiceUrl")
    order_key = NumberAttribute(default=0, attr_name="orderKey")  # created * 10 + rank of the status
