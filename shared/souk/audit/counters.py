"""Per-day counts of audit records by action and by actor, kept on write and summed on read.

Every audited write bumps one of :data:`SHARDS` counter items of its UTC day (``pk``
``AUDIT_STATS#<day>``, ``sk`` ``SHARD#<n>``, ``n`` from a hash of the record id): attributes
``total``, ``a:<action>`` and ``u:<actorId>``, each an atomic ``ADD``. The bump is a plain
UpdateItem sent *after* the mutation's transaction commits, never an item of that transaction:
DynamoDB cancels a transaction whose item another transaction holds (``TransactionConflict``), so a
counter inside every audited transaction would make unrelated mutations fail against each other;
plain UpdateItems on one item queue instead of failing, and ten shards spread the write rate of a
busy day. The report reads one Query per day (the day's ten shard items) whatever the log holds.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from pynamodb.attributes import NumberAttribute

from souk.audit import keys
from souk.db.base import SoukItem, connection
from souk.db.keys import join
from souk.observability import logger

SHARDS = 10
ACTION_PREFIX = "a:"
ACTOR_PREFIX = "u:"
TOTAL = "total"


def shard_of(audit_id: str) -> int:
    """The counter shard of a record: stable (a retry bumps the same one) and spread evenly."""
    return int.from_bytes(hashlib.sha256(audit_id.encode()).digest()[:4], "big") % SHARDS


def shard_key(day: str, shard: int) -> tuple[str, str]:
    return keys.audit_stats(day), join("SHARD", f"{shard:02d}")


@dataclass
class Counts:
    total: int = 0
    by_action: Counter[str] = field(default_factory=Counter)
    by_actor: Counter[str] = field(default_factory=Counter)


def bump(*, audit_id: str, day: str, action: str, actor_id: str) -> None:
    """Count a written record in its day's shard. A failure is logged, never raised: the mutation is committed."""
    pk, sk = shard_key(day, shard_of(audit_id))
    one = 1
    actions = [NumberAttribute(attr_name=TOTAL).add(one),
               NumberAttribute(attr_name=ACTION_PREFIX + action).add(one),
               NumberAttribute(attr_name=ACTOR_PREFIX + actor_id).add(one)]  # fmt: skip
    try:
        connection().update_item(SoukItem.Meta.table_name, pk, sk, actions=actions)
    except Exception:  # the record is written; only its count is lost (README: Audit logs)
        logger.exception("audit counter not bumped", extra={"auditId": audit_id, "day": day})


def add_raw(counts: Counts, raw: dict[str, dict[str, str]]) -> None:
    """Add one shard item (DynamoDB JSON) to ``counts``."""
    for name, value in raw.items():
        if "N" not in value:
            continue
        number = int(value["N"])
        if name == TOTAL:
            counts.total += number
        elif name.startswith(ACTION_PREFIX):
            counts.by_action[name[len(ACTION_PREFIX) :]] += number
        elif name.startswith(ACTOR_PREFIX):
            counts.by_actor[name[len(ACTOR_PREFIX) :]] += number


def days(first: date, last: date) -> list[str]:
    """Every UTC day from ``first`` to ``last`` inclusive, as ISO dates."""
    return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def read(first: date, last: date) -> Counts:
    """The sums over ``first``..``last``: one Query per day (more only if a day's shards pass 1 MB)."""
    counts = Counts()
    for day in days(first, last):
        start: dict[str, object] | None = None
        while True:
            page = connection().query(SoukItem.Meta.table_name, keys.audit_stats(day), exclusive_start_key=start)
            for raw in page.get("Items", []):
                add_raw(counts, raw)
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    return counts
