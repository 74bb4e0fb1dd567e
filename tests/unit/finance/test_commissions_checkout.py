"""Checkout's store cap, which keeps a paid checkout (orders + their commissions) inside one transaction."""

from __future__ import annotations

import pytest

from souk.cart.models import Cart
from souk.cart.pricing import PricedCart, StoreGroup
from souk.errors import UnprocessableEntity
from souk.orders.service.checkout import MAX_STORES, checkout_terms


def _priced(stores: int) -> PricedCart:
    groups = [StoreGroup(store_id=f"s{i}", store=None, currency="usd") for i in range(stores)]
    return PricedCart(cart=Cart(), lines=[], groups=groups, coupon=None, coupon_problem=None)


def test_a_checkout_of_up_to_max_stores_is_allowed_and_one_more_is_422() -> None:
    assert MAX_STORES == 15
    assert checkout_terms(_priced(MAX_STORES), "wallet", "usd").currency == "usd"
    with pytest.raises(UnprocessableEntity, match="at most 15 stores"):
        checkout_terms(_priced(MAX_STORES + 1), "card", "usd")


def test_the_worst_paid_checkout_fits_one_transaction() -> None:
    # 30 reservations + per store (order, commission, entry, balance) + cart, payment, coupon x2, wallet x2, audit
    assert 30 + MAX_STORES * 4 + 7 <= 100
