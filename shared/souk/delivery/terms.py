"""The delivery fee rule: which zone serves a point, what it costs, how long it takes.

This module is the one place the fee is computed. The quote
(:func:`souk.delivery.service.zones.quote`), the cart's delivery estimate
(:mod:`souk.cart.pricing`) and the order's delivery fee at checkout
(:mod:`souk.orders.service.checkout`) all call :func:`delivery_terms`. It is kept light (no
catalog or identity services, no audit) so the cart routes can price delivery without a
heavier cold start; :mod:`souk.delivery.service.zones` re-exports the rules.

Rules, all pure:

- A point is in a polygon zone when inside its ring or on its boundary, in a radius zone
  when its haversine distance to the center is at most ``radiusKm``.
- Where active zones overlap, the highest ``priority`` wins, then the smallest area, then the
  oldest id (so the choice is stable) (:func:`choose_zone`).
- fee = max(minimum, base + perKm * km), km being the road-less (haversine) distance from
  the store to the address; the per-km part is rounded half up to whole minor units
  (:func:`fee_for`).
- ETA = distance / ``delivery.courierSpeedKmh`` (admin settings), rounded up to a whole
  minute, at least 1 (:func:`eta_minutes`).
- The fee is charged in the store's currency: a zone whose fee is in another currency serves
  the store only when the fee comes to 0 (:func:`delivery_terms`, reason ``currency``).

Reads (:func:`load_zones`): the active zones are one Query of the zones partition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from souk.admin_settings import service as admin_settings
from souk.delivery import geo, store
from souk.delivery.schemas import ZoneFee, ZoneOut, zone_out
from souk.errors import UnprocessableEntity
from souk.money import Money

if TYPE_CHECKING:
    from collections.abc import Iterable

# Why a store cannot deliver to a place (the cart shows it; checkout and the quote answer 422).
Reason = Literal["no_store_location", "no_address", "outside_zones", "currency"]


class NoDelivery(UnprocessableEntity):
    """422: this store cannot deliver to this place; ``reason`` says why."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class DeliveryTerms:
    """What delivering from one store to one place costs: the serving zone, the fee, the distance, the ETA."""

    zone: ZoneOut
    fee: Money
    distance_km: float
    eta_minutes: int


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


def _coordinate(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def delivery_terms(zones: Iterable[ZoneOut], store_at: tuple[object, object], address_at: tuple[object, object],
                   *, currency: str, speed_kmh: float) -> DeliveryTerms:  # fmt: skip
    """THE fee rule: the zone serving ``address_at`` (lat, lng), and the fee and ETA from ``store_at``.

    ``currency`` is the store's: the fee is charged in it.

    Raises
    ------
    NoDelivery
        The store has no location (``no_store_location``), the address no coordinates
        (``no_address``), no active zone serves the address (``outside_zones``), or the zone
        charges a fee in another currency than the store's (``currency``).
    """
    store_lat, store_lng = _coordinate(store_at[0]), _coordinate(store_at[1])
    lat, lng = _coordinate(address_at[0]), _coordinate(address_at[1])
    if store_lat is None or store_lng is None:
        raise NoDelivery("no_store_location", "This store has no location to deliver from.")
    if lat is None or lng is None:
        raise NoDelivery("no_address", "This address has no coordinates (lat, lng): add them to get a quote.")
    zone = choose_zone(zones, lat, lng)
    if zone is None:
        raise NoDelivery("outside_zones", "This address is outside every delivery zone.")
    distance = geo.haversine_km(store_lat, store_lng, lat, lng)
    fee = fee_for(zone.fee, distance)
    if fee.currency != currency.lower():
        if fee.amount:
            raise NoDelivery("currency", f"The delivery zone serving this address charges in {fee.currency}, "
                             f"but this store sells in {currency.lower()}.")  # fmt: skip
        fee = Money(amount=0, currency=currency.lower())
    return DeliveryTerms(zone=zone, fee=fee, distance_km=distance, eta_minutes=eta_minutes(distance, speed_kmh))


def load_zones() -> list[ZoneOut]:
    """Every active zone: one Query of the zones partition (bounded by ``MAX_ZONES``)."""
    return [zone for zone in map(zone_out, store.list_zones()) if zone.active]


def courier_speed_kmh() -> float:
    """``delivery.courierSpeedKmh`` of the admin settings (cached up to a minute)."""
    return admin_settings.current().delivery.courier_speed_kmh
