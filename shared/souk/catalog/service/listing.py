"""``GET /api/v1/products`` without ``search``: one Query of the listing index per page.

The index and its Query are :mod:`souk.catalog.store.listing`; here, the cursors, which
carry a fingerprint of the query that made them so a cursor reused with other filters is
refused (400) rather than misread. A query with ``search`` goes to
:func:`souk.catalog.service.search.list_products` instead.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from souk.catalog.schemas.listing import ProductListQuery, ProductSummary, summary_of_entry
from souk.catalog.store import listing as store
from souk.db.paging import decode_cursor, encode_cursor
from souk.errors import ValidationFailed


def fingerprint(*parts: Any) -> str:
    """Ties a cursor to the query that made it: reused with other filters it is refused, not misread."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _query_fingerprint(query: ProductListQuery) -> str:
    return fingerprint(query.model_dump(exclude={"cursor", "limit"}))


def read_cursor(cursor: str | None, expected: str) -> dict[str, Any] | None:
    """The position inside a cursor made by :func:`make_cursor` for the same query, else 400."""
    decoded = decode_cursor(cursor)
    if decoded is None:
        return None
    if decoded.get("q") != expected or "p" not in decoded:
        raise ValidationFailed.field("cursor", "The cursor belongs to another query; start again without it.")
    return decoded["p"]  # type: ignore[no-any-return]


def make_cursor(position: Any, query_fingerprint: str) -> str | None:
    return encode_cursor({"p": position, "q": query_fingerprint}) if position is not None else None


def list_page(query: ProductListQuery) -> tuple[list[ProductSummary], str | None]:
    """One page of the listing index and the cursor of the next (None on the last page)."""
    marker = _query_fingerprint(query)
    entries, last_key = store.page(query, read_cursor(query.cursor, marker))
    return [summary_of_entry(item) for item in entries], make_cursor(last_key, marker)
