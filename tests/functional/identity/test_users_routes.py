"""Users: the admin list (filters, sorts, search, cursors), read, update, soft delete, status."""

from __future__ import annotations

from urllib.parse import urlencode

import botocore.client
import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.db import keys as db_keys
from souk.identity import keys as identity_keys
from souk.identity.models import EmailClaim, User
from souk.identity.service import users
from tests.factories import PASSWORD, create_user, ready_upload, token_for
from tests.support import ApiClient, assert_error

STRONG = "Sp4rkling-Otter-91"


@pytest.fixture
def dynamo_ops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every AWS operation the code under test sends, in order."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def spy(self: botocore.client.BaseClient, operation_name: str, api_params: dict) -> dict:
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    return calls


def audit_actions(resource_type: str, resource_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource(resource_type, resource_id))]


def _list(api: ApiClient, token: str, **params: object):
    return api.get(f"/api/v1/users?{urlencode(params)}", token=token)


def _ids(response) -> list[str]:
    assert response.status == 200, response.body
    return [u["id"] for u in response.json["data"]]


def _all_pages(api: ApiClient, token: str, **params: object) -> list[list[str]]:
    """Follow cursors to the end; every page's ids."""
    pages, cursor = [], None
    while True:
        response = _list(api, token, **params, **({"cursor": cursor} if cursor else {}))
        pages.append(_ids(response))
        cursor = response.json["pagination"]["nextCursor"]
        assert response.json["pagination"]["hasNext"] is (cursor is not None)
        if cursor is None:
            return pages


@pytest.fixture
def people() -> dict[str, User]:
    """An admin and a cast created in this order (so creation order is known)."""
    return {
        "admin": create_user("admin", name="Root Admin", email="root@example.com"),
        "ada": create_user("customer", name="Ada Lovelace", email="ada@example.com"),
        "adam": create_user("store_owner", name="adam Smith", email="adam.smith@example.com"),
        "zed": create_user("courier", name="Zed Courier", email="ada.z@couriers.example"),
        "sue": create_user("customer", name="Sue Suspended", email="sue@example.com", status="suspended"),
        "bob": create_user("customer", name="Bob Builder", email="bob@example.com"),
    }


# --- the admin list
def test_list_defaults_to_newest_first_in_one_query(api: ApiClient, people: dict[str, User], dynamo_ops) -> None:
    # GIVEN an admin
    token = token_for(people["admin"])
    dynamo_ops.clear()
    # WHEN listing without filters
    response = _list(api, token)
    # THEN every account comes back, newest first, from one Query
    assert _ids(response) == [people[k].user_id for k in ("bob", "sue", "zed", "adam", "ada", "admin")]
    assert dynamo_ops.count("Query") == 1 and "Scan" not in dynamo_ops
    assert response.json["pagination"] | {"total": None} == {"limit": 20, "nextCursor": None, "hasNext": False,
                                                             "total": None}  # fmt: skip
    assert "passwordHash" not in response.json["data"][0]


def test_list_sorted_by_creation_ascending(api: ApiClient, people: dict[str, User]) -> None:
    response = _list(api, token_for(people["admin"]), sort="createdAt", order="asc")
    assert _ids(response) == [people[k].user_id for k in ("admin", "ada", "adam", "zed", "sue", "bob")]


def test_list_sorted_by_name_both_orders_case_insensitively(api: ApiClient, people: dict[str, User]) -> None:
    token = token_for(people["admin"])
    names = [u["name"] for u in _list(api, token, sort="name").json["data"]]
    assert names == ["Ada Lovelace", "adam Smith", "Bob Builder", "Root Admin", "Sue Suspended", "Zed Courier"]
    desc = [u["name"] for u in _list(api, token, sort="name", order="desc").json["data"]]
    assert desc == list(reversed(names))


def test_list_filters_by_role(api: ApiClient, people: dict[str, User]) -> None:
    token = token_for(people["admin"])
    # WHEN filtering by role (the by-role index) and by role sorted by name (a filter on the name index)
    by_created = _ids(_list(api, token, role="customer"))
    by_name = _ids(_list(api, token, role="customer", sort="name"))
    # THEN only customers, in each order
    assert by_created == [people[k].user_id for k in ("bob", "sue", "ada")]
    assert by_name == [people[k].user_id for k in ("ada", "bob", "sue")]


