"""Users: reading, listing (admin), updating, suspending and soft-deleting accounts.

The admin list never scans: each combination of filters and sort is served by one of
the User GSIs (see ``docs/access-patterns.md``), one Query per page; ``search`` costs
at most two (name prefix and email prefix), merged into one page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, StringConstraints

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.db import keys
from souk.db.paging import decode_cursor, encode_cursor, one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, Forbidden, UnprocessableEntity, ValidationFailed
from souk.identity.api_keys import revoke_all_keys
from souk.identity.lookup import get_user
from souk.identity.models import EmailClaim, User
from souk.identity.schemas import Deleted, UserOut, UserStatus, user_out
from souk.identity.sessions import revoke_all
from souk.schema import CamelModel, OneLine, PageQuery, PatchModel
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.caller import Principal

PlatformRole = Literal["customer", "store_owner", "courier", "admin"]
UPLOAD_ID = r"^[0-9A-Za-z_-]{1,64}$"


def owned_user(principal: Principal, user_id: str) -> User:
    """The user for an own-or-admin route; another user's id is 404 before any read."""
    ensure_owner(principal, user_id)
    return get_user(user_id, consistent=True)


def _snapshot(user: User, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(user, name) for name in fields}


def _changed_at_once() -> Conflict:
    return Conflict("The account changed at the same time; retry.")


# --- the admin list
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=100)]


class UserListQuery(PageQuery):
    """Query string of GET /users. ``order`` defaults to newest first, or A→Z by name."""

    role: PlatformRole | None = None
    status: UserStatus | None = Field(None, description="Without it, deleted accounts are left out.")
    search: SearchText | None = Field(None, description="Case-insensitive prefix of the name or of the email.")
    sort: Literal["createdAt", "name"] = "createdAt"
    order: Literal["asc", "desc"] | None = None

    @property
    def ascending(self) -> bool:
        return (self.order or ("asc" if self.sort == "name" else "desc")) == "asc"

    def fingerprint(self) -> str:
        """Ties a cursor to the query that made it: reusing it with other filters is a 400, not a 500."""
        shape = [self.role, self.status, self.search, self.sort, self.ascending]
        return hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]


def _filters(query: UserListQuery, *, role_in_key: bool) -> Condition | None:
    """Filters the chosen index cannot express in its key condition (applied after the read)."""
    condition: Condition | None = User.status == query.status if query.status else User.status != "deleted"
    if query.role and not role_in_key:
        condition = condition & (User.role == query.role)
    return condition


def _cursor_state(query: UserListQuery) -> dict[str, Any] | None:
    state = decode_cursor(query.cursor)
    if state is not None and state.get("q") != query.fingerprint():
        raise ValidationFailed.field("cursor", "The cursor belongs to another query; start again without it.")
    return state


def list_users(query: UserListQuery) -> tuple[list[UserOut], str | None]:
    """One page of users and the cursor of the next page (None on the last).

    The index is picked per query: by role and creation → gsi2 (``USERS#<role>``), by
    creation → gsi1 (``USERS``), by name → gsi3 (``USERNAME``), with status (and role
    where the key has none) as a FilterExpression. A filtered page is one Query over
    ``limit`` index entries, so it can hold fewer than ``limit`` users (even none) while
    ``hasNext`` is still true. No Scan, ever.
    """
    state = _cursor_state(query)
    if query.search:
        return _search(query, state)
    index: Any
    if query.sort == "name":
        index, hash_key, role_in_key = User.gsi3, keys.USERS_BY_NAME, False
    elif query.role:
        index, hash_key, role_in_key = User.gsi2, keys.users_by_role(query.role), True
    else:
        index, hash_key, role_in_key = User.gsi1, keys.USERS_ALL, False
    result = index.query(hash_key, filter_condition=_filters(query, role_in_key=role_in_key),
                         scan_index_forward=query.ascending, page_size=query.limit,
                         last_evaluated_key=(state or {}).get("k"))  # fmt: skip
    items, last_key = one_page(User, result)
    cursor = encode_cursor({"q": query.fingerprint(), "k": last_key}) if last_key else None
    return [user_out(u) for u in items], cursor


_END = "end"


def _index_key(user: User, index: str) -> dict[str, Any]:
    """The LastEvaluatedKey DynamoDB would return right after ``user`` on ``index``.

    Lets a search page stop after any user it used, not only where DynamoDB stopped,
    and still resume right after it.
    """
    names = ("pk", "sk", f"{index}pk", f"{index}sk")
    return {name: {"S": getattr(user, name)} for name in names}


