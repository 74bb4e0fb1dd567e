"""What clients see of plans (camelCase)."""

from __future__ import annotations

from pydantic import Field

from souk.money import Money, money
from souk.plans.catalog import CURRENCY, INTERVAL, Plan, PlanId
from souk.schema import CamelModel


class LimitsOut(CamelModel):
    team_members: int | None = Field(description="Members, pending invites included; null: unlimited.")
    api_keys: int | None = Field(description="Active API keys; null: unlimited.")
    exports_per_month: int | None = Field(description="Exports per billing period; null: unlimited.")


class PlanOut(CamelModel):
    id: PlanId
    price: Money
    interval: str = Field(examples=[INTERVAL])
    features: list[str]
    limits: LimitsOut


def plan_out(plan: Plan) -> PlanOut:
    limits = plan.limits
    return PlanOut(id=plan.id, price=money(plan.amount, CURRENCY), interval=INTERVAL, features=list(plan.features),
                   limits=LimitsOut(team_members=limits.team_members, api_keys=limits.api_keys,
                                    exports_per_month=limits.exports_per_month))  # fmt: skip
