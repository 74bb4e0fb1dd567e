"""The wallet's privacy hook (souk.privacy): the balance and its ledger are kept (accounting).

The ``WALLET#<userId>`` partition holds amounts, references and the user's id only, no name or contact:
once the user item is anonymised (identity, last) the ledger is anonymous. Export: the partition, a
page a call. Erase: nothing to remove.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.db.base import SoukItem
from souk.wallet import keys

ORDER = 70


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    _, last_key = personal.position(cursor)
    items, more = personal.page(SoukItem.query(keys.wallet(user_id), page_size=personal.PAGE,
                                               last_evaluated_key=last_key))  # fmt: skip
    rows = [personal.row("wallet" if i.sk == keys.WALLET else "wallet_entry", i) for i in items]
    return rows, personal.cursor("wallet", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    return None  # kept: see the module doc
