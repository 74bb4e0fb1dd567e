"""The subscriber's current Subscription item: the claim, Stripe's answer, and the webhook states.

Every write is conditional, never a read-then-write:

- :func:`claim`: put only when the subscriber has no live subscription (none, or its status is
  not in :data:`souk.billing.objects.LIVE`), or when the live one is a claim whose Stripe call
  never came back (no ``stripeSubscriptionId`` after :data:`CLAIM_TIMEOUT`: a crashed request).
- :func:`attach`: Stripe's ids and the client secret on our claim (``subscriptionId`` matches);
  the order key only if no webhook set one already (``if_not_exists``).
- :func:`apply_state`: a webhook's state, only on this very subscription and only when newer
  (``attribute_not_exists(orderKey) OR orderKey < :key``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from souk.billing import keys
from souk.billing.models import Subscription
from souk.billing.objects import LIVE
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction

SUBSCRIPTION_LABEL = "subscription"
CLAIM_TIMEOUT = timedelta(minutes=5)  # well past the Stripe call's retries and timeouts


def get_current(subscriber: str) -> Subscription | None:
    try:
        return Subscription.get(keys.billing(subscriber), keys.SUBSCRIPTION_SK, consistent_read=True)
    except DoesNotExist:
        return None


def by_id(subscription_id: str) -> Subscription | None:
    """The subscription with this id (gsi1, then a consistent GetItem): None if it is not current."""
    for found in Subscription.gsi1.query(keys.subscription(subscription_id), limit=1):
        if isinstance(found, Subscription):
            current = get_current(found.subscriber)
            return current if current is not None and current.subscription_id == subscription_id else None
    return None


def new_claim(subscriber: str, subscription_id: str, owner_id: str, plan: str) -> Subscription:
    now = utc_now()
    return Subscription(pk=keys.billing(subscriber), sk=keys.SUBSCRIPTION_SK,
                        gsi1pk=keys.subscription(subscription_id), gsi1sk=keys.SUBSCRIPTION_SK,
                        subscription_id=subscription_id, subscriber=subscriber, owner_id=owner_id, plan=plan,
                        status="incomplete", cancel_at_period_end=False, created_at=now, updated_at=now)  # fmt: skip


def claim(tx: WriteTransaction, item: Subscription, now: datetime) -> None:
    """Put the claim unless a live subscription holds the slot (fails on :data:`SUBSCRIPTION_LABEL`)."""
    free = Subscription.pk.does_not_exist() | ~Subscription.status.is_in(*LIVE)
    abandoned = Subscription.stripe_subscription_id.does_not_exist() & (Subscription.created_at < now - CLAIM_TIMEOUT)
    tx.put(item, free | abandoned, label=SUBSCRIPTION_LABEL)


def release(item: Subscription) -> None:
    """Delete our claim after the Stripe call failed (only ours, only while Stripe knows none)."""
    with WriteTransaction() as tx:
        tx.delete(item, (Subscription.subscription_id == item.subscription_id)
                  & Subscription.stripe_subscription_id.does_not_exist(), label=SUBSCRIPTION_LABEL)  # fmt: skip


def _ours(item: Subscription, stripe_id: str) -> Condition:
    return (Subscription.subscription_id == item.subscription_id) & (
        Subscription.stripe_subscription_id.does_not_exist() | (Subscription.stripe_subscription_id == stripe_id)
    )


def attach(item: Subscription, stripe_id: str, fields: dict[str, Any], order_key: int) -> None:
    """Stripe's answer on our claim: its ids, the client secret, the period; the order key if none yet."""
    actions: list[Action] = [Subscription.stripe_subscription_id.set(stripe_id),
                             Subscription.order_key.set(Subscription.order_key | order_key),
                             Subscription.updated_at.set(utc_now())]  # fmt: skip
    actions += [getattr(Subscription, name).set(value) for name, value in fields.items() if value is not None]
    with WriteTransaction() as tx:
        tx.update(item, actions, _ours(item, stripe_id), label=SUBSCRIPTION_LABEL)


def apply_state(tx: WriteTransaction, item: Subscription, stripe_id: str, order_key: int,
                fields: dict[str, Any]) -> None:  # fmt: skip
    """A webhook's state (``fields``: attribute name -> value, None removes it), only if newer than the stored one."""
    actions: list[Action] = [Subscription.stripe_subscription_id.set(stripe_id), Subscription.order_key.set(order_key),
                             Subscription.updated_at.set(utc_now())]  # fmt: skip
    for name, value in fields.items():
        attribute = getattr(Subscription, name)
        actions.append(attribute.remove() if value is None else attribute.set(value))
    newer = Subscription.order_key.does_not_exist() | (Subscription.order_key < order_key)
    tx.update(item, actions, Subscription.pk.exists() & _ours(item, stripe_id) & newer, label=SUBSCRIPTION_LABEL)


def set_fields(tx: WriteTransaction, item: Subscription, fields: dict[str, Any]) -> None:
    """What a PUT changed at Stripe (plan, cancelAtPeriodEnd), on this very subscription."""
    actions: list[Action] = [getattr(Subscription, name).set(value) for name, value in fields.items()]
    actions.append(Subscription.updated_at.set(utc_now()))
    tx.update(item, actions, Subscription.subscription_id == item.subscription_id, label=SUBSCRIPTION_LABEL)
