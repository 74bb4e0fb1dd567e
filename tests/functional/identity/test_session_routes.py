"""The caller's own sessions: list and revoke, through the template's routes."""

from __future__ import annotations

import jwt
import pytest

from souk.audit import keys
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


# ---------------------------------------------------------------- a token is only as good as its session


def _minted(user_id: str, session_id: str, role: str) -> str:
    """A token signed with the real key (as someone holding a stolen key could sign it)."""
    from souk.identity.jwt_tokens import issue_access_token

    return issue_access_token(user_id, session_id, role)[0]


def test_a_token_naming_another_users_session_is_401(api: ApiClient) -> None:
    # GIVEN an admin, and an attacker with a live session of their own and the signing key
    admin = create_user("admin")
    attacker_session = _sid(token_for(create_user()))
    # WHEN they mint a token for the admin on their own session
    forged = _minted(admin.user_id, attacker_session, "admin")
    # THEN it is refused: the session is not the admin's
    assert_error(api.get("/api/v1/auth/me", token=forged), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/users", token=forged), 401, "INVALID_TOKEN")


def test_the_role_comes_from_the_session_not_the_token(api: ApiClient) -> None:
    # GIVEN a customer's live session and a token for it claiming the admin role
    customer = create_user("customer")
    forged = _minted(customer.user_id, _sid(token_for(customer)), "admin")
    # WHEN it calls an admin route
    response = api.get("/api/v1/users", token=forged)
    # THEN 403: the session says customer
    assert_error(response, 403, "FORBIDDEN")
    assert api.get("/api/v1/auth/me", token=forged).json["data"]["role"] == "customer"


def test_a_bearer_request_reads_its_session_once(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support import record_dynamodb_calls

    token = token_for(create_user())
    calls = record_dynamodb_calls(monkeypatch)
    assert api.get(SESSIONS, token=token).status == 200
    assert calls == ["GetItem", "Query"]  # the session (consistent), then the page


def test_a_role_change_revokes_sessions_and_keys_and_the_next_sign_in_has_the_new_role(api: ApiClient) -> None:
    from souk.caller import Principal
    from souk.identity.service import user_admin
    from tests.factories import PASSWORD

    # GIVEN a store owner signed in twice, with an API key
    owner = create_user("store_owner", email="owner@example.com")
    first, second = token_for(owner), token_for(owner)
    key = api.post("/api/v1/api-keys", json_body={"name": "bot"}, token=first).json["data"]["key"]
    admin = create_user("admin")
    # WHEN an admin makes them a customer
    changed = user_admin.change_role(Principal(admin.user_id, "admin", None), owner.user_id, "customer")
    # THEN every session and the key stop working at once
    assert changed.role == "customer"
    for token in (first, second):
        assert_error(api.get("/api/v1/auth/me", token=token), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/auth/me", headers={"X-Api-Key": key}), 401, "INVALID_TOKEN")
    # AND signing in again gives a customer session, listed under the new role
    signed_in = api.post("/api/v1/auth/login", json_body={"email": "owner@example.com", "password": PASSWORD})
    assert signed_in.status == 200, signed_in.body
    assert signed_in.json["data"]["user"]["role"] == "customer"
    fresh = signed_in.json["data"]["accessToken"]
    assert_error(api.get("/api/v1/coupons", token=fresh), 403, "FORBIDDEN")  # store owners and admins only
    listed = api.get("/api/v1/users?role=customer", token=token_for(admin)).json["data"]
    assert owner.user_id in [u["id"] for u in listed]
    audit = AuditRecord.gsi2.query(keys.audit_resource("user", owner.user_id))
    record = next(r for r in audit if r.action == "user.role_change")
    assert (record.before, record.after) == ({"role": "store_owner"}, {"role": "customer"})


def test_only_an_admin_changes_roles_and_not_their_own(api: ApiClient) -> None:
    from souk.caller import Principal
    from souk.errors import Forbidden, UnprocessableEntity
    from souk.identity.service import user_admin, users

    admin, customer = create_user("admin"), create_user()
    with pytest.raises(Forbidden):
        user_admin.change_role(Principal(customer.user_id, "customer", None), customer.user_id, "admin")
    with pytest.raises(UnprocessableEntity):
        user_admin.change_role(Principal(admin.user_id, "admin", None), admin.user_id, "customer")
    assert users.get_user(customer.user_id).role == "customer"
