"""The cart's and coupons' rules as plain functions: loaded values in, decisions or domain errors out; no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.cart.models import MAX_QUANTITY, Cart, Coupon
from souk.cart.pricing import Offer
from souk.cart.schemas import CouponIn
from souk.cart.service import carts, coupons
from souk.catalog.models import Product, Store, Variant
from souk.errors import InsufficientStock, UnprocessableEntity, ValidationFailed
from souk.money import Money

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _offer(stock: int, *, product_status: str = "active", store_status: str = "approved",
           variant: bool = True) -> Offer:  # fmt: skip
    product = Product(product_id="p", store_id="s", owner_id="o", name="Tea", price_amount=500, currency="usd",
                      category_id="c", status=product_status)  # fmt: skip
    store = Store(store_id="s", owner_id="o", name="Shop", currency="usd", status=store_status)
    return Offer(product, Variant(product_id="p", store_id="s", sku="T1", name="Green", stock=stock) if variant
                 else None, store)  # fmt: skip


def _line(product_id: str, sku: str, quantity: int) -> dict[str, Any]:
    return {"id": f"{product_id}-{sku}", "productId": product_id, "storeId": "s", "sku": sku, "quantity": quantity,
            "seenPrice": 500, "currency": "usd"}  # fmt: skip


# --- check_stock


def test_check_stock_names_how_many_are_left() -> None:
    # GIVEN 3 in stock WHEN 4 are wanted THEN 409 with the units available
    with pytest.raises(InsufficientStock) as raised:
        carts.check_stock(_offer(3), 4)
    assert raised.value.data == {"available": 3}
    assert raised.value.message == "Only 3 left of Tea (Green)."
    carts.check_stock(_offer(3), 3)  # exactly the stock is fine


@pytest.mark.parametrize(("offer", "message"), [
    (_offer(0), "Tea (Green) is out of stock."),
    (_offer(10, product_status="hidden"), "Tea (Green) is no longer available."),
    (_offer(10, store_status="suspended"), "Tea (Green) is no longer available."),
    (_offer(10, variant=False), "Tea is no longer available."),
])  # fmt: skip
def test_check_stock_refuses_what_cannot_be_sold(offer: Offer, message: str) -> None:
    with pytest.raises(InsufficientStock) as raised:
        carts.check_stock(offer, 1)
    assert raised.value.message == message and raised.value.data == {"available": 0}


# --- merged_lines


def test_merge_sums_the_same_variant_capped_and_appends_the_others_in_order() -> None:
    # GIVEN my lines and a guest cart's, one variant in both
    mine = [_line("p1", "A", 2), _line("p2", "B", MAX_QUANTITY - 1)]
    theirs = [_line("p2", "B", 5), _line("p3", "C", 1)]
    # WHEN merged
    merged = carts.merged_lines(mine, theirs)
    # THEN the shared variant is capped at MAX_QUANTITY, the new one comes last, the inputs are untouched
    assert [(line["productId"], line["quantity"]) for line in merged] == [("p1", 2), ("p2", MAX_QUANTITY), ("p3", 1)]
    assert mine[1]["quantity"] == MAX_QUANTITY - 1 and theirs[0]["quantity"] == 5


# --- guest_cart_problem


@pytest.mark.parametrize(("cart", "live"), [
    (Cart(cart_id="g", user_id=None, lines=[], expires_at=NOW + timedelta(days=1)), True),
    (Cart(cart_id="g", user_id=None, lines=[], expires_at=NOW), False),  # expired, not swept yet
    (Cart(cart_id="u", user_id="u", lines=[]), False),  # a customer's cart is not a guest cart
    (None, False),
])  # fmt: skip
def test_only_a_live_guest_cart_answers_to_a_cart_token(cart: Cart | None, live: bool) -> None:
    assert (carts.guest_cart_problem(cart, NOW) is None) is live


# --- coupon PATCH and creation rules


def _coupon(**fields: Any) -> Coupon:
    values: dict[str, Any] = {"code": "C10", "owner_id": "a", "type": "percent", "value": 10, "uses": 0, **fields}
    return Coupon(**values)


def test_patch_cannot_set_max_uses_below_the_uses_counted() -> None:
    with pytest.raises(UnprocessableEntity, match="below the 7 uses"):
        coupons.patched_values(_coupon(uses=7), {"max_uses": 6})
    assert coupons.patched_values(_coupon(uses=7), {"max_uses": 7}) == {"max_uses": 7}


def test_patch_checks_the_value_against_the_coupon_type_and_currency() -> None:
    # a percent coupon takes 1..100
    with pytest.raises(ValidationFailed) as raised:
        coupons.patched_values(_coupon(), {"value": 101})
    problem = "A percent coupon takes a whole number from 1 to 100."
    assert raised.value.details == [{"field": "value", "message": problem}]
    # a fixed coupon stores minor units of its own currency
    fixed = _coupon(type="fixed", value=500, currency="usd")
    assert coupons.patched_values(fixed, {"value": Money(amount=700, currency="usd")}) == {"value": 700}
    with pytest.raises(ValidationFailed):
        coupons.patched_values(fixed, {"value": Money(amount=700, currency="eur")})


def test_patch_gives_a_currencyless_coupon_the_minimum_s_currency_and_checks_the_window() -> None:
    stored = coupons.patched_values(_coupon(currency=None), {"min_subtotal": Money(amount=2000, currency="eur")})
    assert stored == {"min_subtotal": 2000, "currency": "eur"}
    with pytest.raises(ValidationFailed) as raised:
        coupons.patched_values(_coupon(starts_at=NOW), {"ends_at": NOW - timedelta(hours=1)})
    assert raised.value.details == [{"field": "endsAt", "message": "Must be after startsAt."}]


def test_a_platform_coupon_takes_its_money_s_currency_and_only_an_admin_makes_one() -> None:
    body = CouponIn(code="flat5", type="fixed", value={"amount": 500, "currency": "eur"})  # type: ignore[arg-type]
    assert coupons.coupon_money(body, None, admin=True) == ("eur", 500, 0)
    with pytest.raises(ValidationFailed) as raised:
        coupons.coupon_money(body, None, admin=False)
    assert raised.value.details == [{"field": "storeId", "message": "Name one of your stores."}]
    # a store coupon is in the store's currency: money in another is a 400 on that field
    store_body = CouponIn(code="flat5", type="fixed", value={"amount": 500, "currency": "eur"},  # type: ignore[arg-type]
                          store_id="s")  # fmt: skip
    with pytest.raises(ValidationFailed):
        coupons.coupon_money(store_body, "usd", admin=False)
