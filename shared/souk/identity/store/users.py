"""Users in the table: reads, the item, its unique email claim, every write to it, and the admin list.

The admin list never scans: each combination of filters and sort is served by one of
the User GSIs (see ``docs/access-patterns.md``), one Query per page; ``search`` costs
at most two (name prefix and email prefix), merged into one page.

Transactions here raise :class:`~souk.db.transactions.TransactionCancelled` with the item
labels named in each docstring; the services decide what a failure means to the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.db import keys as db_keys
from souk.db.paging import one_page
from souk.db.transactions import WriteTransaction
from souk.identity import keys
from souk.identity.models import EmailClaim, OneTimeCode, ResetToken, User
from souk.identity.store.api_keys import revoke_all_keys
from souk.ids import new_id

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord
    from souk.db.base import SoukItem
    from souk.identity.schemas.users import UserListQuery


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _audit(tx: WriteTransaction, record: AuditRecord) -> None:
    tx.put(record, label=f"audit:{record.action}")


# --- reads


def load_user(user_id: str, *, consistent: bool = False) -> User | None:
    """The user item, whatever its status; None when there is none."""
    try:
        return User.get(keys.user(user_id), keys.PROFILE, consistent_read=consistent)
    except DoesNotExist:
        return None


def email_owner(email: str) -> str | None:
    """The id of the user holding the email's claim (one GetItem); None when it is free."""
    try:
        return EmailClaim.get(keys.email(email), keys.email(email)).user_id
    except DoesNotExist:
        return None


def other_active_admin(user_id: str) -> str | None:
    """The id of an active admin other than ``user_id``, or None (one Query of the admins' partition,
    gsi2 ``USERS#admin``, filtered to active ones, stopping at the second found)."""
    for admin in User.gsi2.query(keys.users_by_role("admin"), filter_condition=User.status == "active", limit=2):
        if admin.user_id != user_id:
            return str(admin.user_id)
    return None


# --- creation


def new_user(*, email: str, name: str, role: str, status: str, phone: str | None = None,
             password_hash: str | None = None) -> User:  # fmt: skip
    """A user item with every index key set (not saved)."""
    user_id = new_id()
    now = datetime.now(UTC)
    created = db_keys.created_sort(now.isoformat(), user_id)
    return User(
        pk=keys.user(user_id), sk=keys.PROFILE,
        gsi1pk=keys.USERS_ALL, gsi1sk=created,
        gsi2pk=keys.users_by_role(role), gsi2sk=created,
        gsi3pk=keys.USERS_BY_NAME, gsi3sk=db_keys.name_sort(name, user_id),
        gsi4pk=keys.USERS_BY_EMAIL, gsi4sk=normalize_email(email),
        user_id=user_id, email=normalize_email(email), name=name, phone=phone, role=role, status=status,
        password_hash=password_hash, created_at=now, updated_at=now,
    )  # fmt: skip


def create_user(user: User, record: AuditRecord, *, extra: Sequence[SoukItem] = ()) -> None:
    """Save a user with its unique email claim and its audit record in one transaction.

    ``extra`` items (a one-time code, an OAuth link and its audit record) are saved in the same
    transaction, unconditionally. Label ``email``: the address is claimed already.
    """
    claim = EmailClaim(pk=keys.email(user.email), sk=keys.email(user.email), user_id=user.user_id)
    with WriteTransaction() as tx:
        tx.put(claim, EmailClaim.pk.does_not_exist(), label="email")
        tx.put(user, label="user")
        for item in extra:
            tx.put(item, label="code")
        _audit(tx, record)


def activate(user: User, code: OneTimeCode, record: AuditRecord) -> None:
    """Spend a verification code and activate the pending user with it, in one transaction."""
    with WriteTransaction() as tx:
        tx.delete(code, OneTimeCode.pk.exists(), label="code")  # single use
        tx.update(user, [User.status.set("active"), User.updated_at.set(datetime.now(UTC))],
                  User.status == "pending_verification", label="user")  # fmt: skip
        _audit(tx, record)


# --- changes


