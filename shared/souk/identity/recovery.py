"""Passwords after sign-up: forgotten (reset by an emailed token) and changed (by the signed-in user).

Following the OWASP Forgot Password cheat sheet:

- ``forgot-password`` answers the same for every email, known or not, active or not, so it
  cannot be used to discover accounts; it is rate limited per email so it cannot be used
  to flood a mailbox either.
- A reset token is 256 random bits, stored only as its SHA-256 (the item is keyed by the
  hash: a leaked table does not hold usable tokens), valid for 30 minutes, consumed by a
  conditional delete in the same transaction as the password update, so it works once
  even when two requests race. It also carries a stamp of the password it was issued
  against: once the password changes, every other outstanding token is dead too.
- A reset revokes every session (whoever knew the old password is signed out); a change
  revokes every session but the caller's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.db import expiry, keys
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from souk.identity import passwords, tokens
from souk.identity.accounts import find_user_by_email, normalize_email
from souk.identity.models import ResetToken, User
from souk.identity.sessions import Client, require_session, revoke_all
from souk.identity.users import get_user
from souk.notify.queue import enqueue_email
from souk.schema import CamelModel
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.caller import Principal

RESET_MINUTES = 30
FORGOT_PER_EMAIL = RateLimit("forgot-password", limit=3, window_seconds=15 * 60)
CHANGE_FAILURES = RateLimit("password-change-failures", limit=5, window_seconds=15 * 60)
FORGOT_MESSAGE = "If an active account uses this email, a password reset link is on its way."


class ResetPasswordRequest(CamelModel):
    token: str = Field(min_length=1, max_length=200, description="From the reset email (link or code).")
    new_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class ChangePasswordRequest(CamelModel):
    current_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)
    new_password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


class Accepted(CamelModel):
    message: str


class PasswordChanged(CamelModel):
    password_changed: bool = True
    sessions_revoked: int = Field(description="Sessions signed out by the change.")


def _now() -> datetime:
    return datetime.now(UTC)


def password_stamp(user: User) -> str:
    """Changes whenever the password does; a reset token is only good against the stamp it was issued with."""
    return tokens.token_hash(f"{user.user_id}:{user.password_hash or '-'}")[:32]


def _policy(password: str, email: str, *, current: str | None = None) -> None:
    problems = passwords.policy_violations(password, email=email)
    if current is not None and password == current:
        problems.append("Choose a password different from the current one.")
    if problems:
        raise ValidationFailed(details=[{"field": "newPassword", "message": p} for p in problems])


def _bad_token() -> ValidationFailed:
    return ValidationFailed.field("token", "The reset link is invalid, expired or already used; ask for a new one.")


def forgot_password(email: str, client: Client) -> RateState:
    """Email a reset token to an existing active account. Same answer for any email."""
    email = normalize_email(email)
    state = FORGOT_PER_EMAIL.enforce(email)
    user = find_user_by_email(email)
    if user is not None and user.status == "active":
        _send_reset(user, client)
    return state


def _send_reset(user: User, client: Client) -> None:
    raw = tokens.random_token()
    hashed = tokens.token_hash(raw)
    now = _now()
    valid_until = now + timedelta(minutes=RESET_MINUTES)
    item = ResetToken(
        pk=keys.reset_token(hashed),
        sk=keys.reset_token(hashed),
        **expiry.index_keys(valid_until, keys.reset_token(hashed)),  # removed promptly by the cleanup job
        user_id=user.user_id,
        valid_until=valid_until,
        expires_at=now + timedelta(minutes=RESET_MINUTES),  # TTL: nothing to keep once it is useless
        password_stamp=password_stamp(user),
    )
    actor = audit.Actor(user_id=user.user_id, role=user.role, ip=client.ip, user_agent=client.user_agent)
    with WriteTransaction() as tx:
        tx.put(item, ResetToken.pk.does_not_exist(), label="token")
        audit.record(actor, "user.password_reset_request", "user", user.user_id, tx=tx,
                     after={"validUntil": item.valid_until.isoformat()})  # fmt: skip
    reset_url = f"{get_settings().app_url.rstrip('/')}/reset-password?token={raw}"
    variables = {"name": user.name, "reset_url": reset_url, "token": raw, "expires_in_minutes": RESET_MINUTES}
    enqueue_email("password_reset", user.email, variables, idempotency_id=f"reset:{hashed[:32]}")


def reset_password(request: ResetPasswordRequest, client: Client) -> PasswordChanged:
    """Set a new password with a reset token, which is consumed; every session is revoked."""
    hashed = tokens.token_hash(request.token)
    try:
        item = ResetToken.get(keys.reset_token(hashed), keys.reset_token(hashed), consistent_read=True)
        user = get_user(item.user_id, consistent=True)
    except (DoesNotExist, NotFound):
        raise _bad_token() from None
    if item.valid_until <= _now() or user.status != "active" or item.password_stamp != password_stamp(user):
        raise _bad_token()
    # Checked before the token is spent: a weak password must not cost the user their link.
    _policy(request.new_password, user.email)
    new_hash = passwords.hash_password(request.new_password)
    actor = audit.Actor(user_id=user.user_id, role=user.role, ip=client.ip, user_agent=client.user_agent)
    try:
        with WriteTransaction() as tx:
            tx.delete(item, ResetToken.pk.exists(), label="token")  # single use, even under a race
            # Versioned: a password change in between fails this reset rather than being overwritten.
            tx.update(user, [User.password_hash.set(new_hash), User.updated_at.set(_now())], label="user")
            audit.record(actor, "user.password_reset", "user", user.user_id, tx=tx)
    except TransactionCancelled:
        raise _bad_token() from None
    return PasswordChanged(sessions_revoked=revoke_all(user.user_id, reason="password_reset"))


def change_password(principal: Principal, request: ChangePasswordRequest) -> PasswordChanged:
    """Change the caller's password; their other sessions are signed out, this one stays."""
    session_id = require_session(principal)
    state = CHANGE_FAILURES.peek(principal.user_id)
    if state.count >= CHANGE_FAILURES.limit:
        raise state.error()
    user = get_user(principal.user_id, consistent=True)
    if not passwords.verify_password(user.password_hash, request.current_password):
        failed = CHANGE_FAILURES.hit(principal.user_id)
        raise InvalidCredentials("The current password is wrong.", headers=failed.headers())
    _policy(request.new_password, user.email, current=request.current_password)
    new_hash = passwords.hash_password(request.new_password)
    try:
        with WriteTransaction() as tx:
            tx.update(user, [User.password_hash.set(new_hash), User.updated_at.set(_now())], label="user")
            audit.record(principal.actor, "user.password_change", "user", user.user_id, tx=tx)
    except TransactionCancelled:
        raise Conflict("The account changed at the same time; retry.") from None
    revoked = revoke_all(user.user_id, reason="password_change", keep=session_id)
    return PasswordChanged(sessions_revoked=revoked)
