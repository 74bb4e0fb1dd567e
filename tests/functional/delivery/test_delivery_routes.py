"""GET/POST /api/v1/delivery-zones and POST /api/v1/delivery/quote, in process on moto."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.delivery import geo, keys
from souk.delivery.models import DeliveryQuote
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import admin_token, make_category, make_store, set_status
from tests.support import ApiClient, assert_error

pytestmark = pytest.mark.no_default_zone  # these tests list and choose among the zones they add

ZONES = "/api/v1/delivery-zones"
QUOTE = "/api/v1/delivery/quote"
STORE_AT = (37.8044, -122.2712)  # catalog_helpers.store_body's Oakland address (lat, lng)
OAKLAND = [[-122.35, 37.75], [-122.15, 37.75], [-122.15, 37.90], [-122.35, 37.90], [-122.35, 37.75]]
BOW_TIE = [[-122.35, 37.75], [-122.15, 37.90], [-122.15, 37.75], [-122.35, 37.90], [-122.35, 37.75]]


def usd(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "usd"}


FEE = {"base": usd(200), "perKm": usd(100), "minimum": usd(300)}


def polygon_zone(**overrides: Any) -> dict[str, Any]:
    return {"name": "Oakland", "type": "polygon", "polygon": OAKLAND, "fee": FEE, "priority": 1, **overrides}


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()  # each test has its own table
    yield
    admin_settings.forget()


@pytest.fixture
def admin(api: ApiClient) -> str:
    return admin_token()


def _create(api: ApiClient, token: str, body: dict[str, Any]) -> Any:
    return api.post(ZONES, json_body=body, token=token)


def test_an_admin_adds_zones_and_everyone_lists_the_active_ones(api: ApiClient, admin: str) -> None:
    # WHEN an admin adds a polygon zone and an inactive radius zone
    response = _create(api, admin, polygon_zone())
    assert response.status == 201, response.body
    polygon = response.json["data"]
    assert polygon["type"] == "polygon" and polygon["polygon"] == OAKLAND and polygon["fee"] == FEE
    assert polygon["priority"] == 1 and polygon["active"] is True
    radius_body = {"name": "Far", "type": "radius", "center": {"lat": 31.2, "lng": 29.9}, "radiusKm": 8.5,
                   "fee": FEE, "active": False}  # fmt: skip
    radius = _create(api, admin, radius_body).json["data"]
    assert radius["center"] == {"lat": 31.2, "lng": 29.9} and radius["radiusKm"] == 8.5 and radius["priority"] == 0
    # THEN the public list (no token) shows the active zone only, a customer's too
    public = api.get(ZONES)
    assert public.status == 200
    assert [z["id"] for z in public.json["data"]] == [polygon["id"]]
    customer = token_for(create_user("customer"))
    assert [z["id"] for z in api.get(ZONES, token=customer).json["data"]] == [polygon["id"]]
    # AND admins see both
    assert {z["id"] for z in api.get(ZONES, token=admin).json["data"]} == {polygon["id"], radius["id"]}
    # AND the creation is audited
    audited = AuditRecord.gsi2.query(audit_keys.audit_resource("delivery_zone", polygon["id"]))
    assert [r.action for r in audited] == ["delivery_zone.create"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"polygon": OAKLAND[:-1]}, "polygon"),  # open ring
        ({"polygon": BOW_TIE}, "polygon"),  # self-intersecting
        ({"polygon": OAKLAND[:3]}, "polygon"),  # too few positions
        ({"polygon": [[-190, 37.75], *OAKLAND[1:-1], [-190, 37.75]]}, "polygon.0.0"),  # lng out of range
        ({"polygon": [[-122.35, 91], *OAKLAND[1:-1], [-122.35, 91]]}, "polygon.0.1"),  # lat out of range
        ({"type": "radius", "polygon": None, "center": {"lat": 95, "lng": 0}, "radiusKm": 3}, "center.lat"),
        ({"type": "radius", "polygon": None, "center": {"lat": 37.8, "lng": -122.3}}, "radiusKm"),
        ({"fee": {**FEE, "base": 200}}, "fee.base"),  # bare-number money
        ({"fee": {**FEE, "minimum": usd(300) | {"currency": "eur"}}}, "fee.minimum"),
        ({"type": "square"}, "type"),
        ({"shape": "x"}, "shape"),
    ],
)
def test_invalid_zones_are_400_naming_the_field(
    api: ApiClient, admin: str, overrides: dict[str, Any], field: str
) -> None:
    response = _create(api, admin, {k: v for k, v in polygon_zone(**overrides).items() if v is not None})
    error = assert_error(response, 400, "VALIDATION_ERROR")["error"]
    assert field in {d["field"] for d in error["details"]}, error
    assert api.get(ZONES, token=admin).json["data"] == []


def test_only_admins_add_zones(api: ApiClient) -> None:
    assert_error(api.post(ZONES, json_body=polygon_zone()), 401, "UNAUTHORIZED")
    for role in ("customer", "store_owner", "courier"):
        response = _create(api, token_for(create_user(role)), polygon_zone())
        assert_error(response, 403, "FORBIDDEN")


def _approved_store(api: ApiClient, admin: str) -> str:
    owner = token_for(create_user("store_owner"))
    category = make_category(api, admin, "Coffee")["id"]
    store_id = make_store(api, owner, [category])["id"]
    set_status(api, admin, store_id, "approved")
    return store_id


def _address(api: ApiClient, token: str, lat: float, lng: float) -> str:
    body = {"label": "Home", "line1": "1 Broadway", "city": "Oakland", "country": "us", "lat": lat, "lng": lng}
    response = api.post("/api/v1/addresses", json_body=body, token=token)
    assert response.status == 201, response.body
    return response.json["data"]["id"]


def test_a_quote_prices_the_distance_in_the_chosen_zone(api: ApiClient, admin: str) -> None:
    # GIVEN an approved store in Oakland, two overlapping zones and a customer's address 1-2 km away
    store_id = _approved_store(api, admin)
    zone = _create(api, admin, polygon_zone()).json["data"]
    wide = [[-123.0, 37.0], [-121.0, 37.0], [-121.0, 39.0], [-123.0, 39.0], [-123.0, 37.0]]
    assert _create(api, admin, polygon_zone(name="Bay", polygon=wide, priority=0)).status == 201
    customer = token_for(create_user("customer"))
    lat, lng = 37.8150, -122.2600
    address_id = _address(api, customer, lat, lng)
    # WHEN the customer asks for a quote
    before = datetime.now(UTC)
    response = api.post(QUOTE, json_body={"storeId": store_id, "addressId": address_id}, token=customer)
    # THEN the higher-priority zone prices it: max(3.00, 2.00 + 1.00/km), ETA at the default 25 km/h
    assert response.status == 201, response.body
    data = response.json["data"]
    km = geo.haversine_km(*STORE_AT, lat, lng)
    assert 1 < km < 2
    assert data["zoneId"] == zone["id"]
    assert data["fee"] == usd(max(300, 200 + round(100 * km)))
    assert data["distanceKm"] == pytest.approx(km, abs=0.01)
    assert data["etaMinutes"] == math.ceil(km / 25 * 60)  # whole minutes, rounded up
    # AND the quote is kept, with a 15-minute TTL
    expires = datetime.fromisoformat(data["expiresAt"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=14) < expires <= datetime.now(UTC) + timedelta(minutes=15)
    stored = DeliveryQuote.get(keys.quote_key(data["quoteId"]), keys.QUOTE)
    assert stored.expires_at == expires and stored.fee_amount == data["fee"]["amount"]


def test_an_address_in_no_zone_is_422(api: ApiClient, admin: str) -> None:
    store_id = _approved_store(api, admin)
    assert _create(api, admin, polygon_zone()).status == 201
    customer = token_for(create_user("customer"))
    address_id = _address(api, customer, 31.2, 29.9)  # Alexandria
    response = api.post(QUOTE, json_body={"storeId": store_id, "addressId": address_id}, token=customer)
    assert "outside every delivery zone" in assert_error(response, 422, "UNPROCESSABLE_ENTITY")["error"]["message"]


def test_another_users_address_is_404(api: ApiClient, admin: str) -> None:
    store_id = _approved_store(api, admin)
    assert _create(api, admin, polygon_zone()).status == 201
    owner = token_for(create_user("customer"))
    address_id = _address(api, owner, 37.81, -122.26)
    other = token_for(create_user("customer"))
    response = api.post(QUOTE, json_body={"storeId": store_id, "addressId": address_id}, token=other)
    assert_error(response, 404, "NOT_FOUND")
    unknown_store = api.post(QUOTE, json_body={"storeId": "nope", "addressId": address_id}, token=owner)
    assert_error(unknown_store, 404, "NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"storeId": "s1"}, "addressId"), ({"storeId": "s 1", "addressId": "a1"}, "storeId"),
     ({"storeId": "s1", "addressId": "a1", "extra": 1}, "extra")],
)  # fmt: skip
def test_quote_validation_is_400(api: ApiClient, body: dict[str, Any], field: str) -> None:
    response = api.post(QUOTE, json_body=body, token=token_for(create_user("customer")))
    error = assert_error(response, 400, "VALIDATION_ERROR")["error"]
    assert field in {d["field"] for d in error["details"]}, error


def test_a_quote_needs_a_signed_in_caller(api: ApiClient) -> None:
    assert_error(api.post(QUOTE, json_body={"storeId": "s1", "addressId": "a1"}), 401, "UNAUTHORIZED")
