"""Daily counters on write, each source counted once; read by BatchGetItem of days.

Counting paid orders adds to the caller's transaction (:func:`add_paid_orders`) a marker
``COUNTED#<source>`` per order, put with ``attribute_not_exists``, and one ``ADD`` update per day
touched (each store's, the platform's): at most three items per order. The transaction that marks
the order paid carries them (when it has room), so the order is counted exactly when it becomes
paid: a replay fails the marker's condition and writes nothing.

A distinct customer is a second, small transaction (:func:`add_customer`): a marker per (scope,
day, customer) put with ``attribute_not_exists`` and ``customers ADD 1``; a marker already there
cancels it (counted before), so it can be retried any number of times.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action

from souk.analytics import keys
from souk.analytics.models import PRODUCT_PREFIX, REVENUE_PREFIX, CountedMarker, DayCounter
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict

MARKER_LABEL = "analytics:counted"
CUSTOMER_LABEL = "analytics:customer"


def _free(name: str, kind: type[NumberAttribute] | type[UnicodeAttribute] = NumberAttribute) -> Any:
    """An attribute named at write time (``rev#usd``, ``p#<productId>``): ADD works on top-level names."""
    attribute = kind(attr_name=name)
    attribute.attr_path = [name]
    return attribute


def _day_item(scope_name: str, day: date) -> DayCounter:
    return DayCounter(pk=keys.scope(scope_name), sk=keys.day(day.isoformat()))


@dataclass(frozen=True)
class PaidEntry:
    """One paid order to count: its source key (the marker), store, UTC day, money and units."""

    source: str
    store_id: str
    day: date
    currency: str
    total: int
    items: Sequence[tuple[str, int]]


@dataclass
class _Tally:
    orders: int = 0
    revenue: dict[str, int] = field(default_factory=dict)
    units: dict[str, int] = field(default_factory=dict)

    def add(self, entry: PaidEntry) -> None:
        self.orders += 1
        currency = entry.currency.lower()
        self.revenue[currency] = self.revenue.get(currency, 0) + int(entry.total)
        for product_id, quantity in entry.items:
            self.units[product_id] = self.units.get(product_id, 0) + int(quantity)

    def actions(self) -> list[Action]:
        actions: list[Action] = [DayCounter.orders.add(self.orders),
                                 _free("entity", UnicodeAttribute).set("AnalyticsDay"),
                                 _free("updatedAt", UnicodeAttribute).set(utc_now().isoformat())]  # fmt: skip
        actions += [_free(REVENUE_PREFIX + c).add(amount) for c, amount in sorted(self.revenue.items())]
        actions += [_free(PRODUCT_PREFIX + p).add(units) for p, units in sorted(self.units.items())]
        return actions


def marker_label(source: str) -> str:
    return f"{MARKER_LABEL}:{source}"


def add_paid_orders(tx: WriteTransaction, entries: Sequence[PaidEntry]) -> None:
    """In ``tx``: a marker per entry (conditional) and one ``ADD`` update per (scope, day) touched (a
    transaction may not touch an item twice: orders of one store, or one platform day, are merged)."""
    tallies: dict[tuple[str, date], _Tally] = {}
    for entry in entries:
        tx.put(CountedMarker(pk=keys.counted(entry.source), sk=keys.COUNTED_SK), CountedMarker.pk.does_not_exist(),
               label=marker_label(entry.source))  # fmt: skip
        for scope_name in (keys.store_scope(entry.store_id), keys.PLATFORM):
            tallies.setdefault((scope_name, entry.day), _Tally()).add(entry)
    for (scope_name, day), tally in tallies.items():
        tx.update(_day_item(scope_name, day), tally.actions(), add_version_condition=False,
                  label=f"analytics:{scope_name}:{day.isoformat()}")  # fmt: skip


def add_customer(scope_name: str, day: date, user_id: str) -> bool:
    """Count ``user_id`` once in ``scope_name`` on ``day``; False if they were counted before."""
    marker = CountedMarker(pk=keys.counted_customer(scope_name, day.isoformat(), user_id), sk=keys.COUNTED_SK)

    def attempt() -> bool:
        try:
            with WriteTransaction() as tx:
                tx.put(marker, CountedMarker.pk.does_not_exist(), label=CUSTOMER_LABEL)
                tx.update(_day_item(scope_name, day), [DayCounter.customers.add(1),
                                                       _free("entity", UnicodeAttribute).set("AnalyticsDay")],
                          add_version_condition=False)  # fmt: skip
        except TransactionCancelled as cancelled:
            if CUSTOMER_LABEL in cancelled.failed():
                return False
            raise  # a transaction conflict is tried again
        return True

    return retry_on_contention(attempt, attempts=5, exhausted=lambda: Conflict("Counting is busy; retry."))


def _client() -> Any:
    return DayCounter._get_connection().connection.client


def read_days(scope_name: str, days: Iterable[date]) -> dict[date, dict[str, Any]]:
    """The counters of ``days`` (≤ 100, one BatchGetItem; again only for DynamoDB's UnprocessedKeys)."""
    return {day: found for (_, day), found in read_many([(scope_name, d) for d in days]).items()}


def read_many(wanted: Sequence[tuple[str, date]]) -> dict[tuple[str, date], dict[str, Any]]:
    """The counters of (scope, day) pairs (≤ 100, one BatchGetItem; again only for UnprocessedKeys)."""
    if not wanted:
        return {}
    table = DayCounter.Meta.table_name
    by_key = {(keys.scope(s), keys.day(d.isoformat())): (s, d) for s, d in wanted}
    request: dict[str, Any] = {table: {"Keys": [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in by_key]}}
    found: dict[tuple[str, date], dict[str, Any]] = {}
    while request:
        answer = _client().batch_get_item(RequestItems=request)
        for item in answer.get("Responses", {}).get(table, []):
            found[by_key[(item["pk"]["S"], item["sk"]["S"])]] = {name: _plain(v) for name, v in item.items()}
        request = answer.get("UnprocessedKeys") or {}
    return found


def _plain(value: dict[str, Any]) -> Any:
    if "N" in value:
        return int(value["N"])
    return value.get("S")
