"""API keys in the table: keyed by the key's SHA-256, listed by owner while active, counted per user.

A key item is keyed by the hash (one GetItem per request). Only active keys sit in the
owner's listing index (gsi1 ``USER#<id>#APIKEYS``): revoking a key removes its index
keys, so the listing and the lookup by ``keyId`` read at most the 10 active keys. A
per-user counter (``ApiKeyRing``) makes the cap hold under concurrent creations.

Team keys (``teamId`` set) are the creator's keys too (in their listing and their 10), counted
in their ring's ``teamKeys``, and also in the team's counter (``TeamApiKeyRing``, the team plan's
limit conditions on it) and the team's index (gsi2 ``TEAM_APIKEYS#<teamId>``, active keys only).
Every write that creates or revokes a team key moves the three in one transaction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.db import keys as db_keys
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import ApiKey, ApiKeyRing, TeamApiKeyRing, User

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
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


def _team_ring(team_id: str) -> TeamApiKeyRing:
    return TeamApiKeyRing(pk=keys.team_api_keys(team_id), sk=keys.API_KEY_RING)


def _team_ring_upsert(now: datetime) -> list[Action]:
    return [TeamApiKeyRing.entity.set(TeamApiKeyRing), TeamApiKeyRing.created_at.set(TeamApiKeyRing.created_at | now),
            TeamApiKeyRing.updated_at.set(now)]  # fmt: skip


def active_keys(user_id: str) -> list[ApiKey]:
    """The user's active keys: one Query over an index partition of at most 10 items (a key the index still
    shows just after its revocation is left out)."""
    return [k for k in ApiKey.gsi1.query(keys.user_api_keys(user_id)) if not k.revoked]


def list_page(user_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[ApiKey], dict[str, Any] | None]:
    """One page of the user's active keys, newest first (one Query)."""
    result = ApiKey.gsi1.query(keys.user_api_keys(user_id), scan_index_forward=False,
                               page_size=limit, last_evaluated_key=start)  # fmt: skip
    return one_page(ApiKey, result)


def team_page(team_id: str, *, limit: int, start: dict[str, Any] | None) -> tuple[list[ApiKey], dict[str, Any] | None]:
    """One page of the team's active keys, oldest first (one Query of gsi2)."""
    return one_page(ApiKey, ApiKey.gsi2.query(keys.team_api_keys(team_id), page_size=limit, last_evaluated_key=start))


def new_key(raw: str, key_hash: str, key_id: str, *, user_id: str, role: str, name: str, prefix_length: int,
            now: datetime, team_id: str | None = None) -> ApiKey:  # fmt: skip
    """The item of a new key (not saved); with ``team_id``, a team key (also in the team's index)."""
    sort = db_keys.created_sort(now.isoformat(), key_id)
    item = ApiKey(
        pk=keys.api_key(key_hash), sk=keys.api_key(key_hash), gsi1pk=keys.user_api_keys(user_id), gsi1sk=sort,
        key_id=key_id, user_id=user_id, role=role, name=name, prefix=raw[:prefix_length], team_id=team_id,
        created_at=now, updated_at=now,
    )  # fmt: skip
    if team_id is not None:
        item.gsi2pk, item.gsi2sk = keys.team_api_keys(team_id), sort
    return item


def _personal_below(cap: int, total_cap: int) -> Condition:
    """The ring allows one more personal key: fewer than ``total_cap`` keys, and fewer than ``cap`` personal
    ones (``active - teamKeys < cap``: no arithmetic in a condition, so one clause per possible ``teamKeys``)."""
    total = ApiKeyRing.active.does_not_exist() | (ApiKeyRing.active < total_cap)
    if cap >= total_cap:
        return total
    personal = ApiKeyRing.active.does_not_exist() | (ApiKeyRing.team_keys.does_not_exist() & (ApiKeyRing.active < cap))
    for team_keys in range(total_cap + 1):
        personal = personal | ((ApiKeyRing.team_keys == team_keys) & (ApiKeyRing.active < cap + team_keys))
    return total & personal


