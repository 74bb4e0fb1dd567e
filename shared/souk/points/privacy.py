"""Loyalty points' privacy hook (souk.privacy): the account, lots and entries are kept (a ledger).

The ``POINTS#<userId>`` partition holds points, amounts, order ids and the user's id, no name or contact.
Export: the partition, a page a call. Erase: the lots leave the expiry and open-lot indexes (gsi1, gsi2),
so the daily expiry job and its reminders never write or email for an erased account; the ledger stays.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.db.base import SoukItem
from souk.points import keys
from souk.points.models import PointsLot

ORDER = 70
_KINDS = {"PointsAccount": "points_account", "PointsLot": "points_lot", "PointsEntry": "points_entry",
          "PointsSpend": "points_spend"}  # fmt: skip


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, last_key = personal.position(cursor)
    items, more = personal.page(SoukItem.query(keys.points(user_id), page_size=personal.PAGE,
                                               last_evaluated_key=last_key))  # fmt: skip
    rows = [personal.row(_KINDS.get(type(i).__name__, "points"), i) for i in items]
    return rows, personal.cursor("points", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    _, last_key = personal.position(cursor)
    items, more = personal.page(PointsLot.query(keys.points(user_id), PointsLot.sk.startswith(keys.lot("")),  # type: ignore[arg-type]
                                                page_size=personal.PAGE, last_evaluated_key=last_key))  # fmt: skip
    for lot in items:
        if isinstance(lot, PointsLot) and (lot.gsi1pk or lot.gsi2pk):
            lot.update(actions=[PointsLot.gsi1pk.remove(), PointsLot.gsi1sk.remove(), PointsLot.gsi2pk.remove(),
                                PointsLot.gsi2sk.remove()])  # fmt: skip
    return personal.cursor("lots", more) if more else None
