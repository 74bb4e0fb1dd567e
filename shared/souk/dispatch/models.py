"""Dispatch entities (keys in :mod:`souk.dispatch.keys`).

A :class:`Delivery` is created when its order becomes ``ready``. Its status:
``offered`` (``courier_id`` holds the offer until ``offer_expires_at``; no courier yet
when none was found: the scheduled job tries again) → ``assigned`` → ``picked_up`` →
``delivered``, or ``failed`` (the order goes back to the store) or ``cancelled`` (the order
was cancelled or refunded meanwhile). Every write is conditional on ``version``.
"""

from __future__ import annotations

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute

from souk.db.base import SoukItem

OFFERED, ASSIGNED, PICKED_UP, DELIVERED, FAILED, CANCELLED = (
    "offered", "assigned", "picked_up", "delivered", "failed", "cancelled"
)  # fmt: skip
DELIVERY_STATUSES = (OFFERED, ASSIGNED, PICKED_UP, DELIVERED, FAILED, CANCELLED)
OPEN = frozenset({OFFERED, ASSIGNED, PICKED_UP})


class Delivery(SoukItem, discriminator="Delivery"):
    delivery_id = UnicodeAttribute(attr_name="deliveryId")
    order_id = UnicodeAttribute(attr_name="orderId")
    store_id = UnicodeAttribute(attr_name="storeId")
    store_owner_id = UnicodeAttribute(attr_name="storeOwnerId")
    customer_id = UnicodeAttribute(attr_name="customerId")
    courier_id = UnicodeAttribute(attr_name="courierId", null=True)  # offered to, or assigned to
    status = UnicodeAttribute()
    pickup_lat = NumberAttribute(attr_name="pickupLat")
    pickup_lng = NumberAttribute(attr_name="pickupLng")
    dropoff_lat = NumberAttribute(attr_name="dropoffLat")
    dropoff_lng = NumberAttribute(attr_name="dropoffLng")
    fee_amount = NumberAttribute(attr_name="feeAmount")  # the order's delivery fee: the courier's earning
    currency = UnicodeAttribute()
    offer_expires_at = UTCDateTimeAttribute(attr_name="offerExpiresAt", null=True)
    # couriers who declined or let an offer lapse: not offered this delivery again
    passed = ListAttribute(of=UnicodeAttribute, default=list)
    eta_minutes = NumberAttribute(attr_name="etaMinutes", null=True)
    proof_upload_id = UnicodeAttribute(attr_name="proofUploadId", null=True)
    reason = UnicodeAttribute(null=True)  # why it failed or was cancelled
    # the courier's newest reported position (points may arrive out of order: only a newer one replaces it)
    last_lat = NumberAttribute(attr_name="lastLat", null=True)
    last_lng = NumberAttribute(attr_name="lastLng", null=True)
    last_at = UTCDateTimeAttribute(attr_name="lastAt", null=True)
    assigned_at = UTCDateTimeAttribute(attr_name="assignedAt", null=True)
    picked_up_at = UTCDateTimeAttribute(attr_name="pickedUpAt", null=True)
    delivered_at = UTCDateTimeAttribute(attr_name="deliveredAt", null=True)
    version = NumberAttribute(default=1)


class CourierOffer(SoukItem, discriminator="CourierOffer"):
    """The one offer a courier holds at a time; TTL and ``offer_expires_at`` end it."""

    courier_id = UnicodeAttribute(attr_name="courierId")
    delivery_id = UnicodeAttribute(attr_name="deliveryId")
    offer_expires_at = UTCDateTimeAttribute(attr_name="offerExpiresAt")


class DeliveryLocation(SoukItem, discriminator="DeliveryLocation"):
    """One GPS point of a delivery's trail (TTL: a while after the delivery ends)."""

    lat = NumberAttribute()
    lng = NumberAttribute()
    at = UTCDateTimeAttribute()
    accuracy = NumberAttribute(null=True)  # metres
