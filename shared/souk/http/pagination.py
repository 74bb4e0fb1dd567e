"""Opaque, tamper-evident cursors over DynamoDB's LastEvaluatedKey."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from pydantic import Field

from souk.errors import SoukError, ValidationFailed
from souk.http.guard import parse_json
from souk.schema import CamelModel
from souk.secrets import cursor_key

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


class PageQuery(CamelModel):
    """``limit`` and ``cursor`` as every list route accepts them."""

    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(None, max_length=2048)


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
