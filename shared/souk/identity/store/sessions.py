"""Sessions in the table: one item per session, in its user's sessions index while it is live."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.db import expiry
from souk.db import keys as db_keys
from souk.identity import keys
from souk.identity.models import Session
from souk.ids import new_id

if TYPE_CHECKING:
    from souk.identity.models import User
    from souk.identity.schemas.sessions import Client


def create_session(user: User, client: Client, *, refresh_hash: str, now: datetime, valid_until: datetime) -> Session:
    """Save a new session of ``user`` (conditional on its id being new)."""
    session_id = new_id()
    session = Session(
        pk=keys.session(session_id),
        sk=keys.session(session_id),
        **expiry.index_keys(valid_until, keys.session(session_id)),  # removed promptly by the cleanup job
        gsi1pk=keys.user_sessions(user.user_id),
        gsi1sk=db_keys.created_sort(now.isoformat(), session_id),
        session_id=session_id,
        user_id=user.user_id,
        role=user.role,
        refresh_hash=refresh_hash,
        device=client.device,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
        last_used_at=now,
        valid_until=valid_until,
        expires_at=valid_until + timedelta(hours=1),
    )
    session.save(Session.pk.does_not_exist())
    return session


def load_session(session_id: str) -> Session | None:
    """The session item, live or not: one consistent GetItem."""
    try:
        return Session.get(keys.session(session_id), keys.session(session_id), consistent_read=True)
    except DoesNotExist:
        return None


def rotate_secret(session: Session, new_hash: str, *, now: datetime, ip: str | None) -> None:
    """Swap the refresh hash, conditional on the hash read and the session live (UpdateError otherwise):
    two concurrent refreshes with one token → one wins."""
    session.update(
        actions=[
            Session.refresh_hash.set(new_hash),
            Session.generation.add(1),
            Session.last_used_at.set(now),
            Session.ip.set(ip) if ip else Session.ip.remove(),
        ],
        condition=(Session.refresh_hash == session.refresh_hash) & (Session.revoked == False),  # noqa: E712
    )


def revoke(session: Session, *, reason: str) -> None:
    """Mark the session dead. It also leaves the user's sessions index (a sparse GSI), so the
    sessions list shows live sessions only, one Query per page, with no filter to thin pages."""
    session.update(actions=[Session.revoked.set(True), Session.revoked_reason.set(reason),
                            Session.gsi1pk.remove(), Session.gsi1sk.remove()])  # fmt: skip


def revoke_all(user_id: str, *, reason: str, keep: str | None = None) -> int:
    """Revoke every live session of a user (suspension, password reset), except ``keep``
    (the caller's own, on a password change). Returns how many."""
    count = 0
    for session in Session.gsi1.query(keys.user_sessions(user_id)):
        if not session.revoked and session.session_id != keep:
            revoke(session, reason=reason)  # type: ignore[arg-type]
            count += 1
    return count


def list_sessions(user_id: str, *, limit: int, last_key: dict | None) -> tuple[list[Session], dict | None]:
    """One page of a user's sessions, newest first (one Query)."""
    result = Session.gsi1.query(keys.user_sessions(user_id), scan_index_forward=False, limit=limit,
                                page_size=limit, last_evaluated_key=last_key)  # fmt: skip
    items = list(result)
    return items, result.last_evaluated_key  # type: ignore[return-value]
