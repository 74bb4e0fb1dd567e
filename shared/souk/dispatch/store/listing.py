"""The delivery lists: one Query page each, newest first.

| who | index | partition |
|---|---|---|
| courier | gsi1 | ``COURIER#<id>#JOBS`` (offered to them, or held) |
| admin | gsi2 | ``DELIVERIES`` (all) |

``status`` is a FilterExpression, so a filtered page may come back short with a cursor to go on;
the cursor is bound to its partition (another list's cursor is a 400).
"""

from __future__ import annotations

from typing import Any, Literal

from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.dispatch import keys
from souk.dispatch.models import Delivery

Timeline = Literal["courier", "all"]


def delivery_page(timeline: Timeline, courier_id: str, status: str | None, limit: int, cursor: str | None
                  ) -> tuple[list[Delivery], str | None]:  # fmt: skip
    index: Any
    if timeline == "courier":
        index, partition, attribute = Delivery.gsi1, keys.courier_jobs(courier_id), "gsi1pk"
    else:
        index, partition, attribute = Delivery.gsi2, keys.ALL_DELIVERIES, "gsi2pk"
    start = decode_cursor_for(cursor, attribute, partition)
    result = index.query(partition, filter_condition=(Delivery.status == status) if status else None,
                         scan_index_forward=False, page_size=limit, last_evaluated_key=start)  # fmt: skip
    found, last_key = one_page(Delivery, result)
    return [d for d in found if isinstance(d, Delivery)], encode_cursor(last_key)