def create_key(item: ApiKey, record: AuditRecord, *, cap: int, now: datetime, total_cap: int | None = None,
               guard: Callable[[WriteTransaction], None] | None = None) -> None:  # fmt: skip
    """Save a key while its owner is active and has fewer than ``total_cap`` active keys (default ``cap``).

    A personal key: fewer than ``cap`` personal keys too. A team key (``item.team_id``): fewer than ``cap``
    active keys of the team, and ``guard`` adds the checks that the owner may create it (its membership).

    Labels: ``user`` (the account is not active), ``ring`` (a cap of the user is reached), ``team_ring``
    (the team's cap is reached), ``key``, and ``guard``'s own.
    """
    total_cap = cap if total_cap is None else total_cap
    with WriteTransaction() as tx:
        tx.check(User, keys.user(item.user_id), keys.PROFILE, User.status == "active", label="user")
        if item.team_id is None:
            tx.update(_ring(item.user_id), [ApiKeyRing.active.add(1), *_ring_upsert(now)],
                      _personal_below(cap, total_cap), label="ring")  # fmt: skip
        else:
            below_total = ApiKeyRing.active.does_not_exist() | (ApiKeyRing.active < total_cap)
            tx.update(_ring(item.user_id), [ApiKeyRing.active.add(1), ApiKeyRing.team_keys.add(1), *_ring_upsert(now)],
                      below_total, label="ring")  # fmt: skip
            below_team = TeamApiKeyRing.active.does_not_exist() | (TeamApiKeyRing.active < cap)
            tx.update(_team_ring(item.team_id), [TeamApiKeyRing.active.add(1), *_team_ring_upsert(now)], below_team,
                      label="team_ring")  # fmt: skip
            if guard is not None:
                guard(tx)
        tx.put(item, ApiKey.pk.does_not_exist(), label="key")
        tx.put(record, label=f"audit:{record.action}")


def _revoke(item: ApiKey, tx: WriteTransaction, now: datetime) -> None:
    """Refuse the key from now on and drop it from the owner's listing index (and a team key from the team's)."""
    tx.update(item, [ApiKey.revoked.set(True), ApiKey.gsi1pk.remove(), ApiKey.gsi1sk.remove(), ApiKey.gsi2pk.remove(),
                     ApiKey.gsi2sk.remove(), ApiKey.updated_at.set(now)], ApiKey.revoked == False,  # noqa: E712
              label=f"key:{item.key_id}")  # fmt: skip


def _count_off_team(team_id: str, count: int, tx: WriteTransaction, now: datetime) -> None:
    tx.update(_team_ring(team_id), [TeamApiKeyRing.active.add(-count), TeamApiKeyRing.updated_at.set(now)],
              TeamApiKeyRing.active >= count, label=f"team_ring:{team_id}")  # fmt: skip


def revoke_key(item: ApiKey, record: AuditRecord, *, now: datetime) -> None:
    """Revoke one key and count it off its owner's ring (and a team key off its team's).
    Labels: ``key:<keyId>`` (revoked already), ``ring``, ``team_ring:<teamId>``."""
    actions = [ApiKeyRing.active.add(-1), ApiKeyRing.updated_at.set(now)]
    if item.team_id is not None:
        actions.append(ApiKeyRing.team_keys.add(-1))
    with WriteTransaction() as tx:
        _revoke(item, tx, now)
        tx.update(_ring(item.user_id), actions, ApiKeyRing.active > 0, label="ring")
        if item.team_id is not None:
            _count_off_team(item.team_id, 1, tx, now)
        tx.put(record, label=f"audit:{record.action}")


def revoke_team_keys_of(user_id: str, team_id: str, tx: WriteTransaction, records: Callable[[ApiKey], AuditRecord],
                        now: datetime) -> list[ApiKey]:  # fmt: skip
    """Add to ``tx`` the revocation of the user's active keys for ``team_id`` (a member leaving or removed), with
    ``records(key)`` each: one Query of the user's at most 10 keys. The ring must still hold the number of keys
    found (label ``ring``), so a key created between the read and the commit cancels ``tx`` (read again)."""
    found = active_keys(user_id)
    doomed = [k for k in found if k.team_id == team_id]
    if not doomed:
        return []
    for item in doomed:
        _revoke(item, tx, now)
        tx.put(records(item), label=f"audit:api_key:{item.key_id}")
    n = len(doomed)
    count_off = [ApiKeyRing.active.add(-n), ApiKeyRing.team_keys.add(-n), ApiKeyRing.updated_at.set(now)]
    tx.update(_ring(user_id), count_off, ApiKeyRing.active == len(found), label="ring")
    _count_off_team(team_id, len(doomed), tx, now)
    return doomed


def revoke_all_keys(user_id: str, tx: WriteTransaction) -> int:
    """Add the revocation of every active key of a user to ``tx`` (suspension, deletion).

    The counter must still hold the number of keys found, so a key created between this
    read and the commit cancels the transaction instead of surviving it.
    """
    found = active_keys(user_id)
    now = datetime.now(UTC)
    per_team: dict[str, int] = {}
    for item in found:
        _revoke(item, tx, now)
        if item.team_id is not None:
            per_team[item.team_id] = per_team.get(item.team_id, 0) + 1
    unchanged = ApiKeyRing.active == len(found)
    if not found:
        unchanged = ApiKeyRing.active.does_not_exist() | unchanged
    tx.update(_ring(user_id), [ApiKeyRing.active.set(0), ApiKeyRing.team_keys.remove(), *_ring_upsert(now)], unchanged,
              label="ring")  # fmt: skip
    for team_id, count in per_team.items():
        _count_off_team(team_id, count, tx, now)
    return len(found)