def update_fields(user: User, changes: dict[str, Any], record: AuditRecord) -> datetime:
    """Write field changes to a user with its audit record, conditional on the version read.

    A ``None`` value removes the attribute; a new name moves the user in the by-name index
    too (gsi3 sort key), in the same write. ``user`` is updated in memory on success and the
    time of the change returned; a concurrent change cancels the transaction (label ``user``).
    """
    now = datetime.now(UTC)
    actions: list[Action] = [User.updated_at.set(now)]
    if "name" in changes:
        actions.append(User.gsi3sk.set(db_keys.name_sort(changes["name"], user.user_id)))
    for name, value in changes.items():
        attr = getattr(User, name)
        actions.append(attr.remove() if value is None else attr.set(value))
    with WriteTransaction() as tx:
        tx.update(user, actions, label="user")  # + version == read version, version += 1
        _audit(tx, record)
    for name, value in changes.items():
        setattr(user, name, value)
    user.updated_at = now
    return now


def set_password(user: User, password_hash: str, record: AuditRecord, *, reset: ResetToken | None = None) -> None:
    """A new password hash, versioned: a password change in between fails this one rather than being
    overwritten. With ``reset``, the token is consumed in the same transaction (label ``token``)."""
    with WriteTransaction() as tx:
        if reset is not None:
            tx.delete(reset, ResetToken.pk.exists(), label="token")  # single use, even under a race
        tx.update(user, [User.password_hash.set(password_hash), User.updated_at.set(datetime.now(UTC))], label="user")
        _audit(tx, record)


def _close_access(user: User, tx: WriteTransaction) -> None:
    """Revoke every active API key of the user inside ``tx`` (sessions are revoked after it)."""
    revoke_all_keys(user.user_id, tx)


def mark_deleted(user: User, record: AuditRecord) -> None:
    """Status ``deleted``, the email claim released and every API key revoked, in one transaction."""
    now = datetime.now(UTC)
    claim = EmailClaim(pk=keys.email(user.email), sk=keys.email(user.email))
    with WriteTransaction() as tx:
        tx.update(user, [User.status.set("deleted"), User.deleted_at.set(now), User.updated_at.set(now)],
                  User.status != "deleted", label="user")  # fmt: skip
        # Only our own claim: if the address was already released and taken again, leave it.
        tx.delete(claim, EmailClaim.pk.does_not_exist() | (EmailClaim.user_id == user.user_id), label="email")
        _close_access(user, tx)
        _audit(tx, record)


def set_role(user: User, role: str, record: AuditRecord) -> datetime:
    """The role and the by-role index key, with every API key revoked, in one (versioned) transaction."""
    now = datetime.now(UTC)
    with WriteTransaction() as tx:
        tx.update(user, [User.role.set(role), User.gsi2pk.set(keys.users_by_role(role)), User.updated_at.set(now)],
                  label="user")  # fmt: skip
        _close_access(user, tx)
        _audit(tx, record)
    return now


def set_status(user: User, status: str, record: AuditRecord, *, close_access: bool) -> datetime:
    """The status (versioned), with every API key revoked when ``close_access``, in one transaction."""
    now = datetime.now(UTC)
    with WriteTransaction() as tx:
        # never an account being erased (souk.privacy): its worker alone ends that status
        tx.update(user, [User.status.set(status), User.updated_at.set(now)], User.status != "deleting", label="user")
        if close_access:
            _close_access(user, tx)
        _audit(tx, record)
    return now


# --- two-factor state (the secrets never leave the service but once; see souk.identity.service.mfa)


def set_pending_secret(user: User, secret: str, record: AuditRecord) -> None:
    """Store a pending TOTP secret. Versioned: an enable racing this setup makes one of them fail
    instead of mixing secrets (label ``user``)."""
    with WriteTransaction() as tx:
        tx.update(user, [User.totp_pending_secret.set(secret), User.updated_at.set(datetime.now(UTC))], label="user")
        _audit(tx, record)


def enable_mfa(user: User, secret: str, step: int, backup_hashes: set[str], record: AuditRecord) -> None:
    """Turn 2FA on with the pending ``secret``, while it is still the pending one (label ``user``)."""
    actions = [
        User.mfa_enabled.set(True),
        User.totp_secret.set(secret),
        User.totp_pending_secret.remove(),
        User.totp_last_step.set(step),  # the confirming code cannot then be replayed to sign in
        User.backup_code_hashes.set(backup_hashes),
        User.updated_at.set(datetime.now(UTC)),
    ]
    with WriteTransaction() as tx:
        tx.update(user, actions, User.totp_pending_secret == secret, label="user")
        _audit(tx, record)


