"""Accounts: registration, verification, sign-in. Plain functions over the models."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Literal

from pydantic import EmailStr, Field, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.db import keys
from souk.db.base import SoukItem
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import (
    AccountNotVerified,
    AccountSuspended,
    Conflict,
    DuplicateEntry,
    InvalidCredentials,
    InvalidState,
    MfaRequired,
    NotFound,
    ValidationFailed,
)
from souk.identity import codes, passwords
from souk.identity.jwt_tokens import issue_purpose_token
from souk.identity.models import EmailClaim, OneTimeCode, User
from souk.identity.sessions import Client, IssuedTokens, start_session
from souk.identity.users import get_user
from souk.ids import new_id
from souk.notify.queue import enqueue_email
from souk.schema import CamelModel, OneLineText

VERIFY_PURPOSE = "verify_email"
MFA_TOKEN_SECONDS = 300
LOGIN_FAILURES = RateLimit("login-failures", limit=5, window_seconds=15 * 60)
RESEND_PER_EMAIL = RateLimit("resend-code", limit=3, window_seconds=10 * 60)


class RegisterRequest(CamelModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)
    name: OneLineText = Field(min_length=1, max_length=100)
    phone: str | None = Field(None, pattern=r"^\+[1-9]\d{6,14}$", description="E.164, e.g. +14155550123")
    role: Literal["customer", "store_owner", "courier"] = "customer"

    @field_validator("name")
    @classmethod
    def _strip(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("Name must not be blank.")
        return value.strip()


class VerifyRequest(CamelModel):
    email: EmailStr = Field(max_length=254)
    code: str = Field(pattern=r"^\d{6}$")


class LoginRequest(CamelModel):
    email: EmailStr = Field(max_length=254)
    password: str = Field(min_length=1, max_length=passwords.MAX_LENGTH)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    """Two GetItems: the email claim, then the user."""
    try:
        claim = EmailClaim.get(keys.email(email), keys.email(email))
        return get_user(claim.user_id, consistent=True)
    except (DoesNotExist, NotFound):  # no claim, or a deleted user
        return None


def new_user(*, email: str, name: str, role: str, status: str, phone: str | None = None,
             password_hash: str | None = None) -> User:  # fmt: skip
    """A user item with every index key set (not saved)."""
    user_id = new_id()
    now = datetime.now(UTC)
    created = keys.created_sort(now.isoformat(), user_id)
    return User(
        pk=keys.user(user_id), sk=keys.PROFILE,
        gsi1pk=keys.USERS_ALL, gsi1sk=created,
        gsi2pk=keys.users_by_role(role), gsi2sk=created,
        gsi3pk=keys.USERS_BY_NAME, gsi3sk=keys.name_sort(name, user_id),
        gsi4pk=keys.USERS_BY_EMAIL, gsi4sk=normalize_email(email),
        user_id=user_id, email=normalize_email(email), name=name, phone=phone, role=role, status=status,
        password_hash=password_hash, created_at=now, updated_at=now,
    )  # fmt: skip


def create_account(user: User, actor: audit.Actor, *, extra: Sequence[SoukItem] | None = None) -> None:
    """Save a user with its unique email claim in one transaction; 409 DUPLICATE_ENTRY when taken.

    ``extra`` items (a one-time code, an OAuth link and its audit record) are saved in the same
    transaction, unconditionally.
    """
    claim = EmailClaim(pk=keys.email(user.email), sk=keys.email(user.email), user_id=user.user_id)
    try:
        with WriteTransaction() as tx:
            tx.put(claim, EmailClaim.pk.does_not_exist(), label="email")
            tx.put(user, label="user")
            for item in extra or []:
                tx.put(item, label="code")
            audit.record(actor, "user.register", "user", user.user_id, tx=tx,
                         after={"email": user.email, "role": user.role, "status": user.status})  # fmt: skip
    except TransactionCancelled as cancelled:
        if "email" in cancelled.reasons:
            raise DuplicateEntry("An account with this email already exists.") from None
        raise Conflict("The account changed at the same time; retry.") from None


def register(request: RegisterRequest, client: Client) -> User:
    """A ``pending_verification`` account and a one-time code sent by email (and SMS)."""
    problems = passwords.policy_violations(request.password, email=request.email)
    if problems:
        raise ValidationFailed(details=[{"field": "password", "message": p} for p in problems])
    user = new_user(email=request.email, name=request.name, role=request.role, status="pending_verification",
                    phone=request.phone, password_hash=passwords.hash_password(request.password))  # fmt: skip
    code, code_item = codes.new_code(user.user_id, VERIFY_PURPOSE)
    actor = audit.Actor(user_id=user.user_id, role=user.role, ip=client.ip, user_agent=client.user_agent)
    create_account(user, actor, extra=[code_item])
    _send_code(user, code)
    return user


def _send_code(user: User, code: str) -> None:
    variables = {"name": user.name, "code": code, "expires_in_minutes": codes.CODE_MINUTES}
    enqueue_email("verification_code", user.email, variables, phone=user.phone)


_BAD_CODE = ValidationFailed(details=[{"field": "code", "message": "The code is wrong or has expired."}])


def verify(request: VerifyRequest, client: Client) -> tuple[User, IssuedTokens]:
    """Activate a pending account with its code, and sign it in."""
    user = find_user_by_email(request.email)
    if user is None:
        raise _BAD_CODE
    if user.status != "pending_verification":
        raise InvalidState("This account is already verified.")
    item = codes.check_code(user.user_id, VERIFY_PURPOSE, request.code)
    if item is None:
        raise _BAD_CODE
    actor = audit.Actor(user_id=user.user_id, role=user.role, ip=client.ip, user_agent=client.user_agent)
    try:
        with WriteTransaction() as tx:
            tx.delete(item, OneTimeCode.pk.exists(), label="code")  # single use
            tx.update(user, [User.status.set("active"), User.updated_at.set(datetime.now(UTC))],
                      User.status == "pending_verification", label="user")  # fmt: skip
            audit.record(actor, "user.verify", "user", user.user_id, tx=tx,
                         before={"status": "pending_verification"}, after={"status": "active"})  # fmt: skip
    except TransactionCancelled:
        raise _BAD_CODE from None
    user.status = "active"
    return user, start_session(user, client)


def resend_code(email: str) -> RateState:
    """Send a fresh code to a pending account. Unknown or active emails get the same answer."""
    state = RESEND_PER_EMAIL.enforce(normalize_email(email))
    user = find_user_by_email(email)
    if user is not None and user.status == "pending_verification":
        code, item = codes.new_code(user.user_id, VERIFY_PURPOSE)
        item.save()  # replaces the previous code: only the newest one works
        _send_code(user, code)
    return state


def login(request: LoginRequest, client: Client) -> tuple[User, IssuedTokens, RateState]:
    """Password sign-in. Unknown email and wrong password look the same, in body and in time."""
    subject = f"{normalize_email(request.email)}|{client.ip or '-'}"
    state = LOGIN_FAILURES.peek(subject)
    if state.count >= LOGIN_FAILURES.limit:
        raise state.error()
    user = find_user_by_email(request.email)
    if not passwords.verify_password(user.password_hash if user else None, request.password) or user is None:
        failed = LOGIN_FAILURES.hit(subject)
        raise InvalidCredentials(headers=failed.headers())
    if user.status == "suspended":
        raise AccountSuspended()
    if user.status == "pending_verification":
        raise AccountNotVerified()
    if user.mfa_enabled:
        token = issue_purpose_token("mfa", user.user_id, MFA_TOKEN_SECONDS)
        raise MfaRequired("Enter the code from your authenticator app.", data={"mfaToken": token})
    return user, start_session(user, client), state
