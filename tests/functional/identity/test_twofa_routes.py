"""Two-factor sign-in: setup, enable, disable and the second sign-in step, through the template's routes."""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
import pyotp
import pytest

from souk.audit.models import AuditRecord
from souk.identity.jwt_tokens import issue_purpose_token
from souk.identity.models import User
from tests.factories import PASSWORD, create_user, token_for
from tests.support import ApiClient, assert_error

SETUP = "/api/v1/auth/2fa/setup"
ENABLE = "/api/v1/auth/2fa/enable"
DISABLE = "/api/v1/auth/2fa/disable"
LOGIN_2FA = "/api/v1/auth/login/2fa"


@dataclass
class MfaUser:
    user: User
    token: str
    totp: pyotp.TOTP
    backup_codes: list[str]


def next_code(totp: pyotp.TOTP) -> str:
    """The code of the next 30 s step: inside the accepted window, and newer than any code used so far."""
    return totp.at(time.time() + 30)


def used_code(mfa: MfaUser) -> str:
    """The last code accepted for this user (whatever the clock says now)."""
    return mfa.totp.generate_otp(int(User.get(f"USER#{mfa.user.user_id}", "PROFILE").totp_last_step))


def wrong_code(totp: pyotp.TOTP) -> str:
    """A 6-digit code that no step near now produces."""
    near = {totp.at(time.time() + offset) for offset in (-60, -30, 0, 30, 60)}
    return next(c for c in ("000000", "111111", "222222", "333333", "444444", "555555") if c not in near)


def _audited(user_id: str, action: str) -> list[AuditRecord]:
    return [r for r in AuditRecord.gsi2.query(f"AUDIT_RES#user#{user_id}") if r.action == action]


def _setup_and_enable(api: ApiClient, user: User) -> MfaUser:
    token = token_for(user)
    secret = api.post(SETUP, token=token).json["data"]["secret"]
    totp = pyotp.TOTP(secret)
    enabled = api.post(ENABLE, json_body={"code": totp.now()}, token=token)
    assert enabled.status == 200, enabled.body
    return MfaUser(user, token, totp, enabled.json["data"]["backupCodes"])


@pytest.fixture
def mfa_user(api: ApiClient) -> MfaUser:
    return _setup_and_enable(api, create_user(email=f"mfa-{time.time_ns()}@example.com"))


def _mfa_token(api: ApiClient, user: User) -> str:
    response = api.post("/api/v1/auth/login", json_body={"email": user.email, "password": PASSWORD})
    payload = assert_error(response, 401, "MFA_REQUIRED")
    return str(payload["data"]["mfaToken"])


# --- setup
def test_setup_returns_a_secret_and_otpauth_url_but_leaves_2fa_off(api: ApiClient) -> None:
    # GIVEN a signed-in user
    user = create_user(email="tess@example.com")
    token = token_for(user)
    # WHEN
    response = api.post(SETUP, token=token)
    # THEN
    assert response.status == 200, response.body
    data = response.json["data"]
    assert len(data["secret"]) == 32
    assert data["otpauthUrl"].startswith("otpauth://totp/Souk:tess%40example.com?")
    assert f"secret={data['secret']}" in data["otpauthUrl"] and "issuer=Souk" in data["otpauthUrl"]
    # AND 2FA is still off: login needs no code yet
    assert api.get("/api/v1/auth/me", token=token).json["data"]["mfaEnabled"] is False
    assert api.post("/api/v1/auth/login", json_body={"email": user.email, "password": PASSWORD}).status == 200
    # AND the secret never reaches the audit log
    [record] = _audited(user.user_id, "user.mfa_setup")
    assert data["secret"] not in str(record.after)


def test_setup_again_replaces_the_pending_secret(api: ApiClient) -> None:
    # GIVEN two setups in a row
    token = token_for(create_user())
    first = api.post(SETUP, token=token).json["data"]["secret"]
    second = api.post(SETUP, token=token).json["data"]["secret"]
    # WHEN a code of the first secret is used
    stale = api.post(ENABLE, json_body={"code": pyotp.TOTP(first).now()}, token=token)
    # THEN only the newest secret counts
    assert first != second
    if pyotp.TOTP(first).now() != pyotp.TOTP(second).now():
        assert_error(stale, 400, "VALIDATION_ERROR")
    assert api.post(ENABLE, json_body={"code": pyotp.TOTP(second).now()}, token=token).status == 200


