"""API keys in the table: keyed by the key's SHA-256, listed by owner while active, counted per user.

A key item is keyed by the hash (one GetItem per request). Only active keys sit in the
owner's listing index (gsi1 ``USER#<id>#APIKEYS``): revoking a key removes its index
keys, so the listing and the lookup by ``keyId`` read at most the 10 active keys. A
per-user counter (``ApiKeyRing``) makes the cap hold under concurrent creations.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.db import keys as db_keys
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import ApiKey, ApiKeyRing, User

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord


def load_key(key_hash: str) -> ApiKey | None:
    try:
        return ApiKey.get(keys.api_key(key_hash), keys.api_key(key_hash))
    except DoesNotExist:
        return None


def touch(item: ApiKey, now: datetime) -> None:
    """Record when the key was last used; revoked meanwhile, nothing is written (and nothing raised):
    the next request is refused, a missed timestamp harms nobody."""
    with contextlib.suppress(UpdateError):
        item.update([ApiKey.last_used_at.set(now)], condition=ApiKey.revoked == False)  # noqa: E712


def _ring(user_id: str) -> ApiKeyRing:
    return ApiKeyRing(pk=keys.user(user_id), sk=keys.API_KEY_RING)


def _ring_upsert(now: datetime) -> list[Action]:
    """Actions that also give a ring created by this update its discriminator and timestamps."""
    return [ApiKeyRing.entity.set(ApiKeyRing), ApiKeyRing.created_at.set(ApiKeyRing.created_at | now),
            ApiKeyRing.updated_at.set(now)]  # fmt: skip


def active_keys(user_id: str) -> list[ApiKey]:
    """The user's active keys: one Query over an index partition of at most 10 items."""
    return list(ApiKey.gsi1.query(keys.user_api_keys(user_id)))


def list_page(user_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[ApiKey], dict[str, Any] | None]:
    """One page of the user's active keys, newest first (one Query)."""
    result = ApiKey.gsi1.query(keys.user_api_keys(user_id), scan_index_forward=False,
                               page_size=limit, last_evaluated_key=start)  # fmt: skip
    return one_page(ApiKey, result)


def new_key(raw: str, key_hash: str, key_id: str, *, user_id: str, role: str, name: str, prefix_length: int,
            now: datetime) -> ApiKey:  # fmt: skip
    """The item of a new key (not saved)."""
    return ApiKey(
        pk=keys.api_key(key_hash), sk=keys.api_key(key_hash),
        gsi1pk=keys.user_api_keys(user_id), gsi1sk=db_keys.created_sort(now.isoformat(), key_id),
        key_id=key_id, user_id=user_id, role=role, name=name, prefix=raw[:prefix_length],
        created_at=now, updated_at=now,
    )  # fmt: skip


def create_key(item: ApiKey, record: AuditRecord, *, cap: int, now: datetime) -> None:
    """Save a key while its owner is active and has fewer than ``cap`` active keys.

    Labels: ``user`` (the account is not active), ``ring`` (the cap is reached), ``key``.
    """
    below_cap = ApiKeyRing.active.does_not_exist() | (ApiKeyRing.active < cap)
    with WriteTransaction() as tx:
        tx.check(User, keys.user(item.user_id), keys.PROFILE, User.status == "active", label="user")
        tx.update(_ring(item.user_id), [ApiKeyRing.active.add(1), *_ring_upsert(now)], below_cap, label="ring")
        tx.put(item, ApiKey.pk.does_not_exist(), label="key")
        tx.put(record, label=f"audit:{record.action}")


def _revoke(item: ApiKey, tx: WriteTransaction, now: datetime) -> None:
    """Refuse the key from now on and drop it from the owner's listing index."""
    tx.update(item, [ApiKey.revoked.set(True), ApiKey.gsi1pk.remove(), ApiKey.gsi1sk.remove(),
                     ApiKey.updated_at.set(now)], ApiKey.revoked == False, label=f"key:{item.key_id}")  # noqa: E712  # fmt: skip


def revoke_key(item: ApiKey, record: AuditRecord, *, now: datetime) -> None:
    """Revoke one key and count it off its owner's ring. Labels: ``key:<keyId>`` (revoked already), ``ring``."""
    with WriteTransaction() as tx:
        _revoke(item, tx, now)
        tx.update(_ring(item.user_id), [ApiKeyRing.active.add(-1), ApiKeyRing.updated_at.set(now)],
                  ApiKeyRing.active > 0, label="ring")  # fmt: skip
        tx.put(record, label=f"audit:{record.action}")


def revoke_all_keys(user_id: str, tx: WriteTransaction) -> int:
    """Add the revocation of every active key of a user to ``tx`` (suspension, deletion).

    The counter must still hold the number of keys found, so a key created between this
    read and the commit cancels the transaction instead of surviving it.
    """
    found = active_keys(user_id)
    now = datetime.now(UTC)
    for item in found:
        _revoke(item, tx, now)
    unchanged = ApiKeyRing.active == len(found)
    if not found:
        unchanged = ApiKeyRing.active.does_not_exist() | unchanged
    tx.update(_ring(user_id), [ApiKeyRing.active.set(0), *_ring_upsert(now)], unchanged, label="ring")
    return len(found)
