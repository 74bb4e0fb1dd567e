"""GET /api/v1/cart: each store's delivery estimate to the caller's default address (the quote's rule)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Store
from souk.delivery import geo
from souk.identity.models import User
from souk.identity.schemas.addresses import AddressIn
from souk.identity.service import addresses
from tests.commerce_factories import EVERYWHERE_ZONE_ID
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import admin_token, count_dynamodb_calls
from tests.functional.product_support import Seller, make_seller, principal_of
from tests.support import ApiClient

CART = "/api/v1/cart"
STORE_AT = (40.0, -73.0)  # product_support.make_store's address
HOME = (40.1, -73.2)  # about 20 km from the store
FAR = (30.0444, 31.2357)  # Cairo: in no zone these tests add
FEE = {"base": {"amount": 200, "currency": "usd"}, "perKm": {"amount": 50, "currency": "usd"},
       "minimum": {"amount": 300, "currency": "usd"}}  # fmt: skip


def expected_fee(km: float) -> int:
    """max(minimum, base + perKm * km), the per-km part rounded half up (written out again here)."""
    return max(300, 200 + math.floor(50 * km + 0.5))


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()  # each test has its own table
    yield
    admin_settings.forget()


def _zone(api: ApiClient, center: tuple[float, float] = HOME, radius_km: float = 30.0) -> dict[str, Any]:
    body = {"name": "Springfield", "type": "radius", "center": {"lat": center[0], "lng": center[1]},
            "radiusKm": radius_km, "fee": FEE, "priority": 1}  # fmt: skip
    response = api.post("/api/v1/delivery-zones", json_body=body, token=admin_token())
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def _customer(*places: tuple[float, float]) -> tuple[User, str, list[str]]:
    user = create_user("customer")
    ids = []
    for index, (lat, lng) in enumerate(places):
        body = AddressIn(label=f"Place {index}", line1="1 Elm St", city="Springfield", country="US", lat=lat, lng=lng)
        ids.append(addresses.create_address(principal_of(user), body).id)
    return user, token_for(user), ids


def _add(api: ApiClient, token: str | None, product: dict[str, Any], quantity: int = 1, **auth: Any) -> Any:
    body = {"productId": product["id"], "variantSku": "TRS-42", "quantity": quantity}
    response = api.post(f"{CART}/items", json_body=body, token=token, **auth)
    assert response.status == 200, response.body
    return response.json["data"]


def _group(cart: dict[str, Any], store_id: str) -> dict[str, Any]:
    return next(g for g in cart["stores"] if g["storeId"] == store_id)


def test_a_customer_sees_the_quote_fee_to_their_default_address(api: ApiClient) -> None:
    # GIVEN a zone around the customer's home with a per-km fee, and 2 shoes of a store ~20 km away in the cart
    zone = _zone(api)
    seller = make_seller()
    shoes = seller.create(api)
    _, token, (home,) = _customer(HOME)
    _add(api, token, shoes, 2)
    # WHEN they read the cart
    cart = api.get(CART, token=token).json["data"]
    # THEN the store's group carries the fee of the zone for the distance, and the totals include it
    km = geo.haversine_km(*STORE_AT, *HOME)
    fee = expected_fee(km)
    group = _group(cart, seller.store.store_id)
    assert group["deliveryFee"] == {"amount": fee, "currency": "usd"}
    assert group["delivery"] == {"status": "quoted", "message": None, "zoneId": zone["id"],
                                 "distanceKm": round(km, 2), "etaMinutes": math.ceil(km / 25 * 60)}  # fmt: skip
    assert group["total"]["amount"] == 2 * 5999 + fee
    assert cart["totals"] == [{"amount": 2 * 5999 + fee, "currency": "usd"}] and cart["canCheckout"] is True
    # AND it is what a quote for that store and address says
    quote = api.post("/api/v1/delivery/quote", json_body={"storeId": seller.store.store_id, "addressId": home},
                     token=token)  # fmt: skip
    assert quote.status == 201, quote.body
    assert quote.json["data"]["fee"] == group["deliveryFee"] and quote.json["data"]["zoneId"] == zone["id"]


def test_the_estimate_follows_the_default_address(api: ApiClient) -> None:
    # GIVEN a customer whose default address is in the paid zone and whose other one is far away
    paid = _zone(api)
    seller = make_seller()
    shoes = seller.create(api)
    _, token, (_, far) = _customer(HOME, FAR)
    _add(api, token, shoes)
    before = _group(api.get(CART, token=token).json["data"], seller.store.store_id)
    assert before["delivery"]["zoneId"] == paid["id"] and before["deliveryFee"]["amount"] > 0
    # WHEN the far one becomes the default: only the test tables' zero-fee zone serves it
    response = api.patch(f"/api/v1/addresses/{far}", json_body={"isDefault": True}, token=token)
    assert response.status == 200, response.body
    # THEN the estimate is that zone's (no fee)
    group = _group(api.get(CART, token=token).json["data"], seller.store.store_id)
    assert group["deliveryFee"]["amount"] == 0 and group["delivery"]["status"] == "quoted"
    assert group["delivery"]["zoneId"] == EVERYWHERE_ZONE_ID


@pytest.mark.no_default_zone
def test_an_address_in_no_zone_shows_outside_zones_and_no_fee(api: ApiClient) -> None:
    _zone(api)
    seller = make_seller()
    _, token, _ = _customer(FAR)
    cart = _add(api, token, seller.create(api))
    group = _group(cart, seller.store.store_id)
    assert group["deliveryFee"]["amount"] == 0 and group["total"]["amount"] == 5999
    assert group["delivery"]["status"] == "outside_zones"
    assert "outside every delivery zone" in group["delivery"]["message"]


def test_guests_and_customers_without_an_address_see_why_there_is_no_fee(api: ApiClient) -> None:
    _zone(api)
    seller = make_seller()
    shoes = seller.create(api)
    # a customer with no address
    _, token, _ = _customer()
    mine = _group(_add(api, token, shoes), seller.store.store_id)
    # a guest
    created = api.post(CART).json["data"]
    guest = _group(_add(api, None, shoes, headers={"X-Cart-Token": created["cartToken"]}), seller.store.store_id)
    for group in (mine, guest):
        assert group["deliveryFee"]["amount"] == 0 and group["total"]["amount"] == 5999
        assert group["delivery"]["status"] == "no_address" and group["delivery"]["zoneId"] is None
        assert "default address" in group["delivery"]["message"]


def test_a_store_without_a_location_shows_no_store_location(api: ApiClient) -> None:
    _zone(api)
    seller = make_seller()
    shoes = seller.create(api)
    _unlocate(seller)
    _, token, _ = _customer(HOME)
    group = _group(_add(api, token, shoes), seller.store.store_id)
    assert group["deliveryFee"]["amount"] == 0 and group["delivery"]["status"] == "no_store_location"


def _unlocate(seller: Seller) -> None:
    """The store's item without coordinates (a store made before locations were required)."""
    item = Store.get(catalog_keys.store(seller.store.store_id), catalog_keys.store(seller.store.store_id))
    item.update(actions=[Store.lat.remove(), Store.lng.remove()])


def test_the_estimate_costs_the_same_calls_whatever_the_cart_holds(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN two customers in the zone: one line of one store, and 6 lines of 3 stores
    _zone(api)
    _, small, _ = _customer(HOME)
    _, big, _ = _customer(HOME)
    for index in range(3):
        seller = make_seller()
        product = seller.create(api)
        _add(api, big, product)
        api.post(f"{CART}/items", json_body={"productId": product["id"], "variantSku": "TRS-43", "quantity": 1},
                 token=big)  # fmt: skip
        if index == 0:
            _add(api, small, product)
    api.get(CART, token=small)  # the admin settings (courier speed) are cached from here on
    # WHEN each cart is read
    counts = []
    for token in (small, big):
        with count_dynamodb_calls(monkeypatch) as calls:
            response = api.get(CART, token=token)
        assert response.status == 200
        assert {g["delivery"]["status"] for g in response.json["data"]["stores"]} == {"quoted"}
        counts.append(dict(calls))
    # THEN the same calls: the caller's session and the cart, the catalog batch, the default address, the zones
    assert counts[0] == counts[1] == {"GetItem": 2, "BatchGetItem": 1, "Query": 2}