def test_setup_when_2fa_is_on_is_409(api: ApiClient, mfa_user: MfaUser) -> None:
    assert_error(api.post(SETUP, token=mfa_user.token), 409, "INVALID_STATE")


@pytest.mark.parametrize("path", [SETUP, ENABLE, DISABLE])
def test_2fa_settings_need_a_signed_in_user(api: ApiClient, path: str) -> None:
    assert_error(api.post(path, json_body={"code": "123456"}), 401, "UNAUTHORIZED")
    assert_error(api.post(path, json_body={"code": "123456"}, token="not.a.jwt"), 401, "INVALID_TOKEN")


def test_2fa_settings_refuse_a_revoked_session(api: ApiClient) -> None:
    # GIVEN a token whose session was logged out
    token = token_for(create_user())
    api.post("/api/v1/auth/logout", token=token)
    # THEN
    assert_error(api.post(SETUP, token=token), 401, "INVALID_TOKEN")


# --- enable
def test_enable_turns_2fa_on_and_returns_ten_backup_codes_once(api: ApiClient, mfa_user: MfaUser) -> None:
    # THEN (the fixture enabled it) ten distinct readable codes came back
    codes = mfa_user.backup_codes
    assert len(codes) == len(set(codes)) == 10
    assert all(len(c) == 11 and c[5] == "-" for c in codes)
    # AND only their hashes are stored
    stored = User.get(f"USER#{mfa_user.user.user_id}", "PROFILE")
    assert stored.mfa_enabled and stored.totp_pending_secret is None and stored.totp_secret == mfa_user.totp.secret
    assert len(stored.backup_code_hashes) == 10
    assert not {c.replace("-", "") for c in codes} & stored.backup_code_hashes
    # AND the change is audited, and password sign-in now asks for the second factor
    [record] = _audited(mfa_user.user.user_id, "user.mfa_enable")
    assert record.before == {"mfaEnabled": False} and record.after["mfaEnabled"] is True
    assert api.get("/api/v1/auth/me", token=mfa_user.token).json["data"]["mfaEnabled"] is True
    assert _mfa_token(api, mfa_user.user)


def test_enable_with_a_wrong_code_is_400_on_code(api: ApiClient) -> None:
    # GIVEN a pending secret
    token = token_for(create_user())
    secret = api.post(SETUP, token=token).json["data"]["secret"]
    wrong = wrong_code(pyotp.TOTP(secret))
    # WHEN
    payload = assert_error(api.post(ENABLE, json_body={"code": wrong}, token=token), 400, "VALIDATION_ERROR")
    # THEN
    assert payload["error"]["details"][0]["field"] == "code"


