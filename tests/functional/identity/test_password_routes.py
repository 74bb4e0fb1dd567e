"""Forgotten, reset and changed passwords, through the template's routes."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from souk.audit.models import AuditRecord
from souk.identity.service import recovery
from tests.factories import PASSWORD, create_user, queued_jobs, token_for
from tests.support import ApiClient, assert_error

FORGOT, RESET, CHANGE = "/api/v1/auth/forgot-password", "/api/v1/auth/reset-password", "/api/v1/auth/change-password"
NEW = "N3w-Passphrase-Quartz"


def _reset_jobs(queue_url: str, email: str) -> list[dict]:
    return [j for j in queued_jobs(queue_url) if j["to"] == email and j["template"] == "password_reset"]


def _reset_token(api: ApiClient, queue_url: str, email: str) -> str:
    assert api.post(FORGOT, json_body={"email": email}).status == 200
    [job] = _reset_jobs(queue_url, email)
    return str(job["variables"]["token"])


def _login(api: ApiClient, email: str, password: str) -> int:
    return api.post("/api/v1/auth/login", json_body={"email": email, "password": password}).status


def _audited(user_id: str, action: str) -> list[AuditRecord]:
    return [r for r in AuditRecord.gsi2.query(f"AUDIT_RES#user#{user_id}") if r.action == action]


# --- forgot-password
def test_forgot_password_emails_a_reset_link(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN an active account
    user = create_user(email="rosa@example.com", name="Rosa")
    # WHEN (any case of the email)
    response = api.post(FORGOT, json_body={"email": "Rosa@Example.com"})
    # THEN
    assert response.status == 200, response.body
    assert response.headers["X-RateLimit-Limit"] == "3"
    [job] = _reset_jobs(aws_resources["EmailQueue"], "rosa@example.com")
    variables = job["variables"]
    assert variables["name"] == "Rosa" and variables["expires_in_minutes"] == 30
    link = urlparse(variables["reset_url"])
    assert f"{link.scheme}://{link.netloc}{link.path}" == "http://localhost:3000/reset-password"
    assert parse_qs(link.query)["token"] == [variables["token"]] and len(variables["token"]) >= 40
    # AND the request is audited, without the token
    [record] = _audited(user.user_id, "user.password_reset_request")
    assert variables["token"] not in str(record.after)
    # AND the token is in the expiry index, so the hourly cleanup removes it promptly
    from souk.identity import keys, tokens
    from souk.identity.models import ResetToken

    token_key = keys.reset_token(tokens.token_hash(variables["token"]))
    assert ResetToken.get(token_key, token_key).gsi4pk.startswith("EXPIRES#")


@pytest.mark.parametrize("status", ["pending_verification", "suspended", None])
def test_forgot_password_answers_the_same_for_unknown_and_inactive_accounts(
    api: ApiClient, aws_resources: dict, status: str | None
) -> None:
    # GIVEN an active account's answer, and an email that is unknown or not active
    create_user(email="known@example.com")
    known = api.post(FORGOT, json_body={"email": "known@example.com"})
    other = "nobody@example.com" if status is None else create_user(status=status).email
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN
    response = api.post(FORGOT, json_body={"email": other})
    # THEN same status and body, and nothing is sent
    assert response.status == known.status == 200
    assert response.json["data"] == known.json["data"]
    assert queued_jobs(aws_resources["EmailQueue"]) == []


def test_forgot_password_is_rate_limited_per_email(api: ApiClient) -> None:
    create_user(email="flood@example.com")
    assert [api.post(FORGOT, json_body={"email": "flood@example.com"}).status for _ in range(3)] == [200] * 3
    limited = api.post(FORGOT, json_body={"email": "FLOOD@example.com"})
    assert_error(limited, 429, "RATE_LIMIT_EXCEEDED")
    assert int(limited.headers["Retry-After"]) > 0
    # AND another email is not affected
    assert api.post(FORGOT, json_body={"email": "someone-else@example.com"}).status == 200


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email"}])
def test_forgot_password_validation(api: ApiClient, body: dict) -> None:
    payload = assert_error(api.post(FORGOT, json_body=body), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "email"


# --- reset-password
def test_reset_password_sets_the_password_and_signs_out_everywhere(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN two signed-in sessions and a reset token
    user = create_user(email="ivo@example.com")
    sessions = [token_for(user), token_for(user)]
    token = _reset_token(api, aws_resources["EmailQueue"], user.email)
    # WHEN
    response = api.post(RESET, json_body={"token": token, "newPassword": NEW})
    # THEN
    assert response.status == 200, response.body
    assert response.json["data"] == {"passwordChanged": True, "sessionsRevoked": 2}
    for access in sessions:
        assert_error(api.get("/api/v1/auth/me", token=access), 401, "INVALID_TOKEN")
    assert _login(api, user.email, NEW) == 200
    assert _login(api, user.email, PASSWORD) == 401
    assert len(_audited(user.user_id, "user.password_reset")) == 1


def test_reset_token_works_once(api: ApiClient, aws_resources: dict) -> None:
    user = create_user()
    token = _reset_token(api, aws_resources["EmailQueue"], user.email)
    assert api.post(RESET, json_body={"token": token, "newPassword": NEW}).status == 200
    payload = assert_error(api.post(RESET, json_body={"token": token, "newPassword": "An0ther-Passphrase!"}),
                           400, "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "token"
    assert _login(api, user.email, NEW) == 200


def test_reset_with_a_weak_password_is_400_and_keeps_the_token(api: ApiClient, aws_resources: dict) -> None:
    user = create_user(email="weak@example.com")
    token = _reset_token(api, aws_resources["EmailQueue"], user.email)
    for weak in ("short", "password1", "alllowercase-123", "weak-Example-123!"):
        payload = assert_error(
            api.post(RESET, json_body={"token": token, "newPassword": weak}), 400, "VALIDATION_ERROR"
        )
        assert {d["field"] for d in payload["error"]["details"]} == {"newPassword"}
    # THEN the token still works with a good password
    assert api.post(RESET, json_body={"token": token, "newPassword": NEW}).status == 200


def test_reset_with_an_unknown_or_expired_token_is_400(
    api: ApiClient, aws_resources: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an issued token, and a clock 31 minutes later
    user = create_user()
    token = _reset_token(api, aws_resources["EmailQueue"], user.email)
    unknown = assert_error(api.post(RESET, json_body={"token": "x" * 43, "newPassword": NEW}), 400, "VALIDATION_ERROR")
    real_now = recovery._now
    monkeypatch.setattr(recovery, "_now", lambda: real_now() + timedelta(minutes=31))
    # WHEN
    expired = assert_error(api.post(RESET, json_body={"token": token, "newPassword": NEW}), 400, "VALIDATION_ERROR")
    # THEN both name the token, and the password is unchanged
    assert unknown["error"]["details"][0]["field"] == expired["error"]["details"][0]["field"] == "token"
    assert _login(api, user.email, PASSWORD) == 200


def test_a_password_change_kills_every_older_reset_token(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN two reset emails
    user = create_user()
    first = _reset_token(api, aws_resources["EmailQueue"], user.email)
    second = _reset_token(api, aws_resources["EmailQueue"], user.email)
    # WHEN the second one is used
    assert api.post(RESET, json_body={"token": second, "newPassword": NEW}).status == 200
    # THEN the first one no longer works
    assert_error(
        api.post(RESET, json_body={"token": first, "newPassword": "Th1rd-Passphrase!"}), 400, "VALIDATION_ERROR"
    )
    # AND a change-password kills an outstanding token too
    third = _reset_token(api, aws_resources["EmailQueue"], user.email)
    changed = api.post(CHANGE, json_body={"currentPassword": NEW, "newPassword": "Th1rd-Passphrase!"},
                       token=token_for(user))  # fmt: skip
    assert changed.status == 200, changed.body
    assert_error(api.post(RESET, json_body={"token": third, "newPassword": "F0urth-Passphrase!"}),
                 400, "VALIDATION_ERROR")  # fmt: skip


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"newPassword": NEW}, "token"),
        ({"token": "abc"}, "newPassword"),
        ({"token": "", "newPassword": NEW}, "token"),
        ({"token": "abc", "newPassword": "x" * 129}, "newPassword"),
    ],
)
def test_reset_validation_errors_name_the_field(api: ApiClient, body: dict, field: str) -> None:
    payload = assert_error(api.post(RESET, json_body=body), 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}


# --- change-password
def test_change_password_keeps_this_session_and_ends_the_others(api: ApiClient) -> None:
    # GIVEN the caller's session and another one
    user = create_user()
    mine, other = token_for(user), token_for(user)
    # WHEN
    response = api.post(CHANGE, json_body={"currentPassword": PASSWORD, "newPassword": NEW}, token=mine)
    # THEN
    assert response.status == 200, response.body
    assert response.json["data"] == {"passwordChanged": True, "sessionsRevoked": 1}
    assert api.get("/api/v1/auth/me", token=mine).status == 200
    assert_error(api.get("/api/v1/auth/me", token=other), 401, "INVALID_TOKEN")
    assert _login(api, user.email, NEW) == 200 and _login(api, user.email, PASSWORD) == 401
    assert len(_audited(user.user_id, "user.password_change")) == 1


def test_change_password_with_a_wrong_current_password_is_401(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    body = {"currentPassword": "Not-The-Passw0rd", "newPassword": NEW}
    assert_error(api.post(CHANGE, json_body=body, token=token), 401, "INVALID_CREDENTIALS")
    assert _login(api, user.email, PASSWORD) == 200


def test_change_password_locks_after_five_wrong_current_passwords(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    for _ in range(5):
        api.post(CHANGE, json_body={"currentPassword": "Not-The-Passw0rd", "newPassword": NEW}, token=token)
    locked = api.post(CHANGE, json_body={"currentPassword": PASSWORD, "newPassword": NEW}, token=token)
    assert_error(locked, 429, "RATE_LIMIT_EXCEEDED")


@pytest.mark.parametrize("new", ["short", "Password1!", PASSWORD])
def test_change_password_applies_the_policy(api: ApiClient, new: str) -> None:
    token = token_for(create_user())
    payload = assert_error(api.post(CHANGE, json_body={"currentPassword": PASSWORD, "newPassword": new}, token=token),
                           400, "VALIDATION_ERROR")  # fmt: skip
    assert {d["field"] for d in payload["error"]["details"]} == {"newPassword"}


@pytest.mark.parametrize(("body", "field"), [({"newPassword": NEW}, "currentPassword"),
                                             ({"currentPassword": PASSWORD}, "newPassword")])  # fmt: skip
def test_change_password_validation_errors_name_the_field(api: ApiClient, body: dict, field: str) -> None:
    payload = assert_error(api.post(CHANGE, json_body=body, token=token_for(create_user())), 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}


def test_change_password_needs_a_live_session(api: ApiClient) -> None:
    body = {"currentPassword": PASSWORD, "newPassword": NEW}
    assert_error(api.post(CHANGE, json_body=body), 401, "UNAUTHORIZED")
    token = token_for(create_user())
    api.post("/api/v1/auth/logout", token=token)
    assert_error(api.post(CHANGE, json_body=body, token=token), 401, "INVALID_TOKEN")
