"""Couriers: availability, the geohash cell index and the nearest-courier search.

Couriers (issue 13 item 2; docs/access-patterns.md "Delivery: couriers"):

- Only the courier sets their own availability (the route admits the courier role and
  writes the caller's item), and only an approved courier may become available (item 6,
  :mod:`.verification`; :func:`check_may_be_available`): one consistent GetItem of the
  verification before the write. Approval is final (no revocation), so no later change can
  overtake that read; ``available: false`` needs no approval.
- An available courier has one index entry in the partition of its geohash cell, the
  precision chosen from ``delivery.maxRadiusKm`` (:func:`souk.delivery.geo.precision_for`);
  moving cell or becoming unavailable deletes the old entry in the same transaction.
- Entries older than ``delivery.staleAfterSeconds`` are ignored (:func:`fresh`) and expire
  (TTL). :func:`nearest_couriers` reads rings of cells outwards, at most ``PER_CELL_PAGE``
  items a cell and ``(2 * MAX_RINGS + 1)²`` cells, and ranks by haversine (:func:`rank`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from souk.admin_settings import service as admin_settings
from souk.admin_settings.schemas import DeliverySettings
from souk.db.transactions import CONTENTION, retry_on_contention
from souk.delivery import geo, keys, store
from souk.delivery.models import APPROVED, PENDING, CourierCellEntry, CourierPosition, CourierVerification
from souk.delivery.schemas import (
    AvailabilityIn,
    AvailabilityOut,
    NearbyCourier,
    availability_out,
)
from souk.errors import Conflict, Forbidden

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction

PER_CELL_PAGE = 20  # entries read from one cell at most: a search reads <= 25 cells x 20 = 500 items
AVAILABILITY_ATTEMPTS = 5


# --- pure rules ---------------------------------------------------------------------------


def fresh(entries: Iterable[CourierCellEntry], now: datetime, stale_after_seconds: int) -> list[CourierCellEntry]:
    """The entries whose position is at most ``stale_after_seconds`` old (TTL deletes late)."""
    cutoff = now - timedelta(seconds=stale_after_seconds)
    return [entry for entry in entries if entry.at >= cutoff]


def rank(entries: Iterable[CourierCellEntry], lat: float, lng: float, radius_km: float) -> list[NearbyCourier]:
    """The couriers within ``radius_km`` of the point, nearest first (then by id, stable)."""
    found = []
    for entry in entries:
        distance = geo.haversine_km(lat, lng, float(entry.lat), float(entry.lng))
        if distance <= radius_km:
            found.append(NearbyCourier(courier_id=entry.courier_id, lat=float(entry.lat), lng=float(entry.lng),
                                       distance_km=round(distance, 3), at=entry.at))  # fmt: skip
    return sorted(found, key=lambda courier: (courier.distance_km, courier.courier_id))


def check_may_be_available(verification: CourierVerification | None) -> None:
    """403 FORBIDDEN unless the courier's verification is approved: only approved couriers take deliveries."""
    if verification is not None and verification.status == APPROVED:
        return
    if verification is None:
        hint = "submit your licence and vehicle documents (POST /api/v1/couriers/me/verification)"
    elif verification.status == PENDING:
        hint = "your documents are waiting for an admin's review"
    else:
        hint = "your documents were rejected: submit new ones for another review"
    raise Forbidden(f"Courier verification is needed before you can be available: {hint}.")


# --- operations ---------------------------------------------------------------------------


