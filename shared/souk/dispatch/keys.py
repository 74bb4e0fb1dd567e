"""Dispatch: the key values of its items (pk, sk and GSI keys), one function per key.

- Delivery: DELIVERY#<id> / DELIVERY. gsi1 COURIER#<courier>#JOBS / <stamp>#<id> while
  offered to or held by a courier; gsi2 DELIVERIES / <stamp>#<id> (admins' list); gsi3
  DISPATCH / <due>#<id> while waiting for a courier or for an answer to an offer.
- CourierOffer: COURIER#<courier> / OFFER (TTL: the offer's expiry).
- DeliveryLocation: DELIVERY#<id> / LOC#<at>#<n> (TTL).

The order names its current delivery (``Order.delivery_id``), so tracking an order is two
GetItems and one Query of its trail. ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from souk.db.keys import join

DELIVERY = "DELIVERY"
OFFER = "OFFER"
ALL_DELIVERIES = "DELIVERIES"
DISPATCH_DUE = "DISPATCH"
LOCATION_PREFIX = "LOC#"


def delivery(delivery_id: str) -> str:
    return join("DELIVERY", delivery_id)


def courier(courier_id: str) -> str:
    return join("COURIER", courier_id)


def courier_jobs(courier_id: str) -> str:
    """gsi1 partition: the deliveries offered to or held by one courier."""
    return join("COURIER", courier_id, "JOBS")


def due_sort(due_iso: str, delivery_id: str) -> str:
    """gsi3 sort key: when the delivery next needs the dispatcher (an offer's expiry, or now)."""
    return join(due_iso, delivery_id)


def location_sort(at_iso: str, n: int) -> str:
    """A trail point: the instant first (so a Query reads the trail in time order), then its index in its batch."""
    return f"{LOCATION_PREFIX}{at_iso}#{n:02d}"
