"""Accounts: registration, verification, sign-in with a password."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import TransactionCancelled
from souk.errors import (
    AccountNotVerified,
    AccountSuspended,
    Conflict,
    DuplicateEntry,
    InvalidCredentials,
    InvalidState,
    MfaRequired,
    ValidationFailed,
)
from souk.identity import passwords, tokens
from souk.identity.jwt_tokens import issue_purpose_token
from souk.identity.service.sessions import start_session
from souk.identity.service.users import find_user_by_email
from souk.identity.store import codes
from souk.identity.store import users as store
from souk.notify.service import enqueue_email

if TYPE_CHECKING:
    from souk.db.base import SoukItem
    from souk.identity.models import OneTimeCode, User
    from souk.identity.schemas.accounts import LoginRequest, RegisterRequest, VerifyRequest
    from souk.identity.schemas.sessions import Client, IssuedTokens

VERIFY_PURPOSE = "verify_email"
MFA_TOKEN_SECONDS = 300
LOGIN_FAILURES = RateLimit("login-failures", limit=5, window_seconds=15 * 60)
RESEND_PER_EMAIL = RateLimit("resend-code", limit=3, window_seconds=10 * 60)


def client_actor(user: User, client: Client) -> audit.Actor:
    """The user acting from ``client``, before they hold a session (sign-up, sign-in, reset)."""
    return audit.Actor(user_id=user.user_id, role=user.role, ip=client.ip, user_agent=client.user_agent)


def create_account(user: User, actor: audit.Actor, *, extra: Sequence[SoukItem] = ()) -> None:
    """Save a user with its unique email claim in one transaction; 409 DUPLICATE_ENTRY when taken.

    ``extra`` items (a one-time code, an OAuth link and its audit record) are saved in the same
    transaction, unconditionally.
    """
    record = audit.build_record(actor, "user.register", "user", user.user_id,
                                after={"email": user.email, "role": user.role, "status": user.status})  # fmt: skip
    try:
        store.create_user(user, record, extra=extra)
    except TransactionCancelled as cancelled:
        if "email" in cancelled.reasons:
            raise DuplicateEntry("An account with this email already exists.") from None
        raise Conflict("The account changed at the same time; retry.") from None


def register(request: RegisterRequest, client: Client) -> User:
    """A ``pending_verification`` account and a one-time code sent by email (and SMS)."""
    problems = passwords.policy_violations(request.password, email=request.email)
    if problems:
        raise ValidationFailed(details=[{"field": "password", "message": p} for p in problems])
    user = store.new_user(email=request.email, name=request.name, role=request.role, status="pending_verification",
                          phone=request.phone, password_hash=passwords.hash_password(request.password))  # fmt: skip
    code, code_item = codes.new_code(user.user_id, VERIFY_PURPOSE)
    create_account(user, client_actor(user, client), extra=[code_item])
    _send_code(user, code)
    return user


def _send_code(user: User, code: str) -> None:
    variables = {"name": user.name, "code": code, "expires_in_minutes": codes.CODE_MINUTES}
    enqueue_email("verification_code", user.email, variables, phone=user.phone)


def code_usable(item: OneTimeCode, now: datetime) -> bool:
    """Still valid and with attempts left."""
    return item.valid_until > now and item.attempts < item.max_attempts


def check_code(user_id: str, purpose: str, code: str) -> OneTimeCode | None:
    """The code item when ``code`` matches a live code; a miss burns one of its attempts."""
    item = codes.load_code(user_id, purpose)
    if item is None or not code_usable(item, datetime.now(UTC)):
        return None
    if tokens.same(item.code_hash, codes.code_hash(user_id, purpose, code)):
        return item
    codes.burn_attempt(item)
    return None


_BAD_CODE = ValidationFailed(details=[{"field": "code", "message": "The code is wrong or has expired."}])


def verify(request: VerifyRequest, client: Client) -> tuple[User, IssuedTokens]:
    """Activate a pending account with its code, and sign it in."""
    user = find_user_by_email(request.email)
    if user is None:
        raise _BAD_CODE
    if user.status != "pending_verification":
        raise InvalidState("This account is already verified.")
    item = check_code(user.user_id, VERIFY_PURPOSE, request.code)
    if item is None:
        raise _BAD_CODE
    record = audit.build_record(client_actor(user, client), "user.verify", "user", user.user_id,
                                before={"status": "pending_verification"}, after={"status": "active"})  # fmt: skip
    try:
        store.activate(user, item, record)
    except TransactionCancelled:
        raise _BAD_CODE from None
    user.status = "active"
    return user, start_session(user, client)


def resend_code(email: str) -> RateState:
    """Send a fresh code to a pending account. Unknown or active emails get the same answer."""
    state = RESEND_PER_EMAIL.enforce(store.normalize_email(email))
    user = find_user_by_email(email)
    if user is not None and user.status == "pending_verification":
        code, item = codes.new_code(user.user_id, VERIFY_PURPOSE)
        codes.save(item)  # replaces the previous code: only the newest one works
        _send_code(user, code)
    return state


def sign_in_refusal(user: User) -> Exception | None:
    """Why a user whose credentials checked out (a password, a provider) may not have a session
    yet, as the error to raise; None when they may. With 2FA on, the error carries the
    ``mfaToken`` of the second step: a provider account must not be a way around it either."""
    if user.status in ("deleting", "deleted"):  # erased or being erased (souk.privacy): as if unknown
        return InvalidCredentials()
    if user.status == "suspended":
        return AccountSuspended()
    if user.status != "active":
        return AccountNotVerified()
    if user.mfa_enabled:
        token = issue_purpose_token("mfa", user.user_id, MFA_TOKEN_SECONDS)
        return MfaRequired("Enter the code from your authenticator app.", data={"mfaToken": token})
    return None


def login(request: LoginRequest, client: Client) -> tuple[User, IssuedTokens, RateState]:
    """Password sign-in. Unknown email and wrong password look the same, in body and in time."""
    subject = f"{store.normalize_email(request.email)}|{client.ip or '-'}"
    state = LOGIN_FAILURES.peek(subject)
    if state.count >= LOGIN_FAILURES.limit:
        raise state.error()
    user = find_user_by_email(request.email)
    if not passwords.verify_password(user.password_hash if user else None, request.password) or user is None:
        failed = LOGIN_FAILURES.hit(subject)
        raise InvalidCredentials(headers=failed.headers())
    refusal = sign_in_refusal(user)
    if refusal is not None:
        raise refusal
    return user, start_session(user, client), state
