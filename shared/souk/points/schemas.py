"""What clients see of loyalty points (API.md, Loyalty points): the balance and the entries."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from souk.money import Money
from souk.points.models import PointsEntry
from souk.schema import CamelModel, PageQuery

EntryType = Literal["earned", "redeemed", "expired", "restored", "reversed"]


class NextExpiry(CamelModel):
    points: int = Field(description="What the lot that expires first still holds.")
    at: datetime = Field(description="When it expires (UTC).")


class PointsOut(CamelModel):
    balance: int = Field(description="The sum of the entries; below 0 after a refund took back spent points.")
    tier: str | None = Field(description="The highest tier the last 12 months' paid spend reaches; null below all.")
    spend12m: Money = Field(alias="spend12m", description="Paid for delivered orders this UTC month and the 11 "
                                                         "before, in the points' currency, less refunds.")  # fmt: skip
    next_expiry: NextExpiry | None = Field(description="The lot that expires first; null when none holds points.")


class PointsEntryOut(CamelModel):
    id: str
    type: EntryType
    points: int = Field(description="Signed: earned and restored > 0; redeemed, expired and reversed < 0.")
    order_id: str | None
    at: datetime
    expires_at: datetime | None = Field(description="When the points concerned expire (their lot's date).")


class PointsTransactionsQuery(PageQuery):
    """Query string of GET /points/transactions (newest first)."""


def entry_out(entry: PointsEntry) -> PointsEntryOut:
    return PointsEntryOut(id=entry.entry_id, type=entry.type, points=int(entry.points),  # type: ignore[arg-type]
                          order_id=entry.order_id, at=entry.created_at,
                          expires_at=entry.entry_expires_at)  # fmt: skip
