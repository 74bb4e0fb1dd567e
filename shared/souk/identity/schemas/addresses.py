"""Delivery addresses on the wire (camelCase)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from souk.identity.models import Address
from souk.schema import (
    AddressLine,
    CamelModel,
    City,
    Latitude,
    Longitude,
    PatchModel,
    PostalAddress,
    PostalCode,
    country_code,
    one_line_text,
)

Label = one_line_text(50)
# The fields an address body sets on the item, one for one.
FIELDS = ("label", "line1", "line2", "city", "postal_code", "country", "lat", "lng")


class AddressIn(PostalAddress):
    """A delivery address: a place, with the customer's label for it."""

    label: Label  # type: ignore[valid-type]
    is_default: bool = Field(False, description="The first address is the default whatever this says.")


class AddressPatch(PatchModel):
    """PATCH body: only the fields sent change; ``line2`` and ``postalCode`` may be null to clear them."""

    not_nullable = ("label", "line1", "city", "country", "lat", "lng", "is_default")

    label: Label | None = None  # type: ignore[valid-type]
    line1: AddressLine | None = None  # type: ignore[valid-type]
    line2: AddressLine | None = None  # type: ignore[valid-type]
    city: City | None = None  # type: ignore[valid-type]
    postal_code: PostalCode | None = None  # type: ignore[valid-type]
    country: str | None = None
    lat: Latitude | None = None
    lng: Longitude | None = None
    is_default: bool | None = Field(None, description="Only true is accepted: make another address the default.")

    _country = field_validator("country")(country_code)


class AddressOut(CamelModel):
    id: str
    label: str
    line1: str
    line2: str | None = None
    city: str
    postal_code: str | None = None
    country: str
    lat: float
    lng: float
    is_default: bool
    created_at: datetime
    updated_at: datetime


def address_out(item: Address) -> AddressOut:
    return AddressOut(id=item.address_id, is_default=bool(item.is_default), created_at=item.created_at,
                      updated_at=item.updated_at, **{name: getattr(item, name) for name in FIELDS})  # fmt: skip