def test_list_filters_by_status_and_hides_deleted_by_default(api: ApiClient, people: dict[str, User]) -> None:
    token = token_for(people["admin"])
    assert _ids(_list(api, token, status="suspended")) == [people["sue"].user_id]
    assert _ids(_list(api, token, status="active", role="customer")) == [people[k].user_id for k in ("bob", "ada")]
    # GIVEN a deleted account
    assert api.delete(f"/api/v1/users/{people['bob'].user_id}", token=token).status == 200
    # THEN it is gone from the default list but listed under status=deleted
    assert people["bob"].user_id not in _ids(_list(api, token))
    assert _ids(_list(api, token, status="deleted")) == [people["bob"].user_id]


def test_filtered_pages_can_be_short_but_each_is_one_query(api: ApiClient, people: dict[str, User], dynamo_ops) -> None:
    # GIVEN the only suspended account is among the older ones
    token = token_for(people["admin"])
    dynamo_ops.clear()
    # WHEN following the cursor two entries at a time
    pages = _all_pages(api, token, status="suspended", limit=2)
    # THEN a page can be empty while hasNext is true, yet the account is found exactly once
    assert [i for p in pages for i in p] == [people["sue"].user_id]
    assert len(pages) >= 2 and [] in pages
    assert dynamo_ops.count("Query") == len(pages)


def test_search_by_name_prefix_is_case_insensitive(api: ApiClient, people: dict[str, User]) -> None:
    response = _list(api, token_for(people["admin"]), search="ADA", sort="name")
    # THEN both "Ada Lovelace" and "adam Smith" match by name, and zed by email (ada.z@...)
    ids = _ids(response)
    assert ids[:2] == [people["ada"].user_id, people["adam"].user_id]
    assert set(ids) == {people[k].user_id for k in ("ada", "adam", "zed")}
    assert len(ids) == len(set(ids))  # ada matches by name and email: listed once


def test_search_by_email_prefix(api: ApiClient, people: dict[str, User], dynamo_ops) -> None:
    token = token_for(people["admin"])
    dynamo_ops.clear()
    assert _ids(_list(api, token, search="ada.z@")) == [people["zed"].user_id]
    assert dynamo_ops.count("Query") == 2  # one name Query + one email Query
    assert _ids(_list(api, token, search="bob@exa")) == [people["bob"].user_id]
    assert _ids(_list(api, token, search="nobody")) == []


def test_search_combines_with_role_status_and_sort(api: ApiClient, people: dict[str, User]) -> None:
    token = token_for(people["admin"])
    assert _ids(_list(api, token, search="ada", role="courier")) == [people["zed"].user_id]
    assert _ids(_list(api, token, search="su", status="suspended")) == [people["sue"].user_id]
    newest_first = _ids(_list(api, token, search="ada", sort="createdAt", order="desc"))
    assert newest_first == [people[k].user_id for k in ("zed", "adam", "ada")]
    oldest_first = _ids(_list(api, token, search="ada", sort="createdAt", order="asc"))
    assert oldest_first == [people[k].user_id for k in ("ada", "adam", "zed")]


def test_two_pages_via_cursor_are_disjoint(api: ApiClient, people: dict[str, User]) -> None:
    token = token_for(people["admin"])
    for params in ({}, {"sort": "name"}, {"role": "customer"}):
        # WHEN reading two entries, then the next two with the cursor
        first = _list(api, token, limit=2, **params)
        second = _list(api, token, limit=2, cursor=first.json["pagination"]["nextCursor"], **params)
        # THEN the pages share nothing and continue the same order
        assert first.json["pagination"]["hasNext"] is True
        assert len(_ids(first)) == 2 and set(_ids(first)).isdisjoint(_ids(second))
        everything = _ids(_list(api, token, **params))
        assert _ids(first) + _ids(second) == everything[: len(_ids(first)) + len(_ids(second))]


def test_search_pages_via_cursor_are_disjoint_and_complete(api: ApiClient, people: dict[str, User], dynamo_ops) -> None:
    # GIVEN more matches than a page: names starting "Al", and emails starting "al" on other names
    token = token_for(people["admin"])
    made = [create_user(name=f"Al {i}", email=f"x{i}@example.com") for i in range(4)]
    made += [create_user(name=f"Zz {i}", email=f"al{i}@example.com") for i in range(3)]
    made.append(create_user(name="Alma Both", email="alma@example.com"))  # matches both ways
    dynamo_ops.clear()
    # WHEN paging the search two at a time
    pages = _all_pages(api, token, search="al", limit=2, sort="name")
    # THEN every match appears exactly once across disjoint pages, at two Queries a page at most
    seen = [i for p in pages for i in p]
    assert sorted(seen) == sorted(u.user_id for u in made)
    assert len(seen) == len(set(seen)) and all(len(p) <= 2 for p in pages)
    assert dynamo_ops.count("Query") <= 2 * len(pages)


