"""The one delivery fee rule (souk.delivery.terms.delivery_terms) and its users: the quote, the cart's
estimate and checkout's order fee. Pure: in-memory zones and items, no AWS."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import pytest

from souk.cart import pricing
from souk.cart.models import Cart
from souk.cart.service import carts
from souk.catalog.models import Product, Store, Variant
from souk.delivery import geo, terms
from souk.delivery.schemas import ZoneOut
from souk.delivery.service import zones
from souk.errors import UnprocessableEntity
from souk.orders.service import checkout

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
STORE_AT = (30.0497, 31.2622)  # Al Muizz St, Cairo
HOME = (30.0626, 31.2197)  # Zamalek, ~4.4 km away


def _fee(base: int, per_km: int, minimum: int, currency: str = "usd") -> dict[str, Any]:
    return {name: {"amount": amount, "currency": currency}
            for name, amount in (("base", base), ("perKm", per_km), ("minimum", minimum))}  # fmt: skip


def _zone(zone_id: str, radius_km: float, fee: dict[str, Any], *, priority: int = 0, active: bool = True) -> ZoneOut:
    return ZoneOut.model_validate({"id": zone_id, "name": zone_id, "type": "radius",
                                   "center": {"lat": HOME[0], "lng": HOME[1]}, "radiusKm": radius_km, "fee": fee,
                                   "priority": priority, "active": active})  # fmt: skip


CITY = _zone("city", 20, _fee(150, 40, 200))
DOWNTOWN = _zone("downtown", 5, _fee(100, 25, 250), priority=1)


# --- the rule


def test_delivery_terms_is_fee_for_of_the_chosen_zone_at_the_haversine_distance() -> None:
    found = terms.delivery_terms([CITY, DOWNTOWN], STORE_AT, HOME, currency="usd", speed_kmh=20)
    km = geo.haversine_km(*STORE_AT, *HOME)
    assert 4 < km < 5
    assert found.zone.id == "downtown"  # higher priority wins where the zones overlap
    assert found.fee.amount == max(250, 100 + math.floor(25 * km + 0.5)) and found.fee.currency == "usd"
    assert found.fee == terms.fee_for(DOWNTOWN.fee, km)
    assert found.distance_km == km and found.eta_minutes == math.ceil(km / 20 * 60)


@pytest.mark.parametrize(
    ("store_at", "address_at", "zones_", "reason"),
    [
        ((None, None), HOME, [CITY], "no_store_location"),
        ((STORE_AT[0], None), HOME, [CITY], "no_store_location"),
        (STORE_AT, (None, None), [CITY], "no_address"),
        (STORE_AT, (31.2, 29.9), [CITY], "outside_zones"),  # Alexandria
        (STORE_AT, HOME, [_zone("off", 20, _fee(150, 40, 200), active=False)], "outside_zones"),
        (STORE_AT, HOME, [_zone("eur", 20, _fee(150, 40, 200, "eur"))], "currency"),
    ],
)
def test_why_a_store_cannot_deliver(store_at: Any, address_at: Any, zones_: list[ZoneOut], reason: str) -> None:
    with pytest.raises(terms.NoDelivery) as refused:
        terms.delivery_terms(zones_, store_at, address_at, currency="usd", speed_kmh=25)
    assert refused.value.reason == reason
    assert isinstance(refused.value, UnprocessableEntity) and refused.value.status == 422


def test_a_zero_fee_in_another_currency_is_zero_in_the_stores() -> None:
    free = _zone("free", 20, _fee(0, 0, 0, "usd"))
    found = terms.delivery_terms([free], STORE_AT, HOME, currency="EGP", speed_kmh=25)
    assert (found.fee.amount, found.fee.currency) == (0, "egp")


def test_the_quote_the_cart_and_checkout_share_the_one_function() -> None:
    # No second copy of the rule: the quote's module re-exports it, the cart prices with it,
    # and checkout prices the cart with the chosen address as the destination.
    assert zones.delivery_terms is terms.delivery_terms and zones.fee_for is terms.fee_for
    assert pricing.delivery_terms is terms.delivery_terms
    assert checkout.carts is carts


# --- the cart's estimate (pricing) is the rule's fee


def _priced(destination: pricing.Destination | None, *, store: Store | None = None) -> pricing.PricedCart:
    shop = store or Store(store_id="s", owner_id="o", name="Spice House", currency="usd", status="approved",
                          lat=STORE_AT[0], lng=STORE_AT[1])  # fmt: skip
    product = Product(product_id="p", store_id="s", owner_id="o", name="Saffron", price_amount=1250, currency="usd",
                      category_id="c", status="active")  # fmt: skip
    view = pricing.CatalogView(
        products={"p": product},
        variants={("p", "X"): Variant(product_id="p", store_id="s", sku="X", name="X", stock=10)},
        stores={"s": shop},
        coupon=None,
        coupon_uses=0,
    )
    line = {"id": "l1", "productId": "p", "storeId": "s", "sku": "X", "quantity": 2, "seenPrice": 1250,
            "currency": "usd", "addedAt": NOW.isoformat()}  # fmt: skip
    return pricing.price(Cart(cart_id="c", user_id="u", lines=[line]), view, NOW, destination)


def test_the_cart_estimate_equals_the_rules_fee_and_is_in_the_totals() -> None:
    rule = terms.delivery_terms([CITY, DOWNTOWN], STORE_AT, HOME, currency="usd", speed_kmh=25)
    priced = _priced(pricing.Destination(at=HOME, zones=[CITY, DOWNTOWN], speed_kmh=25))
    group = priced.groups[0]
    assert (group.delivery_status, group.delivery_fee, group.delivery) == (pricing.QUOTED, rule.fee.amount, rule)
    assert group.total == 2500 + rule.fee.amount and priced.totals() == {"usd": 2500 + rule.fee.amount}


def test_without_a_destination_the_estimate_is_zero_and_says_why() -> None:
    group = _priced(None).groups[0]
    assert (group.delivery_status, group.delivery_fee, group.total) == ("no_address", 0, 2500)
    assert group.delivery_problem == pricing.NO_ADDRESS
    outside = _priced(pricing.Destination(at=(31.2, 29.9), zones=[CITY])).groups[0]
    assert (outside.delivery_status, outside.delivery_fee) == ("outside_zones", 0)
    assert outside.delivery_problem == "This address is outside every delivery zone."


def test_checkout_refuses_naming_every_store_that_cannot_deliver() -> None:
    priced = _priced(pricing.Destination(at=(31.2, 29.9), zones=[CITY]))
    with pytest.raises(UnprocessableEntity) as refused:
        checkout.refuse_undeliverable(priced)
    assert "Spice House" in refused.value.message
    assert refused.value.details == [
        {"field": "stores[s]", "message": "Spice House: This address is outside every delivery zone."}
    ]
    checkout.refuse_undeliverable(_priced(pricing.Destination(at=HOME, zones=[CITY])))  # quoted: no refusal
