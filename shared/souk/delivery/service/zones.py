"""Delivery zones and fee quotes: the rules (pure) and the operations handlers call.

Rules, all pure and unit-tested (tests/unit/delivery):

- A zone's ring is a GeoJSON linear ring in ``[lng, lat]`` order: at least 4 positions,
  closed (last == first), not touching or crossing itself (:func:`check_zone`: 400 naming
  ``polygon``). A radius zone has ``center`` and ``radiusKm`` and no ring.
- Which zone serves a point, the fee and the ETA: :mod:`souk.delivery.terms`
  (:func:`choose_zone`, :func:`fee_for`, :func:`eta_minutes`, re-exported here), all
  applied by its :func:`delivery_terms`, the one function the quote, the cart's estimate and
  the order's delivery fee call.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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
from souk.delivery.terms import (
    DeliveryTerms,
    NoDelivery,
    choose_zone,
    contains,
    courier_speed_kmh,
    delivery_terms,
    eta_minutes,
    fee_for,
    load_zones,
    zone_area_km2,
)
from souk.errors import NotFound, UnprocessableEntity, ValidationFailed
from souk.identity.service.addresses import own_address
from souk.ids import new_id

__all__ = [  # the fee rules live in souk.delivery.terms (light, for the cart); these names stay importable here
    "DeliveryTerms", "NoDelivery", "choose_zone", "contains", "delivery_terms", "eta_minutes", "fee_for",
    "zone_area_km2",
]  # fmt: skip

if TYPE_CHECKING:
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
    terms = delivery_terms(load_zones(), (shop.lat, shop.lng), (address.lat, address.lng), currency=shop.currency,
                           speed_kmh=courier_speed_kmh())  # fmt: skip
    quote_id = new_id()
    item = DeliveryQuote(
        pk=keys.quote_key(quote_id),
        sk=keys.QUOTE,
        quote_id=quote_id,
        user_id=principal.user_id,
        store_id=body.store_id,
        address_id=body.address_id,
        zone_id=terms.zone.id,
        fee_amount=terms.fee.amount,
        currency=terms.fee.currency,
        distance_km=round(terms.distance_km, 2),
        eta_minutes=terms.eta_minutes,
        expires_at=datetime.now(UTC).replace(microsecond=0) + QUOTE_TTL,
    )
    return quote_out(store.save_quote(item))
