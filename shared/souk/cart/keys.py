"""Cart: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.cart.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join


def cart(cart_id: str) -> str:
    """A cart item (sk CART), its lines inside."""
    return join("CART", cart_id)


CART = "CART"


def coupon(code: str) -> str:
    """Coupon codes are case-insensitive: stored upper-case."""
    return join("COUPON", code.strip().upper())


COUPON = "COUPON"


def coupon_use(user_id: str) -> str:
    """Per-user use counter of a coupon, in the coupon's partition."""
    return join("USE", user_id)


def coupons_by_owner(user_id: str) -> str:
    return join("USER", user_id, "COUPONS")


COUPONS_ALL = "COUPONS"
