"""Entitlements: what a subscriber's plan allows right now, from one cached item, never from Stripe.

A subscriber is a user or a team (:class:`Subscriber`). Billing's webhook writes the subscriber's
:class:`~souk.plans.models.Entitlement` (:func:`grant`) in the transaction that stores the
subscription's newest state; every limited request reads it with one GetItem (:func:`current`) and
applies :func:`souk.plans.rules.granted_plan`: ``active``/``trialing`` grant the plan, ``past_due``
keeps it for ``PLAN_GRACE_DAYS`` (7 by default) after it fell past due, anything else is Free. No
item: Free, counted per UTC calendar month.

A limit reached is :func:`require_within`'s 403 ``FORBIDDEN`` whose message and ``details`` name
the limit (``teamMembers``, ``apiKeys``, ``exportsPerMonth``); a feature the plan lacks is
:func:`require_feature`'s 403 naming the feature (``analytics``) and the plans that have it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.errors import Forbidden
from souk.plans import catalog, rules
from souk.plans.catalog import FREE, Feature, Plan
from souk.plans.store import entitlements as store
from souk.settings import get_settings

# The limits by their name in the API (plans' ``limits``) -> the attribute of catalog.Limits.
LIMITS = {"teamMembers": "team_members", "apiKeys": "api_keys", "exportsPerMonth": "exports_per_month"}


@dataclass(frozen=True, slots=True)
class Subscriber:
    """Who holds a plan: a user or a team."""

    kind: Literal["user", "team"]
    id: str

    @property
    def key(self) -> str:
        return f"{self.kind}#{self.id}"

    @classmethod
    def from_key(cls, key: str) -> Subscriber:
        kind, _, ident = key.partition("#")
        if kind not in ("user", "team") or not ident:
            raise ValueError(f"not a subscriber key: {key!r}")
        return cls("team" if kind == "team" else "user", ident)


@dataclass(frozen=True, slots=True)
class Granted:
    """The plan a subscriber may use now and the billing period usage counts in."""

    plan: Plan
    period_start: datetime
    period_end: datetime
    status: str | None  # the subscription's status; None: no subscription (Free)

    def limit(self, name: str) -> int | None:
        return getattr(self.plan.limits, LIMITS[name])  # type: ignore[no-any-return]


def grace() -> timedelta:
    return timedelta(days=get_settings().plan_grace_days)


def grant(tx: WriteTransaction, subscriber: Subscriber, *, plan_id: str, status: str, period_start: datetime,
          period_end: datetime, past_due_since: datetime | None) -> None:  # fmt: skip
    """Store what the subscription's newest state grants, in the caller's transaction (billing's webhook)."""
    store.put(tx, subscriber.key, plan_id=plan_id, status=status, period_start=period_start, period_end=period_end,
              past_due_since=past_due_since)  # fmt: skip


def granted(item_plan: str | None, status: str | None, *, period_start: datetime | None,
            period_end: datetime | None, past_due_since: datetime | None, now: datetime) -> Granted:  # fmt: skip
    """Pure: the entitlement's fields -> the plan granted now and its current period."""
    subscribed = catalog.plan(item_plan or "") or FREE
    plan = FREE if status is None else rules.granted_plan(subscribed, status, past_due_since=past_due_since,
                                                           now=now, grace=grace())  # fmt: skip
    if plan.paid and period_start is not None and period_end is not None:
        start, end = rules.current_period(period_start, period_end, now)
    else:
        start, end = rules.calendar_month(now)
    return Granted(plan=plan, period_start=start, period_end=end, status=status)


def current(subscriber: Subscriber, *, now: datetime | None = None) -> Granted:
    """The plan the subscriber may use now (one GetItem); Free with the calendar month when none is stored."""
    item = store.get(subscriber.key)
    moment = now or utc_now()
    if item is None:
        return granted(None, None, period_start=None, period_end=None, past_due_since=None, now=moment)
    return granted(item.plan, item.status, period_start=item.period_start, period_end=item.period_end,
                   past_due_since=item.past_due_since, now=moment)  # fmt: skip


def limit_reached(name: str, limit: int, plan: Plan) -> Forbidden:
    return Forbidden(f"Your plan allows {limit} {name}.",
                     details=[{"field": name, "message": f"limit {limit} on the {plan.id} plan"}])  # fmt: skip


def require_within(subscriber: Subscriber, limit_name: str, count: int) -> Granted:
    """403 naming ``limit_name`` when ``count`` does not fit the subscriber's plan; else what it grants."""
    found = current(subscriber)
    limit = found.limit(limit_name)
    if not catalog.within(limit, count):
        raise limit_reached(limit_name, int(limit or 0), found.plan)
    return found


def feature_missing(feature: Feature, plan: Plan) -> Forbidden:
    return Forbidden(catalog.where_feature_is(feature),
                     details=[{"field": feature, "message": f"not on the {plan.id} plan"}])  # fmt: skip


def require_feature(subscriber: Subscriber, feature: Feature) -> Granted:
    """403 naming ``feature`` when the subscriber's plan (granted now, one GetItem) lacks it; else what it grants."""
    if feature not in catalog.FEATURES:
        raise ValueError(f"not a plan feature: {feature!r}")
    found = current(subscriber)
    if not found.plan.has(feature):
        raise feature_missing(feature, found.plan)
    return found
