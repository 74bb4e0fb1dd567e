"""Tracking's items: a delivery's trail points (``DELIVERY#<id>`` / ``LOC#<at>#<n>``) and its last position.

The trail is written with BatchWriteItem (25 items a call, unprocessed items retried by
PynamoDB) and read with one Query, newest first. The last position lives on the Delivery
item and moves only forward in time: its update is conditional on the stored ``lastAt``
being older (or absent), on the delivery still being in the courier's hands and on the
courier, so batches that arrive out of order, or at the same moment, never move it back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import UpdateError

from souk.dispatch import keys
from souk.dispatch.models import ASSIGNED, PICKED_UP, Delivery, DeliveryLocation

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from souk.dispatch.schemas import GpsPoint

TRAIL_DAYS = 30  # a point expires (TTL) this long after it was taken


def point_stamp(at: datetime) -> str:
    """A fixed-width UTC stamp (microseconds, ``Z``): sort keys order like the instants they name."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def put_points(delivery_id: str, points: Iterable[tuple[int, GpsPoint]]) -> None:
    """The points (each with its index in its batch), as trail items; a retried batch overwrites itself."""
    pk = keys.delivery(delivery_id)
    with DeliveryLocation.batch_write() as batch:
        for n, point in points:
            at = point.at.astimezone(UTC)
            batch.save(DeliveryLocation(pk=pk, sk=keys.location_sort(point_stamp(at), n), lat=point.lat,
                                        lng=point.lng, at=at, accuracy=point.accuracy,
                                        expires_at=at + timedelta(days=TRAIL_DAYS)))  # fmt: skip


def trail(delivery_id: str, *, limit: int) -> Sequence[DeliveryLocation]:
    """The newest ``limit`` points, newest first: one Query."""
    found = DeliveryLocation.query(keys.delivery(delivery_id), DeliveryLocation.sk.startswith(keys.LOCATION_PREFIX),
                                   scan_index_forward=False, limit=limit, page_size=limit)  # fmt: skip
    return [item for item in found if isinstance(item, DeliveryLocation)]


def move_last(delivery: Delivery, courier_id: str, lat: float, lng: float, at: datetime) -> bool:
    """The delivery's last position → (lat, lng, at) when ``at`` is newer than the stored one, the
    delivery is assigned or picked up and still ``courier_id``'s (one UpdateItem). False when a
    condition failed (a newer position is stored, or the delivery moved on)."""
    condition = (
        Delivery.status.is_in(ASSIGNED, PICKED_UP)
        & (Delivery.courier_id == courier_id)
        & (Delivery.last_at.does_not_exist() | (Delivery.last_at < at.astimezone(UTC)))
    )
    try:
        delivery.update(actions=[Delivery.last_lat.set(lat), Delivery.last_lng.set(lng),
                                 Delivery.last_at.set(at.astimezone(UTC))], condition=condition)  # fmt: skip
    except UpdateError as exc:
        if getattr(exc, "cause_response_code", None) != "ConditionalCheckFailedException":
            raise
        return False
    return True
