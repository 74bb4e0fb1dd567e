"""What clients see of an order (checkout's answer, the order routes' answer)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from souk.money import Money
from souk.orders.models import Order
from souk.orders.status import OrderStatus
from souk.schema import CamelModel


class OrderLineOut(CamelModel):
    product_id: str
    variant_sku: str
    name: str
    variant_name: str | None = None
    quantity: int
    unit_price: Money
    line_total: Money


class StatusChange(CamelModel):
    status: OrderStatus
    at: datetime
    actor_id: str | None = None
    role: str
    reason: str | None = None


class OrderOut(CamelModel):
    id: str
    checkout_id: str
    status: OrderStatus
    customer_id: str
    store_id: str
    courier_id: str | None = None
    lines: list[OrderLineOut]
    subtotal: Money
    discount: Money
    delivery_fee: Money
    total: Money
    paid: Money
    refunded: Money
    coupon_code: str | None = None
    address: dict[str, Any] | None = None
    payment_method: str
    payment_id: str
    reserved_until: datetime | None = Field(None, description="Unpaid card orders hold their stock until then.")
    history: list[StatusChange] = Field(description="Oldest first.")
    created_at: datetime
    updated_at: datetime


def order_out(order: Order) -> OrderOut:
    currency = order.currency

    def m(amount: Any) -> Money:
        return Money(amount=int(amount or 0), currency=currency)

    lines = [OrderLineOut(product_id=line["productId"], variant_sku=line["sku"], name=line["name"],
                          variant_name=line.get("variantName"), quantity=int(line["quantity"]),
                          unit_price=m(line["unitPrice"]), line_total=m(line["lineTotal"]))
             for line in order.lines or []]  # fmt: skip
    return OrderOut(
        id=order.order_id, checkout_id=order.checkout_id, status=order.status, customer_id=order.customer_id,  # type: ignore[arg-type]
        store_id=order.store_id, courier_id=order.courier_id, lines=lines, subtotal=m(order.subtotal),
        discount=m(order.discount), delivery_fee=m(order.delivery_fee), total=m(order.total),
        paid=m(order.paid_amount), refunded=m(order.refunded_amount), coupon_code=order.coupon_code,
        address=order.address, payment_method=order.payment_method, payment_id=order.payment_id,
        reserved_until=order.reserved_until if order.status == "pending_payment" else None,
        history=[StatusChange.model_validate(entry) for entry in order.history or []],
        created_at=order.created_at, updated_at=order.updated_at,
    )  # fmt: skip
