"""Two-factor sign-in: TOTP (RFC 6238) from an authenticator app, plus one-use backup codes.

Why the rules are what they are:

- Setup stores the secret as *pending*; only a code computed from it turns 2FA on, so a
  user who abandons setup half-way is never locked out by a secret their app lacks.
- A TOTP code is accepted once (OWASP ASVS 2.8.4). The last accepted time step is kept on
  the user and a sign-in is accepted only through a conditional update to a *greater*
  step, so a code seen over a shoulder or by a proxy cannot be replayed inside its window,
  not even by a request racing the genuine one. Refused replays are logged and audited.
- A backup code is consumed by a DELETE from the set conditioned on the set holding it:
  of two parallel sign-ins with one code, exactly one succeeds.
- Backup codes and secrets never leave the service except once, in the response that
  creates them; backup codes are stored as keyed hashes (:func:`souk.identity.tokens.code_hash`).
- Wrong codes count against the user, 5 per 15 minutes, like wrong passwords at login: a
  6-digit code must not be guessable by brute force.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import pyotp
from pydantic import Field, field_validator
from pynamodb.exceptions import UpdateError

from souk.audit import service as audit
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import AccountSuspended, Conflict, InvalidState, InvalidToken, NotFound, ValidationFailed
from souk.identity import tokens
from souk.identity.jwt_tokens import verify_purpose_token
from souk.identity.models import User
from souk.identity.sessions import Client, IssuedTokens, require_session, start_session
from souk.identity.users import get_user
from souk.observability import logger
from souk.schema import CamelModel

if TYPE_CHECKING:
    from souk.caller import Principal

ISSUER = "Souk"
BACKUP_CODE_COUNT = 10
TOTP_WINDOW = 1  # one 30 s step either side: phone clocks drift and people type slowly
MFA_FAILURES = RateLimit("mfa-failures", limit=5, window_seconds=15 * 60)
# No 0/o, 1/l/i: backup codes get copied from paper. 31 symbols x 10 ≈ 49 bits each.
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_BACKUP_LENGTH = 10
_TOTP_CODE = re.compile(r"^\d{6}$")
_BACKUP_CODE = re.compile(rf"^[a-z0-9]{{{_BACKUP_LENGTH}}}$")

Method = Literal["totp", "backup_code"]


def normalize_code(code: str) -> str:
    """Codes as people type them: spaces and dashes dropped, case ignored."""
    return re.sub(r"[\s-]", "", code).lower()


class TotpCodeRequest(CamelModel):
    code: str = Field(pattern=r"^\d{6}$", description="The 6-digit code shown by the authenticator app.")


class CodeRequest(CamelModel):
    code: str = Field(min_length=6, max_length=24, description="A 6-digit app code or a backup code (xxxxx-xxxxx).")

    @field_validator("code")
    @classmethod
    def _shape(cls, value: str) -> str:
        value = normalize_code(value)
        if not (_TOTP_CODE.match(value) or _BACKUP_CODE.match(value)):
            raise ValueError("Enter the 6-digit code from your app or one of your backup codes.")
        return value


class MfaLoginRequest(CodeRequest):
    mfa_token: str = Field(min_length=20, max_length=2048, description="From the 401 MFA_REQUIRED of /auth/login.")


class TotpSetup(CamelModel):
    secret: str = Field(description="Base32 secret, for apps that cannot scan the otpauth URL.")
    otpauth_url: str = Field(description="otpauth://totp/... URI to show as a QR code.")


class BackupCodes(CamelModel):
    backup_codes: list[str] = Field(description="Shown once: each one signs in once instead of a TOTP code.")


class MfaState(CamelModel):
    mfa_enabled: bool


# --- helpers


def _now() -> datetime:
    return datetime.now(UTC)


def totp_step(secret: str, code: str, *, at: datetime | None = None) -> int | None:
    """The time step, within the allowed window, whose code is ``code``; None when none is."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(at or _now())
    matched = None
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if tokens.same(totp.generate_otp(step), code):
            matched = step
    return matched


