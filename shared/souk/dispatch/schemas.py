"""Dispatch API models (API.md, "Details of the later areas" > Delivery) and their converters."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, ConfigDict, Field

from souk.delivery.schemas import Latitude, LatLng, Longitude
from souk.dispatch.models import Delivery
from souk.money import Money
from souk.schema import CamelModel, PageQuery

DeliveryStatus = Literal["offered", "assigned", "picked_up", "delivered", "failed", "cancelled"]


class DeliveryOut(CamelModel):
    id: str
    order_id: str
    store_id: str
    courier_id: str | None = None
    status: DeliveryStatus
    pickup: LatLng
    dropoff: LatLng
    fee: Money
    offer_expires_at: datetime | None = None
    eta_minutes: int | None = None
    proof_upload_id: str | None = None
    reason: str | None = None
    note: str | None = Field(default=None, description="Why an offered delivery has no courier, or that the "
                                                       "caller's offer expired.")  # fmt: skip
    created_at: datetime
    updated_at: datetime


class DeclinedOut(CamelModel):
    delivery_id: str
    declined: bool


class DeliveriesQuery(PageQuery):
    """Couriers: the deliveries offered to them and those they hold; admins: all. Newest first."""

    status: DeliveryStatus | None = Field(None, description="Only deliveries in this status.")


def delivery_out(item: Delivery) -> DeliveryOut:
    return DeliveryOut(
        id=item.delivery_id,
        order_id=item.order_id,
        store_id=item.store_id,
        courier_id=item.courier_id,
        status=item.status,  # type: ignore[arg-type]
        pickup=LatLng(lat=float(item.pickup_lat), lng=float(item.pickup_lng)),
        dropoff=LatLng(lat=float(item.dropoff_lat), lng=float(item.dropoff_lng)),
        fee=Money(amount=int(item.fee_amount), currency=item.currency),
        offer_expires_at=item.offer_expires_at,
        eta_minutes=int(item.eta_minutes) if item.eta_minutes is not None else None,
        proof_upload_id=item.proof_upload_id,
        reason=item.reason,
        created_at=item.created_at,
        updated_at=item.updated_at,
    )


class GpsPoint(CamelModel):
    model_config = ConfigDict(extra="forbid")

    lat: Latitude
    lng: Longitude
    at: AwareDatetime = Field(description="When the phone took it, with its UTC offset.")
    accuracy: float | None = Field(default=None, ge=0, le=10_000, description="Metres.")


class LocationsIn(CamelModel):
    """Up to 50 points a call, in any order."""

    model_config = ConfigDict(extra="forbid")

    points: list[GpsPoint] = Field(min_length=1, max_length=50)


class LastPosition(CamelModel):
    lat: float
    lng: float
    at: datetime


class LocationsOut(CamelModel):
    accepted: int = Field(description="Points stored.")
    ignored: int = Field(description="Points dropped: older than the assignment or too far in the future.")
    last: LastPosition | None = Field(default=None, description="The delivery's newest position after this call.")


class DeliveryStatusIn(CamelModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["picked_up", "delivered", "failed"]
    proof_upload_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    reason: str | None = Field(default=None, min_length=1, max_length=500)


class TrackedCourier(CamelModel):
    name: str
    lat: float | None = None
    lng: float | None = None
    at: datetime | None = None


class TrailPoint(CamelModel):
    lat: float
    lng: float
    at: datetime


class TrackingOut(CamelModel):
    delivery_id: str
    status: DeliveryStatus
    courier: TrackedCourier | None = None
    trail: list[TrailPoint]
    distance_km: float | None = Field(default=None, description="Road-less distance left to the drop-off.")
    eta_minutes: int | None = None
