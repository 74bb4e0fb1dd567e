"""API keys: shown once at creation, stored as a SHA-256 hash, usable as ``X-Api-Key``.

At most the user's plan's ``apiKeys`` active keys (Free 1, Pro 10; from the cached entitlement,
:mod:`souk.plans.service.entitlements`), and never more than :data:`MAX_ACTIVE_KEYS` whatever the
plan (Enterprise's "unlimited" included: the listing and revocation read one small index partition),
a cap that holds under concurrent creations (see :mod:`souk.identity.store.api_keys`).

Team keys: created with ``teamId`` by a member of the team (:func:`souk.teams.service.api_keys.create_team_api_key`
checks the membership and passes it here as a :class:`TeamScope`: identity never imports teams). The team
plan's ``apiKeys`` limit applies to the team's active keys (at most :data:`MAX_TEAM_KEYS`), the creator's to
their personal keys, and a user has at most :data:`MAX_ACTIVE_KEYS` of both. The key's principal is its
creator, as for any key; its calls count in the team's usage. The creator leaving the team (or removed)
revokes them (:func:`revoke_member_team_keys`), and so does the team's deletion (:func:`revoke_team_keys`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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
    from souk.audit.models import AuditRecord
    from souk.caller import Actor, Principal
    from souk.db.transactions import WriteTransaction
    from souk.identity.models import ApiKey
    from souk.identity.schemas.api_keys import ApiKeyCreate
    from souk.schema import PageQuery

KEY_PREFIX = "souk_"
MAX_ACTIVE_KEYS = 10
MAX_TEAM_KEYS = 100  # a team's active keys, whatever its plan: the deletion revokes them in bounded pages
TEAM_KEYS_PAGE = 25
SHOWN_PREFIX_LENGTH = len(KEY_PREFIX) + 8
# lastUsedAt is refreshed at most this often: one write per key per interval, not per request.
TOUCH_INTERVAL = timedelta(minutes=5)


@dataclass(frozen=True)
class ResolvedKey:
    key_id: str
    user_id: str
    role: str
    team_id: str | None = None


@dataclass(frozen=True)
class TeamScope:
    """A team key's team, and ``guard``: the checks (added to the creation's transaction) that the creator is
    a member of a live team; any of them failing (label starting ``scope``) is 404, as for a non-member."""

    team_id: str
    guard: Callable[[WriteTransaction], None]


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
    return ResolvedKey(key_id=item.key_id, user_id=item.user_id, role=item.role, team_id=item.team_id)


def list_api_keys(principal: Principal, query: PageQuery) -> tuple[list[ApiKeyOut], str | None]:
    """The caller's active keys, newest first (one Query)."""
    items, last_key = store.list_page(principal.user_id, limit=query.limit, start=decode_cursor(query.cursor))
    return [api_key_out(i) for i in items], encode_cursor(last_key)


def create_api_key(principal: Principal, body: ApiKeyCreate, team: TeamScope | None = None) -> ApiKeyCreated:
    """A new key for the caller, with the caller's role; the raw key is returned once.

    Only a signed-in session may create keys (a leaked key must not mint more). The
    transaction checks the account is still active, so no key is created after a
    suspension, and bumps the counter only while it is below the cap. With ``team``, a team key:
    the team's counter too, under the team plan's ``apiKeys``, and ``team.guard``'s checks.
    """
    if principal.api_key_id is not None:
        raise Forbidden("Create API keys from a signed-in session, not with another API key.")
    raw = KEY_PREFIX + tokens.random_token(32)
    now = datetime.now(UTC)
    team_id = team.team_id if team is not None else None
    item = store.new_key(raw, tokens.token_hash(raw), new_id(), user_id=principal.user_id, role=principal.role,
                         name=body.name, prefix_length=SHOWN_PREFIX_LENGTH, now=now, team_id=team_id)  # fmt: skip
    after = {"name": item.name, "prefix": item.prefix, "role": item.role} | ({"teamId": team_id} if team_id else {})
    record = audit.build_record(principal.actor, "api_key.create", "api_key", item.key_id, after=after)
    subscriber = Subscriber("user", principal.user_id) if team_id is None else Subscriber("team", team_id)
    granted = entitlements.current(subscriber)
    plan_limit = granted.limit("apiKeys")
    most = MAX_ACTIVE_KEYS if team_id is None else MAX_TEAM_KEYS
    cap = most if plan_limit is None else min(plan_limit, most)
    try:
        store.create_key(item, record, cap=cap, now=now, total_cap=MAX_ACTIVE_KEYS,
                         guard=team.guard if team is not None else None)  # fmt: skip
    except TransactionCancelled as cancelled:
        failed = cancelled.failed()
        if any(label.startswith("scope") for label in failed):
            raise NotFound("No such team.") from None
        if "user" in failed:
            raise Forbidden("This account cannot create API keys.") from None
        if "team_ring" in failed and cap < MAX_TEAM_KEYS:
            raise entitlements.limit_reached("apiKeys", cap, granted.plan) from None
        if "team_ring" in failed:
            raise UnprocessableEntity(f"At most {MAX_TEAM_KEYS} active API keys per team; delete one first.") from None
        if "ring" in failed and team_id is None and cap < MAX_ACTIVE_KEYS:
            raise entitlements.limit_reached("apiKeys", cap, granted.plan) from None
        if "ring" in failed:
            raise UnprocessableEntity(f"At most {MAX_ACTIVE_KEYS} active API keys; delete one first.") from None
        raise Conflict("Your API keys changed at the same time; retry.") from None
    return ApiKeyCreated(**api_key_out(item).model_dump(), key=raw)


def revoke_member_team_keys(actor: Actor, user_id: str, team_id: str, tx: WriteTransaction, *,
                            reason: str) -> list[str]:  # fmt: skip
    """Add to ``tx`` (a member's removal) the revocation of the keys ``user_id`` created for ``team_id``, each
    audited (``api_key.revoke`` with ``reason``); their ids. One Query of the user's at most 10 keys; the
    user's counter must be as read (label ``ring``, or ``key:<id>`` revoked meanwhile: read again and retry)."""

    def record(item: ApiKey) -> AuditRecord:
        return audit.build_record(actor, "api_key.revoke", "api_key", item.key_id,
                                  before={"name": item.name, "prefix": item.prefix, "teamId": team_id},
                                  after={"reason": reason})  # fmt: skip

    return [k.key_id for k in store.revoke_team_keys_of(user_id, team_id, tx, record, datetime.now(UTC))]


def revoke_team_keys(actor: Actor, team_id: str, *, pages: int = MAX_TEAM_KEYS // TEAM_KEYS_PAGE) -> bool:
    """Revoke every active key of a deleted team, each in its own audited transaction (``api_key.revoke``,
    reason ``team_deleted``), at most ``pages`` Query pages of :data:`TEAM_KEYS_PAGE`. Idempotent: a key
    revoked meanwhile is skipped. True when none is left."""
    start: dict[str, Any] | None = None
    now = datetime.now(UTC)
    for _ in range(pages):
        found, start = store.team_page(team_id, limit=TEAM_KEYS_PAGE, start=start)
        for item in found:
            record = audit.build_record(actor, "api_key.revoke", "api_key", item.key_id,
                                        before={"name": item.name, "prefix": item.prefix, "teamId": team_id},
                                        after={"reason": "team_deleted"})  # fmt: skip
            try:
                store.revoke_key(item, record, now=now)
            except TransactionCancelled as cancelled:
                if f"key:{item.key_id}" not in cancelled.failed():
                    raise
        if start is None:
            return True
    return False


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
