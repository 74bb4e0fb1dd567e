"""Audit log reads without AWS: each filter combination's index, the time range on the sort key, the
report's range cap, and the counter shards (stable, spread, summed)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from souk.audit import counters
from souk.audit.query import MAX_REPORT_DAYS, Filters, parse_resource, plan, stamp
from souk.audit.reads import report_range
from souk.errors import ValidationFailed

T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("filters", "index", "partition", "extra"),
    [
        (Filters(resource_type="order", resource_id="O1"), "gsi2", "AUDIT_RES#order#O1", {}),
        (Filters(resource_type="order", resource_id="O1", actor="U1", action="order.cancel"), "gsi2",
         "AUDIT_RES#order#O1", {"actor_id": "U1", "action": "order.cancel"}),
        (Filters(resource_type="order", resource_id="O1", action="order.cancel"), "gsi2", "AUDIT_RES#order#O1",
         {"action": "order.cancel"}),
        (Filters(actor="U1"), "gsi1", "AUDIT_ACTOR#U1", {}),
        (Filters(actor="U1", action="product.update", start=T0), "gsi1", "AUDIT_ACTOR#U1",
         {"action": "product.update"}),
        (Filters(action="product.update"), "gsi3", "AUDIT_ACTION#product.update", {}),
        (Filters(start=T0, end=T0 + timedelta(hours=3)), "table", "AUDIT#2026-12-07", {}),
        (Filters(start=T0, end=datetime(2026, 12, 8, tzinfo=UTC)), "table", "AUDIT#2026-12-07", {}),  # `to` exclusive
    ],
)  # fmt: skip
def test_each_combination_is_one_index(filters: Filters, index: str, partition: str, extra: dict[str, str]) -> None:
    chosen = plan(filters, now=T0)
    assert (chosen.index, chosen.partition, chosen.filters) == (index, partition, extra)
    assert chosen.key_attribute == ("pk" if index == "table" else f"{index}pk")


def test_no_filter_defaults_to_today_and_refuses_a_range_over_days() -> None:
    assert plan(Filters(), now=T0).partition == "AUDIT#2026-12-07"
    assert plan(Filters(end=T0), now=T0).partition == "AUDIT#2026-12-07"
    with pytest.raises(ValidationFailed) as refused:
        plan(Filters(start=T0 - timedelta(days=1), end=T0), now=T0)
    assert "within one UTC day" in str(refused.value.details)
    with pytest.raises(ValidationFailed):
        plan(Filters(start=T0 - timedelta(days=1)), now=T0)  # `to` defaults to now: two days


def test_an_inverted_range_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        plan(Filters(actor="U1", start=T0, end=T0))
    with pytest.raises(ValidationFailed):
        plan(Filters(actor="U1", start=T0, end=T0 - timedelta(seconds=1)))


def test_times_are_stamped_in_utc_like_the_sort_keys() -> None:
    assert stamp(T0) == "2026-12-07T10:00:00.000+00:00"
    assert stamp(datetime(2026, 12, 7, 12, 0, tzinfo=timezone(timedelta(hours=2)))) == stamp(T0)
    assert stamp(datetime(2026, 12, 7, 10, 0)) == stamp(T0)  # naive = UTC


@pytest.mark.parametrize("value", ["order", ":O1", "order:", ""])
def test_a_resource_is_type_colon_id(value: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_resource(value)
    assert parse_resource("order:O1:x") == ("order", "O1:x")


def test_report_range_defaults_and_cap() -> None:
    today = date(2026, 12, 7)
    assert report_range(None, None, today=today) == (date(2026, 12, 1), today)
    last = date(2026, 12, 31)
    assert report_range(last - timedelta(days=MAX_REPORT_DAYS - 1), last) == (date(2026, 12, 1), last)
    with pytest.raises(ValidationFailed):
        report_range(last - timedelta(days=MAX_REPORT_DAYS), last)
    with pytest.raises(ValidationFailed):
        report_range(date(2026, 12, 8), today)
    assert len(counters.days(date(2026, 12, 1), last)) == MAX_REPORT_DAYS


def test_shards_are_stable_and_spread() -> None:
    ids = [f"01HX{n:08d}" for n in range(2000)]
    assert [counters.shard_of(i) for i in ids] == [counters.shard_of(i) for i in ids]
    spread = Counter(counters.shard_of(i) for i in ids)
    assert set(spread) == set(range(counters.SHARDS))
    assert min(spread.values()) > 2000 / counters.SHARDS / 2
    assert counters.shard_key("2026-12-07", 3) == ("AUDIT_STATS#2026-12-07", "SHARD#03")


def test_shard_items_sum() -> None:
    counts = counters.Counts()
    counters.add_raw(counts, {"pk": {"S": "AUDIT_STATS#d"}, "total": {"N": "3"}, "a:order.cancel": {"N": "2"},
                              "a:product.update": {"N": "1"}, "u:U1": {"N": "3"}})  # fmt: skip
    counters.add_raw(counts, {"total": {"N": "2"}, "a:order.cancel": {"N": "2"}, "u:U2": {"N": "1"},
                              "u:U1": {"N": "1"}})  # fmt: skip
    assert counts.total == 5
    assert counts.by_action == {"order.cancel": 4, "product.update": 1}
    assert counts.by_actor == {"U1": 4, "U2": 1}
