"""The whole sign-up and sign-in story, driven over HTTP against `make run`'s runner."""

from __future__ import annotations

import pyotp
import pytest

from tests.e2e.client import PASSWORD, call, emailed_code
from tests.e2e.conftest import RunnerProcess

pytestmark = pytest.mark.e2e


def test_register_verify_refresh_reuse_login_2fa_logout(runner: RunnerProcess) -> None:
    email = "flow@example.com"
    # register → the code arrives in the outbox through the queue, the worker and fake SendGrid
    registered = call(runner, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "Flo"})
    assert registered.status == 201, registered.body
    code = emailed_code(runner, email)
    # verify → tokens; me answers
    verified = call(runner, "POST", "/api/v1/auth/verify", {"email": email, "code": code})
    assert verified.status == 200, verified.body
    first = verified.json["data"]
    assert call(runner, "GET", "/api/v1/auth/me", token=first["accessToken"]).json["data"]["email"] == email
    # refresh → a new pair; replaying the old refresh token kills the whole session
    second = call(runner, "POST", "/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]}).json["data"]
    replay = call(runner, "POST", "/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert replay.status == 401 and replay.json["error"]["code"] == "INVALID_TOKEN"
    assert call(runner, "GET", "/api/v1/auth/me", token=second["accessToken"]).status == 401
    # login again, then turn 2FA on
    token = call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD}).json["data"][
        "accessToken"
    ]
    secret = call(runner, "POST", "/api/v1/auth/2fa/setup", token=token).json["data"]["secret"]
    enabled = call(runner, "POST", "/api/v1/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}, token=token)
    assert enabled.status == 200, enabled.body
    backup_codes = enabled.json["data"]["backupCodes"]
    # login now asks for the second factor
    challenged = call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert challenged.status == 401 and challenged.json["error"]["code"] == "MFA_REQUIRED"
    mfa_token = challenged.json["data"]["mfaToken"]
    # (the TOTP code just used to enable is spent; a backup code completes the sign-in)
    signed_in = call(runner, "POST", "/api/v1/auth/login/2fa", {"mfaToken": mfa_token, "code": backup_codes[0]})
    assert signed_in.status == 200, signed_in.body
    final = signed_in.json["data"]["accessToken"]
    assert call(runner, "GET", "/api/v1/auth/me", token=final).status == 200
    # logout → that token is refused at once
    assert call(runner, "POST", "/api/v1/auth/logout", token=final).status == 200
    refused = call(runner, "GET", "/api/v1/auth/me", token=final)
    assert refused.status == 401 and refused.json["error"]["code"] == "INVALID_TOKEN"
