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

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import TransactionCancelled
from souk.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from souk.identity import passwords, tokens
from souk.identity.schemas.recovery import PasswordChanged
from souk.identity.service.accounts import client_actor
from souk.identity.service.sessions import require_session
from souk.identity.service.users import find_user_by_email, get_user
from souk.identity.store import reset_tokens
from souk.identity.store import sessions as session_store
from souk.identity.store import users as user_store
from souk.notify.service import enqueue_email
from souk.settings import get_settings

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.models import ResetToken, User
    from souk.identity.schemas.recovery import ChangePasswordRequest, ResetPasswordRequest
    from souk.identity.schemas.sessions import Client

RESET_MINUTES = 30
FORGOT_PER_EMAIL = RateLimit("forgot-password", limit=3, window_seconds=15 * 60)
CHANGE_FAILURES = RateLimit("password-change-failures", limit=5, window_seconds=15 * 60)
FORGOT_MESSAGE = "If an active account uses this email, a password reset link is on its way."


def _now() -> datetime:
    return datetime.now(UTC)


def password_stamp(user: User) -> str:
    """Changes whenever the password does; a reset token is only good against the stamp it was issued with."""
    return tokens.token_hash(f"{user.user_id}:{user.password_hash or '-'}")[:32]


def token_usable(item: ResetToken, user: User, now: datetime) -> bool:
    """A reset token works until it expires, for an active account, against the password it was issued for."""
    return item.valid_until > now and user.status == "active" and item.password_stamp == password_stamp(user)


def new_password_problems(password: str, email: str, *, current: str | None = None) -> list[str]:
    """Why a new password is refused: the policy, and (on a change) being the current one again."""
    problems = passwords.policy_violations(password, email=email)
    if current is not None and password == current:
        problems.append("Choose a password different from the current one.")
    return problems


def _policy(password: str, email: str, *, current: str | None = None) -> None:
    problems = new_password_problems(password, email, current=current)
    if problems:
        raise ValidationFailed(details=[{"field": "newPassword", "message": p} for p in problems])


def _bad_token() -> ValidationFailed:
    return ValidationFailed.field("token", "The reset link is invalid, expired or already used; ask for a new one.")


def forgot_password(email: str, client: Client) -> RateState:
    """Email a reset token to an existing active account. Same answer for any email."""
    email = user_store.normalize_email(email)
    state = FORGOT_PER_EMAIL.enforce(email)
    user = find_user_by_email(email)
    if user is not None and user.status == "active":
        _send_reset(user, client)
    return state


def _send_reset(user: User, client: Client) -> None:
    raw = tokens.random_token()
    hashed = tokens.token_hash(raw)
    item = reset_tokens.new_reset_token(hashed, user.user_id, now=_now(), minutes=RESET_MINUTES,
                                        password_stamp=password_stamp(user))  # fmt: skip
    record = audit.build_record(client_actor(user, client), "user.password_reset_request", "user", user.user_id,
                                after={"validUntil": item.valid_until.isoformat()})  # fmt: skip
    reset_tokens.save_reset_token(item, record)
    reset_url = f"{get_settings().app_url.rstrip('/')}/reset-password?token={raw}"
    variables = {"name": user.name, "reset_url": reset_url, "token": raw, "expires_in_minutes": RESET_MINUTES}
    enqueue_email("password_reset", user.email, variables, idempotency_id=f"reset:{hashed[:32]}")


def reset_password(request: ResetPasswordRequest, client: Client) -> PasswordChanged:
    """Set a new password with a reset token, which is consumed; every session is revoked."""
    item = reset_tokens.load_reset_token(tokens.token_hash(request.token))
    if item is None:
        raise _bad_token()
    try:
        user = get_user(item.user_id, consistent=True)
    except NotFound:
        raise _bad_token() from None
    if not token_usable(item, user, _now()):
        raise _bad_token()
    # Checked before the token is spent: a weak password must not cost the user their link.
    _policy(request.new_password, user.email)
    new_hash = passwords.hash_password(request.new_password)
    record = audit.build_record(client_actor(user, client), "user.password_reset", "user", user.user_id)
    try:
        # Versioned: a password change in between fails this reset rather than being overwritten.
        user_store.set_password(user, new_hash, record, reset=item)
    except TransactionCancelled:
        raise _bad_token() from None
    return PasswordChanged(sessions_revoked=session_store.revoke_all(user.user_id, reason="password_reset"))


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
    record = audit.build_record(principal.actor, "user.password_change", "user", user.user_id)
    try:
        user_store.set_password(user, new_hash, record)
    except TransactionCancelled:
        raise Conflict("The account changed at the same time; retry.") from None
    revoked = session_store.revoke_all(user.user_id, reason="password_change", keep=session_id)
    return PasswordChanged(sessions_revoked=revoked)
