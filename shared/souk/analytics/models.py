"""Analytics entities in the single table. Keys come from :mod:`souk.analytics.keys` only.

| entity | pk | sk |
|---|---|---|
| DayCounter | ANALYTICS#<scope> | DAY#<yyyy-mm-dd> |
| CountedMarker | COUNTED#<source> | COUNTED |
| IngestedEvent | AEVENT#<id> | AEVENT |

A DayCounter holds ``orders`` and ``customers`` and, named at write time, ``rev#<currency>``
(minor units) and ``p#<productId>`` (units sold) counters: DynamoDB ``ADD`` on top-level
attributes, commutative, so concurrent orders never lose an increment.
"""

from __future__ import annotations

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem

REVENUE_PREFIX = "rev#"
PRODUCT_PREFIX = "p#"


class DayCounter(SoukItem, discriminator="AnalyticsDay"):
    orders = NumberAttribute(default=0)
    customers = NumberAttribute(default=0)


class CountedMarker(SoukItem, discriminator="AnalyticsCounted"):
    """A source event already counted: put with attribute_not_exists beside the increments."""


class IngestedEvent(SoukItem, discriminator="AnalyticsEvent"):
    event_id = UnicodeAttribute(attr_name="eventId")
    type = UnicodeAttribute()
    user_id = UnicodeAttribute(attr_name="userId")
    properties = JSONAttribute(null=True)
    occurred_at = UTCDateTimeAttribute(attr_name="occurredAt")
