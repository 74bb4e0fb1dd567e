"""Sessions: an access JWT bound to a session id, and an opaque refresh token rotated on use.

The refresh token is ``<sessionId>.<secret>``; only a hash of the current secret is
stored. Presenting any other secret for a live session means a rotated token was
replayed (stolen), so the whole session is revoked. Every authenticated request reads
its session with one consistent GetItem, so logout and revocation take effect at once.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pynamodb.exceptions import UpdateError

from souk.audit import service as audit
from souk.db.paging import decode_cursor, encode_cursor
from souk.errors import Forbidden, InvalidToken, NotFound, ValidationFailed
from souk.identity import keys, tokens
from souk.identity.jwt_tokens import issue_access_token
from souk.identity.schemas.sessions import Client, IssuedTokens, SessionOut, session_out
from souk.identity.store import sessions as store

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.models import Session, User

SESSION_DAYS = 30
_REUSED = "This refresh token was already used; the session is revoked. Sign in again."


def _now() -> datetime:
    return datetime.now(UTC)


def is_live(session: Session, now: datetime) -> bool:
    """Neither revoked nor expired."""
    return not session.revoked and session.valid_until > now


def _issue(session: Session, secret: str) -> IssuedTokens:
    access, expires_in = issue_access_token(session.user_id, session.session_id, session.role)
    return IssuedTokens(access, f"{session.session_id}.{secret}", expires_in, session)


def start_session(user: User, client: Client) -> IssuedTokens:
    """A new session for a signed-in user."""
    now = _now()
    secret = tokens.random_token()
    session = store.create_session(user, client, refresh_hash=tokens.token_hash(secret), now=now,
                                   valid_until=now + timedelta(days=SESSION_DAYS))  # fmt: skip
    return _issue(session, secret)


def active_session(session_id: str) -> Session | None:
    """The live session, or None when revoked, expired or unknown. One consistent GetItem."""
    session = store.load_session(session_id)
    if session is None or not is_live(session, _now()):
        return None
    return session


def rotate(refresh_token: str, client: Client) -> IssuedTokens:
    """Swap a refresh token for a new pair; a replayed (rotated) token kills the session."""
    session_id, _, secret = refresh_token.partition(".")
    session = active_session(session_id) if session_id and secret else None
    if session is None:
        raise InvalidToken()
    if not tokens.same(tokens.token_hash(secret), session.refresh_hash):
        store.revoke(session, reason="refresh_token_reuse")
        raise InvalidToken(_REUSED)
    new_secret = tokens.random_token()
    try:
        store.rotate_secret(session, tokens.token_hash(new_secret), now=_now(), ip=client.ip)
    except UpdateError:
        store.revoke(session, reason="refresh_token_reuse")
        raise InvalidToken(_REUSED) from None
    return _issue(session, new_secret)


def logout(principal: Principal) -> None:
    """End the caller's own session (API keys have none to end)."""
    if principal.session_id is None:
        return
    session = active_session(principal.session_id)
    if session is not None:
        store.revoke(session, reason="logout")
        audit.record(principal.actor, "session.logout", "session", principal.session_id)


def require_session(principal: Principal) -> str:
    """The caller's session id. Security settings (password, 2FA) are changed from a signed-in
    session only: a leaked API key must not be able to lock its owner out of the account."""
    if principal.session_id is None:
        raise Forbidden("Sign in with your password to change security settings; API keys cannot.")
    return principal.session_id


def own_sessions(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[SessionOut], str | None]:
    """One page of the caller's live sessions, newest first: one Query.

    Revoked sessions have left the index (see :func:`souk.identity.store.sessions.revoke`);
    sessions that merely expired stay there until TTL removes them and are dropped from the
    page, which may then be short.
    """
    last_key = decode_cursor(cursor)
    # A genuine cursor of another user's list would make DynamoDB fail the Query: refuse it as a bad cursor.
    if last_key is not None and (last_key.get("gsi1pk") or {}).get("S") != keys.user_sessions(principal.user_id):
        raise ValidationFailed.field("cursor", "The cursor is invalid; start again without it.")
    items, next_key = store.list_sessions(principal.user_id, limit=limit, last_key=last_key)
    now = _now()
    live = [session_out(s, principal.session_id) for s in items if is_live(s, now)]
    return live, encode_cursor(next_key)


_SESSION_ID = re.compile(r"^[0-9A-Z]{26}$")


def revoke_own(principal: Principal, session_id: str) -> None:
    """Revoke one of the caller's sessions. Another user's, an unknown or a dead one is 404."""
    if not _SESSION_ID.match(session_id):
        raise NotFound()
    session = active_session(session_id)
    if session is None or session.user_id != principal.user_id:
        raise NotFound()
    store.revoke(session, reason="revoked_by_user")
    audit.record(principal.actor, "session.revoke", "session", session_id, before={"revoked": False},
                 after={"revoked": True, "current": session_id == principal.session_id})  # fmt: skip
