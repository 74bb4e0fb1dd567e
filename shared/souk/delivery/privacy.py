"""Delivery's privacy hook (souk.privacy): a courier's position, availability and verification.

The courier's partition ``COURIER#<id>`` holds their last position (``POSITION``), their verification
(``VERIFICATION``: vehicle, the document upload ids, the admins' decision) and, while offered a job,
dispatch's offer. Export: the partition, a page a call. Erase: the position's index entry in its geohash
cell (``COURIERCELL#<cell>``) and the position deleted (no search finds them again), then the
verification deleted (its documents are deleted with the user's uploads); the offer lapses by its TTL.
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import DoesNotExist

from souk.db import personal
from souk.db.base import SoukItem
from souk.delivery import keys
from souk.delivery.models import CourierCellEntry, CourierPosition, CourierVerification

ORDER = 45
_KINDS = {"CourierPosition": "courier_position", "CourierVerification": "courier_verification"}


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, last_key = personal.position(cursor)
    items, more = personal.page(SoukItem.query(keys.courier_key(user_id), page_size=personal.PAGE,
                                               last_evaluated_key=last_key))  # fmt: skip
    rows = [personal.row(_KINDS.get(type(i).__name__, "courier_offer"), i) for i in items]
    return rows, personal.cursor("courier", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    try:
        position = CourierPosition.get(keys.courier_key(user_id), keys.POSITION, consistent_read=True)
    except DoesNotExist:
        position = None
    doomed: list[SoukItem] = []
    if position is not None and position.cell:
        doomed.append(CourierCellEntry(pk=keys.courier_cell_key(position.cell), sk=keys.courier_key(user_id)))
    if position is not None:
        doomed.append(position)
    doomed.append(CourierVerification(pk=keys.courier_key(user_id), sk=keys.VERIFICATION))
    personal.delete(doomed)
    return None
