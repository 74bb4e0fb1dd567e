"""What clients send and see of subscriptions, usage and invoices (camelCase).

The contract (``../shared/API.md``): a subscription is ``{id, plan, status, currentPeriodEnd,
cancelAtPeriodEnd, clientSecret?}``, owned by the caller or by a team (``teamId``).
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from souk.billing.models import Invoice, Subscription
from souk.money import Money, money
from souk.schema import CamelModel, PageQuery, PatchModel

PaidPlan = Literal["pro", "enterprise"]
TEAM_ID = "The team whose subscription it is (its admins and owners manage it); none: the caller's."
TeamId = Field(None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", description=TEAM_ID)


class SubscriptionIn(CamelModel):
    plan: PaidPlan = Field(description="A paid plan: Free needs no subscription.")
    team_id: str | None = TeamId


class SubscriptionUpdateIn(PatchModel):
    not_nullable: ClassVar[tuple[str, ...]] = ("plan", "cancel_at_period_end")

    plan: PaidPlan | None = Field(None, description="Another paid plan, prorated from now.")
    cancel_at_period_end: bool | None = Field(None, description="true: ends at the period's end; false: undoes it.")


class SubscriberQuery(CamelModel):
    team_id: str | None = TeamId


class InvoicesQuery(PageQuery):
    team_id: str | None = TeamId


class UsageOut(CamelModel):
    period_start: datetime
    period_end: datetime
    exports: int = Field(description="Exports started in the period (the plan's exportsPerMonth).")
    api_calls: int = Field(description="Requests made with the subscriber's API keys in the period.")
    api_calls_by_key: dict[str, int] = Field(description="The same per API key id.")


class SubscriptionOut(CamelModel):
    id: str | None = Field(description="null: no subscription, the Free plan.")
    plan: str
    status: Literal["incomplete", "incomplete_expired", "trialing", "active", "past_due", "canceled", "unpaid",
                    "paused"]  # fmt: skip
    current_period_end: datetime | None
    cancel_at_period_end: bool
    client_secret: str | None = Field(default=None, description="While the first payment is due (Stripe.js).")
    team_id: str | None = None
    usage: UsageOut | None = None


class InvoiceOut(CamelModel):
    id: str
    amount: Money = Field(description="Amount due.")
    amount_paid: Money
    status: str = Field(examples=["paid"], description="draft | open | paid | uncollectible | void")
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str | None
    created_at: datetime


def _team(subscriber: str) -> str | None:
    kind, _, ident = subscriber.partition("#")
    return ident if kind == "team" else None


def subscription_out(item: Subscription, usage: UsageOut | None = None) -> SubscriptionOut:
    secret = item.client_secret if item.status == "incomplete" else None
    return SubscriptionOut(id=item.subscription_id, plan=item.plan, status=item.status,  # type: ignore[arg-type]
                           current_period_end=item.current_period_end,
                           cancel_at_period_end=bool(item.cancel_at_period_end), client_secret=secret,
                           team_id=_team(item.subscriber), usage=usage)  # fmt: skip


def invoice_out(item: Invoice) -> InvoiceOut:
    return InvoiceOut(id=item.invoice_id, amount=money(int(item.amount), item.currency),
                      amount_paid=money(int(item.amount_paid or 0), item.currency), status=item.status,
                      period_start=item.period_start, period_end=item.period_end,
                      hosted_invoice_url=item.hosted_invoice_url, created_at=item.created_at)  # fmt: skip
