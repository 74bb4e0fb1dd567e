"""Analytics races on DynamoDB Local: the same paid order counted from threads at once is counted once,
different orders at once all count (ADD is commutative; a conflict is tried again), one customer once."""

from __future__ import annotations

from typing import Any

import pytest

from souk.analytics import keys
from souk.analytics.service import counters
from souk.analytics.store.counters import read_days
from souk.db.base import utc_now
from tests.races import at_once

pytestmark = pytest.mark.integration


def _count(order_id: str, at: Any) -> bool:
    return counters.count_paid_order(None, order_id=order_id, store_id="s-race", currency="usd", total=250,
                                     items=[("p-1", 2)], paid_at=at)  # fmt: skip


def test_the_same_order_counted_by_two_threads_at_once_counts_once(table: str) -> None:
    at = utc_now()
    outcomes = at_once([lambda: _count("o-same", at), lambda: _count("o-same", at)])
    # one counted it; the other lost the marker's condition (after a transaction conflict: tried again)
    assert sorted(outcomes) == [False, True], outcomes
    assert _count("o-same", at) is False  # a retry after the race changes nothing
    for scope in (keys.store_scope("s-race"), keys.PLATFORM):
        day = read_days(scope, [at.date()])[at.date()]
        assert (day["orders"], day["rev#usd"], day["p#p-1"]) == (1, 250, 2), scope


def test_different_orders_at_once_all_count(table: str) -> None:
    at = utc_now()
    outcomes = at_once([lambda i=i: _count(f"o-{i}", at) for i in range(6)])
    assert outcomes == [True] * 6  # conflicts on the shared day items are tried again
    day = read_days(keys.PLATFORM, [at.date()])[at.date()]
    assert (day["orders"], day["rev#usd"], day["p#p-1"]) == (6, 1500, 12)


def test_one_customer_counted_from_two_threads_at_once_counts_once(table: str) -> None:
    at = utc_now()
    at_once([lambda: counters.count_customer(store_id="s-c", user_id="u-1", paid_at=at)] * 2)
    counters.count_customer(store_id="s-c", user_id="u-1", paid_at=at)  # retried
    assert read_days(keys.store_scope("s-c"), [at.date()])[at.date()]["customers"] == 1
