"""Plans' items in the single table (keys: :mod:`souk.plans.keys`).

| entity | pk | sk | TTL |
|---|---|---|---|
| Entitlement | ENTITLEMENT#<subscriber> | ENTITLEMENT | |
| Usage | USAGE#<subscriber> | PERIOD#<period start> | a year after the period |
| UsageMark | USAGE#<subscriber> | MARK#<kind>#<id> | after the period (exports), an hour (API calls) |

``<subscriber>`` is ``user#<id>`` or ``team#<id>``
(:class:`souk.plans.service.entitlements.Subscriber`). The Entitlement is the cache of what the
subscriber's Stripe subscription grants, written by the billing webhook in the transaction of the
subscription's state; every limited request reads it (one GetItem), never Stripe.
"""

from __future__ import annotations

from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem


class Entitlement(SoukItem, discriminator="Entitlement"):
    subscriber = UnicodeAttribute()
    plan = UnicodeAttribute()  # the subscribed plan's id (what it grants: souk.plans.rules.granted_plan)
    status = UnicodeAttribute()  # the Stripe subscription's status
    period_start = UTCDateTimeAttribute(attr_name="periodStart")
    period_end = UTCDateTimeAttribute(attr_name="periodEnd")
    past_due_since = UTCDateTimeAttribute(null=True, attr_name="pastDueSince")


class Usage(SoukItem, discriminator="Usage"):
    """What a subscriber used in one billing period (counters only grow, by ADD)."""

    subscriber = UnicodeAttribute()
    period_start = UTCDateTimeAttribute(attr_name="periodStart")
    period_end = UTCDateTimeAttribute(attr_name="periodEnd")
    exports = NumberAttribute(default=0)
    api_calls = NumberAttribute(default=0, attr_name="apiCalls")
    api_calls_by_key = MapAttribute[str, int](default=dict, attr_name="apiCallsByKey")  # key id -> calls


class UsageMark(SoukItem, discriminator="UsageMark"):
    """One use already counted (an export id, a request id): a retry finds it and counts nothing."""

    subscriber = UnicodeAttribute()
    kind = UnicodeAttribute()
