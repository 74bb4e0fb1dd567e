"""Analytics: the key values of its items, one function per key.

| pattern | key |
|---|---|
| a scope's counters of one UTC day (BatchGet of ≤ 100 days) | pk ANALYTICS#<scope>, sk DAY#<yyyy-mm-dd> |
| a source already counted (an order paid) | pk COUNTED#<source>, sk COUNTED |
| a customer already counted in a scope on a day | pk COUNTED#CUSTOMER#<scope>#<day>#<userId>, sk COUNTED |
| an ingested event id | pk AEVENT#<id>, sk AEVENT |

A scope is ``PLATFORM`` or ``STORE#<storeId>``.
"""

from __future__ import annotations

from souk.db.keys import join

PLATFORM = "PLATFORM"
COUNTED_SK = "COUNTED"
EVENT_SK = "AEVENT"


def store_scope(store_id: str) -> str:
    return join("STORE", store_id)


def scope(scope_name: str) -> str:
    return join("ANALYTICS", scope_name)


def day(day_iso: str) -> str:
    return join("DAY", day_iso)


def counted(source: str) -> str:
    return join("COUNTED", source)


def counted_customer(scope_name: str, day_iso: str, user_id: str) -> str:
    return join("COUNTED", "CUSTOMER", scope_name, day_iso, user_id)


def event(event_id: str) -> str:
    return join("AEVENT", event_id)
