"""Loyalty points: the key values of its items (pk, sk and GSI keys), one function per key.

Beside :mod:`souk.points.models`; ``docs/access-patterns.md`` lists the access patterns.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from souk.db.expiry import stamp
from souk.db.keys import join, timeline_sort

ACCOUNT = "ACCOUNT"


def points(user_id: str) -> str:
    """The partition of one customer's points: the account, the lots, the entries, the monthly spend."""
    return join("POINTS", user_id)


def lot(lot_id: str) -> str:
    """A lot, keyed by the order that earned it (its id is the order's): one lot per order."""
    return join("LOT", lot_id)


def entry(entry_id: str) -> str:
    """An entry, keyed by a deterministic id (``earned-<orderId>``, ``expired-<lotId>``...): put once."""
    return join("ENTRY", entry_id)


def spend(currency: str, month: str) -> str:
    """The paid spend of one month (``yyyy-mm``) in one currency: a counter."""
    return join("SPEND", currency, month)


def entries(user_id: str) -> str:
    """gsi1 partition of a customer's entries, in time order."""
    return join("POINTS", user_id, "ENTRIES")


def entry_sort(at: datetime, entry_id: str) -> str:
    return timeline_sort(stamp(at), entry_id)


def open_lots(user_id: str) -> str:
    """gsi2 partition of a customer's lots that still hold points (sparse), by expiry."""
    return join("POINTS", user_id, "OPEN")


def lot_sort(expires_at: datetime, lot_id: str) -> str:
    return join(stamp(expires_at), lot_id)


def day(moment: datetime | date) -> str:
    """The UTC day of an instant (or a date) as ``yyyy-mm-dd``."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    return moment.isoformat()


def expiry_day(expires_at: datetime | date) -> str:
    """gsi1 partition of every lot that expires on one UTC day (the daily job's index: no Scan)."""
    return join("POINTS_EXPIRY", day(expires_at))


def expiry_sort(expires_at: datetime, user_id: str, lot_id: str) -> str:
    return join(stamp(expires_at), user_id, lot_id)


def until(moment: datetime) -> str:
    """A gsi sort-key bound that includes every key whose stamp is at or before ``moment``."""
    return join(stamp(moment), "~")
