"""``GET /api/v1/analytics``: a metric over UTC days, from the day counters only.

Store owners need the ``analytics`` feature of their own (user) plan (Pro or Enterprise, read from
their cached entitlement, never Stripe): else 403 naming it. Admins, the platform's staff, are never
gated. Reads: for a store owner their entitlement and the store (one GetItem each); then one
BatchGetItem per 100 days in range (at most 4 for the 366 days allowed), whatever the number of
orders. Days are rolled up to weeks (ISO, from Monday) and months on read.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import TYPE_CHECKING, Any

from souk.analytics import keys, rules
from souk.analytics.models import PRODUCT_PREFIX, REVENUE_PREFIX
from souk.analytics.schemas import AnalyticsOut, AnalyticsQuery, Point, ProductCount
from souk.analytics.store import counters as store
from souk.caller import ensure_owner
from souk.catalog.store.stores import get_store
from souk.errors import NotFound, ValidationFailed
from souk.money import Money
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber

if TYPE_CHECKING:
    from souk.caller import Principal


def scope_of(principal: Principal, store_id: str | None) -> str:
    """The counters' scope the caller may read: the platform (admins), or a store (its owner, on a plan
    with ``analytics``: else 403; another's store 404)."""
    if store_id is None:
        if principal.is_admin:
            return keys.PLATFORM
        raise ValidationFailed.field("storeId", "Store owners name one of their stores.")
    if not principal.is_admin:
        entitlements.require_feature(Subscriber("user", principal.user_id), "analytics")  # one GetItem
    found = get_store(store_id)  # one GetItem
    if found is None:
        raise NotFound("No such store.")
    ensure_owner(principal, found.owner_id)
    return keys.store_scope(store_id)


def day_counters(scope_name: str, days: list[date]) -> dict[date, dict[str, Any]]:
    """The counters of ``days``: one BatchGetItem per :data:`rules.BATCH_DAYS` days."""
    found: dict[date, dict[str, Any]] = {}
    for batch in rules.batches(days):
        found.update(store.read_days(scope_name, batch))
    return found


def metric_points(query: AnalyticsQuery, counters: dict[date, dict[str, Any]], days: list[date]) -> list[Point]:
    if query.metric == "topProducts":
        per_day = {d: Counter({name[len(PRODUCT_PREFIX):]: int(v) for name, v in c.items()
                               if name.startswith(PRODUCT_PREFIX)}) for d, c in counters.items()}  # fmt: skip
        return [Point(start=start, value=[ProductCount(product_id=p, quantity=q) for p, q in top])
                for start, top in rules.roll_up_counts(per_day, days, query.interval)]  # fmt: skip
    attribute = REVENUE_PREFIX + query.currency if query.metric == "revenue" else query.metric
    values = {d: int(c.get(attribute) or 0) for d, c in counters.items()}
    points = rules.roll_up(values, days, query.interval)
    if query.metric == "revenue":
        return [Point(start=start, value=Money(amount=v, currency=query.currency)) for start, v in points]
    return [Point(start=start, value=v) for start, v in points]


def read_metric(principal: Principal, query: AnalyticsQuery) -> AnalyticsOut:
    try:
        days = rules.days_in(query.from_, query.to)
    except ValueError as error:
        raise ValidationFailed.field("to", str(error)) from error
    scope_name = scope_of(principal, query.store_id)
    counters = day_counters(scope_name, days)
    return AnalyticsOut(metric=query.metric, interval=query.interval, points=metric_points(query, counters, days))
