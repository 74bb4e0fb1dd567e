"""Subscribers on a plan for tests: the entitlement billing's webhook grants for an active subscription."""

from __future__ import annotations

from datetime import timedelta

from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber


def on_plan(kind: str, subscriber_id: str, plan: str = "pro", status: str = "active") -> None:
    """``kind`` ``user`` or ``team``: its entitlement as an active ``plan`` subscription leaves it."""
    now = utc_now()
    with WriteTransaction() as tx:
        entitlements.grant(tx, Subscriber("team" if kind == "team" else "user", subscriber_id), plan_id=plan,
                           status=status, period_start=now, period_end=now + timedelta(days=30),
                           past_due_since=None)  # fmt: skip
