"""The whole sign-up and sign-in story, driven over HTTP against `make run`'s runner."""

from __future__ import annotations

import json
from typing import Any

import pyotp
import pytest

from tests.e2e.conftest import RunnerProcess, http, wait_for

pytestmark = pytest.mark.e2e
PASSWORD = "Sp4rkling-Otter-91"


def _call(runner: RunnerProcess, method: str, path: str, body: Any = None, token: str | None = None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    return http(method, runner.url(path), body=data, headers=headers)


def _emailed_code(runner: RunnerProcess, email: str) -> str:
    def newest() -> str | None:
        reply = http("GET", runner.url(f"/api/_dev/outbox?to={email}&channel=email&limit=1"))
        items = reply.json["data"]
        return items[0]["text"] if items else None

    text = wait_for(newest, timeout=30)
    assert text, f"no email reached the outbox for {email}"
    return next(word.strip(".") for word in text.split() if word.strip(".").isdigit() and len(word.strip(".")) == 6)


def test_register_verify_refresh_reuse_login_2fa_logout(runner: RunnerProcess) -> None:
    email = "flow@example.com"
    # register → the code arrives in the outbox through the queue, the worker and fake SendGrid
    registered = _call(runner, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": "Flo"})
    assert registered.status == 201, registered.body
    code = _emailed_code(runner, email)
    # verify → tokens; me answers
    verified = _call(runner, "POST", "/api/v1/auth/verify", {"email": email, "code": code})
    assert verified.status == 200, verified.body
    first = verified.json["data"]
    assert _call(runner, "GET", "/api/v1/auth/me", token=first["accessToken"]).json["data"]["email"] == email
    # refresh → a new pair; replaying the old refresh token kills the whole session
    second = _call(runner, "POST", "/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]}).json["data"]
    replay = _call(runner, "POST", "/api/v1/auth/refresh", {"refreshToken": first["refreshToken"]})
    assert replay.status == 401 and replay.json["error"]["code"] == "INVALID_TOKEN"
    assert _call(runner, "GET", "/api/v1/auth/me", token=second["accessToken"]).status == 401
    # login again, then turn 2FA on
    token = _call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD}).json["data"][
        "accessToken"
    ]
    secret = _call(runner, "POST", "/api/v1/auth/2fa/setup", token=token).json["data"]["secret"]
    enabled = _call(runner, "POST", "/api/v1/auth/2fa/enable", {"code": pyotp.TOTP(secret).now()}, token=token)
    assert enabled.status == 200, enabled.body
    backup_codes = enabled.json["data"]["backupCodes"]
    # login now asks for the second factor
    challenged = _call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": PASSWORD})
    assert challenged.status == 401 and challenged.json["error"]["code"] == "MFA_REQUIRED"
    mfa_token = challenged.json["data"]["mfaToken"]
    # (the TOTP code just used to enable is spent; a backup code completes the sign-in)
    signed_in = _call(runner, "POST", "/api/v1/auth/login/2fa", {"mfaToken": mfa_token, "code": backup_codes[0]})
    assert signed_in.status == 200, signed_in.body
    final = signed_in.json["data"]["accessToken"]
    assert _call(runner, "GET", "/api/v1/auth/me", token=final).status == 200
    # logout → that token is refused at once
    assert _call(runner, "POST", "/api/v1/auth/logout", token=final).status == 200
    refused = _call(runner, "GET", "/api/v1/auth/me", token=final)
    assert refused.status == 401 and refused.json["error"]["code"] == "INVALID_TOKEN"
