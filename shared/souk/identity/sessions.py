"""Sessions: an access JWT bound to a session id, and an opaque refresh token rotated on use.

The refresh token is ``<sessionId>.<secret>``; only a hash of the current secret is
stored. Presenting any other secret for a live session means a rotated token was
replayed (stolen), so the whole session is revoked. Every authenticated request reads
its session with one consistent GetItem, so logout and revocation take effect at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import Field
from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.audit import service as audit
from souk.db import expiry, keys
from souk.db.paging import decode_cursor, encode_cursor
from souk.errors import Forbidden, InvalidToken, NotFound, ValidationFailed
from souk.identity import tokens
from souk.identity.jwt_tokens import issue_access_token
from souk.identity.models import Session, User
from souk.identity.schemas import TokenPair, user_out
from souk.ids import new_id
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Principal

SESSION_DAYS = 30


@dataclass(frozen=True)
class Client:
    """Where a request comes from, kept on the session for the sessions list."""

    ip: str | None = None
    user_agent: str | None = None

    @property
    def device(self) -> str:
        agent = (self.user_agent or "").lower()
        for needle, label in (("iphone", "iPhone"), ("ipad", "iPad"), ("android", "Android"), ("windows", "Windows"),
                              ("mac os", "macOS"), ("linux", "Linux"), ("curl", "curl")):  # fmt: skip
            if needle in agent:
                return label
        return "Unknown device"


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    refresh_token: str
    expires_in: int
    session: Session


def _now() -> datetime:
    return datetime.now(UTC)


def _issue(session: Session, secret: str) -> IssuedTokens:
    access, expires_in = issue_access_token(session.user_id, session.session_id, session.role)
    return IssuedTokens(access, f"{session.session_id}.{secret}", expires_in, session)


def start_session(user: User, client: Client) -> IssuedTokens:
    """A new session for a signed-in user."""
    now = _now()
    session_id = new_id()
    secret = tokens.random_token()
    valid_until = now + timedelta(days=SESSION_DAYS)
    session = Session(
        pk=keys.session(session_id),
        sk=keys.session(session_id),
        **expiry.index_keys(valid_until, keys.session(session_id)),  # removed promptly by the cleanup job
        gsi1pk=keys.user_sessions(user.user_id),
        gsi1sk=keys.created_sort(now.isoformat(), session_id),
        session_id=session_id,
        user_id=user.user_id,
        role=user.role,
        refresh_hash=tokens.token_hash(secret),
        device=client.device,
        ip=client.ip,
        user_agent=(client.user_agent or "")[:512] or None,
        last_used_at=now,
        valid_until=valid_until,
        expires_at=valid_until + timedelta(hours=1),
    )
    session.save(Session.pk.does_not_exist())
    return _issue(session, secret)


def active_session(session_id: str) -> Session | None:
    """The live session, or None when revoked, expired or unknown. One consistent GetItem."""
    try:
        session = Session.get(keys.session(session_id), keys.session(session_id), consistent_read=True)
    except DoesNotExist:
        return None
    if session.revoked or session.valid_until <= _now():
        return None
    return session


def rotate(refresh_token: str, client: Client) -> IssuedTokens:
    """Swap a refresh token for a new pair; a replayed (rotated) token kills the session."""
    session_id, _, secret = refresh_token.partition(".")
    session = active_session(session_id) if session_id and secret else None
    if session is None:
        raise InvalidToken()
    if not tokens.same(tokens.token_hash(secret), session.refresh_hash):
        revoke(session, reason="refresh_token_reuse")
        raise InvalidToken("This refresh token was already used; the session is revoked. Sign in again.")
    new_secret = tokens.random_token()
    try:
        # Conditional on the hash we checked: two concurrent refreshes with one token → one wins.
        session.update(
            actions=[
                Session.refresh_hash.set(tokens.token_hash(new_secret)),
                Session.generation.add(1),
                Session.last_used_at.set(_now()),
                Session.ip.set(client.ip) if client.ip else Session.ip.remove(),
            ],
            condition=(Session.refresh_hash == session.refresh_hash) & (Session.revoked == False),  # noqa: E712
        )
    except UpdateError:
        revoke(session, reason="refresh_token_reuse")
        raise InvalidToken("This refresh token was already used; the session is revoked. Sign in again.") from None
    return _issue(session, new_secret)


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


def token_pair(issued: IssuedTokens, user: User) -> TokenPair:
    """The response body for any sign-in."""
    return TokenPair(access_token=issued.access_token, refresh_token=issued.refresh_token,
                     expires_in=issued.expires_in, user=user_out(user))  # fmt: skip


def logout(principal: Principal) -> None:
    """End the caller's own session (API keys have none to end)."""
    if principal.session_id is None:
        return
    session = active_session(principal.session_id)
    if session is not None:
        revoke(session, reason="logout")
        audit.record(principal.actor, "session.logout", "session", principal.session_id)


def require_session(principal: Principal) -> str:
    """The caller's session id. Security settings (password, 2FA) are changed from a signed-in
    session only: a leaked API key must not be able to lock its owner out of the account."""
    if principal.session_id is None:
        raise Forbidden("Sign in with your password to change security settings; API keys cannot.")
    return principal.session_id


class SessionOut(CamelModel):
    id: str
    device: str | None = None
    ip: str | None = None
    user_agent: str | None = None
    created_at: datetime
    last_used_at: datetime
    current: bool = Field(description="True for the session making this request.")


def session_out(session: Session, current_session_id: str | None) -> SessionOut:
    return SessionOut(id=session.session_id, device=session.device, ip=session.ip, user_agent=session.user_agent,
                      created_at=session.created_at, last_used_at=session.last_used_at,
                      current=session.session_id == current_session_id)  # fmt: skip


def own_sessions(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[SessionOut], str | None]:
    """One page of the caller's live sessions, newest first: one Query.

    Revoked sessions have left the index (see :func:`revoke`); sessions that merely expired
    stay there until TTL removes them and are dropped from the page, which may then be short.
    """
    last_key = decode_cursor(cursor)
    # A genuine cursor of another user's list would make DynamoDB fail the Query: refuse it as a bad cursor.
    if last_key is not None and (last_key.get("gsi1pk") or {}).get("S") != keys.user_sessions(principal.user_id):
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    items, next_key = list_sessions(principal.user_id, limit=limit, last_key=last_key)
    now = _now()
    live = [session_out(s, principal.session_id) for s in items if not s.revoked and s.valid_until > now]
    return live, encode_cursor(next_key)


_SESSION_ID = re.compile(r"^[0-9A-Z]{26}$")


def revoke_own(principal: Principal, session_id: str) -> None:
    """Revoke one of the caller's sessions. Another user's, an unknown or a dead one is 404."""
    if not _SESSION_ID.match(session_id):
        raise NotFound()
    session = active_session(session_id)
    if session is None or session.user_id != principal.user_id:
        raise NotFound()
    revoke(session, reason="revoked_by_user")
    audit.record(principal.actor, "session.revoke", "session", session_id, before={"revoked": False},
                 after={"revoked": True, "current": session_id == principal.session_id})  # fmt: skip
