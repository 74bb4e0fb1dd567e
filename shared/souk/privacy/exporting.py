"""The ``account`` export type (:mod:`souk.registry`: ``SOURCES``, read by :mod:`souk.exports.service.sources`):
the GDPR export of every item a user holds, an ``internal`` source that only ``GET /api/v1/me/export``
(:mod:`souk.privacy.service.account_export`) starts.

A page is one ``export`` call of one privacy hook (:mod:`souk.privacy.hooks`), in their ORDER: the cursor
holds the hook's name and that hook's own cursor, so a crash or a re-queue resumes inside the hook. Each
hook reads its own domain's items by the user's keys (Query or GetItem, bounded pages): the export holds
the job owner's items and nobody else's. JSON Lines, each row with its ``kind``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.db import personal
from souk.privacy import hooks
from souk.registry import Source

if TYPE_CHECKING:
    from souk.registry import ExportScope, Page

COLUMNS = ("kind",)


def page(scope: ExportScope, filters: dict[str, Any], cursor: str | None, limit: int) -> Page:
    if scope.role != "internal":  # never through POST /exports (the source is internal); kept in case
        return [], None
    declared = hooks.hooks()
    names = [d.name for d in declared]
    name, inner = personal.unwrap(cursor)
    at = names.index(name) if name in names else 0
    inner = inner if name in names else None
    rows, more = declared[at].hook.export(scope.user_id, inner)
    if more is not None:
        return rows, personal.wrap(names[at], more)
    following = names[at + 1] if at + 1 < len(names) else None
    return rows, personal.wrap(following, None) if following else None


SOURCES = {"account": Source(columns=COLUMNS, page=page, roles=frozenset(), internal=True)}