@dataclass
class _Stream:
    """One side of a search: a page of one index, read once, consumed from the front."""

    tag: str
    index: str
    start: dict[str, Any] | None
    items: list[User] = field(default_factory=list)
    last_key: dict[str, Any] | None = None
    used: int = 0
    finished: bool = False

    @property
    def head(self) -> User | None:
        return self.items[self.used] if self.used < len(self.items) else None

    @property
    def blocked(self) -> bool:
        """Read to the end of its batch while its index has more: its next user is unknown."""
        return self.head is None and not self.finished and self.last_key is not None

    def position(self) -> dict[str, Any] | str | None:
        """Where the next page resumes this stream (None: from its start, ``end``: nothing left)."""
        if self.finished or (self.used == len(self.items) and self.last_key is None):
            return _END
        if self.used == len(self.items):
            return self.last_key  # type: ignore[return-value]
        if self.used == 0:
            return self.start
        return _index_key(self.items[self.used - 1], self.index)


def _search(query: UserListQuery, state: dict[str, Any] | None) -> tuple[list[UserOut], str | None]:
    """Name-prefix matches (gsi3) merged with email-prefix matches (gsi4): two Queries per page.

    The email side leaves out users whose name also matches, so the two streams are
    disjoint and no user appears twice, across pages too. Each page reads ``limit``
    entries from both indexes and merges them by the requested sort, always taking the
    smaller (or larger) head; the cursor records how far each stream was consumed.
    Users found by name arrive in name order; those found only by email arrive in email
    order, interleaved by the sort key as they come.
    """
    prefix = query.search or ""
    previous = (state or {}).get("s", {})
    base = _filters(query, role_in_key=False)
    plans = [
        ("n", "gsi3", User.gsi3, keys.USERS_BY_NAME, User.gsi3sk.startswith(prefix), base),
        ("e", "gsi4", User.gsi4, keys.USERS_BY_EMAIL, User.gsi4sk.startswith(prefix),
         base & ~User.gsi3sk.startswith(prefix)),
    ]  # fmt: skip
    streams: list[_Stream] = []
    for tag, name, index, hash_key, key_condition, filters in plans:
        start = previous.get(tag) or None
        stream = _Stream(tag=tag, index=name, start=start if isinstance(start, dict) else None)
        if start == _END:
            stream.finished = True
        else:
            result = index.query(hash_key, key_condition, filter_condition=filters, scan_index_forward=query.ascending,
                                 page_size=query.limit, last_evaluated_key=stream.start)  # fmt: skip
            stream.items, stream.last_key = one_page(User, result)
        streams.append(stream)

    def sort_value(user: User) -> str:
        return str(user.gsi3sk if query.sort == "name" else user.gsi1sk)

    picked: list[User] = []
    while len(picked) < query.limit and not any(s.blocked for s in streams):
        ready = [s for s in streams if s.head is not None]
        if not ready:
            break
        heads = sorted(ready, key=lambda s: sort_value(s.head), reverse=not query.ascending)  # type: ignore[arg-type]
        chosen = heads[0]
        picked.append(chosen.head)  # type: ignore[arg-type]
        chosen.used += 1

    positions = {s.tag: s.position() for s in streams}
    more = any(p != _END for p in positions.values())
    cursor = encode_cursor({"q": query.fingerprint(), "s": positions}) if more else None
    return [user_out(u) for u in picked], cursor


# --- one user: read, update, delete, status
def read_user(principal: Principal, user_id: str) -> UserOut:
    """The caller's own account, or any account for an admin."""
    ensure_owner(principal, user_id)
    return user_out(get_user(user_id))


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), OneLine]


class UserUpdate(PatchModel):
    """PATCH body: only the fields sent change; ``phone`` and ``avatarUploadId`` may be null to clear them."""

    not_nullable = ("name",)

    name: Name | None = None
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +14155550123")
    avatar_upload_id: str | None = Field(None, pattern=UPLOAD_ID)


_UPDATABLE = ("name", "phone", "avatar_upload_id")


def check_avatar(user: User, changes: dict[str, object]) -> None:
    """A new avatar must be one of the user's own ``avatar`` uploads whose file arrived."""
    upload_id = changes.get("avatar_upload_id")
    if isinstance(upload_id, str):
        claim_uploads(user.user_id, [upload_id], {"avatar"}, field="avatarUploadId")


def update_user(principal: Principal, user_id: str, body: UserUpdate) -> UserOut:
    """Change name, phone or avatar; conditional on the version read (optimistic locking).

    A new name moves the user in the by-name index too (gsi3 sort key), in the same write.
    """
    user = owned_user(principal, user_id)
    changes = {name: getattr(body, name) for name in _UPDATABLE if name in body.model_fields_set}
    changes = {name: value for name, value in changes.items() if getattr(user, name) != value}
    if not changes:
        return user_out(user)
    check_avatar(user, changes)
    extra = [User.gsi3sk.set(keys.name_sort(changes["name"], user.user_id))] if "name" in changes else []
    apply_user_changes(principal, user, changes, action="user.update", extra_actions=extra,
                       conflict=_changed_at_once)  # fmt: skip
    return user_out(user)


