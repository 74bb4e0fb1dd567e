"""Delivery zones and fee quotes: the rules (pure) and the operations handlers call.

Rules, all pure and unit-tested (tests/unit/delivery):

- A zone's ring is a GeoJSON linear ring in ``[lng, lat]`` order: at least 4 positions,
  closed (last == first), not touching or crossing itself (:func:`check_zone`: 400 naming
  ``polygon``). A radius zone has ``center`` and ``radiusKm`` and no ring.
- A point is in a polygon zone when inside its ring or on its boundary, in a radius zone
  when its haversine distance to the center is at most ``radiusKm``.
- Where zones overlap, the highest ``priority`` wins, then the smallest area, then the
  oldest id (so the choice is stable) (:func:`choose_zone`).
- fee = max(minimum, base + perKm * km), km being the road-less (haversine) distance from
  the store to the address; the product is rounded half up to whole minor units
  (:func:`fee_for`). The cart's estimate and the order's fee must call this same function.
- ETA = distance / ``delivery.courierSpeedKmh`` (admin settings), rounded up to a whole
  minute, at least 1 (:func:`eta_minutes`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from souk.admin_settings import service as admin_settings
from souk.audit import service as audit
from souk.catalog.models import APPROVED
from souk.catalog.service import stores
from souk.delivery import geo, keys, store
from souk.delivery.models import DeliveryQuote, DeliveryZone
from souk.delivery.schemas import (
    QuoteOut,
    QuoteRequest,
    ZoneFee,
    ZoneIn,
    ZoneOut,
    quote_out,
    zone_out,
)
from souk.errors import NotFound, UnprocessableEntity, ValidationFailed
from souk.identity.service.addresses import own_address
from souk.ids import new_id
from souk.money import Money

if TYPE_CHECKING:
    from collections.abc import Iterable

    from souk.caller import Principal
    from souk.db.transactions import WriteTransaction

MAX_ZONES = 200  # the zones partition stays one small Query (a ring is at most 200 positions)
QUOTE_TTL = timedelta(minutes=15)


# --- pure rules ---------------------------------------------------------------------------


def check_zone(body: ZoneIn) -> None:
    """400 naming the field when the zone's shape is incomplete or its ring invalid."""
    if body.type == "radius":
        if body.center is None:
            raise ValidationFailed.field("center", "A radius zone needs a center.")
        if body.radius_km is None:
            raise ValidationFailed.field("radiusKm", "A radius zone needs radiusKm.")
        if body.polygon is not None:
            raise ValidationFailed.field("polygon", "A radius zone has no polygon.")
        return
    if body.polygon is None:
        raise ValidationFailed.field("polygon", "A polygon zone needs a polygon: a closed ring of [lng, lat].")
    if body.center is not None or body.radius_km is not None:
        raise ValidationFailed.field("center" if body.center is not None else "radiusKm",
                                     "A polygon zone has no center or radius.")  # fmt: skip
    problem = geo.ring_problem(body.polygon)
    if problem is not None:
        raise ValidationFailed.field("polygon", problem)


def check_fee(fee: ZoneFee) -> None:
    """The fee's three amounts share one currency."""
    for field, money in (("perKm", fee.per_km), ("minimum", fee.minimum)):
        if money.currency != fee.base.currency:
            raise ValidationFailed.field(f"fee.{field}", f"Use the base's currency ({fee.base.currency}).")


def contains(zone: ZoneOut, lat: float, lng: float) -> bool:
    if zone.type == "polygon":
        return zone.polygon is not None and geo.in_ring((lng, lat), zone.polygon)
    if zone.center is None or zone.radius_km is None:
        return False
    return geo.haversine_km(zone.center.lat, zone.center.lng, lat, lng) <= zone.radius_km


def zone_area_km2(zone: ZoneOut) -> float:
    if zone.type == "polygon":
        return geo.area_km2(zone.polygon or [])
    return geo.circle_area_km2(zone.radius_km or 0.0)


