"""Plans as configuration: Free, Pro and Enterprise with their price, features and limits.

Pure data and rules, no AWS and no Stripe: subscriptions name a plan by id, Stripe bills it
through the price id of the settings (``STRIPE_PRICE_PRO``, ``STRIPE_PRICE_ENTERPRISE``), and
gating reads a plan's features and limits (``None``: unlimited) from the subscriber's cached
entitlement (:mod:`souk.plans.service.entitlements`). Free has no Stripe price: it needs no
Stripe call.

Features: every plan has ``storefront``, ``orders``, ``teams``, ``api_keys`` and ``exports``
(how many is the plan's limits); Pro and Enterprise add ``analytics`` (a store owner's
``GET /api/v1/analytics``). Enterprise differs from Pro by its unlimited limits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from souk.settings import get_settings

PlanId = Literal["free", "pro", "enterprise"]
Feature = Literal["storefront", "orders", "teams", "api_keys", "exports", "analytics"]
# Each feature's name in a message ("Analytics is on the Pro and Enterprise plans.").
FEATURES: dict[Feature, str] = {"storefront": "Storefront", "orders": "Orders", "teams": "Teams",
                                "api_keys": "API keys", "exports": "Exports", "analytics": "Analytics"}  # fmt: skip
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
    features: tuple[Feature, ...]
    limits: Limits

    @property
    def name(self) -> str:
        return self.id.capitalize()

    def has(self, feature: Feature) -> bool:
        return feature in self.features

    @property
    def paid(self) -> bool:
        return self.amount > 0

    def stripe_price(self) -> str | None:
        """The Stripe price id that bills this plan (from the settings); ``None`` for Free or when unset."""
        settings = get_settings()
        return {"pro": settings.stripe_price_pro, "enterprise": settings.stripe_price_enterprise}.get(self.id)


BASE: tuple[Feature, ...] = ("storefront", "orders", "teams", "api_keys", "exports")
PLANS: dict[PlanId, Plan] = {
    "free": Plan("free", 0, BASE, Limits(team_members=3, api_keys=1, exports_per_month=2)),
    "pro": Plan("pro", 2900, (*BASE, "analytics"), Limits(team_members=10, api_keys=10, exports_per_month=50)),
    "enterprise": Plan("enterprise", 9900, (*BASE, "analytics"),
                       Limits(team_members=None, api_keys=None, exports_per_month=None)),
}  # fmt: skip
FREE = PLANS["free"]


def plan(plan_id: str) -> Plan | None:
    """The plan with this id, or ``None`` for an unknown one."""
    return PLANS.get(plan_id)  # type: ignore[call-overload]


def plans_with(feature: Feature) -> list[Plan]:
    """The plans that have ``feature``, cheapest first."""
    return [p for p in PLANS.values() if p.has(feature)]


def where_feature_is(feature: Feature) -> str:
    """Pure: ``"Analytics is on the Pro and Enterprise plans."``"""
    names = [p.name for p in plans_with(feature)]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{FEATURES[feature]} is on the {listed} plan{'s' if len(names) > 1 else ''}."


def within(limit: int | None, count: int) -> bool:
    """Whether ``count`` items fit a plan's ``limit`` (``None``: unlimited)."""
    return limit is None or count <= limit
