"""Delivery reads and writes: the zones partition (one Query), quote items, courier positions
and their geohash cell index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.db.transactions import WriteTransaction
from souk.delivery import keys
from souk.delivery.models import CourierCellEntry, CourierPosition, CourierVerification, DeliveryQuote, DeliveryZone

if TYPE_CHECKING:
    from collections.abc import Callable

    from souk.audit.models import AuditRecord


def list_zones() -> list[DeliveryZone]:
    """Every zone, oldest id first: one Query of the zones partition (bounded by MAX_ZONES)."""
    return list(DeliveryZone.query(keys.ZONES, DeliveryZone.sk.startswith(keys.ZONE_PREFIX)))


def save_zone(zone: DeliveryZone, audit: Callable[[WriteTransaction], None]) -> DeliveryZone:
    """Write a new zone and its audit record together."""
    with WriteTransaction() as tx:
        tx.put(zone, DeliveryZone.pk.does_not_exist(), label="zone")
        audit(tx)
    return zone


def save_quote(quote: DeliveryQuote) -> DeliveryQuote:
    quote.save(DeliveryQuote.pk.does_not_exist())
    return quote


def get_position(courier_id: str) -> CourierPosition | None:
    """The courier's position item, read consistently (the next write is conditional on it)."""
    try:
        return CourierPosition.get(keys.courier_key(courier_id), keys.POSITION, consistent_read=True)
    except CourierPosition.DoesNotExist:
        return None


def save_position(read: CourierPosition | None, position: CourierPosition, entry: CourierCellEntry | None) -> None:
    """One transaction: the position (conditional on the version read, or on there being none),
    the old cell's entry deleted when the courier left that cell or became unavailable, the
    new entry put. Two updates racing: the second's condition fails, so at most one entry."""
    condition = CourierPosition.pk.does_not_exist() if read is None else CourierPosition.version == read.version
    with WriteTransaction() as tx:
        tx.put(position, condition, label="position")
        if read is not None and read.cell is not None and (entry is None or read.cell != position.cell):
            old = CourierCellEntry(pk=keys.courier_cell_key(read.cell), sk=keys.courier_key(read.courier_id))
            tx.delete(old, label="old_entry")
        if entry is not None:
            tx.put(entry, label="entry")


def courier_cell_page(cell: str, page_size: int) -> list[CourierCellEntry]:
    """At most ``page_size`` entries of one cell: one Query page, never more (no filter
    expression: DynamoDB would page on past filtered-out items)."""
    query = CourierCellEntry.query(
        keys.courier_cell_key(cell), CourierCellEntry.sk.startswith(keys.COURIER_PREFIX),
        limit=page_size, page_size=page_size,
    )  # fmt: skip
    return list(query)


# --- courier verification ------------------------------------------------------------------

VERIFICATION_LABEL = "verification"  # a ConditionalCheckFailed on it: the item changed since it was read


def get_verification(user_id: str) -> CourierVerification | None:
    """The courier's verification, read consistently (the next write is conditional on it)."""
    try:
        return CourierVerification.get(keys.courier_key(user_id), keys.VERIFICATION, consistent_read=True)
    except CourierVerification.DoesNotExist:
        return None


def set_verification_keys(item: CourierVerification) -> None:
    """The keys of the item as it stands: gsi1 is the queue of its status, oldest submission first."""
    item.pk = keys.courier_key(item.user_id)
    item.sk = keys.VERIFICATION
    item.gsi1pk = keys.verifications_by_status(item.status)
    item.gsi1sk = keys.verification_sort(item.submitted_at.isoformat(), item.user_id)


def save_verification(read: CourierVerification | None, item: CourierVerification, record: AuditRecord) -> None:
    """The verification (conditional on the version read, or on there being none) and its audit
    record, in one transaction; a lost race raises ``TransactionCancelled`` failing on
    :data:`VERIFICATION_LABEL`."""
    set_verification_keys(item)
    condition = CourierVerification.pk.does_not_exist() if read is None else CourierVerification.version == read.version
    with WriteTransaction() as tx:
        tx.put(item, condition, label=VERIFICATION_LABEL)
        tx.put(record, label=f"audit:{record.action}")


def verifications_page(status: str, *, limit: int, cursor: str | None) -> tuple[list[CourierVerification], str | None]:
    """One Query page of the ``status`` queue (gsi1), oldest submission first, and the next cursor.

    A cursor from another list (another status, another index) is a 400.
    """
    partition = keys.verifications_by_status(status)
    start = decode_cursor_for(cursor, "gsi1pk", partition)
    result = CourierVerification.gsi1.query(partition, scan_index_forward=True, page_size=limit,
                                            last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(CourierVerification, result)
    return [v for v in found if isinstance(v, CourierVerification)], encode_cursor(last_key)