def disable_mfa(user: User, step: int | None, record: AuditRecord) -> None:
    """Turn 2FA off and erase its secrets and backup codes; ``step``: the TOTP step just used, if any.

    Versioned: a sign-in that consumed this very code meanwhile bumped the version (label ``user``).
    """
    actions = [
        User.mfa_enabled.set(False),
        User.totp_secret.remove(),
        User.totp_pending_secret.remove(),
        User.backup_code_hashes.remove(),
        User.updated_at.set(datetime.now(UTC)),
    ]
    if step is not None:
        actions.append(User.totp_last_step.set(step))
    with WriteTransaction() as tx:
        tx.update(user, actions, User.mfa_enabled == True, label="user")  # noqa: E712
        _audit(tx, record)


def accept_totp_step(user: User, step: int) -> None:
    """Record ``step`` as the last accepted one, only if greater than the last (UpdateError otherwise):
    the same code in parallel, one wins."""
    user.update(
        [User.totp_last_step.set(step)],
        condition=((User.totp_last_step < step) | User.totp_last_step.does_not_exist())
        & (User.totp_secret == user.totp_secret),
        add_version_condition=False,  # other profile edits must not fail a sign-in
    )


def spend_backup_code(user: User, hashed: str) -> None:
    """Consume a backup code atomically: the DELETE applies only while the set still holds it
    (UpdateError otherwise)."""
    user.update([User.backup_code_hashes.delete({hashed})],
                condition=User.backup_code_hashes.contains(hashed), add_version_condition=False)  # fmt: skip


# --- the admin list


def _filters(query: UserListQuery, *, role_in_key: bool) -> Condition | None:
    """Filters the chosen index cannot express in its key condition (applied after the read)."""
    condition: Condition | None = User.status == query.status if query.status else User.status != "deleted"
    if query.role and not role_in_key:
        condition = condition & (User.role == query.role)
    return condition


def list_page(query: UserListQuery, start: dict[str, Any] | None) -> tuple[list[User], dict[str, Any] | None]:
    """One page of users and DynamoDB's LastEvaluatedKey (None on the last).

    The index is picked per query: by role and creation → gsi2 (``USERS#<role>``), by
    creation → gsi1 (``USERS``), by name → gsi3 (``USERNAME``), with status (and role
    where the key has none) as a FilterExpression. A filtered page is one Query over
    ``limit`` index entries, so it can hold fewer than ``limit`` users (even none) while
    ``hasNext`` is still true. No Scan, ever.
    """
    index: Any
    if query.sort == "name":
        index, hash_key, role_in_key = User.gsi3, keys.USERS_BY_NAME, False
    elif query.role:
        index, hash_key, role_in_key = User.gsi2, keys.users_by_role(query.role), True
    else:
        index, hash_key, role_in_key = User.gsi1, keys.USERS_ALL, False
    result = index.query(hash_key, filter_condition=_filters(query, role_in_key=role_in_key),
                         scan_index_forward=query.ascending, page_size=query.limit,
                         last_evaluated_key=start)  # fmt: skip
    return one_page(User, result)


END = "end"


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
            return END
        if self.used == len(self.items):
            return self.last_key  # type: ignore[return-value]
        if self.used == 0:
            return self.start
        return _index_key(self.items[self.used - 1], self.index)


def search_page(query: UserListQuery, previous: dict[str, Any]) -> tuple[list[User], dict[str, Any]]:
    """Name-prefix matches (gsi3) merged with email-prefix matches (gsi4): two Queries per page.

    The email side leaves out users whose name also matches, so the two streams are
    disjoint and no user appears twice, across pages too. Each page reads ``limit``
    entries from both indexes and merges them by the requested sort, always taking the
    smaller (or larger) head; the positions returned (``previous`` of the next page)
    record how far each stream was consumed, :data:`END` once one is exhausted.
    Users found by name arrive in name order; those found only by email arrive in email
    order, interleaved by the sort key as they come.
    """
    prefix = query.search or ""
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
        if start == END:
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
    return picked, {s.tag: s.position() for s in streams}
