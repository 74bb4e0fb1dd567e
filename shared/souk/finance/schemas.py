"""Finance API models (API.md, "Finance") and converters from the entities."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import ConfigDict, Field

from souk.finance.models import Commission, Payout, StoreBalance
from souk.money import Money, money
from souk.schema import CamelModel, NonBlankText, PageQuery

AccountStatus = Literal["none", "pending", "active", "restricted"]
PayoutStatus = Literal["requested", "approved", "processing", "paid", "failed", "rejected"]
CommissionStatus = Literal["pending", "available", "reversed", "partially_reversed"]


class PayoutAccountOut(CamelModel):
    status: AccountStatus


class SignedMoney(CamelModel):
    """An amount that may be negative (a balance after a claw-back)."""

    amount: int = Field(strict=True)
    currency: str


class BalanceOut(CamelModel):
    """A store's money. ``available`` may be negative after a claw-back; later earnings net it off."""

    available: Money | SignedMoney
    pending: Money
    held: Money = Field(description="Disputed, until the dispute closes.")
    in_payout: Money
    paid_out: Money
    payout_account: PayoutAccountOut


class CommissionLineOut(CamelModel):
    line: int
    kind: Literal["product", "delivery"] = Field(
        "product",
        description="A product line; ``delivery`` only on orders paid before the delivery fee went to the "
        "platform (then the store kept it). The fee is the commission's ``deliveryFee`` now.",
    )
    product_id: str | None = Field(None, description="None for an old ``delivery`` line.")
    sku: str | None = None
    quantity: int
    gross: Money = Field(description="The line's total less its share of the order's discount.")
    rate_bps: int = Field(description="Frozen when the order was paid.")
    commission: Money
    net: Money
    reversed_gross: Money
    reversed_commission: Money
    reversed_net: Money


class CommissionOut(CamelModel):
    """One paid order's split. ``gross`` is the goods' (what the customer paid less the delivery fee), so
    ``net = gross - commission`` is all the store earns; ``deliveryFee`` is what the customer paid for delivery,
    passed to the platform (its courier delivers), never part of the store's net."""

    order_id: str
    gross: Money = Field(description="The goods the customer paid for, after discounts; excludes the delivery fee.")
    commission: Money = Field(description="The platform's cut of the goods.")
    net: Money = Field(description="The store's: gross less commission.")
    delivery_fee: Money = Field(description="Paid by the customer for delivery; the platform's, to pay the courier.")
    rate_bps: int = Field(description="The goods' effective rate (commission / gross); each line keeps its own.")
    status: CommissionStatus = Field(description="reversed: everything the customer paid, fee included, went back.")
    reversed_gross: Money
    reversed_commission: Money
    reversed_net: Money
    reversed_delivery_fee: Money = Field(description="The delivery fee refunded, given back by the platform.")
    available_at: datetime | None = Field(description="None until the order is delivered.")
    paid_at: datetime
    delivered_at: datetime | None
    lines: list[CommissionLineOut]


class PayoutRequest(CamelModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money


class PayoutDecision(CamelModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["approved", "rejected", "failed"]
    reason: NonBlankText | None = Field(None, max_length=500)


class CommissionsQuery(PageQuery):
    """Query string of GET /stores/{storeId}/commissions (newest order first)."""

    status: CommissionStatus | None = None


class PayoutsQuery(PageQuery):
    """Query string of GET /payouts: a store owner's payouts or, for an admin, everyone's."""

    store_id: str | None = Field(None, alias="storeId", min_length=1, max_length=64)
    status: PayoutStatus | None = None


class PayoutOut(CamelModel):
    id: str
    store_id: str
    amount: Money
    status: PayoutStatus
    transfer_id: str | None
    failure_reason: str | None
    requested_at: datetime
    paid_at: datetime | None


class OnboardingOut(CamelModel):
    onboarding_url: str
    status: AccountStatus


def _signed(amount: int, currency: str) -> Money | SignedMoney:
    return money(amount, currency) if amount >= 0 else SignedMoney(amount=amount, currency=currency)


def balance_out(balance: StoreBalance | None, currency: str, account_status: AccountStatus) -> BalanceOut:
    b = balance
    cur = b.currency if b else currency
    return BalanceOut(
        available=_signed(int(b.available) if b else 0, cur),
        pending=money(max(int(b.pending), 0) if b else 0, cur),
        held=money(max(int(b.held), 0) if b else 0, cur),
        in_payout=money(int(b.in_payout) if b else 0, cur),
        paid_out=money(int(b.paid_out) if b else 0, cur),
        payout_account=PayoutAccountOut(status=account_status),
    )


def commission_out(item: Commission) -> CommissionOut:
    cur = item.currency
    gross = int(item.gross)
    return CommissionOut(
        order_id=item.order_id, gross=money(gross, cur), commission=money(int(item.commission), cur),
        net=money(int(item.net), cur), delivery_fee=money(int(item.delivery_fee or 0), cur),
        rate_bps=round(int(item.commission) * 10_000 / gross) if gross else 0,
        status=item.status,  # type: ignore[arg-type]
        reversed_gross=money(int(item.reversed_gross), cur),
        reversed_commission=money(int(item.reversed_commission), cur),
        reversed_net=money(int(item.reversed_net), cur),
        reversed_delivery_fee=money(int(item.reversed_delivery_fee or 0), cur), available_at=item.available_at,
        paid_at=item.paid_at,
        delivered_at=item.delivered_at,
        lines=[CommissionLineOut(
            line=line["line"], kind=line.get("kind", "product"), product_id=line.get("productId"), sku=line.get("sku"),
            quantity=line["quantity"], gross=money(line["gross"], cur), rate_bps=line["rateBps"],
            commission=money(line["commission"], cur), net=money(line["net"], cur),
            reversed_gross=money(line.get("reversedGross", 0), cur),
            reversed_commission=money(line.get("reversedCommission", 0), cur),
            reversed_net=money(line.get("reversedNet", 0), cur),
        ) for line in item.lines or []],
    )  # fmt: skip


def payout_out(item: Payout) -> PayoutOut:
    return PayoutOut(
        id=item.payout_id, store_id=item.store_id, amount=money(int(item.amount), item.currency),
        status=item.status,  # type: ignore[arg-type]
        transfer_id=item.transfer_id, failure_reason=item.failure_reason,
        requested_at=item.requested_at, paid_at=item.paid_at,
    )  # fmt: skip