def backup_hash(user_id: str, code: str) -> str:
    return tokens.code_hash(f"{user_id}:backup", normalize_code(code))


def _new_backup_code() -> str:
    return "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(_BACKUP_LENGTH))


def _shown(code: str) -> str:
    half = _BACKUP_LENGTH // 2
    return f"{code[:half]}-{code[half:]}"


def _guard(user_id: str) -> RateState:
    """429 once the user has spent their failed attempts for this window."""
    state = MFA_FAILURES.peek(user_id)
    if state.count >= MFA_FAILURES.limit:
        raise state.error()
    return state


def _failed(user_id: str, message: str = "The code is wrong or has expired.") -> ValidationFailed:
    """Count a failed attempt; the error to raise, with the rate-limit headers."""
    state = MFA_FAILURES.hit(user_id)
    return ValidationFailed(details=[{"field": "code", "message": message}], headers=state.headers())


def _replay_refused(user: User, actor: audit.Actor, step: int) -> ValidationFailed:
    # A replayed code is someone holding a code that was already used: worth a security record.
    logger.warning("refused a replayed TOTP code", extra={"user_id": user.user_id, "step": step})
    audit.record(actor, "user.mfa_replay_refused", "user", user.user_id, after={"step": step})
    return _failed(user.user_id, "This code was already used; wait for the next one.")


def _condition_failed(error: UpdateError) -> bool:
    return error.cause_response_code == "ConditionalCheckFailedException"


def _match(user: User, code: str, actor: audit.Actor) -> tuple[Method, int, str]:
    """Check ``code`` against the user's TOTP secret or backup codes (no write yet).

    Returns the method, the TOTP step (0 for a backup code) and the backup code hash ("" for TOTP).
    """
    if _TOTP_CODE.match(code):
        step = totp_step(user.totp_secret or "", code) if user.totp_secret else None
        if step is None:
            raise _failed(user.user_id)
        if step <= int(user.totp_last_step or 0):
            raise _replay_refused(user, actor, step)
        return "totp", step, ""
    hashed = backup_hash(user.user_id, code)
    if not any(tokens.same(hashed, stored) for stored in user.backup_code_hashes or ()):
        raise _failed(user.user_id)
    return "backup_code", 0, hashed


def _conflict() -> Conflict:
    return Conflict("The account changed at the same time; retry.")


# --- routes' services


def setup(principal: Principal) -> TotpSetup:
    """A new pending TOTP secret for the caller; 2FA stays off until :func:`enable` confirms it."""
    require_session(principal)
    user = get_user(principal.user_id, consistent=True)
    if user.mfa_enabled:
        raise InvalidState("Two-factor sign-in is already on; turn it off first to move to another app.")
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, RFC 4226's recommended length
    try:
        with WriteTransaction() as tx:
            # Versioned: an enable racing this setup makes one of them fail instead of mixing secrets.
            tx.update(user, [User.totp_pending_secret.set(secret), User.updated_at.set(_now())], label="user")
            audit.record(principal.actor, "user.mfa_setup", "user", user.user_id, tx=tx, after={"mfaPending": True})
    except TransactionCancelled:
        raise _conflict() from None
    url = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return TotpSetup(secret=secret, otpauth_url=url)


