"""Delivery entities: zones, fee quotes, courier positions and their cell index (keys in :mod:`souk.delivery.keys`)."""

from __future__ import annotations

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)

from souk.db.base import SoukItem


class DeliveryZone(SoukItem, discriminator="DeliveryZone"):
    """A radius (``center_*``, ``radius_km``) or polygon (``polygon``: [[lng, lat], ...]) zone."""

    zone_id = UnicodeAttribute(attr_name="zoneId")
    name = UnicodeAttribute()
    kind = UnicodeAttribute(attr_name="type")  # radius | polygon
    center_lat = NumberAttribute(null=True, attr_name="centerLat")
    center_lng = NumberAttribute(null=True, attr_name="centerLng")
    radius_km = NumberAttribute(null=True, attr_name="radiusKm")
    polygon = JSONAttribute(null=True)
    fee = JSONAttribute()  # {"base": Money, "perKm": Money, "minimum": Money} as JSON
    priority = NumberAttribute()
    active = BooleanAttribute()


class DeliveryQuote(SoukItem, discriminator="DeliveryQuote"):
    """A fee quoted to a user for a store and an address; ``expires_at`` (TTL) ends it."""

    quote_id = UnicodeAttribute(attr_name="quoteId")
    user_id = UnicodeAttribute(attr_name="userId")
    store_id = UnicodeAttribute(attr_name="storeId")
    address_id = UnicodeAttribute(attr_name="addressId")
    zone_id = UnicodeAttribute(attr_name="zoneId")
    fee_amount = NumberAttribute(attr_name="feeAmount")
    currency = UnicodeAttribute()
    distance_km = NumberAttribute(attr_name="distanceKm")
    eta_minutes = NumberAttribute(attr_name="etaMinutes")


class CourierPosition(SoukItem, discriminator="CourierPosition"):
    """A courier's last position and availability; ``cell`` names its index entry (None: none).

    ``version`` grows by one on every write: the next write is conditional on it, so two
    updates racing cannot both move the index entry. No TTL: this item is what finds the
    entry to delete.
    """

    courier_id = UnicodeAttribute(attr_name="courierId")
    lat = NumberAttribute()
    lng = NumberAttribute()
    available = BooleanAttribute()
    cell = UnicodeAttribute(null=True)
    at = UTCDateTimeAttribute()
    version = NumberAttribute()


class CourierCellEntry(SoukItem, discriminator="CourierCellEntry"):
    """An available courier in the partition of its geohash cell; TTL = ``at`` + staleAfterSeconds."""

    courier_id = UnicodeAttribute(attr_name="courierId")
    lat = NumberAttribute()
    lng = NumberAttribute()
    at = UTCDateTimeAttribute()


PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"  # a CourierVerification's statuses


class CourierVerification(SoukItem, discriminator="CourierVerification"):
    """A courier's documents and the admins' decision (``COURIER#<userId>`` / ``VERIFICATION``).

    ``status``: pending | approved | rejected; gsi1 follows it (the review queue of one status).
    ``version`` grows by one on every write and the next write is conditional on it: two
    admins deciding at once, or a resubmission racing a decision, cannot both apply. The
    upload ids are None only for an approval granted without review (the demo seed, tests).
    """

    user_id = UnicodeAttribute(attr_name="userId")
    status = UnicodeAttribute()
    licence_upload_id = UnicodeAttribute(null=True, attr_name="licenceUploadId")
    vehicle_upload_id = UnicodeAttribute(null=True, attr_name="vehicleUploadId")
    vehicle_type = UnicodeAttribute(null=True, attr_name="vehicleType")
    note = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    submitted_at = UTCDateTimeAttribute(attr_name="submittedAt")
    decided_at = UTCDateTimeAttribute(null=True, attr_name="decidedAt")
    decided_by = UnicodeAttribute(null=True, attr_name="decidedBy")
    version = NumberAttribute()
