"""Managing accounts: the admin list, reading and updating one (own or admin), changing the
role, suspending and soft-deleting.

Nothing here signs or checks tokens: revoking sessions and API keys goes straight to their
store, so these routes load neither PyJWT nor cryptography (~40 ms of a cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.db.paging import decode_cursor, encode_cursor
from souk.db.transactions import TransactionCancelled
from souk.errors import Conflict, Forbidden, UnprocessableEntity, ValidationFailed
from souk.identity.schemas.users import Deleted, PlatformRole, UserOut, user_out
from souk.identity.service.users import get_user, owned_user
from souk.identity.store import sessions as session_store
from souk.identity.store import users as store
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from souk.caller import Principal
    from souk.identity.models import User
    from souk.identity.schemas.users import StatusChange, UserListQuery, UserUpdate

_UPDATABLE = ("name", "phone", "avatar_upload_id")


def _snapshot(user: User, fields: Sequence[str]) -> dict[str, Any]:
    return {name: getattr(user, name) for name in fields}


def _changed_at_once() -> Conflict:
    return Conflict("The account changed at the same time; retry.")


# --- the admin list


def _cursor_state(query: UserListQuery) -> dict[str, Any] | None:
    state = decode_cursor(query.cursor)
    if state is not None and state.get("q") != query.fingerprint():
        raise ValidationFailed.field("cursor", "The cursor belongs to another query; start again without it.")
    return state


def list_users(query: UserListQuery) -> tuple[list[UserOut], str | None]:
    """One page of users and the cursor of the next page (None on the last).

    A plain list is one Query of the index that serves its filters and sort; a ``search``
    merges two (see :func:`souk.identity.store.users.search_page`). The cursor carries the
    query's fingerprint: reused with other filters, it is a 400.
    """
    state = _cursor_state(query)
    if query.search:
        picked, positions = store.search_page(query, (state or {}).get("s", {}))
        more = any(p != store.END for p in positions.values())
        cursor = encode_cursor({"q": query.fingerprint(), "s": positions}) if more else None
        return [user_out(u) for u in picked], cursor
    items, last_key = store.list_page(query, (state or {}).get("k"))
    cursor = encode_cursor({"q": query.fingerprint(), "k": last_key}) if last_key else None
    return [user_out(u) for u in items], cursor


# --- one user: read, update, delete, role, status


def read_user(principal: Principal, user_id: str) -> UserOut:
    """The caller's own account, or any account for an admin."""
    ensure_owner(principal, user_id)
    return user_out(get_user(user_id))


def check_avatar(user: User, changes: dict[str, object]) -> None:
    """A new avatar must be one of the user's own ``avatar`` uploads whose file arrived."""
    upload_id = changes.get("avatar_upload_id")
    if isinstance(upload_id, str):
        claim_uploads(user.user_id, [upload_id], {"avatar"}, field="avatarUploadId")


def changed_fields(user: User, wanted: dict[str, Any]) -> dict[str, Any]:
    """The ``wanted`` values that differ from the user's: what a write has to change."""
    return {name: value for name, value in wanted.items() if getattr(user, name) != value}


def update_user(principal: Principal, user_id: str, body: UserUpdate) -> UserOut:
    """Change name, phone or avatar; conditional on the version read (optimistic locking).

    A new name moves the user in the by-name index too (gsi3 sort key), in the same write.
    """
    user = owned_user(principal, user_id)
    changes = changed_fields(user, {name: getattr(body, name) for name in _UPDATABLE if name in body.model_fields_set})
    if not changes:
        return user_out(user)
    check_avatar(user, changes)
    apply_user_changes(principal, user, changes, action="user.update", conflict=_changed_at_once)
    return user_out(user)


def apply_user_changes(
    principal: Principal,
    user: User,
    changes: dict[str, Any],
    *,
    action: str,
    conflict: Callable[[], Conflict],
) -> None:
    """Write field changes to a user with its audit record, conditional on the version read.

    A ``None`` value removes the attribute. ``user`` is updated in memory on success; a
    concurrent change raises ``conflict()`` (optimistic locking).
    """
    record = audit.build_record(principal.actor, action, "user", user.user_id,
                                before=_snapshot(user, tuple(changes)), after=changes)  # fmt: skip
    try:
        store.update_fields(user, changes, record)
    except TransactionCancelled:
        raise conflict() from None


def delete_user(principal: Principal, user_id: str) -> Deleted:
    """Soft delete: status ``deleted``, email released for a new account, keys and sessions revoked.

    The item stays (orders and the audit log point at it) but reads as 404. The status,
    the email release and the key revocations commit together; sessions are revoked
    right after, as there can be any number of them. Login already refuses the account.
    """
    user = owned_user(principal, user_id)
    record = audit.build_record(principal.actor, "user.delete", "user", user.user_id,
                                before={"status": user.status}, after={"status": "deleted"})  # fmt: skip
    try:
        store.mark_deleted(user, record)
    except TransactionCancelled:
        raise _changed_at_once() from None
    session_store.revoke_all(user.user_id, reason="account_deleted")
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
    record = audit.build_record(principal.actor, "user.role_change", "user", user.user_id,
                                before={"role": user.role}, after={"role": role})  # fmt: skip
    try:
        now = store.set_role(user, role, record)
    except TransactionCancelled:
        raise _changed_at_once() from None
    session_store.revoke_all(user.user_id, reason="role_changed")
    user.role, user.updated_at = role, now
    return user_out(user)


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
    if user.status == "deleting":  # its owner asked for the erasure (souk.privacy): nothing brings it back
        raise Conflict("The account is being deleted.")
    suspending = body.status == "suspended"
    record = audit.build_record(principal.actor, "user.suspend" if suspending else "user.activate", "user",
                                user.user_id, before={"status": user.status},
                                after={"status": body.status, "reason": body.reason})  # fmt: skip
    try:
        now = store.set_status(user, body.status, record, close_access=suspending)
    except TransactionCancelled:
        raise _changed_at_once() from None
    if suspending:
        session_store.revoke_all(user.user_id, reason="account_suspended")
    user.status = body.status
    user.updated_at = now
    return user_out(user)