def test_list_cursor_is_tamper_proof_and_bound_to_its_query(api: ApiClient, people: dict[str, User]) -> None:
    token = token_for(people["admin"])
    cursor = _list(api, token, limit=2).json["pagination"]["nextCursor"]
    bad = assert_error(_list(api, token, limit=2, cursor=cursor[:-3] + "abc"), 400, "VALIDATION_ERROR")
    assert bad["error"]["details"][0]["field"] == "cursor"
    other = assert_error(_list(api, token, limit=2, sort="name", cursor=cursor), 400, "VALIDATION_ERROR")
    assert other["error"]["details"][0]["field"] == "cursor"


LIST_ERRORS = [({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"sort": "email"}, "sort"),
               ({"order": "up"}, "order"), ({"role": "king"}, "role"), ({"status": "sleeping"}, "status"),
               ({"search": "x" * 101}, "search")]  # fmt: skip


def test_list_validation_names_each_bad_parameter(api: ApiClient) -> None:
    token = token_for(create_user("admin"))
    for params, field in LIST_ERRORS:
        payload = assert_error(_list(api, token, **params), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field], params


def test_list_needs_an_admin(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/users"), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/users", token="not.a.jwt"), 401, "INVALID_TOKEN")
    for role in ("customer", "store_owner", "courier"):
        assert_error(api.get("/api/v1/users", token=token_for(create_user(role))), 403, "FORBIDDEN")


# --- reading one user
def test_get_own_user_and_admin_gets_anyone(api: ApiClient) -> None:
    user, admin = create_user(name="Nia"), create_user("admin")
    own = api.get(f"/api/v1/users/{user.user_id}", token=token_for(user))
    assert own.status == 200 and own.json["data"]["name"] == "Nia" and own.json["data"]["id"] == user.user_id
    assert api.get(f"/api/v1/users/{user.user_id}", token=token_for(admin)).json["data"]["email"] == user.email


def test_get_another_users_account_is_404(api: ApiClient) -> None:
    user, other = create_user(), create_user()
    assert_error(api.get(f"/api/v1/users/{other.user_id}", token=token_for(user)), 404, "NOT_FOUND")
    assert_error(api.get("/api/v1/users/01UNKNOWN", token=token_for(create_user("admin"))), 404, "NOT_FOUND")


def test_get_user_needs_a_valid_token(api: ApiClient) -> None:
    user = create_user()
    assert_error(api.get(f"/api/v1/users/{user.user_id}"), 401, "UNAUTHORIZED")
    token = token_for(user)
    api.post("/api/v1/auth/logout", token=token)
    assert_error(api.get(f"/api/v1/users/{user.user_id}", token=token), 401, "INVALID_TOKEN")


def test_get_user_with_an_overlong_id_is_400(api: ApiClient) -> None:
    user = create_user()
    assert_error(api.get(f"/api/v1/users/{'x' * 65}", token=token_for(user)), 400, "VALIDATION_ERROR")


# --- updating name, phone, avatar
def test_update_own_name_phone_avatar_moves_the_name_index(api: ApiClient) -> None:
    # GIVEN a user found by name search
    user, admin = create_user(name="Old Name", phone="+14155550123"), create_user("admin")
    # WHEN renaming, clearing the phone and setting an avatar
    avatar = ready_upload(user)
    body = {"name": "  Newton  ", "phone": None, "avatarUploadId": avatar}
    response = api.patch(f"/api/v1/users/{user.user_id}", json_body=body, token=token_for(user))
    # THEN the user changed, and the admin search finds the new name, not the old one
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["name"], data["phone"], data["avatarUploadId"]) == ("Newton", None, avatar)
    stored = User.get(identity_keys.user(user.user_id), identity_keys.PROFILE)
    assert stored.gsi3sk == db_keys.name_sort("Newton", user.user_id) and stored.phone is None
    assert stored.version == user.version + 1
    admin_token = token_for(admin)
    assert _ids(_list(api, admin_token, search="newt")) == [user.user_id]
    assert _ids(_list(api, admin_token, search="old n")) == []
    assert audit_actions("user", user.user_id) == ["user.register", "user.update"]


def test_admin_updates_another_user_but_others_get_404(api: ApiClient) -> None:
    user, other, admin = create_user(), create_user(), create_user("admin")
    assert api.patch(f"/api/v1/users/{user.user_id}", json_body={"name": "By Admin"},
                     token=token_for(admin)).json["data"]["name"] == "By Admin"  # fmt: skip
    assert_error(api.patch(f"/api/v1/users/{user.user_id}", json_body={"name": "Hijack"}, token=token_for(other)),
                 404, "NOT_FOUND")  # fmt: skip
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).name == "By Admin"


