"""The data layer on DynamoDB Local: transactions, optimistic locking, counters under races."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from souk.audit import service as audit
from souk.audit.models import AuditRecord
from souk.db.base import SoukItem, VersionedItem
from souk.db.ratelimit import RateLimit
from souk.db.transactions import TransactionCancelled, WriteTransaction

pytestmark = pytest.mark.integration


class Counter(VersionedItem, discriminator="TestCounter"):
    value = NumberAttribute(default=0)


class Thing(SoukItem, discriminator="TestThing"):
    name = UnicodeAttribute()


def test_transaction_reports_which_item_failed(table: str) -> None:
    # GIVEN an existing thing
    Thing(pk="THING#1", sk="A", name="one").save()
    # WHEN a transaction updates a counter, then puts a thing that must not exist yet
    with pytest.raises(TransactionCancelled) as cancelled, WriteTransaction() as tx:
        tx.put(Thing(pk="THING#2", sk="A", name="two"), Thing.pk.does_not_exist(), label="thing-2")
        tx.put(Thing(pk="THING#1", sk="A", name="dup"), Thing.pk.does_not_exist(), label="thing-1")
    # THEN the reason names the item by label, whatever order PynamoDB sent them in
    assert cancelled.value.failed() == ["thing-1"]
    # AND nothing was written
    assert Thing.count("THING#2") == 0


def test_optimistic_locking_refuses_a_stale_save(table: str) -> None:
    # GIVEN two readers of the same counter
    Counter(pk="C#1", sk="C").save()
    first, second = Counter.get("C#1", "C"), Counter.get("C#1", "C")
    # WHEN both save
    first.value = 1
    first.save()
    second.value = 2
    # THEN the second, stale one is refused
    with pytest.raises(PutError):
        second.save()
    assert Counter.get("C#1", "C").value == 1


def test_rate_limit_counts_every_parallel_hit_exactly(table: str) -> None:
    # GIVEN a limit of 10 hits per window
    limit = RateLimit("it", 10, 900)
    # WHEN 40 hits arrive at once
    with ThreadPoolExecutor(max_workers=8) as pool:
        states = list(pool.map(lambda _: limit.hit("subject", now=5000), range(40)))
    # THEN each got a distinct count, and exactly 10 were within the limit
    assert sorted(s.count for s in states) == list(range(1, 41))
    assert sum(not s.exceeded for s in states) == 10
    assert limit.peek("subject", now=5000).count == 40


def test_audit_record_is_written_atomically_with_the_mutation(table: str) -> None:
    # GIVEN a mutation and its audit record in one transaction
    actor = audit.Actor(user_id="U1", role="admin", ip="1.2.3.4", user_agent="pytest")
    with WriteTransaction() as tx:
        tx.put(Thing(pk="THING#9", sk="A", name="nine"), label="thing")
        audit.record(actor, "thing.create", "thing", "9", tx=tx, after={"name": "nine", "password": "x"})
    # THEN the record is found by actor, by resource and by action through the GSIs
    by_actor = list(AuditRecord.gsi1.query("AUDIT_ACTOR#U1"))
    by_resource = list(AuditRecord.gsi2.query("AUDIT_RES#thing#9"))
    by_action = list(AuditRecord.gsi3.query("AUDIT_ACTION#thing.create"))
    assert len(by_actor) == len(by_resource) == len(by_action) == 1
    assert by_actor[0].after == {"name": "nine", "password": "[redacted]"}
    assert by_actor[0].ip == "1.2.3.4"


def test_a_failed_transaction_leaves_no_audit_record(table: str) -> None:
    Thing(pk="THING#5", sk="A", name="five").save()
    actor = audit.Actor(user_id="U2")
    with pytest.raises(TransactionCancelled), WriteTransaction() as tx:
        tx.put(Thing(pk="THING#5", sk="A", name="again"), Thing.pk.does_not_exist(), label="thing")
        audit.record(actor, "thing.create", "thing", "5", tx=tx)
    assert list(AuditRecord.gsi1.query("AUDIT_ACTOR#U2")) == []