def enable(principal: Principal, code: str) -> BackupCodes:
    """Turn 2FA on with a code from the pending secret; returns the backup codes, once."""
    require_session(principal)
    user = get_user(principal.user_id, consistent=True)
    if user.mfa_enabled:
        raise InvalidState("Two-factor sign-in is already on.")
    pending = user.totp_pending_secret
    if not pending:
        raise InvalidState("Start with POST /api/v1/auth/2fa/setup.")
    _guard(user.user_id)
    step = totp_step(pending, code)
    if step is None or step <= int(user.totp_last_step or 0):
        raise _failed(user.user_id)
    codes = [_new_backup_code() for _ in range(BACKUP_CODE_COUNT)]
    actions = [
        User.mfa_enabled.set(True),
        User.totp_secret.set(pending),
        User.totp_pending_secret.remove(),
        User.totp_last_step.set(step),  # the confirming code cannot then be replayed to sign in
        User.backup_code_hashes.set({backup_hash(user.user_id, c) for c in codes}),
        User.updated_at.set(_now()),
    ]
    try:
        with WriteTransaction() as tx:
            tx.update(user, actions, User.totp_pending_secret == pending, label="user")
            after = {"mfaEnabled": True, "backupCodes": len(codes)}
            audit.record(principal.actor, "user.mfa_enable", "user", user.user_id, tx=tx,
                         before={"mfaEnabled": False}, after=after)  # fmt: skip
    except TransactionCancelled:
        raise _conflict() from None
    return BackupCodes(backup_codes=[_shown(c) for c in codes])


def disable(principal: Principal, code: str) -> MfaState:
    """Turn 2FA off with a TOTP or backup code; secrets and backup codes are erased."""
    require_session(principal)
    user = get_user(principal.user_id, consistent=True)
    if not user.mfa_enabled:
        raise InvalidState("Two-factor sign-in is already off.")
    _guard(user.user_id)
    method, step, _ = _match(user, code, principal.actor)
    actions = [
        User.mfa_enabled.set(False),
        User.totp_secret.remove(),
        User.totp_pending_secret.remove(),
        User.backup_code_hashes.remove(),
        User.updated_at.set(_now()),
    ]
    if method == "totp":
        actions.append(User.totp_last_step.set(step))
    try:
        with WriteTransaction() as tx:
            # Versioned: a sign-in that consumed this very code meanwhile bumped the version.
            tx.update(user, actions, User.mfa_enabled == True, label="user")  # noqa: E712
            audit.record(principal.actor, "user.mfa_disable", "user", user.user_id, tx=tx,
                         before={"mfaEnabled": True}, after={"mfaEnabled": False, "method": method})  # fmt: skip
    except TransactionCancelled:
        raise _conflict() from None
    return MfaState(mfa_enabled=False)


def login(request: MfaLoginRequest, client: Client) -> tuple[User, IssuedTokens, RateState]:
    """Second step of sign-in: the mfaToken from the password step plus a TOTP or backup code."""
    claims = verify_purpose_token(request.mfa_token, "mfa")
    try:
        user = get_user(str(claims["sub"]), consistent=True)
    except NotFound:
        raise InvalidToken() from None
    if user.status == "suspended":
        raise AccountSuspended()
    if user.status != "active" or not user.mfa_enabled:
        raise InvalidToken("Sign in again.")
    state = _guard(user.user_id)
    actor = audit.Actor(user_id=user.user_id, role=user.role, ip=client.ip, user_agent=client.user_agent)
    method, step, hashed = _match(user, request.code, actor)
    try:
        if method == "totp":
            # Only a greater step than the last accepted one: the same code in parallel → one wins.
            user.update(
                [User.totp_last_step.set(step)],
                condition=((User.totp_last_step < step) | User.totp_last_step.does_not_exist())
                & (User.totp_secret == user.totp_secret),
                add_version_condition=False,  # other profile edits must not fail a sign-in
            )
        else:
            # Consumed atomically: the DELETE applies only while the set still holds the code.
            user.update([User.backup_code_hashes.delete({hashed})],
                        condition=User.backup_code_hashes.contains(hashed), add_version_condition=False)  # fmt: skip
    except UpdateError as error:
        if not _condition_failed(error):
            raise
        if method == "totp":
            raise _replay_refused(user, actor, step) from None
        raise _failed(user.user_id, "This backup code was already used.") from None
    issued = start_session(user, client)
    after: dict[str, object] = {"method": method, "sessionId": issued.session.session_id}
    if method == "backup_code":
        after["backupCodesLeft"] = len(user.backup_code_hashes or ())
    audit.record(actor, "user.login_2fa", "user", user.user_id, after=after)
    return user, issued, state
