"""What clients send and see of carts and coupons, and the converters from the priced cart and the Coupon item.

The cart's answer is always the priced cart (:func:`souk.cart.pricing.price`): the same
numbers checkout charges. No DynamoDB here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, PlainValidator, StringConstraints, ValidationInfo, field_validator

from souk.cart import pricing
from souk.cart.discounts import value_problem
from souk.cart.models import MAX_QUANTITY, Coupon
from souk.money import Money, money
from souk.schema import CamelModel, OneLine, PageQuery, PatchModel

CART_TOKEN_HEADER = "X-Cart-Token"

ProductId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine]
Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), OneLine]
Quantity = Annotated[int, Field(ge=1, le=MAX_QUANTITY, strict=True)]
CouponCode = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9_-]{3,32}$")]


# ---------------------------------------------------------------- the cart


class AddItemRequest(CamelModel):
    product_id: ProductId
    variant_sku: Sku
    quantity: Quantity = Field(description=f"1 to {MAX_QUANTITY}; added to the line already holding this variant.")


class UpdateItemRequest(CamelModel):
    quantity: Quantity = Field(description=f"The line's new quantity, 1 to {MAX_QUANTITY} (DELETE removes a line).")


class ApplyCouponRequest(CamelModel):
    code: CouponCode = Field(description="Case-insensitive.", examples=["SPRING10"])


class CartCreated(CamelModel):
    cart_id: str
    cart_token: str = Field(description=f"Send it as {CART_TOKEN_HEADER} on every cart route while a guest.")
    expires_at: datetime = Field(description="When the token expires.")


class CartLineOut(CamelModel):
    id: str = Field(description="The line's id (itemId in /cart/items/{itemId}).")
    product_id: str
    variant_sku: str
    store_id: str
    name: str | None = Field(description="The product's name (as added, when the product is gone).")
    variant_name: str | None
    quantity: int
    unit_price: Money = Field(description="The current unit price (variant override, else the product's).")
    seen_price: Money = Field(description="The unit price when the line was added.")
    price_changed: bool
    line_total: Money = Field(description="unitPrice x quantity; 0 for an unavailable line (not counted).")
    available: int = Field(description="Units in stock now (0 when unavailable). Stock is reserved only at checkout.")
    problem: Literal["unavailable", "insufficient_stock"] | None = Field(
        description="unavailable: the product, its variant or its store is gone or hidden; insufficient_stock: "
        "fewer units in stock than the quantity. Checkout refuses a cart with problems."
    )


DeliveryStatus = Literal["quoted", "no_address", "no_store_location", "outside_zones", "currency"]


class CartDeliveryOut(CamelModel):
    """The delivery estimate of one store: the fee rule of the quote and checkout, to the default address."""

    status: DeliveryStatus = Field(
        description="quoted: deliveryFee is the fee to the caller's default address; no_address: a guest, or no "
        "default address with coordinates; no_store_location: the store has no location; outside_zones: no active "
        "delivery zone serves the address; currency: the serving zone charges in another currency than the "
        "store's. Otherwise deliveryFee is 0 and checkout to that address would be 422."
    )
    message: str | None = Field(description="Why there is no fee, in words (null when quoted).")
    zone_id: str | None = Field(None, description="The zone serving the address (when quoted).")
    distance_km: float | None = Field(None, description="Road-less distance from the store (when quoted).")
    eta_minutes: int | None = Field(None, description="At the configured courier speed (when quoted).")


class CartStoreOut(CamelModel):
    store_id: str
    store_name: str | None
    currency: str
    line_ids: list[str]
    subtotal: Money
    discount: Money = Field(description="This store's share of the coupon's discount.")
    delivery_fee: Money = Field(description="The delivery estimate to the caller's default address (see delivery); "
                                "checkout charges the fee to the address it is given.")  # fmt: skip
    delivery: CartDeliveryOut
    total: Money = Field(description="subtotal - discount + deliveryFee.")


class CartCouponOut(CamelModel):
    code: str
    applied: bool = Field(description="False when the coupon gives nothing now (see problem).")
    problem: str | None


class CartOut(CamelModel):
    id: str
    guest: bool
    lines: list[CartLineOut]
    stores: list[CartStoreOut] = Field(description="One group per store (one order per store at checkout).")
    coupon: CartCouponOut | None
    totals: list[Money] = Field(description="Per currency: goods less discounts plus the delivery estimates "
                                "(checkout charges the delivery fee to the address it is given).")  # fmt: skip
    item_count: int = Field(description="Units across all lines.")
    can_checkout: bool = Field(description="Lines, none with a problem, the coupon (if any) applies, one currency.")


def _line_out(priced: pricing.PricedLine) -> CartLineOut:
    line = priced.line
    currency = str(line["currency"])
    unavailable = priced.problem == "unavailable"
    return CartLineOut(
        id=line["id"], product_id=line["productId"], variant_sku=line["sku"], store_id=line["storeId"],
        name=priced.product.name if priced.product is not None else line.get("name"),
        variant_name=priced.variant.name if priced.variant is not None else line.get("variantName"),
        quantity=priced.quantity, unit_price=money(priced.unit_price, currency),
        seen_price=money(int(line["seenPrice"]), currency), price_changed=priced.price_changed,
        line_total=money(0 if unavailable else priced.line_total, currency), available=priced.available,
        problem=priced.problem,  # type: ignore[arg-type]
    )  # fmt: skip


def _store_out(group: pricing.StoreGroup) -> CartStoreOut:
    currency = group.currency
    return CartStoreOut(
        store_id=group.store_id, store_name=group.store.name if group.store is not None else None, currency=currency,
        line_ids=[line.line["id"] for line in group.lines], subtotal=money(group.subtotal, currency),
        discount=money(group.discount, currency), delivery_fee=money(group.delivery_fee, currency),
        delivery=_delivery_out(group), total=money(group.total, currency),
    )  # fmt: skip


def _delivery_out(group: pricing.StoreGroup) -> CartDeliveryOut:
    terms = group.delivery
    if terms is None:
        return CartDeliveryOut(status=group.delivery_status, message=group.delivery_problem,  # type: ignore[arg-type]
                               zone_id=None, distance_km=None, eta_minutes=None)  # fmt: skip
    return CartDeliveryOut(status="quoted", message=None, zone_id=terms.zone.id,
                           distance_km=round(terms.distance_km, 2), eta_minutes=terms.eta_minutes)  # fmt: skip


def cart_out(priced: pricing.PricedCart, *, guest: bool) -> CartOut:
    """The API view of a priced cart."""
    cart = priced.cart
    coupon = None
    if cart.coupon_code:
        coupon = CartCouponOut(code=cart.coupon_code, applied=priced.coupon_problem is None,
                               problem=priced.coupon_problem)  # fmt: skip
    totals = priced.totals()
    can_checkout = bool(cart.lines) and not priced.problems and priced.coupon_problem is None and len(totals) == 1
    return CartOut(
        id=cart.cart_id, guest=guest, lines=[_line_out(line) for line in priced.lines],
        stores=[_store_out(group) for group in priced.groups], coupon=coupon,
        totals=[money(amount, currency) for currency, amount in totals.items()],
        item_count=sum(int(line["quantity"]) for line in cart.lines), can_checkout=can_checkout,
    )  # fmt: skip


# ---------------------------------------------------------------- coupons

CouponType = Literal["percent", "fixed"]
CouponStatus = Literal["active", "deleted"]
_CODE = re.compile(r"[A-Z0-9_-]{3,32}")
Limit = Annotated[int, Field(ge=1, le=10**9, strict=True)]


def _percent_or_money(value: Any) -> int | Money:
    """A whole number (percent coupons) or Money (fixed coupons); which one the type needs is checked after."""
    if isinstance(value, dict):
        return Money.model_validate(value)
    if type(value) is int:  # not a bool, not a float
        return value
    raise ValueError("Send a whole number (percent) or Money {amount, currency} (fixed).")


# percent: a whole number 1..100; fixed: Money in the coupon's currency (the contract's money in a request).
CouponValue = Annotated[int | Money, PlainValidator(_percent_or_money, json_schema_input_type=int | Money)]


def _utc(value: datetime | None) -> datetime | None:
    """Timestamps without an offset are read as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class CouponIn(CamelModel):
    """POST /coupons. A store owner names one of their stores; an admin may leave ``storeId`` out (platform-wide)."""

    code: str = Field(max_length=64, description="3 to 32 of A-Z 0-9 _ -; case-insensitive, stored upper-case.",
                      examples=["SPRING-10"])  # fmt: skip
    type: CouponType
    value: CouponValue = Field(description="percent: a whole number 1..100; fixed: Money, in the store's currency "
                               "for a store coupon.", examples=[10])  # fmt: skip
    min_subtotal: Money | None = Field(None, description="What the eligible subtotal must reach, in the coupon's "
                                       "currency (the store's, or a fixed value's); null: no minimum.",
                                       examples=[{"amount": 2000, "currency": "usd"}])  # fmt: skip
    max_uses: Limit | None = Field(None, description="Uses in all; null: unlimited.")
    per_user_limit: Limit | None = Field(None, description="Uses per customer; null: unlimited.")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    store_id: str | None = Field(None, min_length=1, max_length=64)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        code = value.strip().upper()
        if not _CODE.fullmatch(code):
            raise ValueError("Use 3 to 32 letters, digits, _ or -.")
        return code

    @field_validator("value")
    @classmethod
    def _value_for_type(cls, value: int | Money, info: ValidationInfo) -> int | Money:
        problem = value_problem(info.data.get("type"), value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)

    @field_validator("ends_at")
    @classmethod
    def _after_start(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        starts_at = info.data.get("starts_at")
        if value is not None and starts_at is not None and value <= starts_at:
            raise ValueError("Must be after startsAt.")
        return value


class CouponPatch(PatchModel):
    """PATCH /coupons/{code}: only the fields sent change. ``code``, ``type`` and ``storeId`` never change.

    ``maxUses``, ``perUserLimit``, ``startsAt`` and ``endsAt`` may be null (no limit / no bound).
    """

    model_config = ConfigDict(extra="forbid")
    not_nullable = ("value", "min_subtotal")

    value: CouponValue | None = Field(None, description="As the coupon's type takes it: percent 1..100, fixed Money "
                                      "in the coupon's currency.")  # fmt: skip
    min_subtotal: Money | None = Field(None, description="In the coupon's currency; {amount: 0} for no minimum.")
    max_uses: Limit | None = None
    per_user_limit: Limit | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None

    @field_validator("starts_at", "ends_at")
    @classmethod
    def _as_utc(cls, value: datetime | None) -> datetime | None:
        return _utc(value)


class CouponListQuery(PageQuery):
    store_id: str | None = Field(None, min_length=1, max_length=64, description="Only this store's coupons.")
    status: CouponStatus | None = Field(None, description="Without it, deleted coupons are left out.")


class CouponOut(CamelModel):
    code: str
    type: CouponType
    value: int | Money = Field(description="percent: 1..100; fixed: Money.")
    currency: str | None = Field(description="The currency of the coupon's money (a store coupon: the store's); "
                                 "null for a platform-wide percent coupon without a minimum.")  # fmt: skip
    min_subtotal: Money | None = Field(description="null: no minimum.")
    max_uses: int | None
    per_user_limit: int | None
    uses: int
    starts_at: datetime | None
    ends_at: datetime | None
    store_id: str | None
    status: CouponStatus
    created_at: datetime
    updated_at: datetime


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def coupon_out(coupon: Coupon) -> CouponOut:
    value: int | Money = int(coupon.value)
    if coupon.type == "fixed" and coupon.currency:
        value = money(int(coupon.value), coupon.currency)
    minimum = int(coupon.min_subtotal or 0)
    return CouponOut.model_validate({
        "code": coupon.code, "type": coupon.type, "value": value, "currency": coupon.currency,
        "min_subtotal": money(minimum, coupon.currency) if minimum and coupon.currency else None,
        "max_uses": _int(coupon.max_uses),
        "per_user_limit": _int(coupon.per_user_limit), "uses": int(coupon.uses), "starts_at": coupon.starts_at,
        "ends_at": coupon.ends_at, "store_id": coupon.store_id, "status": coupon.status,
        "created_at": coupon.created_at, "updated_at": coupon.updated_at,
    })  # fmt: skip