def apply_user_changes(
    principal: Principal,
    user: User,
    changes: dict[str, Any],
    *,
    action: str,
    conflict: Callable[[], Conflict],
    extra_actions: Sequence[Action] | None = None,
) -> None:
    """Write field changes to a user with its audit record, conditional on the version read.

    A ``None`` value removes the attribute. ``user`` is updated in memory on success; a
    concurrent change raises ``conflict()`` (optimistic locking).
    """
    before = _snapshot(user, tuple(changes))
    now = datetime.now(UTC)
    actions: list[Action] = [User.updated_at.set(now), *(extra_actions or [])]
    for name, value in changes.items():
        attr = getattr(User, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    try:
        with WriteTransaction() as tx:
            tx.update(user, actions, label="user")  # + version == read version, version += 1
            audit.record(principal.actor, action, "user", user.user_id, tx=tx, before=before, after=changes)
    except TransactionCancelled:
        raise conflict() from None
    for name, value in changes.items():
        setattr(user, name, value)
    user.updated_at = now


def _close_access(user: User, tx: WriteTransaction) -> None:
    """Revoke every active API key of the user inside ``tx`` (sessions are revoked after it)."""
    revoke_all_keys(user.user_id, tx)


def delete_user(principal: Principal, user_id: str) -> Deleted:
    """Soft delete: status ``deleted``, email released for a new account, keys and sessions revoked.

    The item stays (orders and the audit log point at it) but reads as 404. The status,
    the email release and the key revocations commit together; sessions are revoked
    right after, as there can be any number of them. Login already refuses the account.
    """
    user = owned_user(principal, user_id)
    now = datetime.now(UTC)
    claim = EmailClaim(pk=keys.email(user.email), sk=keys.email(user.email))
    try:
        with WriteTransaction() as tx:
            tx.update(user, [User.status.set("deleted"), User.deleted_at.set(now), User.updated_at.set(now)],
                      User.status != "deleted", label="user")  # fmt: skip
            # Only our own claim: if the address was already released and taken again, leave it.
            tx.delete(claim, EmailClaim.pk.does_not_exist() | (EmailClaim.user_id == user.user_id), label="email")
            _close_access(user, tx)
            audit.record(principal.actor, "user.delete", "user", user.user_id, tx=tx,
                         before={"status": user.status}, after={"status": "deleted"})  # fmt: skip
    except TransactionCancelled:
        raise _changed_at_once() from None
    revoke_all(user.user_id, reason="account_deleted")
    return Deleted(id=user.user_id)


def change_role(principal: Principal, user_id: str, role: PlatformRole) -> UserOut:
    """Give an account another platform role (admins only); every way in it had is closed.

    Sessions and API keys record the role they were opened with and authorization reads it
    from them (souk.auth.principal), so the role, the by-role index key and the key
    revocations commit together, then every session is revoked: the user signs in again
    with the new role. The contract has no route for it yet; operators and future admin
    routes call this.

    Raises
    ------
    Forbidden
        The caller is not an admin.
    UnprocessableEntity
        An admin changing their own role (they would lock themselves out mid-request).
    Conflict
        The account changed while this was written.
    """
    if not principal.is_admin:
        raise Forbidden()
    if user_id == principal.user_id:
        raise UnprocessableEntity("Admins cannot change their own role.")
    user = get_user(user_id, consistent=True)
    if user.role == role:
        return user_out(user)
    before, now = user.role, datetime.now(UTC)
    try:
        with WriteTransaction() as tx:
            tx.update(user, [User.role.set(role), User.gsi2pk.set(keys.users_by_role(role)), User.updated_at.set(now)],
                      label="user")  # fmt: skip
            _close_access(user, tx)
            audit.record(principal.actor, "user.role_change", "user", user.user_id, tx=tx, before={"role": before},
                         after={"role": role})  # fmt: skip
    except TransactionCancelled:
        raise _changed_at_once() from None
    revoke_all(user.user_id, reason="role_changed")
    user.role, user.updated_at = role, now
    return user_out(user)


class StatusChange(CamelModel):
    status: Literal["active", "suspended"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] | None = None


def set_status(principal: Principal, user_id: str, body: StatusChange) -> UserOut:
    """Activate or suspend an account (admin). Suspending revokes all its sessions and API keys.

    The status and key revocations commit together, so no key outlives the suspension
    and no new key can be created after it (creation checks the status in its own
    transaction); then every session is revoked.
    """
    if body.status == "suspended" and user_id == principal.user_id:
        raise UnprocessableEntity("Admins cannot suspend their own account.")
    user = get_user(user_id, consistent=True)
    if user.status == body.status:
        return user_out(user)
    before = user.status
    now = datetime.now(UTC)
    try:
        with WriteTransaction() as tx:
            tx.update(user, [User.status.set(body.status), User.updated_at.set(now)], label="user")
            if body.status == "suspended":
                _close_access(user, tx)
            action = "user.suspend" if body.status == "suspended" else "user.activate"
            audit.record(principal.actor, action, "user", user.user_id, tx=tx, before={"status": before},
                         after={"status": body.status, "reason": body.reason})  # fmt: skip
    except TransactionCancelled:
        raise _changed_at_once() from None
    if body.status == "suspended":
        revoke_all(user.user_id, reason="account_suspended")
    user.status = body.status
    user.updated_at = now
    return user_out(user)
