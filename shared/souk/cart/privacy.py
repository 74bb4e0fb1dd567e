"""The cart's privacy hook (souk.privacy): a customer's cart (its id is their user id), deleted.

Coupon uses (``COUPON#<code>`` / ``USE#<userId>``) stay: they cap a coupon's uses per customer and
hold nothing but the id of an erased account.
"""

from __future__ import annotations

from typing import Any

from souk.cart import keys
from souk.cart.models import Cart
from souk.db import personal

ORDER = 10


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    try:
        return [personal.row("cart", Cart.get(keys.cart(user_id), keys.CART))], None
    except Cart.DoesNotExist:
        return [], None


def erase(user_id: str, cursor: str | None) -> str | None:
    Cart(pk=keys.cart(user_id), sk=keys.CART).delete(add_version_condition=False)  # none: nothing to do
    return None
