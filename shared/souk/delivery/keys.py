"""Delivery: the key values of its items (pk, sk), one function per key.

Zones all live in one partition (``DELIVERYZONES``, at most ``service.MAX_ZONES`` items), so
listing them, or finding the zones a point is in, is one Query and never a Scan. Quotes are
one item each in their own partition, read by id, deleted by TTL.

A courier's position is one item (``COURIER#<userId>`` / ``POSITION``); while the courier is
available it has one index entry in the partition of its geohash cell
(``COURIERCELL#<cell>`` / ``COURIER#<userId>``), so a search Queries a few cells, never Scans.
"""

from __future__ import annotations

ZONES = "DELIVERYZONES"
ZONE_PREFIX = "ZONE#"
QUOTE = "QUOTE"


def zone_sort(zone_id: str) -> str:
    return f"{ZONE_PREFIX}{zone_id}"


def quote_key(quote_id: str) -> str:
    return f"QUOTE#{quote_id}"


POSITION = "POSITION"
COURIER_PREFIX = "COURIER#"


def courier_key(user_id: str) -> str:
    return f"{COURIER_PREFIX}{user_id}"


def courier_cell_key(cell: str) -> str:
    return f"COURIERCELL#{cell}"


# Courier verification: one item per courier beside its position (``COURIER#<userId>`` /
# ``VERIFICATION``); gsi1 ``COURIERVERIFICATIONS#<status>`` / ``<submittedAt>#<userId>`` is the
# admins' queue of one status, oldest submission first: one Query page per list request.
VERIFICATION = "VERIFICATION"


def verifications_by_status(status: str) -> str:
    return f"COURIERVERIFICATIONS#{status}"


def verification_sort(submitted_iso: str, user_id: str) -> str:
    return f"{submitted_iso}#{user_id}"
