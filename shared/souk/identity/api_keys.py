"""API keys: shown once at creation, stored as a SHA-256 hash, usable as ``X-Api-Key``.

A key item is keyed by the hash (one GetItem per request). Only active keys sit in the
owner's listing index (gsi1 ``USER#<id>#APIKEYS``): revoking a key removes its index
keys, so the listing and the lookup by ``keyId`` read at most the 10 active keys. A
per-user counter (``ApiKeyRing``) makes the cap of 10 hold under concurrent creations.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

from pydantic import Field, StringConstraints
from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.audit import service as audit
from souk.db import keys
from souk.db.paging import decode_cursor, encode_cursor, one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from souk.identity import tokens
from souk.identity.models import ApiKey, ApiKeyRing, User
from souk.identity.schemas import Deleted
from souk.ids import new_id
from souk.schema import CamelModel, OneLine, PageQuery

if TYPE_CHECKING:
    from souk.caller import Principal

KEY_PREFIX = "souk_"
MAX_ACTIVE_KEYS = 10
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# lastUsedAt is refreshed at most this often: one write per key per interval, not per request.
TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class ResolvedKey:
    key_id: str
    user_id: str
    role: str


def resolve_api_key(raw_key: str) -> ResolvedKey | None:
    """The key's owner and role, or None when unknown or revoked. One GetItem (plus a rare touch)."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    key_hash = tokens.token_hash(raw_key)
    try:
        item = ApiKey.get(keys.api_key(key_hash), keys.api_key(key_hash))
    except DoesNotExist:
        return None
    if item.revoked:
        return None
    _touch(item)
    return ResolvedKey(key_id=item.key_id, user_id=item.user_id, role=item.role)


def _touch(item: ApiKey) -> None:
    """Record when the key was last used (for the owner's listing), at most every few minutes."""
    now = datetime.now(UTC)
    if item.last_used_at is not None and now - item.last_used_at < TOUCH_INTERVAL:
        return
    # Revoked meanwhile: the next request is refused; a missed timestamp harms nobody.
    with contextlib.suppress(UpdateError):
        item.update([ApiKey.last_used_at.set(now)], condition=ApiKey.revoked == False)  # noqa: E712


class ApiKeyOut(CamelModel):
    """A key as its owner sees it: never the key itself."""

    id: str
    name: str
    prefix: str = Field(description="The first characters of the key, to recognise it.")
    created_at: datetime
    last_used_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown only in this response; store it now.")


class ApiKeyCreate(CamelModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), OneLine]


def _out(item: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=item.key_id, name=item.name, prefix=item.prefix, created_at=item.created_at,
                     last_used_at=item.last_used_at)  # fmt: skip


def _ring(user_id: str) -> ApiKeyRing:
    return ApiKeyRing(pk=keys.user(user_id), sk=keys.API_KEY_RING)


def _ring_upsert(now: datetime) -> list:
    """Actions that also give a ring created by this update its discriminator and timestamps."""
    return [ApiKeyRing.entity.set(ApiKeyRing), ApiKeyRing.created_at.set(ApiKeyRing.created_at | now),
            ApiKeyRing.updated_at.set(now)]  # fmt: skip


def _active_keys(user_id: str) -> list[ApiKey]:
    """The user's active keys: one Query over an index partition of at most 10 items."""
    return list(ApiKey.gsi1.query(keys.user_api_keys(user_id)))


def list_api_keys(principal: Principal, query: PageQuery) -> tuple[list[ApiKeyOut], str | None]:
    """The caller's active keys, newest first (one Query)."""
    result = ApiKey.gsi1.query(keys.user_api_keys(principal.user_id), scan_index_forward=False,
                               page_size=query.limit, last_evaluated_key=decode_cursor(query.cursor))  # fmt: skip
    items, last_key = one_page(ApiKey, result)
    return [_out(i) for i in items], encode_cursor(last_key)


