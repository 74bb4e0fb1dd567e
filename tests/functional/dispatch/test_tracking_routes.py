"""POST /api/v1/deliveries/{id}/locations and GET /api/v1/orders/{id}/tracking, in process on moto."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.delivery.geo import haversine_km
from souk.dispatch.models import Delivery
from souk.dispatch.service.tracking import LOCATION_BATCHES
from souk.orders.models import Order
from tests.dispatch_factories import DROPOFF, PICKUP, Job, job, person, point, stored_delivery, stored_trail
from tests.support import ApiClient, assert_error, record_dynamodb_calls


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()  # each test has its own table
    yield
    admin_settings.forget()


def locations(delivery_id: str) -> str:
    return f"/api/v1/deliveries/{delivery_id}/locations"


def tracking(order_id: str) -> str:
    return f"/api/v1/orders/{order_id}/tracking"


def now() -> datetime:
    return datetime.now(UTC)


def send(api: ApiClient, work: Job, points: list[dict[str, Any]], token: str | None = None) -> Any:
    return api.post(locations(work.delivery_id), json_body={"points": points}, token=token or work.courier.token)


def set_status(work: Job, status: str) -> None:
    work.delivery.update([Delivery.status.set(status)])


# ---------------------------------------------------------------- POST locations


def test_a_batch_out_of_order_is_stored_and_the_newest_point_becomes_the_last_position(api: ApiClient) -> None:
    work = job()
    t = now() - timedelta(minutes=3)
    batch = [point(40.001, -73.0, t + timedelta(seconds=60), accuracy=8),
             point(40.002, -73.0, t + timedelta(seconds=90)), point(40.0, -73.0, t)]  # fmt: skip
    response = send(api, work, batch)
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["accepted"] == 3 and data["ignored"] == 0
    assert (data["last"]["lat"], data["last"]["lng"]) == (40.002, -73.0)
    assert response.headers["X-RateLimit-Limit"] == str(LOCATION_BATCHES.limit)
    # THEN the trail holds the three points in time order, each expiring 30 days after it was taken
    trail = stored_trail(work.delivery_id)
    assert [float(p.lat) for p in trail] == [40.0, 40.001, 40.002]
    assert float(trail[1].accuracy) == 8 and trail[0].accuracy is None
    assert all(p.expires_at == (p.at + timedelta(days=30)).replace(microsecond=0) for p in trail)
    stored = stored_delivery(work.delivery_id)
    assert float(stored.last_lat) == 40.002 and stored.last_at == t + timedelta(seconds=90)


def test_an_older_batch_arriving_late_is_stored_but_never_moves_the_last_position_back(api: ApiClient) -> None:
    work = job()
    t = now() - timedelta(minutes=2)
    assert send(api, work, [point(40.01, -73.0, t + timedelta(seconds=60))]).status == 200
    # WHEN a batch taken before it arrives afterwards (the phone was offline)
    response = send(api, work, [point(40.005, -73.0, t), point(40.006, -73.0, t + timedelta(seconds=30))])
    # THEN its points join the trail and the last position stays the newest one
    assert response.status == 200 and response.json["data"]["accepted"] == 2
    assert response.json["data"]["last"]["lat"] == 40.01
    assert float(stored_delivery(work.delivery_id).last_lat) == 40.01
    assert len(stored_trail(work.delivery_id)) == 3


def test_points_from_before_the_assignment_or_the_future_are_ignored_and_counted(api: ApiClient) -> None:
    work = job(assigned_at=now() - timedelta(minutes=5))
    batch = [point(40.0, -73.0, now() - timedelta(minutes=6)), point(40.0, -73.0, now() + timedelta(minutes=10)),
             point(40.003, -73.0, now() - timedelta(minutes=1))]  # fmt: skip
    response = send(api, work, batch)
    assert response.status == 200
    assert response.json["data"]["accepted"] == 1 and response.json["data"]["ignored"] == 2
    assert [float(p.lat) for p in stored_trail(work.delivery_id)] == [40.003]
    # a batch of ignored points only: nothing stored, nothing moved
    response = send(api, work, [point(40.0, -73.0, now() + timedelta(hours=1))])
    assert response.json["data"] == {"accepted": 0, "ignored": 1, "last": response.json["data"]["last"]}
    assert response.json["data"]["last"]["lat"] == 40.003


@pytest.mark.parametrize(
    "points",
    [
        [],
        [{"lat": 40.0, "lng": -73.0, "at": "2026-05-01T12:00:00Z"}] * 51,
        [{"lat": 91, "lng": -73.0, "at": "2026-05-01T12:00:00Z"}],
        [{"lat": 40.0, "lng": -73.0, "at": "2026-05-01T12:00:00"}],  # no UTC offset
        [{"lat": 40.0, "lng": -73.0}],
        [{"lat": 40.0, "lng": -73.0, "at": "2026-05-01T12:00:00Z", "accuracy": -1}],
        [{"lat": 40.0, "lng": -73.0, "at": "2026-05-01T12:00:00Z", "speed": 3}],
    ],
)
def test_bad_batches_are_400(api: ApiClient, points: list[dict[str, Any]]) -> None:
    work = job()
    assert_error(send(api, work, points), 400, "VALIDATION_ERROR")
    assert stored_trail(work.delivery_id) == []


def test_locations_need_a_token_and_the_courier_role(api: ApiClient) -> None:
    work = job()
    body = {"points": [point(40.0, -73.0, now())]}
    assert_error(api.post(locations(work.delivery_id), json_body=body), 401, "UNAUTHORIZED")
    assert_error(api.post(locations(work.delivery_id), json_body=body, token=work.customer.token), 403, "FORBIDDEN")
    assert_error(api.post(locations(work.delivery_id), json_body=body, token=work.admin.token), 403, "FORBIDDEN")


def test_another_couriers_delivery_or_none_is_404(api: ApiClient) -> None:
    work = job()
    stranger = person("courier")
    assert_error(send(api, work, [point(40.0, -73.0, now())], token=stranger.token), 404, "NOT_FOUND")
    assert_error(api.post(locations("nope"), json_body={"points": [point(40.0, -73.0, now())]},
                          token=work.courier.token), 404, "NOT_FOUND")  # fmt: skip
    assert stored_trail(work.delivery_id) == []


@pytest.mark.parametrize("status", ["offered", "delivered", "failed", "cancelled"])
def test_a_delivery_not_in_the_couriers_hands_takes_no_positions(api: ApiClient, status: str) -> None:
    work = job()
    set_status(work, status)
    assert_error(send(api, work, [point(40.0, -73.0, now())]), 409, "INVALID_STATE")
    assert stored_trail(work.delivery_id) == []


def test_a_picked_up_delivery_takes_positions(api: ApiClient) -> None:
    work = job()
    set_status(work, "picked_up")
    assert send(api, work, [point(40.0, -73.0, now())]).status == 200


def test_past_the_limit_a_courier_gets_429_with_retry_after(api: ApiClient) -> None:
    work = job()
    for _ in range(LOCATION_BATCHES.limit):
        LOCATION_BATCHES.hit(work.courier.id)
    response = send(api, work, [point(40.0, -73.0, now())])
    assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert int(response.headers["Retry-After"]) >= 1
    assert stored_trail(work.delivery_id) == []
    # another courier is counted apart
    other = job()
    assert send(api, other, [point(40.0, -73.0, now())]).status == 200


# ---------------------------------------------------------------- GET tracking


def test_the_customer_follows_the_courier_with_the_trail_newest_first_and_an_eta(api: ApiClient) -> None:
    work = job(assigned_at=now() - timedelta(minutes=15))
    set_status(work, "picked_up")
    # GIVEN a courier riding north towards the door at 0.01 degrees of latitude (~1.11 km) every 2 minutes
    start = now() - timedelta(minutes=7)
    trail = [point(39.95 + 0.01 * i, -73.0, start + timedelta(minutes=2 * i)) for i in range(4)]
    assert send(api, work, trail).status == 200
    # WHEN the customer tracks the order
    response = api.get(tracking(work.order_id), token=work.customer.token)
    # THEN the courier's name and last position, the trail newest first, the distance left and the ETA
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["deliveryId"] == work.delivery_id and data["status"] == "picked_up"
    assert data["courier"]["name"] == "Rami Courier"
    assert (data["courier"]["lat"], data["courier"]["lng"]) == (pytest.approx(39.98), -73.0)
    assert [p["lat"] for p in data["trail"]] == pytest.approx([39.98, 39.97, 39.96, 39.95])
    left = haversine_km(39.98, -73.0, *DROPOFF)  # ~4.53 km
    speed = haversine_km(39.95, -73.0, 39.98, -73.0) / 0.1  # 3.34 km in 6 minutes: ~33 km/h
    assert data["distanceKm"] == round(left, 2)
    assert data["etaMinutes"] == math.ceil(left / speed * 60) == 9
    # the settings' 25 km/h would have said 11: the recent speed was used
    assert math.ceil(left / 25 * 60) == 11


def test_before_pickup_the_distance_goes_through_the_store_at_the_configured_speed(api: ApiClient) -> None:
    work = job()
    assert send(api, work, [point(39.99, -73.0, now() - timedelta(seconds=20))]).status == 200  # one point: no speed
    data = api.get(tracking(work.order_id), token=work.owner.token).json["data"]
    left = haversine_km(39.99, -73.0, *PICKUP) + haversine_km(*PICKUP, *DROPOFF)
    assert data["status"] == "assigned" and data["distanceKm"] == round(left, 2)
    assert data["etaMinutes"] == math.ceil(left / 25 * 60)


def test_the_store_owner_the_courier_and_admins_track_it_too_anyone_else_gets_404(api: ApiClient) -> None:
    work = job()
    for token in (work.owner.token, work.courier.token, work.admin.token):
        response = api.get(tracking(work.order_id), token=token)
        assert response.status == 200 and response.json["data"]["courier"]["lat"] is None
    for stranger in (person("customer"), person("store_owner"), person("courier")):
        assert_error(api.get(tracking(work.order_id), token=stranger.token), 404, "NOT_FOUND")
    assert_error(api.get(tracking("no-such-order"), token=work.admin.token), 404, "NOT_FOUND")


def test_an_order_without_a_delivery_yet_is_404_saying_so(api: ApiClient) -> None:
    work = job()
    work.order.update([Order.delivery_id.remove()])
    response = api.get(tracking(work.order_id), token=work.customer.token)
    payload = assert_error(response, 404, "NOT_FOUND")
    assert "no delivery yet" in payload["error"]["message"]


def test_tracking_needs_a_token_and_a_sane_id(api: ApiClient) -> None:
    work = job()
    assert_error(api.get(tracking(work.order_id)), 401, "UNAUTHORIZED")
    assert_error(api.get(tracking("x" * 65), token=work.customer.token), 400, "VALIDATION_ERROR")


def test_tracking_reads_a_constant_number_of_items_and_at_most_50_points(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = job()
    t = now() - timedelta(minutes=4)
    assert send(api, work, [point(40.0 + i / 1e4, -73.0, t + timedelta(seconds=i)) for i in range(5)]).status == 200
    admin_settings.current()  # cached per environment, as in Lambda
    calls = record_dynamodb_calls(monkeypatch)
    assert len(api.get(tracking(work.order_id), token=work.customer.token).json["data"]["trail"]) == 5
    few = list(calls)
    for start in (5, 55):
        assert send(api, work, [point(40.0 + i / 1e4, -73.0, t + timedelta(seconds=i))
                                for i in range(start, start + 50)]).status == 200  # fmt: skip
    calls.clear()
    data = api.get(tracking(work.order_id), token=work.customer.token).json["data"]
    assert len(data["trail"]) == 50 and data["trail"][0]["lat"] == pytest.approx(40.0104)
    # the caller's token check, the order, the delivery, the trail (one Query), the courier's name
    assert calls == few == ["GetItem", "GetItem", "GetItem", "Query", "GetItem"]
