"""What clients send and see of returns. :func:`return_out` is the one converter of a ProductReturn item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError, ValidationError

from souk.disputes.models import ProductReturn
from souk.money import Money
from souk.schema import CamelModel, NonBlankText, PageQuery

MAX_ITEMS = 50
ReturnStatus = Literal["requested", "approved", "received", "refunded", "rejected"]
Reason = Annotated[NonBlankText, StringConstraints(max_length=500)]


class ReturnItemIn(CamelModel):
    variant_sku: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    quantity: Annotated[int, Field(strict=True, ge=1, le=10_000)]
    product_id: str | None = Field(None, min_length=1, max_length=64,
                                   description="Needed only when two lines of the order share this SKU.")  # fmt: skip


class ReturnIn(CamelModel):
    items: list[ReturnItemIn] = Field(min_length=1, max_length=MAX_ITEMS)
    reason: Reason

    @model_validator(mode="after")
    def _each_line_once(self) -> ReturnIn:
        seen: set[tuple[str | None, str]] = set()
        for index, item in enumerate(self.items):
            key = (item.product_id, item.variant_sku)
            if key in seen:
                error = InitErrorDetails(type=PydanticCustomError("value_error", "Name each line once."),
                                         loc=("items", index, "variantSku"), input=item.variant_sku)  # fmt: skip
                raise ValidationError.from_exception_data(type(self).__name__, [error])
            seen.add(key)
        return self


class ReturnStatusIn(CamelModel):
    status: Literal["approved", "received", "refunded", "rejected"]
    reason: Reason | None = None


class ReturnQuery(PageQuery):
    status: ReturnStatus | None = Field(None, description="Only returns in this status (a filter: a page may come "
                                        "back short, with a cursor to go on).")  # fmt: skip


class ReturnItemOut(CamelModel):
    variant_sku: str
    product_id: str
    quantity: int
    value: Money = Field(description="What these units were paid (their share of the order's discount off).")


class ReturnHistoryOut(CamelModel):
    status: str
    at: datetime
    actor_id: str | None = None
    role: str | None = None
    reason: str | None = None


class ReturnOut(CamelModel):
    id: str
    order_id: str
    store_id: str
    customer_id: str
    items: list[ReturnItemOut]
    reason: str
    status: ReturnStatus
    status_reason: str | None = None
    refund_id: str | None = None
    refunded: Money | None = None
    history: list[ReturnHistoryOut]
    created_at: datetime
    updated_at: datetime


def _history(entry: dict[str, Any]) -> ReturnHistoryOut:
    return ReturnHistoryOut(status=entry["status"], at=entry["at"], actor_id=entry.get("actorId"),
                            role=entry.get("role"), reason=entry.get("reason"))  # fmt: skip


def return_out(item: ProductReturn) -> ReturnOut:
    money = lambda amount: Money(amount=int(amount), currency=item.currency)  # noqa: E731
    return ReturnOut(
        id=item.return_id, order_id=item.order_id, store_id=item.store_id, customer_id=item.customer_id,
        items=[ReturnItemOut(variant_sku=i["variantSku"], product_id=i["productId"], quantity=int(i["quantity"]),
                             value=money(i["value"])) for i in item.items or []],
        reason=item.reason, status=item.status,  # type: ignore[arg-type]
        status_reason=item.status_reason, refund_id=item.refund_id,
        refunded=None if item.refunded_amount is None else money(item.refunded_amount),
        history=[_history(dict(e)) for e in item.history or []], created_at=item.created_at, updated_at=item.updated_at,
    )  # fmt: skip
