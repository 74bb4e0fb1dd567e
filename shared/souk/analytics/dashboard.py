"""Analytics' part of ``GET /api/v1/dashboard`` (found by :func:`souk.registry.declaring` ``("dashboard")``).

Admins see the platform's orders and revenue today and over the last 7 UTC days (one BatchGetItem of
7 days); store owners the same per store for their first :data:`SHOWN_STORES` stores (one Query of
their stores, one BatchGetItem of at most 70 day counters).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field

from souk.analytics import keys
from souk.analytics.models import REVENUE_PREFIX
from souk.analytics.rules import utc_day
from souk.analytics.store import counters as store
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Store
from souk.db.base import utc_now
from souk.money import Money
from souk.schema import CamelModel

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from souk.caller import Principal

KEY = "analytics"
DAYS = 7
SHOWN_STORES = 10  # 10 stores x 7 days = 70 keys: one BatchGetItem


class Totals(CamelModel):
    orders: int
    revenue: list[Money] = Field(description="One amount per currency sold in.")


class PeriodTotals(CamelModel):
    today: Totals
    last7_days: Totals


class StoreTotals(PeriodTotals):
    store_id: str
    name: str


class StoresView(CamelModel):
    stores: list[StoreTotals]
    more_stores: bool


def _days() -> list[date]:
    today = utc_day(utc_now())
    return [today - timedelta(days=i) for i in range(DAYS)]


def _totals(counters: list[dict[str, Any]]) -> Totals:
    revenue: dict[str, int] = {}
    for counter in counters:
        for name, value in counter.items():
            if name.startswith(REVENUE_PREFIX):
                currency = name[len(REVENUE_PREFIX) :]
                revenue[currency] = revenue.get(currency, 0) + int(value)
    return Totals(orders=sum(int(c.get("orders") or 0) for c in counters),
                  revenue=[Money(amount=a, currency=c) for c, a in sorted(revenue.items())])  # fmt: skip


def _period(found: dict[tuple[str, date], dict[str, Any]], scope_name: str, days: list[date]) -> PeriodTotals:
    week = [found[(scope_name, d)] for d in days if (scope_name, d) in found]
    today = [found[(scope_name, days[0])]] if (scope_name, days[0]) in found else []
    return PeriodTotals(today=_totals(today), last7_days=_totals(week))


def platform_view(principal: Principal) -> PeriodTotals:
    days = _days()
    return _period(store.read_many([(keys.PLATFORM, d) for d in days]), keys.PLATFORM, days)


def stores_view(principal: Principal) -> StoresView:
    owned = list(Store.gsi1.query(catalog_keys.owner_stores(principal.user_id), limit=SHOWN_STORES + 1))
    shown = owned[:SHOWN_STORES]
    days = _days()
    found = store.read_many([(keys.store_scope(s.store_id), d) for s in shown for d in days])
    stores = [StoreTotals(store_id=s.store_id, name=s.name,
                          **_period(found, keys.store_scope(s.store_id), days).model_dump())
              for s in shown]  # fmt: skip
    return StoresView(stores=stores, more_stores=len(owned) > SHOWN_STORES)


VIEWS: dict[str, Callable[[Principal], BaseModel]] = {"admin": platform_view, "store_owner": stores_view}
