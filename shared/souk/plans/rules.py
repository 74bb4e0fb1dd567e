"""Entitlement rules, pure: what a subscription's status grants, and which billing period it is.

No AWS and no Stripe: :mod:`souk.plans.service.entitlements` reads the cached entitlement item and
applies these; the unit tests cover them without a table.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta

from souk.plans.catalog import FREE, Plan

# A past_due subscription keeps its plan this long after it fell past due (settings: PLAN_GRACE_DAYS).
DEFAULT_GRACE = timedelta(days=7)


def granted_plan(plan: Plan, status: str, *, past_due_since: datetime | None, now: datetime,
                 grace: timedelta) -> Plan:  # fmt: skip
    """The plan a subscriber's status gives access to.

    ``active`` and ``trialing``: the plan. ``past_due``: the plan for ``grace`` after it fell past
    due (unknown since when: from ``now``, so still granted), then Free. Anything else (not paid
    yet, ``unpaid``, ``canceled``, expired, paused): Free.
    """
    if status in ("active", "trialing"):
        return plan
    if status == "past_due" and (past_due_since is None or now < past_due_since + grace):
        return plan
    return FREE


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` later, the day clamped to the month's last (Jan 31 + 1 month: Feb 28/29)."""
    year, month0 = divmod(moment.year * 12 + moment.month - 1 + months, 12)
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return moment.replace(year=year, month=month0 + 1, day=min(moment.day, last_day))


def calendar_month(now: datetime) -> tuple[datetime, datetime]:
    """The UTC calendar month holding ``now``: Free's billing period (no Stripe period to follow)."""
    start = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start, add_months(start, 1)


def current_period(start: datetime, end: datetime, now: datetime) -> tuple[datetime, datetime]:
    """The billing period holding ``now`` for a subscription whose stored period is ``[start, end)``.

    Stripe's renewal event moves the stored period; until it arrives (late or lost), the period
    rolls on monthly from the stored start (the same anchor day, clamped), so usage never lands in
    an ended period. Before ``start`` (a clock behind the event's), the stored period.
    """
    if now < end:
        return start, end
    months = (now.year - start.year) * 12 + now.month - start.month
    begin = add_months(start, months)
    if begin > now:
        months -= 1
        begin = add_months(start, months)
    return begin, add_months(start, months + 1)


def period_key(start: datetime) -> str:
    """The usage item's key part for the period starting at ``start`` (UTC, to the second)."""
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
