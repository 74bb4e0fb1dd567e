"""Registration, verification, sign-in, refresh, logout and /me through the template's routes."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.factories import PASSWORD, create_user, last_code, queued_jobs, token_for
from tests.support import ApiClient, assert_error

STRONG = "Sp4rkling-Otter-91"


def _register(api: ApiClient, email: str = "ada@example.com", **extra: object):
    body = {"email": email, "password": STRONG, "name": "Ada", **extra}
    return api.post("/api/v1/auth/register", json_body=body)


# --- register
def test_register_creates_a_pending_account_and_emails_a_code(api: ApiClient, aws_resources: dict) -> None:
    # WHEN
    response = _register(api, "Ada@Example.com", phone="+14155550123", role="store_owner")
    # THEN
    assert response.status == 201, response.body
    user = response.json["data"]
    assert user["status"] == "pending_verification" and user["role"] == "store_owner"
    assert user["email"] == "ada@example.com"
    assert "passwordHash" not in user
    jobs = queued_jobs(aws_resources["EmailQueue"])
    assert {j["channel"] for j in jobs} == {"email", "sms"}
    assert all(len(str(j["variables"]["code"])) == 6 for j in jobs)


def test_register_same_email_any_case_is_409(api: ApiClient) -> None:
    assert _register(api, "dup@example.com").status == 201
    assert_error(_register(api, "DUP@example.com"), 409, "DUPLICATE_ENTRY")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "not-an-email", "password": STRONG, "name": "A"}, "email"),
        ({"email": "a@example.com", "password": "short", "name": "A"}, "password"),
        ({"email": "a@example.com", "password": "Password1!", "name": "A"}, "password"),
        ({"email": "a@example.com", "password": STRONG, "name": "   "}, "name"),
        ({"email": "a@example.com", "password": STRONG, "name": "A", "role": "admin"}, "role"),
        ({"email": "a@example.com", "password": STRONG, "name": "A", "phone": "555-1234"}, "phone"),
        ({"password": STRONG, "name": "A"}, "email"),
    ],
)
def test_register_validation_errors_name_the_field(api: ApiClient, body: dict, field: str) -> None:
    payload = assert_error(api.post("/api/v1/auth/register", json_body=body), 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}


# --- verify
def test_verify_activates_and_signs_in(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN a registered account and its emailed code
    _register(api, "grace@example.com")
    code = last_code(aws_resources["EmailQueue"], "grace@example.com")
    # WHEN
    response = api.post("/api/v1/auth/verify", json_body={"email": "grace@example.com", "code": code})
    # THEN
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["user"]["status"] == "active" and data["tokenType"] == "Bearer"
    me = api.get("/api/v1/auth/me", token=data["accessToken"])
    assert me.status == 200 and me.json["data"]["email"] == "grace@example.com"
    # AND the code is single use
    again = api.post("/api/v1/auth/verify", json_body={"email": "grace@example.com", "code": code})
    assert_error(again, 409, "INVALID_STATE")


def test_verify_wrong_code_is_400_and_five_misses_burn_the_code(api: ApiClient, aws_resources: dict) -> None:
    _register(api, "lin@example.com")
    code = last_code(aws_resources["EmailQueue"], "lin@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        assert_error(api.post("/api/v1/auth/verify", json_body={"email": "lin@example.com", "code": wrong}),
                     400, "VALIDATION_ERROR")  # fmt: skip
    # THEN even the right code no longer works
    assert_error(api.post("/api/v1/auth/verify", json_body={"email": "lin@example.com", "code": code}),
                 400, "VALIDATION_ERROR")  # fmt: skip


def test_verify_unknown_email_looks_like_a_wrong_code(api: ApiClient) -> None:
    payload = assert_error(api.post("/api/v1/auth/verify", json_body={"email": "nobody@example.com", "code": "123456"}),
                           400, "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "code"


def test_verify_malformed_code_is_400(api: ApiClient) -> None:
    assert_error(api.post("/api/v1/auth/verify", json_body={"email": "a@example.com", "code": "12ab"}),
                 400, "VALIDATION_ERROR")  # fmt: skip


# --- resend
def test_resend_code_sends_a_new_code_and_is_rate_limited(api: ApiClient, aws_resources: dict) -> None:
    _register(api, "kay@example.com")
    old = last_code(aws_resources["EmailQueue"], "kay@example.com")
    responses = [api.post("/api/v1/auth/resend-code", json_body={"email": "kay@example.com"}) for _ in range(3)]
    assert [r.status for r in responses] == [200, 200, 200]
    assert responses[-1].headers["X-RateLimit-Remaining"] == "0"
    new = last_code(aws_resources["EmailQueue"], "kay@example.com")
    limited = assert_error(api.post("/api/v1/auth/resend-code", json_body={"email": "kay@example.com"}), 429,
                           "RATE_LIMIT_EXCEEDED")  # fmt: skip
    assert limited and int(api.post("/api/v1/auth/resend-code", json_body={"email": "kay@example.com"})
                           .headers["Retry-After"]) > 0  # fmt: skip
    # AND only the newest code works
    if old != new:
        assert_error(api.post("/api/v1/auth/verify", json_body={"email": "kay@example.com", "code": old}),
                     400, "VALIDATION_ERROR")  # fmt: skip
    assert api.post("/api/v1/auth/verify", json_body={"email": "kay@example.com", "code": new}).status == 200


def test_resend_code_for_unknown_email_answers_the_same(api: ApiClient, aws_resources: dict) -> None:
    response = api.post("/api/v1/auth/resend-code", json_body={"email": "ghost@example.com"})
    assert response.status == 200
    assert queued_jobs(aws_resources["EmailQueue"]) == []


def test_resend_code_validation(api: ApiClient) -> None:
    assert_error(api.post("/api/v1/auth/resend-code", json_body={"email": "nope"}), 400, "VALIDATION_ERROR")


# --- login
def test_login_returns_tokens_and_rate_limit_headers(api: ApiClient) -> None:
    user = create_user(email="max@example.com")
    response = api.post("/api/v1/auth/login", json_body={"email": "MAX@example.com", "password": PASSWORD})
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["expiresIn"] == 900 and data["user"]["id"] == user.user_id
    assert response.headers["X-RateLimit-Limit"] == "5"
    claims = jwt.decode(data["accessToken"], options={"verify_signature": False})
    assert {"iss", "aud", "sub", "sid", "role", "exp", "iat", "jti"} <= set(claims)


def test_login_unknown_email_and_wrong_password_look_the_same(api: ApiClient) -> None:
    create_user(email="sam@example.com")
    login = "/api/v1/auth/login"
    wrong = assert_error(api.post(login, json_body={"email": "sam@example.com", "password": "Nope-123!"}),
                         401, "INVALID_CREDENTIALS")  # fmt: skip
    unknown = assert_error(api.post(login, json_body={"email": "x@example.com", "password": "Nope-123!"}),
                           401, "INVALID_CREDENTIALS")  # fmt: skip
    assert wrong["error"]["message"] == unknown["error"]["message"]


def test_login_locks_after_five_failures_per_email_and_ip(api: ApiClient) -> None:
    create_user(email="eve@example.com")
    for _ in range(5):
        api.post("/api/v1/auth/login", json_body={"email": "eve@example.com", "password": "Wrong-123!"})
    locked = api.post("/api/v1/auth/login", json_body={"email": "eve@example.com", "password": PASSWORD})
    assert_error(locked, 429, "RATE_LIMIT_EXCEEDED")
    assert int(locked.headers["Retry-After"]) > 0 and locked.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.parametrize(("status", "code"), [("suspended", "ACCOUNT_SUSPENDED"),
                                              ("pending_verification", "ACCOUNT_NOT_VERIFIED")])  # fmt: skip
def test_login_refuses_suspended_and_unverified(api: ApiClient, status: str, code: str) -> None:
    user = create_user(status=status)
    assert_error(api.post("/api/v1/auth/login", json_body={"email": user.email, "password": PASSWORD}), 403, code)


def test_login_validation(api: ApiClient) -> None:
    assert_error(api.post("/api/v1/auth/login", json_body={"email": "a@example.com"}), 400, "VALIDATION_ERROR")
    assert_error(api.post("/api/v1/auth/login", body=b"{oops", headers={"Content-Type": "application/json"}),
                 400, "BAD_REQUEST")  # fmt: skip


# --- refresh
def test_refresh_rotates_and_reuse_revokes_the_session(api: ApiClient) -> None:
    user = create_user()
    first = api.post("/api/v1/auth/login", json_body={"email": user.email, "password": PASSWORD}).json["data"]
    # WHEN the refresh token is used once
    second = api.post("/api/v1/auth/refresh", json_body={"refreshToken": first["refreshToken"]})
    assert second.status == 200, second.body
    pair = second.json["data"]
    assert pair["refreshToken"] != first["refreshToken"]
    assert api.get("/api/v1/auth/me", token=pair["accessToken"]).status == 200
    # AND the old one is replayed
    assert_error(api.post("/api/v1/auth/refresh", json_body={"refreshToken": first["refreshToken"]}),
                 401, "INVALID_TOKEN")  # fmt: skip
    # THEN the whole session is dead: the new refresh token and the access token too
    assert_error(api.post("/api/v1/auth/refresh", json_body={"refreshToken": pair["refreshToken"]}),
                 401, "INVALID_TOKEN")  # fmt: skip
    assert_error(api.get("/api/v1/auth/me", token=pair["accessToken"]), 401, "INVALID_TOKEN")


def test_refresh_garbage_is_401_and_malformed_is_400(api: ApiClient) -> None:
    assert_error(api.post("/api/v1/auth/refresh", json_body={"refreshToken": "01ABC.not-a-real-secret"}),
                 401, "INVALID_TOKEN")  # fmt: skip
    assert_error(api.post("/api/v1/auth/refresh", json_body={}), 400, "VALIDATION_ERROR")


# --- logout and /me: the token checks every authenticated route relies on
def test_logout_refuses_the_access_token_at_once(api: ApiClient) -> None:
    token = token_for(create_user())
    assert api.post("/api/v1/auth/logout", token=token).status == 200
    assert_error(api.get("/api/v1/auth/me", token=token), 401, "INVALID_TOKEN")


def test_me_without_token_is_401(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/auth/me"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/auth/logout"), 401, "UNAUTHORIZED")


def _forge(claims: dict, key: str = "test-jwt-secret-0123456789abcdef0123456789", alg: str = "HS256") -> str:
    return jwt.encode(claims, key, algorithm=alg)


def test_me_refuses_expired_forged_and_alg_none_tokens(api: ApiClient) -> None:
    user = create_user()
    good = jwt.decode(token_for(user), options={"verify_signature": False})
    now = int(time.time())
    expired = _forge({**good, "iat": now - 3600, "exp": now - 60})
    wrong_key = _forge(good, key="another-key-another-key-another-key!!")
    alg_none = jwt.encode(good, None, algorithm="none")  # type: ignore[arg-type]
    unknown_session = _forge({**good, "sid": "01NOSUCHSESSION"})
    for token in (expired, wrong_key, alg_none, unknown_session, "not.a.jwt"):
        assert_error(api.get("/api/v1/auth/me", token=token), 401, "INVALID_TOKEN")


def test_me_returns_the_caller(api: ApiClient) -> None:
    user = create_user(role="courier", name="Cory")
    response = api.get("/api/v1/auth/me", token=token_for(user))
    assert response.status == 200
    assert response.json["data"] == {**response.json["data"], "id": user.user_id, "role": "courier", "name": "Cory"}
