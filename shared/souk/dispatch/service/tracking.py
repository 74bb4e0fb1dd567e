"""GPS tracking: a courier's location batches, and the tracking view of an order (distance left, ETA).

Rules (plain functions, no AWS):

- **Which points are kept** (:func:`keep_points`): a point taken before the delivery was
  assigned (the phone's buffer from before the courier accepted) or more than
  :data:`CLOCK_SKEW` in the future (a phone with a wrong clock) is *ignored*, not refused:
  the rest of the batch is stored and the answer counts both (``accepted``, ``ignored``), so
  a client never loops retrying a batch it cannot fix. Points may come in any order.
- **Recent speed** (:func:`recent_speed_kmh`): over the trail points of the last
  :data:`SPEED_WINDOW` before the newest one (points less accurate than
  :data:`MAX_ACCURACY_M` left out), the path length over the time it took. None (so the
  admin settings' ``delivery.courierSpeedKmh`` applies) with fewer than two points, a span
  under :data:`MIN_SPAN_SECONDS`, or a speed under :data:`MIN_SPEED_KMH` (waiting at the
  store or at a light says nothing about the ride); capped at :data:`MAX_SPEED_KMH` (GPS jumps).
- **Distance left** (:func:`remaining_km`, road-less haversine): before pickup, from the
  courier's last position to the pickup (none known: from the pickup) plus pickup to
  drop-off; once picked up, from the last position (else the pickup) to the drop-off;
  0 when delivered; None when failed or cancelled.
- **ETA** (:func:`eta_minutes`): the distance at that speed, rounded up to a minute (0 when
  nothing is left); None while the delivery is only offered (nobody rides yet).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING

from souk.admin_settings import service as admin_settings
from souk.db.ratelimit import RateLimit, RateState
from souk.delivery.geo import haversine_km
from souk.dispatch.models import ASSIGNED, CANCELLED, DELIVERED, FAILED, OFFERED, PICKED_UP
from souk.dispatch.schemas import LastPosition, LocationsOut, TrackedCourier, TrackingOut, TrailPoint
from souk.dispatch.service.deliveries import is_courier_of, load_delivery
from souk.dispatch.store import deliveries as deliveries_store
from souk.dispatch.store import tracking as store
from souk.errors import InvalidState, NotFound
from souk.identity.service.users import get_user
from souk.orders.service.orders import load_order

if TYPE_CHECKING:
    from collections.abc import Sequence

    from souk.caller import Principal
    from souk.dispatch.models import Delivery
    from souk.dispatch.schemas import GpsPoint, LocationsIn
    from souk.orders.models import Order

CLOCK_SKEW = timedelta(seconds=120)  # a point this far ahead of the server's clock is still believed
TRAIL_LIMIT = 50  # points in the tracking view (newest first)
SPEED_WINDOW = timedelta(minutes=10)
MIN_SPAN_SECONDS = 30
MIN_SPEED_KMH = 1.0
MAX_SPEED_KMH = 150.0
MAX_ACCURACY_M = 100.0
# A phone sends a batch every few seconds at most; a runaway client is stopped here, per courier.
LOCATION_BATCHES = RateLimit("delivery-locations", limit=30, window_seconds=60)
TRACKING = (ASSIGNED, PICKED_UP)  # the statuses that take positions

LatLngPair = tuple[float, float]


@dataclass(frozen=True)
class Fix:
    """A trail point as the rules read it."""

    lat: float
    lng: float
    at: datetime
    accuracy: float | None = None


# ---------------------------------------------------------------- rules: plain functions


def keep_points(points: Sequence[GpsPoint], *, assigned_at: datetime | None, now: datetime
                ) -> tuple[list[tuple[int, GpsPoint]], int]:  # fmt: skip
    """The points to store (with their index in the batch) and how many were ignored."""
    latest = now + CLOCK_SKEW
    kept = [(n, p) for n, p in enumerate(points)
            if p.at <= latest and (assigned_at is None or p.at >= assigned_at)]  # fmt: skip
    return kept, len(points) - len(kept)


def path_km(fixes: Sequence[Fix]) -> float:
    """The length of the path through ``fixes`` in time order."""
    ordered = sorted(fixes, key=lambda f: f.at)
    return sum(haversine_km(a.lat, a.lng, b.lat, b.lng) for a, b in pairwise(ordered))


def recent_speed_kmh(fixes: Sequence[Fix], *, window: timedelta = SPEED_WINDOW) -> float | None:
    """The average speed over the recent trail, or None when it says nothing (see the module's rules)."""
    usable = sorted((f for f in fixes if f.accuracy is None or f.accuracy <= MAX_ACCURACY_M), key=lambda f: f.at)
    if not usable:
        return None
    recent = [f for f in usable if f.at >= usable[-1].at - window]
    span = (recent[-1].at - recent[0].at).total_seconds()
    if len(recent) < 2 or span < MIN_SPAN_SECONDS:
        return None
    speed = path_km(recent) / (span / 3600)
    if speed < MIN_SPEED_KMH:
        return None
    return min(speed, MAX_SPEED_KMH)


def remaining_km(status: str, position: LatLngPair | None, pickup: LatLngPair, dropoff: LatLngPair) -> float | None:
    """Road-less km left to the drop-off (see the module's rules)."""
    if status == DELIVERED:
        return 0.0
    if status in (FAILED, CANCELLED):
        return None
    if status == PICKED_UP:
        return haversine_km(*(position or pickup), *dropoff)
    to_pickup = haversine_km(*position, *pickup) if position is not None else 0.0
    return to_pickup + haversine_km(*pickup, *dropoff)


def eta_minutes(distance_km: float, speed_kmh: float) -> int:
    """Whole minutes to ride ``distance_km`` at ``speed_kmh``, rounded up; 0 when there is nothing left."""
    if distance_km <= 0:
        return 0
    return max(1, math.ceil(distance_km / speed_kmh * 60))


def estimate(status: str, position: LatLngPair | None, pickup: LatLngPair, dropoff: LatLngPair,
             fixes: Sequence[Fix], fallback_kmh: float) -> tuple[float | None, int | None]:  # fmt: skip
    """(distance left in km rounded to 10 m, ETA in minutes) for the tracking view."""
    distance = remaining_km(status, position, pickup, dropoff)
    if distance is None:
        return None, None
    if status == OFFERED:
        return round(distance, 2), None
    speed = recent_speed_kmh(fixes) or fallback_kmh
    return round(distance, 2), eta_minutes(distance, speed)


def may_track(principal: Principal, order: Order) -> bool:
    """Admins, the order's customer and store owner, and the courier it is assigned to."""
    if principal.is_admin:
        return True
    return principal.user_id in (order.customer_id, order.store_owner_id) or (
        order.courier_id is not None and order.courier_id == principal.user_id
    )


# ---------------------------------------------------------------- the locations route


def _last(delivery: Delivery) -> LastPosition | None:
    if delivery.last_at is None or delivery.last_lat is None or delivery.last_lng is None:
        return None
    return LastPosition(lat=float(delivery.last_lat), lng=float(delivery.last_lng), at=delivery.last_at)


def record_locations(principal: Principal, delivery_id: str, body: LocationsIn, *, now: datetime | None = None
                     ) -> tuple[LocationsOut, RateState]:  # fmt: skip
    """Store a batch of the courier's points and move the delivery's last position forward.

    Calls: the rate window (one UpdateItem), the delivery (one GetItem), the points (one or two
    BatchWriteItem), the last position (one conditional UpdateItem, only when the batch holds a
    newer point; one GetItem more when a concurrent batch stored a newer one meanwhile).

    Raises
    ------
    RateLimitExceeded
        More than :data:`LOCATION_BATCHES` calls by this courier in its window.
    NotFound
        No such delivery, or not this courier's.
    InvalidState
        The delivery is not assigned or picked up (offered, delivered, failed, cancelled).
    """
    state = LOCATION_BATCHES.enforce(principal.user_id)
    delivery = load_delivery(delivery_id)
    if not is_courier_of(principal, delivery):
        raise NotFound("No such delivery.")
    if delivery.status not in TRACKING:
        raise InvalidState(f"A delivery that is {delivery.status.replace('_', ' ')} takes no positions.")
    kept, ignored = keep_points(body.points, assigned_at=delivery.assigned_at, now=now or datetime.now(UTC))
    if kept:
        store.put_points(delivery.delivery_id, kept)
        newest = max((p for _, p in kept), key=lambda p: p.at)
        newer = delivery.last_at is None or newest.at > delivery.last_at
        if newer and not store.move_last(delivery, principal.user_id, newest.lat, newest.lng, newest.at):
            delivery = load_delivery(delivery_id)  # a newer position (or a status change) won meanwhile
    return LocationsOut(accepted=len(kept), ignored=ignored, last=_last(delivery)), state


# ---------------------------------------------------------------- the tracking route


def tracking(principal: Principal, order_id: str) -> TrackingOut:
    """The order's delivery as its customer, store owner, courier or an admin follows it.

    Calls: the order (GetItem), its delivery (GetItem), the trail (one Query, newest
    :data:`TRAIL_LIMIT` points), the courier's name (GetItem, once a courier holds it), and
    the admin settings (cached per environment): a constant number whatever the trail's length.

    Raises
    ------
    NotFound
        No such order, not one the caller may follow, or no delivery yet (tracking starts once
        the store marks the order ready).
    """
    order = load_order(order_id)
    if not may_track(principal, order):
        raise NotFound("No such order.")
    delivery = deliveries_store.get_delivery(order.delivery_id, consistent=False) if order.delivery_id else None
    if delivery is None:
        raise NotFound("This order has no delivery yet: tracking starts once the store marks it ready.")
    points = store.trail(delivery.delivery_id, limit=TRAIL_LIMIT)
    fixes = [Fix(float(p.lat), float(p.lng), p.at, float(p.accuracy) if p.accuracy is not None else None)
             for p in points]  # fmt: skip
    last = _last(delivery)
    position = (last.lat, last.lng) if last is not None else None
    pickup = (float(delivery.pickup_lat), float(delivery.pickup_lng))
    dropoff = (float(delivery.dropoff_lat), float(delivery.dropoff_lng))
    fallback = admin_settings.current().delivery.courier_speed_kmh
    distance, eta = estimate(delivery.status, position, pickup, dropoff, fixes, fallback)
    courier = None
    if delivery.courier_id is not None and delivery.status != OFFERED:
        try:
            name = get_user(delivery.courier_id).name
        except NotFound:
            name = "Your courier"
        courier = TrackedCourier(name=name, lat=last.lat if last else None, lng=last.lng if last else None,
                                 at=last.at if last else None)  # fmt: skip
    return TrackingOut(delivery_id=delivery.delivery_id, status=delivery.status,  # type: ignore[arg-type]
                       courier=courier, trail=[TrailPoint(lat=f.lat, lng=f.lng, at=f.at) for f in fixes],
                       distance_km=distance, eta_minutes=eta)  # fmt: skip
