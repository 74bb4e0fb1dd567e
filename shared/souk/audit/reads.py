"""The audit log as admins read it: filtered pages (:mod:`souk.audit.query`) and the counts report."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from souk.audit import counters
from souk.audit.query import MAX_REPORT_DAYS, Filters, find, parse_resource
from souk.audit.schemas import (
    ActionCount,
    ActorCount,
    AuditLogOut,
    AuditLogQuery,
    AuditReportOut,
    AuditReportQuery,
)
from souk.errors import ValidationFailed


def list_logs(query: AuditLogQuery) -> tuple[list[AuditLogOut], str | None]:
    resource_type, resource_id = parse_resource(query.resource) if query.resource is not None else (None, None)
    filters = Filters(actor=query.actor, resource_type=resource_type, resource_id=resource_id, action=query.action,
                      start=query.start, end=query.end)  # fmt: skip
    records, cursor = find(filters, limit=query.limit, cursor=query.cursor)
    return [AuditLogOut.of(record) for record in records], cursor


def report_range(start: date | None, end: date | None, *, today: date | None = None) -> tuple[date, date]:
    """The inclusive day range of a report: defaults to the last 7 days; at most :data:`MAX_REPORT_DAYS`."""
    last = end or today or datetime.now(UTC).date()
    first = start or last - timedelta(days=6)
    if first > last:
        raise ValidationFailed.field("from", "`from` must not be after `to`.")
    if (last - first).days + 1 > MAX_REPORT_DAYS:
        raise ValidationFailed.field("to", f"A report covers at most {MAX_REPORT_DAYS} days; narrow the range.")
    return first, last


def report(query: AuditReportQuery) -> AuditReportOut:
    """Counts by action and by actor over the range: one Query per day of it, from the per-day counters."""
    first, last = report_range(query.start, query.end)
    counts = counters.read(first, last)
    by_action = sorted(counts.by_action.items(), key=lambda kv: (-kv[1], kv[0]))
    by_actor = sorted(counts.by_actor.items(), key=lambda kv: (-kv[1], kv[0]))
    return AuditReportOut(start=first, end=last, total=counts.total,
                          by_action=[ActionCount(action=a, count=n) for a, n in by_action if n],
                          by_actor=[ActorCount(actor_id=u, count=n) for u, n in by_actor if n])  # fmt: skip
