"""Pure tests of the cart's prices and the coupon rules: in-memory items, no AWS."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.cart import discounts, pricing
from souk.cart.models import Cart, Coupon
from souk.catalog.models import Product, Store, Variant

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _store(store_id: str, currency: str = "usd", status: str = "approved") -> Store:
    return Store(store_id=store_id, owner_id="o", name=f"Store {store_id}", currency=currency, status=status)


def _product(product_id: str, store_id: str, price: int, status: str = "active", currency: str = "usd") -> Product:
    return Product(product_id=product_id, store_id=store_id, owner_id="o", name=f"Product {product_id}",
                   price_amount=price, currency=currency, category_id="c", status=status)  # fmt: skip


def _variant(product_id: str, sku: str, stock: int, price: int | None = None) -> Variant:
    return Variant(product_id=product_id, store_id="s", sku=sku, name=sku, stock=stock, price_amount=price)


def _line(product_id: str, store_id: str, sku: str, quantity: int, seen: int, currency: str = "usd") -> dict[str, Any]:
    return {"id": f"{product_id}-{sku}", "productId": product_id, "storeId": store_id, "sku": sku,
            "quantity": quantity, "seenPrice": seen, "currency": currency, "addedAt": NOW.isoformat()}  # fmt: skip


def _coupon(**fields: Any) -> Coupon:
    values: dict[str, Any] = {"code": "C10", "owner_id": "a", "type": "percent", "value": 10, **fields}
    return Coupon(**values)


def _view(stores: list[Store], products: list[Product], variants: list[Variant], coupon: Coupon | None = None,
          coupon_uses: int = 0) -> pricing.CatalogView:  # fmt: skip
    return pricing.CatalogView(
        products={p.product_id: p for p in products}, variants={(v.product_id, v.sku): v for v in variants},
        stores={s.store_id: s for s in stores}, coupon=coupon, coupon_uses=coupon_uses,
    )  # fmt: skip


def _cart(lines: list[dict[str, Any]], coupon_code: str | None = None) -> Cart:
    return Cart(cart_id="cart", user_id="u", lines=lines, coupon_code=coupon_code)


# --- pricing.price


def test_price_groups_by_store_in_the_order_lines_were_added() -> None:
    # GIVEN lines from store b, then a, then b again; one variant with its own price
    view = _view([_store("a"), _store("b")], [_product("p1", "b", 1000), _product("p2", "a", 500)],
                 [_variant("p1", "X", 10), _variant("p1", "Y", 10, price=1200), _variant("p2", "Z", 10)])  # fmt: skip
    cart = _cart([_line("p1", "b", "X", 2, 1000), _line("p2", "a", "Z", 1, 500), _line("p1", "b", "Y", 1, 1200)])
    # WHEN priced
    priced = pricing.price(cart, view, NOW)
    # THEN store b first, with both of its lines; the variant override is the unit price
    assert [g.store_id for g in priced.groups] == ["b", "a"]
    assert [line.unit_price for line in priced.groups[0].lines] == [1000, 1200]
    assert (priced.groups[0].subtotal, priced.groups[1].subtotal) == (3200, 500)
    assert priced.totals() == {"usd": 3700} and priced.problems == []


def test_price_change_and_stock_problems() -> None:
    # GIVEN a line seen at 1000 now priced 900, and a line of 5 with 2 in stock
    view = _view([_store("a")], [_product("p1", "a", 900)], [_variant("p1", "X", 20), _variant("p1", "Y", 2)])
    cart = _cart([_line("p1", "a", "X", 1, 1000), _line("p1", "a", "Y", 5, 900)])
    priced = pricing.price(cart, view, NOW)
    first, second = priced.lines
    # THEN the first shows the change, the second is short but still counted
    assert first.price_changed and first.unit_price == 900 and first.problem is None
    assert (second.problem, second.available, second.line_total) == ("insufficient_stock", 2, 4500)
    assert priced.groups[0].subtotal == 900 + 4500 and priced.problems == [second]


@pytest.mark.parametrize(
    "view",
    [
        _view([_store("a")], [], []),  # product gone
        _view([_store("a")], [_product("p1", "a", 900, status="inactive")], [_variant("p1", "X", 5)]),
        _view([_store("a")], [_product("p1", "a", 900)], []),  # variant gone
        _view([_store("a", status="suspended")], [_product("p1", "a", 900)], [_variant("p1", "X", 5)]),
        _view([], [_product("p1", "a", 900)], [_variant("p1", "X", 5)]),  # store gone
    ],
)
def test_unavailable_lines_keep_the_seen_price_and_count_for_nothing(view: pricing.CatalogView) -> None:
    priced = pricing.price(_cart([_line("p1", "a", "X", 3, 1000)]), view, NOW)
    line = priced.lines[0]
    assert (line.problem, line.unit_price, line.available) == ("unavailable", 1000, 0)
    assert priced.groups[0].subtotal == 0 and priced.totals() == {"usd": 0}


def test_currencies_are_totalled_apart() -> None:
    products = [_product("p1", "a", 1000), _product("p2", "b", 700, currency="eur")]
    view = _view([_store("a", "usd"), _store("b", "eur")], products, [_variant("p1", "X", 5), _variant("p2", "X", 5)])
    priced = pricing.price(_cart([_line("p1", "a", "X", 1, 1000), _line("p2", "b", "X", 2, 700, "eur")]), view, NOW)
    assert priced.totals() == {"usd": 1000, "eur": 1400}


def test_percent_coupon_discounts_each_store() -> None:
    # GIVEN two stores (3333 and 1000) and a 10% coupon
    view = _view([_store("a"), _store("b")], [_product("p1", "a", 3333), _product("p2", "b", 1000)],
                 [_variant("p1", "X", 5), _variant("p2", "X", 5)], coupon=_coupon())  # fmt: skip
    cart = _cart([_line("p1", "a", "X", 1, 3333), _line("p2", "b", "X", 1, 1000)], coupon_code="C10")
    priced = pricing.price(cart, view, NOW)
    # THEN 10% of each, rounded down, taken off each store's total
    assert [g.discount for g in priced.groups] == [333, 100]
    assert priced.totals() == {"usd": 4333 - 433} and priced.coupon_problem is None


def test_a_coupon_that_does_not_apply_gives_nothing_and_says_why() -> None:
    view = _view([_store("a")], [_product("p1", "a", 1000)], [_variant("p1", "X", 5)],
                 coupon=_coupon(ends_at=NOW - timedelta(seconds=1)))  # fmt: skip
    priced = pricing.price(_cart([_line("p1", "a", "X", 1, 1000)], coupon_code="C10"), view, NOW)
    assert priced.coupon_problem == "This coupon has expired." and priced.groups[0].discount == 0
    assert priced.totals() == {"usd": 1000}


def test_a_set_coupon_missing_from_the_catalog_does_not_exist() -> None:
    view = _view([_store("a")], [_product("p1", "a", 1000)], [_variant("p1", "X", 5)])
    priced = pricing.price(_cart([_line("p1", "a", "X", 1, 1000)], coupon_code="GONE"), view, NOW)
    assert priced.coupon_problem == "This coupon does not exist."


def test_unavailable_lines_do_not_count_towards_a_coupon() -> None:
    # GIVEN a fixed 500 coupon on a cart whose only line in store b is unavailable
    view = _view([_store("a"), _store("b")], [_product("p1", "a", 1000)], [_variant("p1", "X", 5)],
                 coupon=_coupon(type="fixed", value=500, currency="usd"))  # fmt: skip
    cart = _cart([_line("p1", "a", "X", 1, 1000), _line("p9", "b", "X", 1, 4000)], coupon_code="C10")
    priced = pricing.price(cart, view, NOW)
    # THEN all of the discount goes to store a
    assert [(g.store_id, g.subtotal, g.discount) for g in priced.groups] == [("a", 1000, 500), ("b", 0, 0)]


# --- discounts.coupon_problem


@pytest.mark.parametrize(
    ("coupon", "user_uses", "problem"),
    [
        (None, 0, "This coupon does not exist."),
        (_coupon(status="deleted"), 0, "This coupon does not exist."),
        (_coupon(starts_at=NOW + timedelta(hours=1)), 0, "This coupon is not valid yet."),
        (_coupon(ends_at=NOW), 0, "This coupon has expired."),
        (_coupon(max_uses=3, uses=3), 0, "This coupon has been used up."),
        (_coupon(per_user_limit=1), 1, "You have already used this coupon."),
        (_coupon(starts_at=NOW, ends_at=NOW + timedelta(seconds=1), max_uses=3, uses=2, per_user_limit=2), 1, None),
    ],
)
def test_coupon_problem(coupon: Coupon | None, user_uses: int, problem: str | None) -> None:
    assert discounts.coupon_problem(coupon, NOW, user_uses=user_uses) == problem


# --- discounts.allocate


def _groups(*subtotals: tuple[str, str, int]) -> list[discounts.StoreSubtotal]:
    return [discounts.StoreSubtotal(store_id, currency, subtotal) for store_id, currency, subtotal in subtotals]


def test_fixed_coupon_split_in_proportion_adds_up_exactly() -> None:
    # GIVEN 1000 off across three stores of 100, 100 and 101
    coupon = _coupon(type="fixed", value=100, currency="usd")
    shares, problem = discounts.allocate(coupon, _groups(("a", "usd", 100), ("b", "usd", 100), ("c", "usd", 101)))
    # THEN shares in proportion, remainders to the largest first, summing to the value
    assert problem is None and sum(shares.values()) == 100
    assert shares == {"a": 33, "b": 33, "c": 34}


def test_fixed_coupon_is_capped_at_the_subtotal_and_skips_other_currencies() -> None:
    coupon = _coupon(type="fixed", value=5000, currency="usd")
    shares, problem = discounts.allocate(coupon, _groups(("a", "usd", 1200), ("b", "eur", 9000)))
    assert problem is None and shares == {"a": 1200}


def test_store_coupon_applies_to_its_store_only() -> None:
    coupon = _coupon(store_id="b", value=50)
    shares, problem = discounts.allocate(coupon, _groups(("a", "usd", 1000), ("b", "usd", 999)))
    assert problem is None and shares == {"b": 499}
    assert discounts.allocate(coupon, _groups(("a", "usd", 1000))) == (
        {}, "This coupon does not apply to anything in your cart.")  # fmt: skip


def test_min_subtotal() -> None:
    coupon = _coupon(min_subtotal=2000)
    assert (
        discounts.allocate(coupon, _groups(("a", "usd", 1999)))[1] == "This coupon needs a subtotal of at least 2000."
    )
    assert discounts.allocate(coupon, _groups(("a", "usd", 1000), ("b", "usd", 1000))) == ({"a": 100, "b": 100}, None)
    # a minimum cannot be met across currencies
    assert discounts.allocate(coupon, _groups(("a", "usd", 5000), ("b", "eur", 5000)))[1] is not None


def test_a_minimum_in_money_is_only_reached_in_its_currency() -> None:
    # GIVEN a platform-wide percent coupon whose minimum is 20.00 USD
    coupon = _coupon(min_subtotal=2000, currency="usd")
    # THEN a usd cart of 20.00 reaches it, a eur cart of 50.00 does not (and says so in dollars)
    assert discounts.allocate(coupon, _groups(("a", "usd", 2000))) == ({"a": 200}, None)
    assert discounts.allocate(coupon, _groups(("a", "eur", 5000)))[1] == (
        "This coupon needs a subtotal of at least 20.00 USD.")  # fmt: skip


def test_fixed_coupon_on_an_empty_subtotal_gives_zero() -> None:
    coupon = _coupon(type="fixed", value=500, currency="usd")
    assert discounts.allocate(coupon, _groups(("a", "usd", 0))) == ({"a": 0}, None)
