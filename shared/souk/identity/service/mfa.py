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

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

import pyotp
from pynamodb.exceptions import UpdateError

from souk.audit import service as audit
from souk.db.ratelimit import RateLimit, RateState
from souk.db.transactions import TransactionCancelled
from souk.errors import AccountSuspended, Conflict, InvalidState, InvalidToken, NotFound, ValidationFailed
from souk.identity import tokens
from souk.identity.jwt_tokens import verify_purpose_token
from souk.identity.schemas.mfa import BACKUP_LENGTH, TOTP_CODE, BackupCodes, MfaState, TotpSetup, normalize_code
from souk.identity.service.accounts import client_actor
from souk.identity.service.sessions import require_session, start_session
from souk.identity.service.users import get_user
from souk.identity.store import users as store
from souk.observability import logger

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.identity.models import User
    from souk.identity.schemas.mfa import MfaLoginRequest
    from souk.identity.schemas.sessions import Client, IssuedTokens

ISSUER = "Souk"
BACKUP_CODE_COUNT = 10
TOTP_WINDOW = 1  # one 30 s step either side: phone clocks drift and people type slowly
MFA_FAILURES = RateLimit("mfa-failures", limit=5, window_seconds=15 * 60)
# No 0/o, 1/l/i: backup codes get copied from paper. 31 symbols x 10 ≈ 49 bits each.
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"

Method = Literal["totp", "backup_code"]


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
    return "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(BACKUP_LENGTH))


def _shown(code: str) -> str:
    half = BACKUP_LENGTH // 2
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
    if TOTP_CODE.match(code):
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
    record = audit.build_record(principal.actor, "user.mfa_setup", "user", user.user_id, after={"mfaPending": True})
    try:
        store.set_pending_secret(user, secret, record)
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
    record = audit.build_record(principal.actor, "user.mfa_enable", "user", user.user_id, before={"mfaEnabled": False},
                                after={"mfaEnabled": True, "backupCodes": len(codes)})  # fmt: skip
    try:
        store.enable_mfa(user, pending, step, {backup_hash(user.user_id, c) for c in codes}, record)
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
    record = audit.build_record(principal.actor, "user.mfa_disable", "user", user.user_id,
                                before={"mfaEnabled": True}, after={"mfaEnabled": False, "method": method})  # fmt: skip
    try:
        store.disable_mfa(user, step if method == "totp" else None, record)
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
    actor = client_actor(user, client)
    method, step, hashed = _match(user, request.code, actor)
    try:
        if method == "totp":
            store.accept_totp_step(user, step)
        else:
            store.spend_backup_code(user, hashed)
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