def choose_zone(zones: Iterable[ZoneOut], lat: float, lng: float) -> ZoneOut | None:
    """The active zone serving the point: highest priority, then smallest area, then oldest id."""
    serving = [zone for zone in zones if zone.active and contains(zone, lat, lng)]
    if not serving:
        return None
    return min(serving, key=lambda zone: (-zone.priority, zone_area_km2(zone), zone.id))


def fee_for(fee: ZoneFee, distance_km: float) -> Money:
    """max(minimum, base + perKm * km), the per-km part rounded half up to minor units."""
    per_km = (Decimal(fee.per_km.amount) * Decimal(str(distance_km))).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    amount = max(fee.minimum.amount, fee.base.amount + int(per_km))
    return Money(amount=amount, currency=fee.base.currency)


def eta_minutes(distance_km: float, speed_kmh: float) -> int:
    return max(1, math.ceil(distance_km / speed_kmh * 60))


# --- operations ---------------------------------------------------------------------------


def list_zones(principal: Principal | None) -> list[ZoneOut]:
    """Active zones for everyone; admins see the inactive ones too."""
    zones = [zone_out(item) for item in store.list_zones()]
    if principal is not None and principal.is_admin:
        return zones
    return [zone for zone in zones if zone.active]


def create_zone(principal: Principal, body: ZoneIn) -> ZoneOut:
    check_zone(body)
    check_fee(body.fee)
    if len(store.list_zones()) >= MAX_ZONES:
        raise UnprocessableEntity(f"There are already {MAX_ZONES} zones: deactivate or merge some first.")
    zone_id = new_id()
    zone = DeliveryZone(
        pk=keys.ZONES,
        sk=keys.zone_sort(zone_id),
        zone_id=zone_id,
        name=body.name,
        kind=body.type,
        center_lat=body.center.lat if body.center else None,
        center_lng=body.center.lng if body.center else None,
        radius_km=body.radius_km,
        polygon=[list(p) for p in body.polygon] if body.polygon else None,
        fee=body.fee.model_dump(mode="json", by_alias=True),
        priority=body.priority,
        active=body.active,
    )
    out = zone_out(zone)
    snapshot: dict[str, Any] = out.model_dump(mode="json", by_alias=True)

    def audited(tx: WriteTransaction) -> None:
        audit.record(principal.actor, "delivery_zone.create", "delivery_zone", zone_id, tx=tx, after=snapshot)

    store.save_zone(zone, audited)
    return out


def quote(principal: Principal, body: QuoteRequest) -> QuoteOut:
    """The fee and ETA from a store to one of the caller's addresses, kept 15 minutes."""
    address = own_address(principal.user_id, body.address_id)
    shop = stores.get_store(body.store_id)
    if shop.status != APPROVED:
        raise NotFound("No such store.")
    if shop.lat is None or shop.lng is None:
        raise UnprocessableEntity("This store has no location to deliver from.")
    if address.lat is None or address.lng is None:
        raise UnprocessableEntity("This address has no coordinates (lat, lng): add them to get a quote.")
    lat, lng = float(address.lat), float(address.lng)
    zone = choose_zone(list_zones(None), lat, lng)
    if zone is None:
        raise UnprocessableEntity("This address is outside every delivery zone.")
    distance = geo.haversine_km(float(shop.lat), float(shop.lng), lat, lng)
    fee = fee_for(zone.fee, distance)
    speed = admin_settings.current().delivery.courier_speed_kmh
    quote_id = new_id()
    item = DeliveryQuote(
        pk=keys.quote_key(quote_id),
        sk=keys.QUOTE,
        quote_id=quote_id,
        user_id=principal.user_id,
        store_id=body.store_id,
        address_id=body.address_id,
        zone_id=zone.id,
        fee_amount=fee.amount,
        currency=fee.currency,
        distance_km=round(distance, 2),
        eta_minutes=eta_minutes(distance, speed),
        expires_at=datetime.now(UTC).replace(microsecond=0) + QUOTE_TTL,
    )
    return quote_out(store.save_quote(item))
