"""What the privacy hooks (``souk/<domain>/privacy.py``) share: bounded pages of a user's items as
JSON-ready records, and page-at-a-time deletes.

A hook's cursor is a signed token (:func:`souk.db.paging.encode_cursor`) of ``{"p": phase, "k":
LastEvaluatedKey}``: a hook may walk several partitions in turn (its phases), one Query page per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.db.base import SoukItem
from souk.db.paging import decode_cursor, encode_cursor, one_page

if TYPE_CHECKING:
    from pynamodb.pagination import ResultIterator

PAGE = 25  # items per call: one Query page and one BatchWriteItem
KEY_ATTRIBUTES = frozenset({"pk", "sk", "entity", "ttl", "version"} | {f"gsi{n}{k}" for n in (1, 2, 3, 4)
                                                                      for k in ("pk", "sk")})  # fmt: skip


def row(kind: str, item: SoukItem, *, drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """The item's attributes by their stored (camelCase) names, without table keys and ``drop``; with ``kind``."""
    data = {k: v for k, v in item.to_simple_dict().items() if k not in KEY_ATTRIBUTES and k not in drop}
    return {"kind": kind, **data}


def position(cursor: str | None) -> tuple[str | None, dict[str, Any] | None]:
    """(phase, LastEvaluatedKey) of a hook's cursor; (None, None) at the start."""
    state = decode_cursor(cursor)
    if not state:
        return None, None
    return state.get("p"), state.get("k") or None


def cursor(phase: str, last_key: dict[str, Any] | None) -> str | None:
    """The cursor of ``phase`` at ``last_key``; a phase that starts fresh has ``last_key`` None."""
    return encode_cursor({"p": phase, "k": last_key or {}})


def page(result: ResultIterator[SoukItem]) -> tuple[list[SoukItem], dict[str, Any] | None]:
    """One Query page (``page_size`` set by the caller) and its LastEvaluatedKey."""
    return one_page(SoukItem, result)


def delete(items: list[SoukItem]) -> None:
    """Delete the items in one BatchWriteItem (at most 25; deleting a missing item is a no-op)."""
    if items:
        with SoukItem.batch_write() as batch:
            for item in items:
                batch.delete(item)


# --- a hook whose phase walks another list's signed cursor (not a raw LastEvaluatedKey)


def wrap(phase: str, inner: str | None) -> str | None:
    """A hook cursor holding ``phase`` and a list's own (signed) cursor ``inner``."""
    return encode_cursor({"p": phase, "k": {}, "c": inner or ""})


def unwrap(cursor: str | None) -> tuple[str | None, str | None]:
    """(phase, inner list cursor) of a :func:`wrap` cursor; (None, None) at the start."""
    state = decode_cursor(cursor)
    if not state:
        return None, None
    return state.get("p"), state.get("c") or None


# --- anonymisation: what replaces a person's name and email in the items that are kept

ANONYMOUS_NAME = "Deleted user"


def anonymous_email(user_id: str) -> str:
    """Unique, undeliverable (RFC 2606 ``.invalid``), and never a real person's address."""
    return f"deleted-{user_id.lower()}@erased.invalid"


def keep_only(mapping: dict[str, Any] | None, keep: tuple[str, ...]) -> dict[str, Any] | None:
    """A snapshot (an address...) reduced to the ``keep`` keys: what is not personal (city, country)."""
    if mapping is None:
        return None
    return {k: v for k, v in mapping.items() if k in keep}