@pytest.mark.parametrize("body", [{}, {"code": "12345"}, {"code": "12ab56"}, {"code": "abcde-fghjk"}])
def test_enable_validation_errors_name_code(api: ApiClient, body: dict) -> None:
    token = token_for(create_user())
    api.post(SETUP, token=token)
    payload = assert_error(api.post(ENABLE, json_body=body, token=token), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "code"


def test_enable_without_setup_is_409(api: ApiClient) -> None:
    assert_error(api.post(ENABLE, json_body={"code": "123456"}, token=token_for(create_user())), 409, "INVALID_STATE")


def test_enable_when_already_on_is_409(api: ApiClient, mfa_user: MfaUser) -> None:
    assert_error(api.post(ENABLE, json_body={"code": next_code(mfa_user.totp)}, token=mfa_user.token),
                 409, "INVALID_STATE")  # fmt: skip


def test_enable_locks_after_five_wrong_codes(api: ApiClient) -> None:
    # GIVEN a pending secret and five wrong guesses
    token = token_for(create_user())
    totp = pyotp.TOTP(api.post(SETUP, token=token).json["data"]["secret"])
    wrong = wrong_code(totp)
    for _ in range(5):
        api.post(ENABLE, json_body={"code": wrong}, token=token)
    # WHEN even the right code follows
    locked = api.post(ENABLE, json_body={"code": totp.now()}, token=token)
    # THEN
    assert_error(locked, 429, "RATE_LIMIT_EXCEEDED")
    assert int(locked.headers["Retry-After"]) > 0


# --- disable
def test_disable_with_a_totp_code_turns_2fa_off_and_erases_secrets(api: ApiClient, mfa_user: MfaUser) -> None:
    # WHEN
    response = api.post(DISABLE, json_body={"code": next_code(mfa_user.totp)}, token=mfa_user.token)
    # THEN
    assert response.status == 200, response.body
    assert response.json["data"] == {"mfaEnabled": False}
    stored = User.get(f"USER#{mfa_user.user.user_id}", "PROFILE")
    assert not stored.mfa_enabled and stored.totp_secret is None and stored.backup_code_hashes is None
    [record] = _audited(mfa_user.user.user_id, "user.mfa_disable")
    assert record.after == {"mfaEnabled": False, "method": "totp"}
    # AND password sign-in gives tokens again
    assert api.post("/api/v1/auth/login", json_body={"email": mfa_user.user.email, "password": PASSWORD}).status == 200


def test_disable_with_a_backup_code(api: ApiClient, mfa_user: MfaUser) -> None:
    response = api.post(DISABLE, json_body={"code": mfa_user.backup_codes[3].upper()}, token=mfa_user.token)
    assert response.status == 200, response.body
    assert _audited(mfa_user.user.user_id, "user.mfa_disable")[0].after["method"] == "backup_code"


def test_disable_with_a_wrong_or_replayed_code_is_400(api: ApiClient, mfa_user: MfaUser) -> None:
    # GIVEN the code that enabled 2FA (already accepted once) and a made-up backup code
    used = used_code(mfa_user)
    # THEN neither turns 2FA off
    for code in (used, "zzzzz-zzzzz"):
        payload = assert_error(api.post(DISABLE, json_body={"code": code}, token=mfa_user.token),
                               400, "VALIDATION_ERROR")  # fmt: skip
        assert payload["error"]["details"][0]["field"] == "code"
    assert User.get(f"USER#{mfa_user.user.user_id}", "PROFILE").mfa_enabled


def test_disable_when_off_is_409(api: ApiClient) -> None:
    assert_error(api.post(DISABLE, json_body={"code": "123456"}, token=token_for(create_user())), 409, "INVALID_STATE")


@pytest.mark.parametrize("body", [{}, {"code": "12"}, {"code": "not a code at all"}])
def test_disable_validation_errors_name_code(api: ApiClient, mfa_user: MfaUser, body: dict) -> None:
    payload = assert_error(api.post(DISABLE, json_body=body, token=mfa_user.token), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "code"


# --- login/2fa
def test_login_2fa_with_totp_returns_tokens(api: ApiClient, mfa_user: MfaUser) -> None:
    # GIVEN the password step passed
    mfa_token = _mfa_token(api, mfa_user.user)
    # WHEN
    response = api.post(LOGIN_2FA, json_body={"mfaToken": mfa_token, "code": next_code(mfa_user.totp)})
    # THEN
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["user"]["id"] == mfa_user.user.user_id and data["user"]["mfaEnabled"] is True
    assert response.headers["X-RateLimit-Limit"] == "5"
    assert api.get("/api/v1/auth/me", token=data["accessToken"]).status == 200
    assert api.post("/api/v1/auth/refresh", json_body={"refreshToken": data["refreshToken"]}).status == 200
    [record] = _audited(mfa_user.user.user_id, "user.login_2fa")
    assert record.after["method"] == "totp"


def test_login_2fa_refuses_a_replayed_totp_code_and_logs_it(api: ApiClient, mfa_user: MfaUser) -> None:
    # GIVEN a code that just signed in
    code = next_code(mfa_user.totp)
    body = {"mfaToken": _mfa_token(api, mfa_user.user), "code": code}
    assert api.post(LOGIN_2FA, json_body=body).status == 200
    # WHEN the same code is sent again inside its window
    replay = api.post(LOGIN_2FA, json_body=body)
    # THEN it is refused, on the code field, and the refusal is on the record
    payload = assert_error(replay, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"] == [
        {"field": "code", "message": "This code was already used; wait for the next one."}
    ]
    assert len(_audited(mfa_user.user.user_id, "user.mfa_replay_refused")) == 1


def test_login_2fa_refuses_the_code_that_enabled_2fa(api: ApiClient, mfa_user: MfaUser) -> None:
    body = {"mfaToken": _mfa_token(api, mfa_user.user), "code": used_code(mfa_user)}
    assert_error(api.post(LOGIN_2FA, json_body=body), 400, "VALIDATION_ERROR")


def test_login_2fa_backup_code_works_exactly_once(api: ApiClient, mfa_user: MfaUser) -> None:
    # GIVEN one backup code, typed without its dash
    code = mfa_user.backup_codes[0].replace("-", "")
    # WHEN it is used twice
    first = api.post(LOGIN_2FA, json_body={"mfaToken": _mfa_token(api, mfa_user.user), "code": code})
    second = api.post(LOGIN_2FA, json_body={"mfaToken": _mfa_token(api, mfa_user.user), "code": code})
    # THEN the first signs in and the second is refused
    assert first.status == 200, first.body
    assert_error(second, 400, "VALIDATION_ERROR")
    assert len(User.get(f"USER#{mfa_user.user.user_id}", "PROFILE").backup_code_hashes) == 9
    [record] = _audited(mfa_user.user.user_id, "user.login_2fa")
    assert record.after["method"] == "backup_code" and record.after["backupCodesLeft"] == 9
    # AND the other codes still work
    other = api.post(
        LOGIN_2FA, json_body={"mfaToken": _mfa_token(api, mfa_user.user), "code": mfa_user.backup_codes[1]}
    )
    assert other.status == 200


def test_login_2fa_wrong_code_is_400_and_five_failures_lock(api: ApiClient, mfa_user: MfaUser) -> None:
    mfa_token = _mfa_token(api, mfa_user.user)
    wrong = wrong_code(mfa_user.totp)
    for remaining in (4, 3, 2, 1, 0):
        failed = api.post(LOGIN_2FA, json_body={"mfaToken": mfa_token, "code": wrong})
        assert_error(failed, 400, "VALIDATION_ERROR")
        assert failed.headers["X-RateLimit-Remaining"] == str(remaining)
    # WHEN the right code follows the fifth failure
    locked = api.post(LOGIN_2FA, json_body={"mfaToken": mfa_token, "code": next_code(mfa_user.totp)})
    # THEN
    assert_error(locked, 429, "RATE_LIMIT_EXCEEDED")
    assert int(locked.headers["Retry-After"]) > 0


def test_login_2fa_refuses_bad_expired_and_foreign_tokens(api: ApiClient, mfa_user: MfaUser) -> None:
    # GIVEN tokens that are not a live mfaToken of this flow
    now = int(time.time())
    claims = {"iss": "souk", "aud": "souk-api:mfa", "sub": mfa_user.user.user_id, "iat": now - 600,
              "exp": now - 300, "jti": "x"}  # fmt: skip
    expired = jwt.encode(claims, "test-jwt-secret-0123456789abcdef0123456789", algorithm="HS256")
    other_purpose = issue_purpose_token("reset", mfa_user.user.user_id, 300)
    for token in (expired, other_purpose, mfa_user.token, "x" * 40):
        # THEN each is INVALID_TOKEN
        body = {"mfaToken": token, "code": next_code(mfa_user.totp)}
        assert_error(api.post(LOGIN_2FA, json_body=body), 401, "INVALID_TOKEN")


def test_login_2fa_after_2fa_was_turned_off_is_401(api: ApiClient, mfa_user: MfaUser) -> None:
    # GIVEN an mfaToken, then 2FA turned off with a backup code
    mfa_token = _mfa_token(api, mfa_user.user)
    assert api.post(DISABLE, json_body={"code": mfa_user.backup_codes[0]}, token=mfa_user.token).status == 200
    # THEN
    body = {"mfaToken": mfa_token, "code": mfa_user.backup_codes[1]}
    assert_error(api.post(LOGIN_2FA, json_body=body), 401, "INVALID_TOKEN")


def test_login_2fa_suspended_account_is_403(api: ApiClient, mfa_user: MfaUser) -> None:
    mfa_token = _mfa_token(api, mfa_user.user)
    stored = User.get(f"USER#{mfa_user.user.user_id}", "PROFILE")
    stored.update([User.status.set("suspended")])
    body = {"mfaToken": mfa_token, "code": next_code(mfa_user.totp)}
    assert_error(api.post(LOGIN_2FA, json_body=body), 403, "ACCOUNT_SUSPENDED")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"code": "123456"}, "mfaToken"),
        ({"mfaToken": "x" * 40}, "code"),
        ({"mfaToken": "x" * 40, "code": "12-34"}, "code"),
    ],
)
def test_login_2fa_validation_errors_name_the_field(api: ApiClient, body: dict, field: str) -> None:
    payload = assert_error(api.post(LOGIN_2FA, json_body=body), 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}
