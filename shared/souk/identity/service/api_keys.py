"""API keys: shown once at creation, stored as a SHA-256 hash, usable as ``X-Api-Key``.

At most the user's plan's ``apiKeys`` active keys (Free 1, Pro 10; from the cached entitlement,
:mod:`souk.plans.service.entitlements`), and never more than :data:`MAX_ACTIVE_KEYS` whatever the
plan (Enterprise's "unlimited" included: the listing and revocation read one small index partition),
a cap that holds under concurrent creations (see :mod:`souk.identity.store.api_keys`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.paging import decode_cursor, encode_cursor
from souk.db.transactions import TransactionCancelled
from souk.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from souk.identity import tokens
from souk.identity.schemas.api_keys import ApiKeyCreated, ApiKeyOut, api_key_out
from souk.identity.schemas.users import Deleted
from souk.identity.store import api_keys as store
from souk.ids import new_id
from souk.plans.service import entitlements
from souk.plans.service.entitlements import Subscriber

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.schemas.api_keys import ApiKeyCreate
    from souk.schema import PageQuery

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


def due_for_touch(last_used_at: datetime | None, now: datetime) -> bool:
    """Whether a use at ``now`` refreshes the key's ``lastUsedAt`` (at most every few minutes)."""
    return last_used_at is None or now - last_used_at >= TOUCH_INTERVAL


def resolve_api_key(raw_key: str) -> ResolvedKey | None:
    """The key's owner and role, or None when unknown or revoked. One GetItem (plus a rare touch)."""
    if not raw_key.startswith(KEY_PREFIX) or len(raw_key) > 200:
        return None
    item = store.load_key(tokens.token_hash(raw_key))
    if item is None or item.revoked:
        return None
    now = datetime.now(UTC)
    if due_for_touch(item.last_used_at, now):
        store.touch(item, now)  # for the owner's listing
    return ResolvedKey(key_id=item.key_id, user_id=item.user_id, role=item.role)


def list_api_keys(principal: Principal, query: PageQuery) -> tuple[list[ApiKeyOut], str | None]:
    """The caller's active keys, newest first (one Query)."""
    items, last_key = store.list_page(principal.user_id, limit=query.limit, start=decode_cursor(query.cursor))
    return [api_key_out(i) for i in items], encode_cursor(last_key)


def create_api_key(principal: Principal, body: ApiKeyCreate) -> ApiKeyCreated:
    """A new key for the caller, with the caller's role; the raw key is returned once.

    Only a signed-in session may create keys (a leaked key must not mint more). The
    transaction checks the account is still active, so no key is created after a
    suspension, and bumps the counter only while it is below the cap.
    """
    if principal.api_key_id is not None:
        raise Forbidden("Create API keys from a signed-in session, not with another API key.")
    raw = KEY_PREFIX + tokens.random_token(32)
    now = datetime.now(UTC)
    item = store.new_key(raw, tokens.token_hash(raw), new_id(), user_id=principal.user_id, role=principal.role,
                         name=body.name, prefix_length=SHOWN_PREFIX_LENGTH, now=now)  # fmt: skip
    record = audit.build_record(principal.actor, "api_key.create", "api_key", item.key_id,
                                after={"name": item.name, "prefix": item.prefix, "role": item.role})  # fmt: skip
    granted = entitlements.current(Subscriber("user", principal.user_id))
    plan_limit = granted.limit("apiKeys")
    cap = MAX_ACTIVE_KEYS if plan_limit is None else min(plan_limit, MAX_ACTIVE_KEYS)
    try:
        store.create_key(item, record, cap=cap, now=now)
    except TransactionCancelled as cancelled:
        if "user" in cancelled.failed():
            raise Forbidden("This account cannot create API keys.") from None
        if "ring" in cancelled.failed() and cap < MAX_ACTIVE_KEYS:
            raise entitlements.limit_reached("apiKeys", cap, granted.plan) from None
        if "ring" in cancelled.failed():
            raise UnprocessableEntity(f"At most {MAX_ACTIVE_KEYS} active API keys; delete one first.") from None
        raise Conflict("Your API keys changed at the same time; retry.") from None
    return ApiKeyCreated(**api_key_out(item).model_dump(), key=raw)


def revoke_api_key(principal: Principal, key_id: str) -> Deleted:
    """Revoke one of the caller's keys: it stops working at once. Another user's key is 404."""
    found = [k for k in store.active_keys(principal.user_id) if k.key_id == key_id]
    if not found:
        raise NotFound()
    item = found[0]
    record = audit.build_record(principal.actor, "api_key.revoke", "api_key", key_id,
                                before={"name": item.name, "prefix": item.prefix})  # fmt: skip
    try:
        store.revoke_key(item, record, now=datetime.now(UTC))
    except TransactionCancelled as cancelled:
        if f"key:{key_id}" in cancelled.failed():
            raise NotFound() from None  # revoked by a concurrent request: it is gone either way
        raise Conflict("Your API keys changed at the same time; retry.") from None
    return Deleted(id=key_id)
