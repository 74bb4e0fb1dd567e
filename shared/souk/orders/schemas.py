"""What clients send and see of orders: checkout, the order routes, cancel, status moves, refunds.

:func:`order_out` is the one converter of an Order item; no DynamoDB here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from souk.db.timeline import TimelineQuery
from souk.money import Money
from souk.orders.models import Order
from souk.orders.status import OrderStatus
from souk.schema import CamelModel, NonBlankText


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
    delivery_id: str | None = Field(
        None, description="Its current delivery, once the order is ready (GET /api/v1/deliveries/{id})."
    )
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
        store_id=order.store_id, courier_id=order.courier_id,
        delivery_id=order.delivery_id, lines=lines, subtotal=m(order.subtotal),
        discount=m(order.discount), delivery_fee=m(order.delivery_fee), total=m(order.total),
        paid=m(order.paid_amount), refunded=m(order.refunded_amount), coupon_code=order.coupon_code,
        address=order.address, payment_method=order.payment_method, payment_id=order.payment_id,
        reserved_until=order.reserved_until if order.status == "pending_payment" else None,
        history=[StatusChange.model_validate(entry) for entry in order.history or []],
        created_at=order.created_at, updated_at=order.updated_at,
    )  # fmt: skip


# ---------------------------------------------------------------- checkout


class CheckoutRequest(CamelModel):
    address_id: str = Field(min_length=1, max_length=64, description="One of the caller's addresses.")
    payment_method: Literal["card", "wallet"]
    points_to_redeem: int | None = Field(
        None,
        ge=0,
        le=10**9,
        strict=True,
        description="Loyalty points to spend (value from the admin settings' `points.redeemValue`); they pay for "
        "goods, never more than the balance or the goods' total, and lower each order's total and discount.",
    )


class CheckoutPayment(CamelModel):
    id: str
    method: Literal["card", "wallet"]
    status: str = Field(description="`pending` until the card is confirmed; `succeeded` for the wallet.")
    amount: Money
    client_secret: str | None = Field(None, description="Card only: confirm the PaymentIntent with Stripe.js.")
    intent_id: str | None = Field(None, description="Card only: the Stripe PaymentIntent's id (`pi_...`).")


class CheckoutOut(CamelModel):
    checkout_id: str
    orders: list[OrderOut] = Field(description="One per store, in the cart's store order.")
    payment: CheckoutPayment


# ---------------------------------------------------------------- lists


class OrdersQuery(TimelineQuery):
    status: OrderStatus | None = None
    store: str | None = Field(None, min_length=1, max_length=64, description="Only this store's orders.")
    order: Literal["asc", "desc"] = Field("desc", description="By time placed; newest first by default.")


# ---------------------------------------------------------------- status moves and cancel


def _strip_reason(value: str | None) -> str | None:
    return (value or "").strip() or None


class StatusRequest(CamelModel):
    status: OrderStatus = Field(description="The next status: accepted, preparing, ready, picked_up or delivered.",
                                examples=["accepted"])  # fmt: skip
    reason: str | None = Field(None, max_length=500, examples=["out for delivery"])

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return _strip_reason(value)


class CancelRequest(CamelModel):
    reason: str | None = Field(None, max_length=500, examples=["ordered by mistake"])

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str | None) -> str | None:
        return _strip_reason(value)


class CancelOut(CamelModel):
    order: OrderOut = Field(description="The order asked for, after the cancel (with what was refunded).")
    cancelled_orders: list[OrderOut] = Field(
        description="Every order this cancel cancelled: an unpaid checkout's orders share one payment and go together."
    )


# ---------------------------------------------------------------- refunds


class RefundRequest(CamelModel):
    amount: Money | None = Field(None, description="In the payment's currency, 1 minor unit up to what is left; "
                                 "default: all of it.", examples=[{"amount": 500, "currency": "usd"}])  # fmt: skip
    reason: NonBlankText = Field(min_length=1, max_length=500, examples=["damaged on arrival"])
    to: Literal["original", "wallet"] = Field(
        description="`original`: the card (card payments) or the wallet (wallet payments); `wallet`: the "
        "customer's wallet."
    )
    order_id: str | None = Field(None, min_length=1, max_length=64,
                                 description="Which order of the payment; needed when it has several.")  # fmt: skip


class RefundReplay(CamelModel):
    """What an Idempotency-Key replay must match: the path's payment and the body."""

    payment_id: str
    request: RefundRequest
