"""Tracking's rules: which points are kept, the recent speed, the distance left and the ETA (plain functions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from souk.delivery.geo import haversine_km
from souk.dispatch.schemas import GpsPoint
from souk.dispatch.service.tracking import (
    CLOCK_SKEW,
    MAX_SPEED_KMH,
    Fix,
    estimate,
    eta_minutes,
    keep_points,
    path_km,
    recent_speed_kmh,
    remaining_km,
)

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
PICKUP = (40.0, -73.0)
DROPOFF = (40.02, -73.01)
KM_PER_DEGREE_LAT = haversine_km(40.0, -73.0, 41.0, -73.0)


def ride(minutes: list[float], km_per_minute: float, *, accuracy: float | None = None) -> list[Fix]:
    """Fixes heading north from the pickup at a steady pace."""
    return [Fix(PICKUP[0] + m * km_per_minute / KM_PER_DEGREE_LAT, PICKUP[1], T0 + timedelta(minutes=m), accuracy)
            for m in minutes]  # fmt: skip


def gps(at: datetime) -> GpsPoint:
    return GpsPoint(lat=40.0, lng=-73.0, at=at)


def test_points_before_the_assignment_or_too_far_ahead_are_ignored_the_rest_kept_with_their_index() -> None:
    now = T0
    points = [gps(now - timedelta(minutes=1)), gps(now - timedelta(minutes=11)), gps(now + CLOCK_SKEW),
              gps(now + CLOCK_SKEW + timedelta(seconds=1)), gps(now - timedelta(minutes=3))]  # fmt: skip
    kept, ignored = keep_points(points, assigned_at=now - timedelta(minutes=10), now=now)
    # the one before the assignment and the one past the skew are dropped; the skew itself is believed
    assert [n for n, _ in kept] == [0, 2, 4]
    assert ignored == 2


def test_without_an_assignment_time_only_the_future_is_ignored() -> None:
    kept, ignored = keep_points([gps(T0 - timedelta(days=1)), gps(T0 + timedelta(hours=1))], assigned_at=None, now=T0)
    assert [n for n, _ in kept] == [0] and ignored == 1


def test_the_path_is_measured_in_time_order_whatever_the_order_given() -> None:
    fixes = ride([0, 1, 2, 3], 0.5)
    assert path_km(fixes) == pytest.approx(1.5, rel=1e-3)
    assert path_km(list(reversed(fixes))) == pytest.approx(1.5, rel=1e-3)
    assert path_km(fixes[:1]) == 0


def test_the_recent_speed_is_the_path_over_the_time_it_took() -> None:
    # 0.5 km a minute is 30 km/h, given newest first as the Query returns them
    assert recent_speed_kmh(list(reversed(ride([0, 1, 2, 3, 4], 0.5)))) == pytest.approx(30, rel=1e-3)


def test_only_the_last_window_counts() -> None:
    # a slow start (6 km/h for 20 minutes), then 30 km/h for the last 10: the speed is the recent one
    slow = ride([0, 10, 20], 0.1)
    fast = [Fix(f.lat + slow[-1].lat - PICKUP[0], f.lng, f.at + timedelta(minutes=20)) for f in ride([2, 6, 10], 0.5)]
    assert recent_speed_kmh(slow + fast) == pytest.approx(30, rel=1e-3)


@pytest.mark.parametrize(
    "fixes",
    [
        [],  # nothing known
        ride([0], 0.5),  # one point
        ride([0, 0.25], 0.5),  # 15 seconds: too short to say
        ride([0, 5, 10], 0.001),  # 0.06 km/h: waiting at the store
        ride([0, 1, 2], 0.5, accuracy=500),  # every point too inaccurate
    ],
)
def test_no_recent_speed_when_the_trail_says_nothing(fixes: list[Fix]) -> None:
    assert recent_speed_kmh(fixes) is None


def test_a_gps_jump_is_capped() -> None:
    assert recent_speed_kmh(ride([0, 1], 10)) == MAX_SPEED_KMH  # 600 km/h


def test_distance_left_before_and_after_pickup() -> None:
    leg = haversine_km(*PICKUP, *DROPOFF)
    here = (39.99, -73.0)
    # before pickup: to the store, then to the door; no position yet: the store's leg only
    assert remaining_km("assigned", here, PICKUP, DROPOFF) == pytest.approx(haversine_km(*here, *PICKUP) + leg)
    assert remaining_km("assigned", None, PICKUP, DROPOFF) == pytest.approx(leg)
    assert remaining_km("offered", None, PICKUP, DROPOFF) == pytest.approx(leg)
    # picked up: from where the courier is (or the store) to the door
    assert remaining_km("picked_up", here, PICKUP, DROPOFF) == pytest.approx(haversine_km(*here, *DROPOFF))
    assert remaining_km("picked_up", None, PICKUP, DROPOFF) == pytest.approx(leg)
    assert remaining_km("delivered", here, PICKUP, DROPOFF) == 0
    assert remaining_km("failed", here, PICKUP, DROPOFF) is None
    assert remaining_km("cancelled", here, PICKUP, DROPOFF) is None


@pytest.mark.parametrize(("km", "kmh", "minutes"), [(0, 25, 0), (0.01, 25, 1), (5, 30, 10), (5.01, 30, 11),
                                                    (12.5, 25, 30)])  # fmt: skip
def test_eta_rounds_up_to_a_minute(km: float, kmh: float, minutes: int) -> None:
    assert eta_minutes(km, kmh) == minutes


def test_the_estimate_uses_the_recent_speed_else_the_configured_one() -> None:
    here = (DROPOFF[0] - 0.05, DROPOFF[1])  # ~5.6 km south of the door
    distance = haversine_km(*here, *DROPOFF)
    moving = ride([0, 1, 2, 3], 1.0)  # 60 km/h
    assert estimate("picked_up", here, PICKUP, DROPOFF, moving, 25) == (round(distance, 2), eta_minutes(distance, 60))
    assert eta_minutes(distance, 60) == 6
    # too few points: 25 km/h from the settings
    assert estimate("picked_up", here, PICKUP, DROPOFF, moving[:1], 25) == (round(distance, 2), 14)
    # offered: nobody rides yet, no ETA; delivered: nothing left
    assert estimate("offered", None, PICKUP, DROPOFF, [], 25)[1] is None
    assert estimate("delivered", here, PICKUP, DROPOFF, moving, 25) == (0.0, 0)
    assert estimate("failed", here, PICKUP, DROPOFF, moving, 25) == (None, None)
