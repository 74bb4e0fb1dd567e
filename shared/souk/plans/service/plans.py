"""The plans on offer, cheapest first: configuration in code, no table and no Stripe call."""

from __future__ import annotations

from souk.plans.catalog import PLANS
from souk.plans.schemas import PlanOut, plan_out


def list_plans() -> list[PlanOut]:
    return [plan_out(p) for p in sorted(PLANS.values(), key=lambda p: p.amount)]