def set_availability(principal: Principal, body: AvailabilityIn) -> AvailabilityOut:
    """The caller's position and availability; the cell index entry follows (one transaction,
    conditional on the position read: retried when another update got there first).
    Becoming available needs an approved verification (403 FORBIDDEN otherwise)."""
    courier_id = principal.user_id
    if body.available:
        check_may_be_available(store.get_verification(courier_id))  # 403 unless approved
    settings = admin_settings.current().delivery
    precision = geo.precision_for(settings.max_radius_km)

    def attempt() -> CourierPosition:
        read = store.get_position(courier_id)
        now = datetime.now(UTC)
        cell = geo.cell_of(body.lat, body.lng, precision) if body.available else None
        position = CourierPosition(
            pk=keys.courier_key(courier_id), sk=keys.POSITION, courier_id=courier_id, lat=body.lat, lng=body.lng,
            available=body.available, cell=cell, at=now, version=(int(read.version) + 1) if read else 1,
        )  # fmt: skip
        entry = None
        if cell is not None:
            entry = CourierCellEntry(
                pk=keys.courier_cell_key(cell), sk=keys.courier_key(courier_id), courier_id=courier_id,
                lat=body.lat, lng=body.lng, at=now,
                expires_at=now + timedelta(seconds=settings.stale_after_seconds),
            )  # fmt: skip
        store.save_position(read, position, entry)
        return position

    position = retry_on_contention(
        attempt,
        attempts=AVAILABILITY_ATTEMPTS,
        exhausted=lambda: Conflict("Your availability is being updated by another request: try again."),
        retry_on=CONTENTION | {"ConditionalCheckFailed"},
    )
    return availability_out(position)


def nearest_couriers(
    lat: float, lng: float, *, limit: int, settings: DeliverySettings, now: datetime | None = None
) -> list[NearbyCourier]:
    """The ``limit`` nearest fresh available couriers within ``settings.max_radius_km``.

    Reads the point's cell, then ring after ring of neighbours, stopping as soon as the
    ``limit``-th nearest found is closer than every cell not yet read, or at the radius
    (at most ``geo.MAX_RINGS`` rings). Each cell is one Query page of ``PER_CELL_PAGE``
    items, so a search reads at most 25 x 20 items however many couriers there are; a
    cell holding more fresh couriers than a page may hide some of them (a busier city
    wants a smaller radius, hence finer cells).
    """
    moment = now or datetime.now(UTC)
    radius = settings.max_radius_km
    precision = geo.precision_for(radius)
    rings = min(geo.MAX_RINGS, geo.rings_needed(lat, precision, radius))
    entries: list[CourierCellEntry] = []
    ranked: list[NearbyCourier] = []
    for k in range(rings + 1):
        for cell in geo.ring(lat, lng, precision, k):
            entries.extend(store.courier_cell_page(cell, PER_CELL_PAGE))
        ranked = rank(fresh(entries, moment, settings.stale_after_seconds), lat, lng, radius)
        if len(ranked) >= limit and ranked[limit - 1].distance_km <= geo.covered_km(lat, precision, k):
            break
    return ranked[:limit]


# --- for dispatch -------------------------------------------------------------------------

UNAVAILABLE_LABEL = "courier_position"  # the position's label in the caller's transaction


def unavailable_writes(courier_id: str) -> Callable[[WriteTransaction], None] | None:
    """The writes that take a courier out of the search (they accepted a delivery), for the caller's
    transaction: their position made unavailable, conditional on the version read (an availability
    update racing makes the transaction fail on :data:`UNAVAILABLE_LABEL`: read and try again), and
    their cell's index entry deleted. One GetItem; None when the courier has no position."""
    read = store.get_position(courier_id)
    if read is None:
        return None
    actions = [CourierPosition.available.set(False), CourierPosition.cell.remove(),
               CourierPosition.version.set(int(read.version) + 1),
               CourierPosition.updated_at.set(datetime.now(UTC))]  # fmt: skip

    def writes(tx: WriteTransaction) -> None:
        tx.update(read, actions, CourierPosition.version == read.version, label=UNAVAILABLE_LABEL)
        if read.cell is not None:
            entry = CourierCellEntry(pk=keys.courier_cell_key(read.cell), sk=keys.courier_key(courier_id))
            tx.delete(entry, label="courier_cell_entry")

    return writes
