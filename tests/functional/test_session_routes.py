"""The caller's own sessions: list and revoke, through the template's routes."""

from __future__ import annotations

import jwt
import pytest

from souk.audit.models import AuditRecord
from tests.factories import create_user, token_for
from tests.support import ApiClient, assert_error

SESSIONS = "/api/v1/auth/sessions"


def _sid(access_token: str) -> str:
    return str(jwt.decode(access_token, options={"verify_signature": False})["sid"])


def test_list_shows_own_live_sessions_newest_first(api: ApiClient) -> None:
    # GIVEN three sessions of one user (one logged out) and a session of someone else
    user = create_user()
    oldest, gone, newest = token_for(user, ip="10.0.0.1"), token_for(user), token_for(user, ip="10.0.0.3")
    api.post("/api/v1/auth/logout", token=gone)
    token_for(create_user())
    # WHEN
    response = api.get(SESSIONS, token=newest)
    # THEN
    assert response.status == 200, response.body
    items = response.json["data"]
    assert [s["id"] for s in items] == [_sid(newest), _sid(oldest)]
    assert [s["current"] for s in items] == [True, False]
    assert items[1] == {**items[1], "ip": "10.0.0.1", "userAgent": "pytest", "device": "Unknown device"}
    assert {"createdAt", "lastUsedAt"} <= set(items[0])
    pagination = response.json["pagination"]
    assert (pagination["limit"], pagination["nextCursor"], pagination["hasNext"]) == (20, None, False)


def test_list_pages_with_a_cursor(api: ApiClient) -> None:
    # GIVEN five sessions
    user = create_user()
    tokens = [token_for(user) for _ in range(5)]
    expected = [_sid(t) for t in reversed(tokens)]
    # WHEN read two at a time
    seen, cursor, pages = [], None, 0
    while True:
        response = api.get(f"{SESSIONS}?limit=2" + (f"&cursor={cursor}" if cursor else ""), token=tokens[0])
        assert response.status == 200, response.body
        seen += [s["id"] for s in response.json["data"]]
        pages += 1
        cursor = response.json["pagination"]["nextCursor"]
        if not cursor:
            break
    # THEN every session once, newest first
    assert seen == expected and pages == 3


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=abc", "cursor=garbage"])
def test_list_validation(api: ApiClient, query: str) -> None:
    payload = assert_error(api.get(f"{SESSIONS}?{query}", token=token_for(create_user())), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] in {"limit", "cursor"}


def test_list_refuses_another_users_cursor(api: ApiClient) -> None:
    # GIVEN a genuine cursor from someone else's list
    other = create_user()
    other_tokens = [token_for(other) for _ in range(3)]
    cursor = api.get(f"{SESSIONS}?limit=1", token=other_tokens[0]).json["pagination"]["nextCursor"]
    # WHEN another user sends it
    response = api.get(f"{SESSIONS}?cursor={cursor}", token=token_for(create_user()))
    # THEN
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "cursor"


def test_list_needs_a_live_token(api: ApiClient) -> None:
    assert_error(api.get(SESSIONS), 401, "UNAUTHORIZED")
    assert_error(api.get(SESSIONS, token="not.a.jwt"), 401, "INVALID_TOKEN")


def test_delete_revokes_one_own_session(api: ApiClient) -> None:
    # GIVEN two sessions
    user = create_user()
    mine, other = token_for(user), token_for(user)
    # WHEN the other one is revoked
    response = api.delete(f"{SESSIONS}/{_sid(other)}", token=mine)
    # THEN its token is refused at once, mine still works, and it left the list
    assert response.status == 200, response.body
    assert response.json["data"] == {"id": _sid(other), "revoked": True}
    assert_error(api.get("/api/v1/auth/me", token=other), 401, "INVALID_TOKEN")
    assert [s["id"] for s in api.get(SESSIONS, token=mine).json["data"]] == [_sid(mine)]
    [record] = AuditRecord.gsi2.query(f"AUDIT_RES#session#{_sid(other)}")
    assert record.action == "session.revoke" and record.actor_id == user.user_id
    # AND revoking it again is 404
    assert_error(api.delete(f"{SESSIONS}/{_sid(other)}", token=mine), 404, "NOT_FOUND")


def test_delete_the_current_session_signs_out(api: ApiClient) -> None:
    token = token_for(create_user())
    assert api.delete(f"{SESSIONS}/{_sid(token)}", token=token).status == 200
    assert_error(api.get("/api/v1/auth/me", token=token), 401, "INVALID_TOKEN")


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_delete_another_users_session_is_404(api: ApiClient, role: str) -> None:
    # GIVEN someone else's session
    victim = token_for(create_user())
    # WHEN another user (even an admin: these routes are the caller's own) tries to revoke it
    response = api.delete(f"{SESSIONS}/{_sid(victim)}", token=token_for(create_user(role=role)))
    # THEN it is not revealed, and it still works
    assert_error(response, 404, "NOT_FOUND")
    assert api.get("/api/v1/auth/me", token=victim).status == 200


@pytest.mark.parametrize("session_id", ["01ARZ3NDEKTSV4RRFFQ69G5FAV", "not-a-session", "x" * 300])
def test_delete_unknown_session_is_404(api: ApiClient, session_id: str) -> None:
    assert_error(api.delete(f"{SESSIONS}/{session_id}", token=token_for(create_user())), 404, "NOT_FOUND")


def test_delete_needs_a_live_token(api: ApiClient) -> None:
    assert_error(api.delete(f"{SESSIONS}/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 401, "UNAUTHORIZED")
    assert_error(api.delete(f"{SESSIONS}/01ARZ3NDEKTSV4RRFFQ69G5FAV", token="not.a.jwt"), 401, "INVALID_TOKEN")
