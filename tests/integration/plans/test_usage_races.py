"""Usage races on DynamoDB Local: reserves racing at the limit never pass it, a retried id counts once."""

from __future__ import annotations

import pytest

from souk.errors import Forbidden
from souk.plans.service import usage
from souk.plans.service.entitlements import Subscriber
from tests.races import at_once

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("table")]
USER = Subscriber("user", "racer")


def test_parallel_reserves_at_a_limit_pass_exactly_the_limit() -> None:
    racers, limit = 8, 3
    results = at_once([lambda i=i: usage.reserve(USER, "exports", f"export-{i}", limit) for i in range(racers)])
    assert results.count(True) == limit
    refused = [r for r in results if isinstance(r, Forbidden)]
    assert len(refused) == racers - limit
    assert refused[0].details == [{"field": "exportsPerMonth", "message": "limit 3 on the free plan"}]
    assert usage.of(USER)["exports"] == limit


def test_the_same_id_racing_itself_counts_once() -> None:
    results = at_once([lambda: usage.reserve(USER, "exports", "export-same") for _ in range(4)])
    assert sorted(results) == [False, False, False, True]
    assert usage.of(USER)["exports"] == 1


def test_api_calls_racing_in_a_new_period_are_all_counted_once_each() -> None:
    calls = [lambda i=i: usage.count_api_call(USER, f"key-{i % 2}", f"request-{i}") for i in range(6)]
    retries = [lambda: usage.count_api_call(USER, "key-0", "request-0") for _ in range(2)]
    results = at_once(calls + retries)
    assert results.count(True) == 6
    found = usage.of(USER)
    assert (found["apiCalls"], found["apiCallsByKey"]) == (6, {"key-0": 3, "key-1": 3})
