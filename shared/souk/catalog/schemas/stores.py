"""The stores' API models and the converter from :class:`~souk.catalog.models.Store`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from souk.catalog.models import Store, strings
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel, OneLineText, PatchModel, PostalAddress

StoreStatus = Literal["pending_review", "approved", "rejected", "suspended"]

DEFAULT_RADIUS_KM = 10.0
MAX_RADIUS_KM = 50.0
MAX_CATEGORIES = 10
MAX_DOCUMENTS = 10


class StoreAddressOut(CamelModel):
    """Where the store is, as saved."""

    line1: str
    line2: str | None = None
    city: str
    postal_code: str | None = None
    country: str
    lat: float
    lng: float


def _clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) < 2:
        raise ValueError("must have at least 2 characters")
    return cleaned


class CreateStoreRequest(CamelModel):
    name: OneLineText = Field(min_length=2, max_length=80)
    description: str | None = Field(None, max_length=2000)
    category_ids: list[str] = Field(min_length=1, max_length=MAX_CATEGORIES)
    address: PostalAddress
    currency: str = Field("usd", pattern=r"^[A-Za-z]{3}$", description="ISO 4217, lower case; the store sells in it.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str | None:
        return _clean_name(value)

    @field_validator("currency")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class UpdateStoreRequest(PatchModel):
    """Send only what changes."""

    name: OneLineText | None = Field(None, min_length=2, max_length=80)
    description: str | None = Field(None, max_length=2000)
    category_ids: list[str] | None = Field(None, min_length=1, max_length=MAX_CATEGORIES)
    address: PostalAddress | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _clean_name(value)


class VerificationRequest(CamelModel):
    document_upload_ids: list[str] = Field(min_length=1, max_length=MAX_DOCUMENTS)


class StoreStatusRequest(CamelModel):
    status: Literal["approved", "rejected", "suspended"]
    reason: str | None = Field(None, max_length=500, description="Required when rejecting or suspending.")

    @field_validator("reason")
    @classmethod
    def _squash(cls, value: str | None) -> str | None:
        return " ".join(value.split()) or None if value is not None else None


class Rating(CamelModel):
    average: float
    count: int


class StoreOut(CamelModel):
    id: str
    owner_id: str
    name: str
    description: str | None
    category_ids: list[str]
    address: StoreAddressOut | None
    currency: str
    status: StoreStatus
    status_reason: str | None = Field(None, description="Why it was rejected or suspended (owner and admins).")
    document_upload_ids: list[str] | None = Field(None, description="Owner and admins only.")
    rating: Rating
    distance_km: float | None = Field(None, description="Only in near searches.")
    created_at: datetime
    updated_at: datetime


class StoreListQuery(CamelModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)
    category: str | None = Field(None, max_length=40, description="Stores in this category id.")
    search: str | None = Field(None, max_length=100, description="Name prefix; words match in any order.")
    lat: float | None = Field(None, ge=-90, le=90, description="With `lng`: nearest stores first.")
    lng: float | None = Field(None, ge=-180, le=180)
    radius_km: float = Field(DEFAULT_RADIUS_KM, gt=0, le=MAX_RADIUS_KM)


def store_out(store: Store, *, private: bool = False, distance_km: float | None = None) -> StoreOut:
    """The store as clients see it; ``private`` adds what only the owner and admins may see."""
    address = None
    if store.address is not None and store.lat is not None and store.lng is not None:
        address = StoreAddressOut(**store.address, lat=float(store.lat), lng=float(store.lng))
    count = int(store.rating_count or 0)
    average = round(float(store.rating_sum or 0) / count, 2) if count else 0.0
    return StoreOut(
        id=store.store_id, owner_id=store.owner_id, name=store.name, description=store.description,
        category_ids=strings(store.category_ids), address=address, currency=store.currency,
        status=store.status,  # type: ignore[arg-type]
        status_reason=store.status_reason if private else None,
        document_upload_ids=strings(store.document_upload_ids) if private else None,
        rating=Rating(average=average, count=count),
        distance_km=round(distance_km, 3) if distance_km is not None else None,
        created_at=store.created_at, updated_at=store.updated_at,
    )  # fmt: skip
