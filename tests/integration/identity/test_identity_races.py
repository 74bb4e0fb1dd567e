"""Second-factor and reset-token races on DynamoDB Local: every one-use secret is used once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest

from souk.caller import Principal
from souk.errors import ValidationFailed
from souk.identity import passwords
from souk.identity.jwt_tokens import issue_purpose_token
from souk.identity.models import User
from souk.identity.schemas.mfa import MfaLoginRequest
from souk.identity.schemas.recovery import ResetPasswordRequest
from souk.identity.schemas.sessions import Client
from souk.identity.service import mfa, recovery
from souk.identity.service.sessions import start_session
from tests.factories import create_user
from tests.races import at_once

pytestmark = pytest.mark.integration


def _mfa_user() -> tuple[User, pyotp.TOTP, list[str]]:
    user = create_user()
    session = start_session(user, Client(ip="127.0.0.1")).session
    caller = Principal(user.user_id, user.role, session.session_id)
    totp = pyotp.TOTP(mfa.setup(caller).secret)
    codes = mfa.enable(caller, totp.now()).backup_codes
    return user, totp, codes


def _sign_in(user: User, code: str) -> Callable[[], Any]:
    request = MfaLoginRequest(mfa_token=issue_purpose_token("mfa", user.user_id, 300), code=code)
    return lambda: mfa.login(request, Client(ip="127.0.0.1", user_agent="race"))


def _outcome(results: list[Any]) -> tuple[int, list[Any]]:
    wins = [r for r in results if isinstance(r, tuple)]
    return len(wins), [r for r in results if not isinstance(r, tuple)]


def test_one_backup_code_used_by_five_requests_at_once_signs_in_once(table: str) -> None:
    # GIVEN 2FA on, and one backup code
    user, _, codes = _mfa_user()
    # WHEN five sign-ins race with it
    wins, losses = _outcome(at_once([_sign_in(user, codes[0])] * 5))
    # THEN exactly one signs in; the others are refused on the code field
    assert wins == 1
    assert all(isinstance(e, ValidationFailed) and e.details[0]["field"] == "code" for e in losses), losses
    assert len(User.get(user.pk, user.sk, consistent_read=True).backup_code_hashes) == 9


def test_one_totp_code_sent_twice_at_once_signs_in_once(table: str) -> None:
    # GIVEN 2FA on and the next step's code
    user, totp, _ = _mfa_user()
    later = datetime.now(UTC) + timedelta(seconds=30)
    code, step = totp.at(later), totp.timecode(later)
    # WHEN two sign-ins race with it
    wins, losses = _outcome(at_once([_sign_in(user, code)] * 2))
    # THEN exactly one signs in; the replay is refused
    assert wins == 1
    assert len(losses) == 1 and isinstance(losses[0], ValidationFailed), losses
    assert User.get(user.pk, user.sk, consistent_read=True).totp_last_step == step


def test_one_reset_token_used_at_once_resets_once(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a reset token (the email is captured instead of queued)
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr("souk.identity.service.recovery.enqueue_email", lambda *args, **kwargs: sent.append(args[2]))
    user = create_user()
    recovery.forgot_password(user.email, Client())
    token = str(sent[0]["token"])
    attempts = iter([f"Race-Winner-{i}-Passphrase!" for i in range(3)])
    lock = threading.Lock()

    def reset() -> Any:
        with lock:
            password = next(attempts)
        recovery.reset_password(ResetPasswordRequest(token=token, new_password=password), Client())
        return (password,)

    # WHEN three resets race with it
    results = at_once([reset] * 3)
    # THEN exactly one applied, and the password is that one's (a losing request never half-applies)
    wins = [r[0] for r in results if isinstance(r, tuple)]
    assert len(wins) == 1, results
    stored = User.get(user.pk, user.sk, consistent_read=True).password_hash
    assert passwords.verify_password(stored, wins[0])
    losses = [r for r in results if not isinstance(r, tuple)]
    assert all(isinstance(r, ValidationFailed) and r.details[0]["field"] == "token" for r in losses), losses
