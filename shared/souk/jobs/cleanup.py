"""The hourly cleanup: expired sessions, codes, reset tokens, OAuth states and guest carts, unpaid orders
(cancelled, stock released) and card refunds still pending (sent again), promptly.

TTL would delete them too, but only eventually; until then an expired session still shows
in its user's list and dead codes and states sit in the table. The job walks the expiry
index (:mod:`souk.db.expiry`) one hour bucket at a time, from the bucket after the one
its cursor says it finished up to the current hour (read up to "now"), and removes each
entry with a delete conditional on the entry it read: an item re-created meanwhile with
a later expiry (a resent code) has moved to another bucket and is left alone.

No Scan: one Query per page of a bucket, one or two writes per expired item, one GetItem
and one PutItem for the cursor. Re-running is harmless: what is gone is not found again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError, UpdateError

from souk.cart.models import Cart
from souk.db import expiry, keys
from souk.db.base import SoukItem
from souk.identity.models import OAuthState, OneTimeCode, ResetToken, Session
from souk.jobs.models import JobCursor
from souk.jobs.schedule import Budget
from souk.observability import logger, metrics
from souk.orders.expiry import expire_raw
from souk.payments.refund_retry import resend

JOB_NAME = "cleanup"
# Without a cursor (first run ever), older buckets are left to TTL, which has had two days.
FIRST_RUN_LOOKBACK_HOURS = 48
PAGE_SIZE = 100

RawItem = dict[str, Any]


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


def _conditional_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def _deleter(model: type[SoukItem]) -> Callable[[RawItem], bool]:
    """Delete the item if its index entry is still the one read (else it was re-created or is gone)."""

    def delete(raw: RawItem) -> bool:
        item = model.from_raw_data(raw)
        try:
            item.delete(condition=model.gsi4sk == item.gsi4sk)
        except DeleteError as error:
            if _conditional_failure(error):
                return False
            raise
        return True

    return delete


def _expire_session(raw: RawItem) -> bool:
    """Revoke first (its access token is refused even if the delete then fails), then delete."""
    session = Session.from_raw_data(raw)
    seen = Session.gsi4sk == session.gsi4sk
    try:
        reason = Session.revoked_reason.set(Session.revoked_reason | "expired")  # keeps an earlier reason
        session.update(actions=[Session.revoked.set(True), reason], condition=seen)
        session.delete(condition=seen)
    except (UpdateError, DeleteError) as error:
        if _conditional_failure(error):
            return False
        raise
    return True


# Entity (discriminator) -> how to remove one expired item. A new expiring entity adds itself here.
HANDLERS: dict[str, Callable[[RawItem], bool]] = {
    "Session": _expire_session,
    "OneTimeCode": _deleter(OneTimeCode),
    "ResetToken": _deleter(ResetToken),
    "OAuthState": _deleter(OAuthState),
    "Cart": _deleter(Cart),  # guest carts only (customers' carts carry no expiry keys)
    "Order": expire_raw,  # unpaid card orders past reservedUntil: cancelled, stock released
    "Refund": resend,  # card refunds still pending: sent again with their idempotency key
}


def _cursor_key() -> tuple[str, str]:
    return keys.job(JOB_NAME), keys.JOB_CURSOR


def last_finished_bucket() -> str | None:
    """The cursor: the last hour bucket a run finished, or None before the first run."""
    try:
        return JobCursor.get(*_cursor_key(), consistent_read=True).last_bucket
    except DoesNotExist:
        return None


def _save_cursor(bucket: str) -> None:
    pk, sk = _cursor_key()
    try:
        # Never backwards: a slower concurrent run (a duplicate delivery) must not rewind it.
        JobCursor(pk=pk, sk=sk, last_bucket=bucket).save(
            condition=JobCursor.pk.does_not_exist() | (JobCursor.last_bucket < bucket)
        )
    except PutError as error:
        if not _conditional_failure(error):
            raise


def _sweep(bucket: str, upper: str, report: CleanupReport, budget: Budget) -> bool:
    """Remove every entry of one bucket that expired before ``upper``; False when out of time."""
    connection = SoukItem._get_connection()
    start_key: dict[str, Any] | None = None
    while True:
        if budget.exhausted():
            return False
        page = connection.query(keys.expiry_bucket(bucket), range_key_condition=SoukItem.gsi4sk < upper,
                                index_name=expiry.INDEX_NAME, exclusive_start_key=start_key,
                                limit=PAGE_SIZE)  # fmt: skip
        for raw in page.get("Items", []):
            entity = raw.get("entity", {}).get("S", "?")
            handler = HANDLERS.get(entity)
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
        _save_cursor(report.cursor)
    _observe(report)
    return report


def _observe(report: CleanupReport) -> None:
    for entity, count in report.deleted.items():
        metrics.add_metric(name=f"Expired{entity}Deleted", unit=MetricUnit.Count, value=count)
    metrics.add_metric(name="ExpiredItemsDeleted", unit=MetricUnit.Count, value=report.total)
    metrics.add_metric(name="CleanupBucketsSwept", unit=MetricUnit.Count, value=report.buckets)
    logger.info("cleanup finished" if report.complete else "cleanup stopped for time; the next run goes on",
                extra={"cleanup": report.as_dict()})  # fmt: skip
