"""PUT /api/v1/couriers/me/availability and nearest_couriers, in process on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.catalog import geo as geohash
from souk.delivery import geo, keys
from souk.delivery.models import CourierCellEntry
from souk.delivery.service import couriers as service
from tests.factories import approved_courier, create_user, token_for
from tests.support import ApiClient, assert_error

AVAILABILITY = "/api/v1/couriers/me/availability"
STORE_AT = (37.8044, -122.2712)  # Oakland


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()  # each test has its own table
    yield
    admin_settings.forget()


def courier(api: ApiClient) -> tuple[str, str]:
    user = approved_courier()
    return user.user_id, token_for(user)


def set_available(api: ApiClient, token: str, lat: float, lng: float, available: bool = True) -> Any:
    response = api.put(AVAILABILITY, json_body={"available": available, "lat": lat, "lng": lng}, token=token)
    assert response.status == 200, response.body
    return response.json["data"]


def cell_entries(cell: str) -> list[CourierCellEntry]:
    return list(CourierCellEntry.query(keys.courier_cell_key(cell)))


def nearest(lat: float, lng: float, limit: int = 5, now: datetime | None = None) -> list[str]:
    settings = admin_settings.current().delivery
    return [c.courier_id for c in service.nearest_couriers(lat, lng, limit=limit, settings=settings, now=now)]


def test_a_courier_becomes_available_and_is_found_then_unavailable_and_is_not(api: ApiClient) -> None:
    user_id, token = courier(api)
    data = set_available(api, token, *STORE_AT)
    assert data["available"] is True and data["lat"] == STORE_AT[0] and data["lng"] == STORE_AT[1]
    precision = geo.precision_for(admin_settings.current().delivery.max_radius_km)
    cell = geohash.encode(*STORE_AT, precision)
    [entry] = cell_entries(cell)
    assert entry.courier_id == user_id
    stale_after = admin_settings.current().delivery.stale_after_seconds
    assert entry.expires_at == (entry.at + timedelta(seconds=stale_after)).replace(microsecond=0)  # the TTL
    assert nearest(*STORE_AT) == [user_id]
    # WHEN they become unavailable THEN the entry is gone and the search does not find them
    assert set_available(api, token, *STORE_AT, available=False)["available"] is False
    assert cell_entries(cell) == []
    assert nearest(*STORE_AT) == []


@pytest.mark.parametrize(
    "body",
    [
        {"available": True, "lat": 91, "lng": 0},
        {"available": True, "lat": 0, "lng": -180.5},
        {"available": True, "lat": "north", "lng": 0},
        {"available": True, "lng": 0},
        {"available": "yes", "lat": 0, "lng": 0},
    ],
)
def test_bad_positions_are_400(api: ApiClient, body: dict[str, Any]) -> None:
    _, token = courier(api)
    assert_error(api.put(AVAILABILITY, json_body=body, token=token), 400, "VALIDATION_ERROR")


def test_anonymous_is_401_and_other_roles_403(api: ApiClient) -> None:
    body = {"available": True, "lat": 1, "lng": 1}
    assert_error(api.put(AVAILABILITY, json_body=body), 401, "UNAUTHORIZED")
    for role in ("customer", "store_owner", "admin"):
        token = token_for(create_user(role))
        assert_error(api.put(AVAILABILITY, json_body=body, token=token), 403, "FORBIDDEN")


def test_a_courier_moving_across_cells_is_found_in_the_new_cell_and_not_the_old(api: ApiClient) -> None:
    user_id, token = courier(api)
    precision = geo.precision_for(admin_settings.current().delivery.max_radius_km)
    set_available(api, token, *STORE_AT)
    old_cell = geohash.encode(*STORE_AT, precision)
    far = (STORE_AT[0] + 1.0, STORE_AT[1])  # ~111 km north: another cell, beyond the radius
    new_cell = geohash.encode(*far, precision)
    assert new_cell != old_cell
    set_available(api, token, *far)
    assert cell_entries(old_cell) == []
    assert [e.courier_id for e in cell_entries(new_cell)] == [user_id]
    assert nearest(*STORE_AT) == []
    assert nearest(*far) == [user_id]


def test_a_stale_position_is_ignored(api: ApiClient) -> None:
    old_id, old_token = courier(api)
    fresh_id, fresh_token = courier(api)
    set_available(api, old_token, *STORE_AT)
    set_available(api, fresh_token, STORE_AT[0] + 0.01, STORE_AT[1])
    stale_after = admin_settings.current().delivery.stale_after_seconds
    precision = geo.precision_for(admin_settings.current().delivery.max_radius_km)
    [old] = [e for e in cell_entries(geohash.encode(*STORE_AT, precision)) if e.courier_id == old_id]
    old.at = datetime.now(UTC) - timedelta(seconds=stale_after + 1)  # a position not updated since
    old.save()
    assert nearest(*STORE_AT) == [fresh_id]
    # AND once the fresh one is as old, nobody is found
    assert nearest(*STORE_AT, now=datetime.now(UTC) + timedelta(seconds=stale_after + 1)) == []


def test_nearest_first_up_to_the_limit_within_the_radius(api: ApiClient) -> None:
    lat, lng = STORE_AT
    spots = {
        "d3": (lat + 0.03, lng),
        "d1": (lat + 0.01, lng),
        "d8": (lat, lng + 0.09),
        "d2": (lat - 0.02, lng),
        "out": (lat + 0.3, lng),
    }  # fmt: skip  (0.3° of latitude is ~33 km: beyond the 15 km radius)
    ids = {}
    for name, spot in spots.items():
        user_id, token = courier(api)
        ids[user_id] = name
        set_available(api, token, *spot)
    assert [ids[i] for i in nearest(lat, lng, limit=10)] == ["d1", "d2", "d3", "d8"]
    assert [ids[i] for i in nearest(lat, lng, limit=2)] == ["d1", "d2"]
