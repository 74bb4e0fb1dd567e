"""Disputes' privacy hook (souk.privacy): the customer's disputes and returns are kept, as part of the
order's financial record (a refund may rest on them); they hold the customer's id and what they wrote,
no name or contact, and the user item the id names is anonymised last.

Export: the customer's disputes (gsi1 ``USER#<id>#DISPUTES``) with each one's messages (one Query of its
partition), then their returns (gsi1 ``USER#<id>#RETURNS``), a page a call. Erase: nothing to remove.
"""

from __future__ import annotations

from typing import Any

from souk.db import personal
from souk.disputes import keys
from souk.disputes.models import Dispute, DisputeMessage, ProductReturn

ORDER = 50
DISPUTES_PER_CALL = 10  # each costs one messages Query


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    phase, last_key = personal.position(cursor)
    if phase in (None, "disputes"):
        found, more = personal.page(Dispute.gsi1.query(keys.customer_disputes(user_id), page_size=DISPUTES_PER_CALL,  # type: ignore[arg-type]
                                                       last_evaluated_key=last_key))  # fmt: skip
        rows = []
        for dispute in (d for d in found if isinstance(d, Dispute)):
            rows.append(personal.row("dispute", dispute))
            messages = DisputeMessage.query(keys.dispute(dispute.dispute_id),
                                            DisputeMessage.sk.startswith(keys.MESSAGE_PREFIX))  # fmt: skip
            rows += [personal.row("dispute_message", m) for m in messages]
        return rows, personal.cursor("disputes", more) if more else personal.cursor("returns", None)
    found, more = personal.page(ProductReturn.gsi1.query(keys.customer_returns(user_id), page_size=personal.PAGE,  # type: ignore[arg-type]
                                                         last_evaluated_key=last_key))  # fmt: skip
    return [personal.row("return", r) for r in found], personal.cursor("returns", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    return None  # kept: see the module doc
