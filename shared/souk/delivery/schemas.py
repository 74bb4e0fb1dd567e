"""Delivery API models (API.md, "Details of the later areas" > Delivery) and their converters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, field_validator

from souk.delivery.models import CourierPosition, CourierVerification, DeliveryQuote, DeliveryZone
from souk.money import Money
from souk.schema import CamelModel, NonBlankText, PageQuery

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
Position = tuple[Longitude, Latitude]  # GeoJSON order: [lng, lat]
MAX_RING_POSITIONS = 200  # keeps a zone item small and the self-intersection check (n²/2 pairs) cheap
EntityId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class LatLng(CamelModel):
    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    lng: Longitude


class ZoneFee(CamelModel):
    """fee = max(minimum, base + perKm * km), in one currency."""

    model_config = ConfigDict(extra="forbid")

    base: Money
    per_km: Money
    minimum: Money


class ZoneIn(CamelModel):
    """A new zone: ``radius`` with ``center`` and ``radiusKm``, or ``polygon`` with a closed ring."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    type: Literal["radius", "polygon"]
    center: LatLng | None = None
    radius_km: float | None = Field(default=None, gt=0, le=100)
    polygon: list[Position] | None = Field(
        default=None, max_length=MAX_RING_POSITIONS, description="GeoJSON linear ring: [[lng, lat], ...], closed."
    )
    fee: ZoneFee
    priority: int = Field(default=0, ge=0, le=1000, strict=True, description="Higher wins where zones overlap.")
    active: bool = True


class ZoneOut(CamelModel):
    id: str
    name: str
    type: Literal["radius", "polygon"]
    center: LatLng | None = None
    radius_km: float | None = None
    polygon: list[tuple[float, float]] | None = None
    fee: ZoneFee
    priority: int
    active: bool


class QuoteRequest(CamelModel):
    model_config = ConfigDict(extra="forbid")

    store_id: EntityId
    address_id: EntityId


class QuoteOut(CamelModel):
    quote_id: str
    zone_id: str
    fee: Money
    distance_km: float = Field(description="Road-less (haversine) distance from the store to the address.")
    eta_minutes: int
    expires_at: datetime


class AvailabilityIn(CamelModel):
    """A courier's availability and where they are."""

    model_config = ConfigDict(extra="forbid")

    available: bool = Field(strict=True)
    lat: Latitude
    lng: Longitude


class AvailabilityOut(CamelModel):
    available: bool
    lat: float
    lng: float
    at: datetime


class NearbyCourier(CamelModel):
    courier_id: str
    lat: float
    lng: float
    distance_km: float
    at: datetime


def availability_out(position: CourierPosition) -> AvailabilityOut:
    return AvailabilityOut(
        available=bool(position.available), lat=float(position.lat), lng=float(position.lng), at=position.at
    )


def zone_out(zone: DeliveryZone) -> ZoneOut:
    center = None
    if zone.center_lat is not None and zone.center_lng is not None:
        center = LatLng(lat=float(zone.center_lat), lng=float(zone.center_lng))
    return ZoneOut(
        id=zone.zone_id,
        name=zone.name,
        type="polygon" if zone.kind == "polygon" else "radius",
        center=center,
        radius_km=float(zone.radius_km) if zone.radius_km is not None else None,
        polygon=[(float(p[0]), float(p[1])) for p in zone.polygon] if zone.polygon else None,
        fee=ZoneFee.model_validate(zone.fee),
        priority=int(zone.priority),
        active=bool(zone.active),
    )


def quote_out(quote: DeliveryQuote) -> QuoteOut:
    assert quote.expires_at is not None
    return QuoteOut(
        quote_id=quote.quote_id,
        zone_id=quote.zone_id,
        fee=Money(amount=int(quote.fee_amount), currency=quote.currency),
        distance_km=float(quote.distance_km),
        eta_minutes=int(quote.eta_minutes),
        expires_at=quote.expires_at,
    )


# --- courier verification (issue 13 item 6) ----------------------------------------------

VehicleType = Literal["bicycle", "scooter", "motorbike", "car", "van"]
VerificationStatus = Literal["pending", "approved", "rejected"]


class VerificationIn(CamelModel):
    """A courier's documents: two of their own finished uploads (a document or a photo)."""

    model_config = ConfigDict(extra="forbid")

    licence_upload_id: EntityId = Field(description="Driving licence or ID: an upload of the caller's, "
                                                    "purpose `store_document` or `attachment`.")  # fmt: skip
    vehicle_upload_id: EntityId = Field(description="Vehicle registration or photo: another upload of the caller's.")
    vehicle_type: VehicleType | None = None
    note: Annotated[NonBlankText, Field(max_length=500)] | None = None


class VerificationDecision(CamelModel):
    """An admin's decision on a pending verification; ``reason`` is required to reject."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["approved", "rejected"]
    reason: str | None = Field(None, max_length=500, description="Required when rejecting; the courier is told.")

    @field_validator("reason")
    @classmethod
    def _squash(cls, value: str | None) -> str | None:
        return " ".join(value.split()) or None if value is not None else None


class VerificationDocuments(CamelModel):
    licence: str | None = Field(description="Upload id; null only for an approval granted without review (demo seed).")
    vehicle: str | None = Field(description="Upload id; null only for an approval granted without review (demo seed).")


class VerificationOut(CamelModel):
    user_id: str
    status: VerificationStatus
    documents: VerificationDocuments
    vehicle_type: VehicleType | None = None
    note: str | None = None
    reason: str | None = Field(None, description="Why it was rejected.")
    submitted_at: datetime
    decided_at: datetime | None = None


class VerificationsQuery(PageQuery):
    """The admins' review queue: one status, oldest submission first."""

    status: VerificationStatus = "pending"


def verification_out(item: CourierVerification) -> VerificationOut:
    return VerificationOut(
        user_id=item.user_id,
        status=item.status,  # type: ignore[arg-type]
        documents=VerificationDocuments(licence=item.licence_upload_id, vehicle=item.vehicle_upload_id),
        vehicle_type=item.vehicle_type,  # type: ignore[arg-type]
        note=item.note,
        reason=item.reason,
        submitted_at=item.submitted_at,
        decided_at=item.decided_at,
    )