UPDATE_ERRORS = [({}, "body"), ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": None}, "name"),
                 ({"name": "x" * 101}, "name"), ({"phone": "555-1234"}, "phone"),
                 ({"avatarUploadId": "../etc"}, "avatarUploadId")]  # fmt: skip


def test_update_validation_names_each_bad_field(api: ApiClient) -> None:
    user = create_user(name="Kept")
    token = token_for(user)
    for body, field in UPDATE_ERRORS:
        payload = assert_error(api.patch(f"/api/v1/users/{user.user_id}", json_body=body, token=token),
                               400, "VALIDATION_ERROR")  # fmt: skip
        assert [d["field"] for d in payload["error"]["details"]] == [field], body
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).name == "Kept"


def test_update_with_a_stale_version_is_409(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a copy of the user read before someone else's change
    user = create_user()
    token = token_for(user)
    stale = User.get(identity_keys.user(user.user_id), identity_keys.PROFILE)
    assert api.patch(f"/api/v1/users/{user.user_id}", json_body={"name": "First"}, token=token).status == 200
    # WHEN an update is based on the stale copy
    monkeypatch.setattr(users, "get_user", lambda *_a, **_k: stale)
    response = api.patch(f"/api/v1/users/{user.user_id}", json_body={"name": "Second"}, token=token)
    # THEN optimistic locking refuses it and the first change stands
    assert_error(response, 409, "CONFLICT")
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).name == "First"


def test_update_needs_a_token(api: ApiClient) -> None:
    user = create_user()
    assert_error(api.patch(f"/api/v1/users/{user.user_id}", json_body={"name": "X"}), 401, "UNAUTHORIZED")
    assert_error(api.patch(f"/api/v1/users/{user.user_id}", json_body={"name": "X"}, token="bad"), 401, "INVALID_TOKEN")


# --- soft delete
def test_delete_own_account_soft_deletes_and_frees_everything(api: ApiClient) -> None:
    # GIVEN a user with two sessions and an API key
    user, admin = create_user(email="gone@example.com"), create_user("admin")
    token, other_session = token_for(user), token_for(user)
    key = api.post("/api/v1/api-keys", json_body={"name": "ci"}, token=token).json["data"]["key"]
    # WHEN the user deletes the account
    response = api.delete(f"/api/v1/users/{user.user_id}", token=token)
    # THEN it is soft deleted: the item stays, marked deleted, and reads as 404
    assert response.status == 200 and response.json["data"] == {"id": user.user_id, "deleted": True}
    stored = User.get(identity_keys.user(user.user_id), identity_keys.PROFILE)
    assert stored.status == "deleted" and stored.deleted_at is not None
    assert_error(api.get(f"/api/v1/users/{user.user_id}", token=token_for(admin)), 404, "NOT_FOUND")
    # AND every session and key is refused
    for dead in (token, other_session):
        assert_error(api.get("/api/v1/auth/me", token=dead), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/auth/me", headers={"X-Api-Key": key}), 401, "INVALID_TOKEN")
    # AND the email can register again
    with pytest.raises(EmailClaim.DoesNotExist):
        EmailClaim.get(identity_keys.email("gone@example.com"), identity_keys.email("gone@example.com"))
    register = {"email": "gone@example.com", "password": STRONG, "name": "New"}
    again = api.post("/api/v1/auth/register", json_body=register)
    assert again.status == 201 and again.json["data"]["id"] != user.user_id
    assert audit_actions("user", user.user_id)[-1] == "user.delete"


def test_admin_deletes_another_user_but_others_get_404(api: ApiClient) -> None:
    user, other, admin = create_user(), create_user(), create_user("admin")
    assert_error(api.delete(f"/api/v1/users/{user.user_id}", token=token_for(other)), 404, "NOT_FOUND")
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).status == "active"
    assert api.delete(f"/api/v1/users/{user.user_id}", token=token_for(admin)).status == 200
    assert_error(api.delete(f"/api/v1/users/{user.user_id}", token=token_for(admin)), 404, "NOT_FOUND")
    assert_error(api.post("/api/v1/auth/login", json_body={"email": user.email, "password": PASSWORD}),
                 401, "INVALID_CREDENTIALS")  # fmt: skip


