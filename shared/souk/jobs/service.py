"""The hourly cleanup: every domain's expired items (sessions, codes, guest carts, unpaid orders, pending
card refunds...), removed or acted on promptly.

TTL would delete them too, but only eventually; until then an expired session still shows
in its user's list and dead codes and states sit in the table. The job walks the expiry
index (:mod:`souk.db.expiry`) one hour bucket at a time, from the bucket after the one
its cursor says it finished up to the current hour (read up to "now"), and hands each
entry to the handler its domain declared for the entity: a delete conditional on the
entry it read (:func:`delete_if_unchanged`: an item re-created meanwhile with a later
expiry, such as a resent code, has moved to another bucket and is left alone), or the
domain's own action (an unpaid order is cancelled, a pending refund sent again).

Each domain declares its expiring entities in ``souk/<domain>/expiring.py``, a dict
``EXPIRING`` of discriminator -> handler; the job finds them by that convention
(:mod:`souk.registry`) and names no domain. A new expiring entity writes the index keys
and adds itself to its domain's ``EXPIRING``.

No Scan: one Query per page of a bucket, one or two writes per expired item, one GetItem
and one PutItem for the cursor. Re-running is harmless: what is gone is not found again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache, partial
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from souk import registry
from souk.db import expiry
from souk.db.base import SoukItem
from souk.jobs import store
from souk.jobs.schedule import Budget
from souk.observability import logger, metrics

JOB_NAME = "cleanup"
# Without a cursor (first run ever), older buckets are left to TTL, which has had two days.
FIRST_RUN_LOOKBACK_HOURS = 48
PAGE_SIZE = 100

RawItem = dict[str, Any]
# What to do with one due entry (the raw item of the index page): True when it is done with.
ExpiryHandler = Callable[[RawItem], bool]


def delete_if_unchanged(model: type[SoukItem]) -> ExpiryHandler:
    """The handler of an entity that simply goes: delete it if its index entry is still the one read."""
    return partial(store.delete_unchanged, model)


@cache
def handlers() -> dict[str, ExpiryHandler]:
    """Entity (discriminator) -> its handler, from every ``souk.<domain>.expiring`` (imported at run time).

    Raises
    ------
    ValueError
        Two domains declare the same entity.
    """
    found: dict[str, ExpiryHandler] = {}
    for module in registry.declaring("expiring"):
        for entity, handler in module.EXPIRING.items():
            if entity in found:
                raise ValueError(f"{module.__name__} declares {entity!r}, which another domain declared")
            found[entity] = handler
    return found


@dataclass
class CleanupReport:
    """What one run did; returned by the Lambda and logged."""

    first_bucket: str | None = None
    cursor: str | None = None
    buckets: int = 0
    deleted: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    complete: bool = True

    @property
    def total(self) -> int:
        return sum(self.deleted.values())

    def as_dict(self) -> dict[str, Any]:
        return {"firstBucket": self.first_bucket, "cursor": self.cursor, "buckets": self.buckets,
                "deleted": dict(self.deleted), "total": self.total, "skipped": self.skipped,
                "complete": self.complete}  # fmt: skip


def last_finished_bucket() -> str | None:
    """The cursor: the last hour bucket a run finished, or None before the first run."""
    return store.last_bucket(JOB_NAME)


def _sweep(bucket: str, upper: str, report: CleanupReport, budget: Budget) -> bool:
    """Remove every entry of one bucket that expired before ``upper``; False when out of time."""
    declared = handlers()
    start_key: dict[str, Any] | None = None
    while True:
        if budget.exhausted():
            return False
        page = store.bucket_page(bucket, upper, start_key, PAGE_SIZE)
        for raw in page.get("Items", []):
            entity = raw.get("entity", {}).get("S", "?")
            handler = declared.get(entity)
            if handler is None:
                logger.warning("expiry index entry of an entity the cleanup does not handle",
                               extra={"entity": entity, "pk": raw.get("pk", {}).get("S")})  # fmt: skip
                report.skipped += 1
            elif handler(raw):
                report.deleted[entity] = report.deleted.get(entity, 0) + 1
            else:
                report.skipped += 1
        start_key = page.get("LastEvaluatedKey")
        if not start_key:
            return True


def run(budget: Budget | None = None, *, now: datetime | None = None) -> CleanupReport:
    """One cleanup run, up to ``now`` (default: the current time).

    Parameters
    ----------
    budget
        When to stop starting new pages; what is left waits for the next run.
    now
        The run's clock; tests pass a later one to age items without waiting.
    """
    budget = budget or Budget.unlimited()
    now = now or datetime.now(UTC)
    current = expiry.hour_bucket(now)
    upper = expiry.stamp(now)
    finished = last_finished_bucket()
    lookback = now - timedelta(hours=FIRST_RUN_LOOKBACK_HOURS)
    bucket = expiry.next_bucket(finished) if finished else expiry.hour_bucket(lookback)
    report = CleanupReport(first_bucket=bucket if bucket <= current else None, cursor=finished)
    while bucket <= current:
        if not _sweep(bucket, upper, report, budget):
            report.complete = False
            break
        report.buckets += 1
        if bucket < current:  # the current hour is only read up to now: it is finished next time
            report.cursor = bucket
        bucket = expiry.next_bucket(bucket)
    if report.cursor and report.cursor != finished:
        store.save_cursor(JOB_NAME, report.cursor)
    _observe(report)
    return report


def _observe(report: CleanupReport) -> None:
    for entity, count in report.deleted.items():
        metrics.add_metric(name=f"Expired{entity}Deleted", unit=MetricUnit.Count, value=count)
    metrics.add_metric(name="ExpiredItemsDeleted", unit=MetricUnit.Count, value=report.total)
    metrics.add_metric(name="CleanupBucketsSwept", unit=MetricUnit.Count, value=report.buckets)
    logger.info("cleanup finished" if report.complete else "cleanup stopped for time; the next run goes on",
                extra={"cleanup": report.as_dict()})  # fmt: skip
