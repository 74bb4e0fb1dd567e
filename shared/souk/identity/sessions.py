"""Sessions: an access JWT bound to a session id, and an opaque refresh token rotated on use.

The refresh token is ``<sessionId>.<secret>``; only a hash of the current secret is
stored. Presenting any other secret for a live session means a rotated token was
replayed (stolen), so the whole session is revoked. Every authenticated request reads
its session with one consistent GetItem, so logout and revocation take effect at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.exceptions import DoesNotExist, UpdateError

from souk.auth.tokens import issue_access_token
from souk.db import keys
from souk.http.errors import InvalidToken
from souk.identity import tokens
from souk.identity.models import Session, User
from souk.ids import new_id

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
    session = Session(
        pk=keys.session(session_id),
        sk=keys.session(session_id),
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
        valid_until=now + timedelta(days=SESSION_DAYS),
        expires_at=now + timedelta(days=SESSION_DAYS, hours=1),
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
                Session.ip.set(client.ip),
            ],
            condition=(Session.refresh_hash == session.refresh_hash) & (Session.revoked == False),  # noqa: E712
        )
    except UpdateError:
        revoke(session, reason="refresh_token_reuse")
        raise InvalidToken("This refresh token was already used; the session is revoked. Sign in again.") from None
    return _issue(session, new_secret)


def revoke(session: Session, *, reason: str) -> None:
    session.update(actions=[Session.revoked.set(True), Session.revoked_reason.set(reason)])


def revoke_all(user_id: str, *, reason: str) -> int:
    """Revoke every live session of a user (suspension, password reset). Returns how many."""
    count = 0
    for session in Session.gsi1.query(keys.user_sessions(user_id)):
        if not session.revoked:
            revoke(session, reason=reason)  # type: ignore[arg-type]
            count += 1
    return count


def list_sessions(user_id: str, *, limit: int, last_key: dict | None) -> tuple[list[Session], dict | None]:
    """One page of a user's sessions, newest first (one Query)."""
    result = Session.gsi1.query(keys.user_sessions(user_id), scan_index_forward=False, limit=limit,
                                page_size=limit, last_evaluated_key=last_key)  # fmt: skip
    items = list(result)
    return items, result.last_evaluated_key  # type: ignore[return-value]