def create_api_key(principal: Principal, body: ApiKeyCreate) -> ApiKeyCreated:
    """A new key for the caller, with the caller's role; the raw key is returned once.

    Only a signed-in session may create keys (a leaked key must not mint more). The
    transaction checks the account is still active, so no key is created after a
    suspension, and bumps the counter only while it is below the cap.
    """
    if principal.api_key_id is not None:
        raise Forbidden("Create API keys from a signed-in session, not with another API key.")
    user_id = principal.user_id
    raw = KEY_PREFIX + tokens.random_token(32)
    now = datetime.now(UTC)
    key_id = new_id()
    key_hash = tokens.token_hash(raw)
    item = ApiKey(
        pk=keys.api_key(key_hash), sk=keys.api_key(key_hash),
        gsi1pk=keys.user_api_keys(user_id), gsi1sk=keys.created_sort(now.isoformat(), key_id),
        key_id=key_id, user_id=user_id, role=principal.role, name=body.name, prefix=raw[:SHOWN_PREFIX_LENGTH],
        created_at=now, updated_at=now,
    )  # fmt: skip
    below_cap = ApiKeyRing.active.does_not_exist() | (ApiKeyRing.active < MAX_ACTIVE_KEYS)
    try:
        with WriteTransaction() as tx:
            tx.check(User, keys.user(user_id), keys.PROFILE, User.status == "active", label="user")
            tx.update(_ring(user_id), [ApiKeyRing.active.add(1), *_ring_upsert(now)], below_cap, label="ring")
            tx.put(item, ApiKey.pk.does_not_exist(), label="key")
            audit.record(principal.actor, "api_key.create", "api_key", key_id, tx=tx,
                         after={"name": item.name, "prefix": item.prefix, "role": item.role})  # fmt: skip
    except TransactionCancelled as cancelled:
        if "user" in cancelled.failed():
            raise Forbidden("This account cannot create API keys.") from None
        if "ring" in cancelled.failed():
            raise UnprocessableEntity(f"At most {MAX_ACTIVE_KEYS} active API keys; delete one first.") from None
        raise Conflict("Your API keys changed at the same time; retry.") from None
    return ApiKeyCreated(**_out(item).model_dump(), key=raw)


def _revoke(item: ApiKey, tx: WriteTransaction, now: datetime) -> None:
    """Refuse the key from now on and drop it from the owner's listing index."""
    tx.update(item, [ApiKey.revoked.set(True), ApiKey.gsi1pk.remove(), ApiKey.gsi1sk.remove(),
                     ApiKey.updated_at.set(now)], ApiKey.revoked == False, label=f"key:{item.key_id}")  # noqa: E712  # fmt: skip


def revoke_api_key(principal: Principal, key_id: str) -> Deleted:
    """Revoke one of the caller's keys: it stops working at once. Another user's key is 404."""
    found = [k for k in _active_keys(principal.user_id) if k.key_id == key_id]
    if not found:
        raise NotFound()
    item = found[0]
    now = datetime.now(UTC)
    try:
        with WriteTransaction() as tx:
            _revoke(item, tx, now)
            tx.update(_ring(principal.user_id), [ApiKeyRing.active.add(-1), ApiKeyRing.updated_at.set(now)],
                      ApiKeyRing.active > 0, label="ring")  # fmt: skip
            audit.record(principal.actor, "api_key.revoke", "api_key", key_id, tx=tx,
                         before={"name": item.name, "prefix": item.prefix})  # fmt: skip
    except TransactionCancelled as cancelled:
        if f"key:{key_id}" in cancelled.failed():
            raise NotFound() from None  # revoked by a concurrent request: it is gone either way
        raise Conflict("Your API keys changed at the same time; retry.") from None
    return Deleted(id=key_id)


def revoke_all_keys(user_id: str, tx: WriteTransaction) -> int:
    """Add the revocation of every active key of a user to ``tx`` (suspension, deletion).

    The counter must still hold the number of keys found, so a key created between this
    read and the commit cancels the transaction instead of surviving it.
    """
    found = _active_keys(user_id)
    now = datetime.now(UTC)
    for item in found:
        _revoke(item, tx, now)
    unchanged = ApiKeyRing.active == len(found)
    if not found:
        unchanged = ApiKeyRing.active.does_not_exist() | unchanged
    tx.update(_ring(user_id), [ApiKeyRing.active.set(0), *_ring_upsert(now)], unchanged, label="ring")
    return len(found)