def test_delete_needs_a_token(api: ApiClient) -> None:
    user = create_user()
    assert_error(api.delete(f"/api/v1/users/{user.user_id}"), 401, "UNAUTHORIZED")
    assert_error(api.delete(f"/api/v1/users/{user.user_id}", token="bad"), 401, "INVALID_TOKEN")


# --- suspending and reactivating
def _status(api: ApiClient, user: User, token: str, **body: object):
    return api.patch(f"/api/v1/users/{user.user_id}/status", json_body=body, token=token)


def test_suspend_revokes_sessions_and_keys_and_activate_restores_login(api: ApiClient) -> None:
    # GIVEN a signed-in user with an API key
    user, admin = create_user(), create_user("admin")
    token = token_for(user)
    key = api.post("/api/v1/api-keys", json_body={"name": "bot"}, token=token).json["data"]["key"]
    admin_token = token_for(admin)
    # WHEN an admin suspends the account
    response = _status(api, user, admin_token, status="suspended", reason="chargebacks")
    # THEN its session and key are refused and it cannot sign in
    assert response.status == 200 and response.json["data"]["status"] == "suspended"
    assert_error(api.get("/api/v1/auth/me", token=token), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/auth/me", headers={"X-Api-Key": key}), 401, "INVALID_TOKEN")
    login = {"email": user.email, "password": PASSWORD}
    assert_error(api.post("/api/v1/auth/login", json_body=login), 403, "ACCOUNT_SUSPENDED")
    record = next(AuditRecord.gsi3.query(audit_keys.audit_action("user.suspend")))
    assert record.after == {"status": "suspended", "reason": "chargebacks"} and record.actor_id == admin.user_id
    # WHEN reactivated
    assert _status(api, user, admin_token, status="active").json["data"]["status"] == "active"
    # THEN the user signs in again (revoked keys stay revoked)
    assert api.post("/api/v1/auth/login", json_body=login).status == 200
    assert_error(api.get("/api/v1/auth/me", headers={"X-Api-Key": key}), 401, "INVALID_TOKEN")
    assert audit_actions("user", user.user_id)[-2:] == ["user.suspend", "user.activate"]


def test_admin_cannot_suspend_themselves(api: ApiClient) -> None:
    admin = create_user("admin")
    token = token_for(admin)
    assert_error(_status(api, admin, token, status="suspended"), 422, "UNPROCESSABLE_ENTITY")
    assert api.get("/api/v1/auth/me", token=token).status == 200


def test_status_needs_an_admin(api: ApiClient) -> None:
    user, other = create_user(), create_user("store_owner")
    assert_error(api.patch(f"/api/v1/users/{user.user_id}/status", json_body={"status": "suspended"}),
                 401, "UNAUTHORIZED")  # fmt: skip
    assert_error(_status(api, user, "bad", status="suspended"), 401, "INVALID_TOKEN")
    assert_error(_status(api, user, token_for(other), status="suspended"), 403, "FORBIDDEN")
    assert_error(_status(api, user, token_for(user), status="active"), 403, "FORBIDDEN")


def test_status_validation_names_each_bad_field(api: ApiClient) -> None:
    user, token = create_user(), token_for(create_user("admin"))
    cases = [
        ({}, "status"),
        ({"status": "deleted"}, "status"),
        ({"status": "banned"}, "status"),
        ({"status": "suspended", "reason": ""}, "reason"),
        ({"status": "suspended", "reason": "x" * 501}, "reason"),
    ]
    for body, field in cases:
        payload = assert_error(_status(api, user, token, **body), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field], body
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).status == "active"


def test_status_of_unknown_user_is_404(api: ApiClient) -> None:
    assert_error(api.patch("/api/v1/users/01NOPE/status", json_body={"status": "suspended"},
                           token=token_for(create_user("admin"))), 404, "NOT_FOUND")  # fmt: skip


def test_avatar_must_be_the_users_own_ready_avatar_upload(api: ApiClient) -> None:
    # GIVEN an avatar upload of another user, and a product image of the user
    user, other = create_user(), create_user()
    foreign, wrong_purpose = ready_upload(other), ready_upload(user, purpose="product_image")
    # THEN neither can become the user's avatar, and nothing changes
    for upload_id in (foreign, wrong_purpose, "01HNOSUCHUPLOAD"):
        response = api.patch(f"/api/v1/users/{user.user_id}", json_body={"avatarUploadId": upload_id},
                             token=token_for(user))  # fmt: skip
        payload = assert_error(response, 400, "VALIDATION_ERROR")
        assert payload["error"]["details"][0]["field"] == "avatarUploadId"
    assert User.get(identity_keys.user(user.user_id), identity_keys.PROFILE).avatar_upload_id is None
