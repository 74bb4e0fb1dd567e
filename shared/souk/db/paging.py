"""Exactly one DynamoDB call per list page, and the opaque cursors that continue it.

PynamoDB's result iterator fetches more pages on its own until it has ``limit`` items:
with a FilterExpression that is an unbounded number of calls. :func:`one_page` takes the
first page DynamoDB returns and stops, so a list route's cost stays one Query whatever
the partition holds; a filtered page may come back short, with a cursor to go on.

Cursors are DynamoDB's LastEvaluatedKey signed with the cursor key: a client cannot forge
one to read another list (:func:`decode_cursor_for`), and a garbled one is a 400.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any, TypeVar

from pynamodb.pagination import ResultIterator

from souk.db.base import SoukItem
from souk.errors import SoukError, ValidationFailed
from souk.safe_json import parse_json
from souk.secrets import cursor_key

M = TypeVar("M", bound=SoukItem)


def one_page(model: type[M], result: ResultIterator[M]) -> tuple[list[M], dict[str, Any] | None]:
    """The items of the first page of a query and its LastEvaluatedKey (None at the end).

    Parameters
    ----------
    model
        The class to build items with (the discriminator still picks the subclass).
    result
        ``Model.query(...)`` or ``Model.gsiN.query(...)`` with ``page_size`` set and
        ``last_evaluated_key`` from the decoded cursor; not iterated yet.
    """
    raw = next(result.page_iter, None)
    if raw is None:
        return [], None
    items = [model.from_raw_data(item) for item in raw.get("Items", [])]
    return items, result.page_iter.last_evaluated_key


def _sign(payload: bytes) -> str:
    return hmac.new(cursor_key(), payload, hashlib.sha256).hexdigest()[:32]


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """The cursor a client sends back for the next page, or None on the last page."""
    if not last_evaluated_key:
        return None
    payload = json.dumps(last_evaluated_key, separators=(",", ":"), sort_keys=True).encode()
    token = json.dumps({"k": last_evaluated_key, "s": _sign(payload)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(token).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """The LastEvaluatedKey inside a cursor; a forged or garbled cursor is a 400."""
    if not cursor:
        return None
    try:
        # Client input like a body: the request guard parses it (depth, number sizes) before the signature is checked.
        token = parse_json(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), controls=False)
        key = token["k"]
        payload = json.dumps(key, separators=(",", ":"), sort_keys=True).encode()
        if not isinstance(key, dict) or not hmac.compare_digest(token["s"], _sign(payload)):
            raise ValueError("bad signature")
    except (ValueError, KeyError, TypeError, SoukError):
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.") from None
    return key


def decode_cursor_for(cursor: str | None, attribute: str, partition: str) -> dict[str, Any] | None:
    """:func:`decode_cursor`, for a cursor that must come from this very list.

    ``attribute`` is the list's partition key attribute (``pk``, ``gsi1pk``...): a cursor
    from another list (another user's, another index) is a 400, never a page of the other list.
    """
    start = decode_cursor(cursor)
    if start is not None and start.get(attribute) != {"S": partition}:
        raise ValidationFailed.field("cursor", "The cursor belongs to another list; start again without it.")
    return start
