"""Coupon rules as plain functions: is a coupon usable now, how much it takes off each store's subtotal,
and which value a coupon of a type takes.

Used by the cart (to show the discount) and by checkout (to charge it), so the customer
is charged exactly what the cart showed. No AWS here: unit-tested with plain values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from souk.cart.models import Coupon
from souk.money import MAX_AMOUNT, Money, display


@dataclass(frozen=True)
class StoreSubtotal:
    store_id: str
    currency: str
    subtotal: int  # minor units


def value_problem(coupon_type: str | None, value: int | Money) -> str | None:
    """Why ``value`` does not suit a coupon of this type, or None."""
    if coupon_type == "percent" and (not isinstance(value, int) or not 1 <= value <= 100):
        return "A percent coupon takes a whole number from 1 to 100."
    if coupon_type == "fixed" and not isinstance(value, Money):
        return "A fixed coupon's value is Money: {amount, currency}."
    if coupon_type == "fixed" and isinstance(value, Money) and not 1 <= value.amount <= MAX_AMOUNT:
        return "A fixed coupon takes a positive amount."
    return None


def coupon_problem(coupon: Coupon | None, now: datetime, *, user_uses: int = 0) -> str | None:
    """Why the coupon cannot be used now (a sentence for the client), or None when it can.

    ``user_uses`` is how many times this customer already used it (CouponUse.uses).
    The final say on counts is the conditional update at checkout; this is the early answer.
    """
    if coupon is None or coupon.status != "active":
        return "This coupon does not exist."
    if coupon.starts_at is not None and now < coupon.starts_at:
        return "This coupon is not valid yet."
    if coupon.ends_at is not None and now >= coupon.ends_at:
        return "This coupon has expired."
    if coupon.max_uses is not None and int(coupon.uses) >= int(coupon.max_uses):
        return "This coupon has been used up."
    if coupon.per_user_limit is not None and user_uses >= int(coupon.per_user_limit):
        return "You have already used this coupon."
    return None


def eligible(coupon: Coupon, groups: list[StoreSubtotal]) -> list[StoreSubtotal]:
    """The store groups the coupon applies to: its store, or every store (fixed: in its currency)."""
    if coupon.store_id is not None:
        return [g for g in groups if g.store_id == coupon.store_id]
    if coupon.type == "fixed":
        return [g for g in groups if g.currency == coupon.currency]
    return list(groups)


def allocate(coupon: Coupon, groups: list[StoreSubtotal]) -> tuple[dict[str, int], str | None]:
    """``({storeId: discount}, problem)``: the discount per store, or why none applies.

    Percent: each eligible store's subtotal times the percentage, rounded down. Fixed: the
    value (capped at the eligible subtotal) split across eligible stores in proportion to
    their subtotals, remainders to the largest, so the parts add up exactly.
    """
    targets = eligible(coupon, groups)
    if not targets:
        return {}, "This coupon does not apply to anything in your cart."
    currencies = {g.currency for g in targets}
    base = sum(g.subtotal for g in targets)
    minimum = int(coupon.min_subtotal or 0)
    # The minimum is money in the coupon's currency: a subtotal in another (or in several) never reaches it.
    other_currency = bool(coupon.currency) and currencies != {coupon.currency}
    if minimum > 0 and (len(currencies) > 1 or other_currency or base < minimum):
        shown = display(minimum, coupon.currency) if coupon.currency else str(minimum)
        return {}, f"This coupon needs a subtotal of at least {shown}."
    if coupon.type == "percent":
        return {g.store_id: g.subtotal * int(coupon.value) // 100 for g in targets}, None
    total = min(int(coupon.value), base)
    if base == 0:
        return {g.store_id: 0 for g in targets}, None
    shares = {g.store_id: total * g.subtotal // base for g in targets}
    remainder = total - sum(shares.values())
    for g in sorted(targets, key=lambda g: (-g.subtotal, g.store_id))[:remainder]:
        shares[g.store_id] += 1
    return shares, None
