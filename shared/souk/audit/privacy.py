"""The audit log's privacy hook (souk.privacy): the entries about the user are exported and kept.

The log is the record of what was done and by whom (the erasure itself is in it); its entries expire
with the log's retention (their TTL) and are not rewritten before: they name the user by id, and the
user item that id names is anonymised last. Export: the entries the user made (gsi1, actor), then the
entries about their account (gsi2, resource ``user:<id>``), newest first, a page a call.
"""

from __future__ import annotations

from typing import Any

from souk.audit.query import Filters, find
from souk.db import personal

ORDER = 90


def export(user_id: str, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    phase, inner = personal.unwrap(cursor)
    if phase in (None, "actor"):
        found, more = find(Filters(actor=user_id), limit=personal.PAGE, cursor=inner)
        rows = [personal.row("audit_entry", r) for r in found]
        return rows, personal.wrap("actor", more) if more else personal.wrap("resource", None)
    found, more = find(Filters(resource_type="user", resource_id=user_id), limit=personal.PAGE, cursor=inner)
    rows = [personal.row("audit_entry", r) for r in found if r.actor_id != user_id]  # theirs came first
    return rows, personal.wrap("resource", more) if more else None


def erase(user_id: str, cursor: str | None) -> str | None:
    return None  # kept: see the module doc
