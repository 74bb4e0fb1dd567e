"""The Entitlement item: put in the billing webhook's transaction, read by every limited request."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.plans import keys
from souk.plans.models import Entitlement


def get(subscriber: str) -> Entitlement | None:
    """One GetItem (eventually consistent: a cache of Stripe's state, a second old at worst)."""
    try:
        return Entitlement.get(keys.entitlement(subscriber), keys.ENTITLEMENT_SK)
    except DoesNotExist:
        return None


def put(tx: WriteTransaction, subscriber: str, *, plan_id: str, status: str, period_start: datetime,
        period_end: datetime, past_due_since: datetime | None) -> Entitlement:  # fmt: skip
    """The subscriber's entitlement replaced whole: the caller's transaction decides whether this state is
    the newest (billing's conditional update of the subscription in the same transaction)."""
    now = utc_now()
    item = Entitlement(pk=keys.entitlement(subscriber), sk=keys.ENTITLEMENT_SK, subscriber=subscriber, plan=plan_id,
                       status=status, period_start=period_start, period_end=period_end,
                       past_due_since=past_due_since, created_at=now, updated_at=now)  # fmt: skip
    tx.put(item, label="entitlement")
    return item
