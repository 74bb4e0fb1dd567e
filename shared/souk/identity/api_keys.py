"""API keys: shown once at creation, stored as a SHA-256 hash, usable as ``X-Api-Key``."""

from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import DoesNotExist

from souk.db import keys
from souk.identity import tokens
from souk.identity.models import ApiKey

KEY_PREFIX = "souk_"


@dataclass(frozen=True)
class ResolvedKey:
    key_id: str
    user_id: str
    role: str


def resolve_api_key(raw_key: str) -> ResolvedKey | None:
    """The key's owner and role, or None when unknown or revoked. One GetItem."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    key_hash = tokens.token_hash(raw_key)
    try:
        item = ApiKey.get(keys.api_key(key_hash), keys.api_key(key_hash))
    except DoesNotExist:
        return None
    if item.revoked:
        return None
    return ResolvedKey(key_id=item.key_id, user_id=item.user_id, role=item.role)
