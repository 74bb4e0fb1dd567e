"""What clients send and see of analytics (camelCase)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from souk.money import Money
from souk.schema import CamelModel

Metric = Literal["revenue", "orders", "customers", "topProducts"]
IntervalIn = Literal["day", "week", "month"]
MAX_EVENTS = 100


class AnalyticsQuery(CamelModel):
    metric: Metric
    from_: date = Field(alias="from", description="First UTC day (YYYY-MM-DD), included.")
    to: date = Field(description="Last UTC day (YYYY-MM-DD), included; at most 366 days after `from`.")
    interval: IntervalIn = "day"
    store_id: str | None = Field(None, min_length=1, max_length=64, description="Admins: one store; "
                                 "store owners: required, one of theirs. Admins without it: the platform.")  # fmt: skip
    currency: str = Field("usd", pattern=r"^[a-z]{3}$", description="Revenue in this currency.")


class ProductCount(CamelModel):
    product_id: str
    quantity: int


class Point(CamelModel):
    start: date = Field(description="The first UTC day of the bucket (a Monday for weeks, the 1st for months).")
    value: int | Money | list[ProductCount]


class AnalyticsOut(CamelModel):
    metric: Metric
    interval: IntervalIn
    points: list[Point]


class EventIn(CamelModel):
    id: str | None = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$",
                           description="An event sent again with this id is not counted again.")  # fmt: skip
    type: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")
    properties: dict[str, Any] = Field(default_factory=dict)
    occurred_at: datetime | None = None

    @model_validator(mode="after")
    def _small(self) -> EventIn:
        if len(self.properties) > 50:
            raise ValueError("at most 50 properties")
        return self


class EventsIn(CamelModel):
    events: list[EventIn] = Field(min_length=1, max_length=MAX_EVENTS)


class AcceptedOut(CamelModel):
    accepted: int = Field(description="Events counted now (ones sent before with the same id are not).")
