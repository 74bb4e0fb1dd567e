"""Plans as configuration: Free, Pro and Enterprise with their price, features and limits.

Pure data and rules, no AWS and no Stripe: subscriptions name a plan by id, Stripe bills it
through the price id of the settings (``STRIPE_PRICE_PRO``, ``STRIPE_PRICE_ENTERPRISE``), and
feature gating reads a plan's limits (``None``: unlimited). Free has no Stripe price: it needs
no Stripe call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from souk.settings import get_settings

PlanId = Literal["free", "pro", "enterprise"]
CURRENCY = "usd"
INTERVAL = "month"


@dataclass(frozen=True, slots=True)
class Limits:
    """The most a subscriber may have on a plan; ``None``: unlimited."""

    team_members: int | None
    api_keys: int | None
    exports_per_month: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    id: PlanId
    amount: int  # minor units of CURRENCY, per INTERVAL
    features: tuple[str, ...]
    limits: Limits

    @property
    def paid(self) -> bool:
        return self.amount > 0

    def stripe_price(self) -> str | None:
        """The Stripe price id that bills this plan (from the settings); ``None`` for Free or when unset."""
        settings = get_settings()
        return {"pro": settings.stripe_price_pro, "enterprise": settings.stripe_price_enterprise}.get(self.id)


PLANS: dict[PlanId, Plan] = {
    "free": Plan("free", 0, ("storefront", "orders"), Limits(team_members=3, api_keys=1, exports_per_month=2)),
    "pro": Plan("pro", 2900, ("storefront", "orders", "teams", "api_keys", "exports", "analytics"),
                Limits(team_members=10, api_keys=10, exports_per_month=50)),
    "enterprise": Plan("enterprise", 9900,
                       ("storefront", "orders", "teams", "api_keys", "exports", "analytics", "audit_logs", "sso"),
                       Limits(team_members=None, api_keys=None, exports_per_month=None)),
}  # fmt: skip
FREE = PLANS["free"]


def plan(plan_id: str) -> Plan | None:
    """The plan with this id, or ``None`` for an unknown one."""
    return PLANS.get(plan_id)  # type: ignore[call-overload]


def within(limit: int | None, count: int) -> bool:
    """Whether ``count`` items fit a plan's ``limit`` (``None``: unlimited)."""
    return limit is None or count <= limit
