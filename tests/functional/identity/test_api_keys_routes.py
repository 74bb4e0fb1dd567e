"""API keys: created once and shown once, stored hashed, usable as X-Api-Key, revoked on delete."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.identity import keys as identity_keys
from souk.identity.models import ApiKey, ApiKeyRing
from souk.identity.service.api_keys import KEY_PREFIX, MAX_ACTIVE_KEYS
from tests.factories import create_user, token_for
from tests.plans_support import on_plan
from tests.support import ApiClient, assert_error


def audit_actions(resource_type: str, resource_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource(resource_type, resource_id))]


def _create(api: ApiClient, token: str, name: str = "ci"):
    return api.post("/api/v1/api-keys", json_body={"name": name}, token=token)


def _stored(raw_key: str) -> ApiKey:
    digest = hashlib.sha256(raw_key.encode()).hexdigest()
    return ApiKey.get(identity_keys.api_key(digest), identity_keys.api_key(digest))


def test_create_returns_the_key_once_and_stores_only_its_hash(api: ApiClient) -> None:
    # GIVEN a signed-in store owner
    user = create_user("store_owner")
    token = token_for(user)
    # WHEN a key is created
    response = _create(api, token, "  Inventory sync  ")
    # THEN the raw key is in this response only
    assert response.status == 201, response.body
    data = response.json["data"]
    raw = data["key"]
    assert raw.startswith(KEY_PREFIX) and len(raw) > 40 and raw.startswith(data["prefix"])
    assert data["name"] == "Inventory sync" and data["lastUsedAt"] is None
    # AND the table holds its SHA-256, never the key itself
    stored = _stored(raw)
    assert (stored.key_id, stored.user_id, stored.role) == (data["id"], user.user_id, "store_owner")
    assert raw not in str(stored.serialize())
    # AND the listing never shows it
    listed = api.get("/api/v1/api-keys", token=token)
    assert listed.status == 200
    assert listed.json["data"] == [{k: v for k, v in data.items() if k != "key"}]
    assert raw not in listed.body.decode()
    assert audit_actions("api_key", data["id"]) == ["api_key.create"]


def test_the_key_authenticates_as_its_owner_until_deleted(api: ApiClient) -> None:
    # GIVEN a courier's key
    user = create_user("courier", name="Cory")
    token = token_for(user)
    created = _create(api, token).json["data"]
    # WHEN it is used as X-Api-Key
    me = api.get("/api/v1/auth/me", headers={"X-Api-Key": created["key"]})
    # THEN the caller is the owner, with the owner's role, and the use is recorded
    assert me.status == 200, me.body
    assert (me.json["data"]["id"], me.json["data"]["role"]) == (user.user_id, "courier")
    assert api.get("/api/v1/api-keys", token=token).json["data"][0]["lastUsedAt"] is not None
    # WHEN the key is deleted
    deleted = api.delete(f"/api/v1/api-keys/{created['id']}", token=token)
    # THEN it is refused at once and no longer listed
    assert deleted.status == 200 and deleted.json["data"] == {"id": created["id"], "deleted": True}
    assert_error(api.get("/api/v1/auth/me", headers={"X-Api-Key": created["key"]}), 401, "INVALID_TOKEN")
    assert api.get("/api/v1/api-keys", token=token).json["data"] == []
    assert _stored(created["key"]).revoked is True
    assert audit_actions("api_key", created["id"]) == ["api_key.create", "api_key.revoke"]
    # AND deleting it again is 404
    assert_error(api.delete(f"/api/v1/api-keys/{created['id']}", token=token), 404, "NOT_FOUND")


def test_last_used_at_is_refreshed_at_most_every_few_minutes(api: ApiClient) -> None:
    user = create_user()
    raw = _create(api, token_for(user)).json["data"]["key"]
    api.get("/api/v1/auth/me", headers={"X-Api-Key": raw})
    first = _stored(raw).last_used_at
    api.get("/api/v1/auth/me", headers={"X-Api-Key": raw})
    assert _stored(raw).last_used_at == first  # within the interval: no write
    # GIVEN the last use is old
    item = _stored(raw)
    item.update([ApiKey.last_used_at.set(datetime.now(UTC) - timedelta(hours=1))])
    api.get("/api/v1/auth/me", headers={"X-Api-Key": raw})
    assert _stored(raw).last_used_at > first


def test_at_most_ten_active_keys(api: ApiClient) -> None:
    # GIVEN a user with the maximum of active keys
    user = create_user()
    on_plan("user", user.user_id, "pro")  # Pro allows 10 (Free 1: tests/functional/plans/test_limits.py)
    token = token_for(user)
    ids = [_create(api, token, f"k{i}").json["data"]["id"] for i in range(MAX_ACTIVE_KEYS)]
    # THEN one more is refused
    assert_error(_create(api, token, "one too many"), 422, "UNPROCESSABLE_ENTITY")
    assert ApiKeyRing.get(identity_keys.user(user.user_id), identity_keys.API_KEY_RING).active == MAX_ACTIVE_KEYS
    # AND revoking one makes room
    api.delete(f"/api/v1/api-keys/{ids[0]}", token=token)
    assert _create(api, token, "fits").status == 201
    listed = api.get("/api/v1/api-keys?limit=4", token=token)
    assert len(listed.json["data"]) == 4 and listed.json["pagination"]["hasNext"] is True
    rest = api.get(f"/api/v1/api-keys?limit=100&cursor={listed.json['pagination']['nextCursor']}", token=token)
    all_ids = [k["id"] for k in listed.json["data"] + rest.json["data"]]
    assert len(all_ids) == MAX_ACTIVE_KEYS == len(set(all_ids)) and ids[0] not in all_ids


def test_another_users_key_is_404(api: ApiClient) -> None:
    owner, other, admin = create_user(), create_user(), create_user("admin")
    created = _create(api, token_for(owner)).json["data"]
    for token in (token_for(other), token_for(admin)):  # own only: an admin has no route to others' keys
        assert_error(api.delete(f"/api/v1/api-keys/{created['id']}", token=token), 404, "NOT_FOUND")
        assert api.get("/api/v1/api-keys", token=token).json["data"] == []
    assert api.get("/api/v1/auth/me", headers={"X-Api-Key": created["key"]}).status == 200


def test_a_key_cannot_create_keys_but_can_revoke_its_owners(api: ApiClient) -> None:
    user = create_user()
    on_plan("user", user.user_id, "pro")  # two keys: more than Free's one
    token = token_for(user)
    first, second = _create(api, token, "a").json["data"], _create(api, token, "b").json["data"]
    headers = {"X-Api-Key": first["key"]}
    refused = api.post("/api/v1/api-keys", json_body={"name": "minted"}, headers=headers)
    assert_error(refused, 403, "FORBIDDEN")
    assert api.delete(f"/api/v1/api-keys/{second['id']}", headers=headers).status == 200
    assert [k["id"] for k in api.get("/api/v1/api-keys", headers=headers).json["data"]] == [first["id"]]


def test_create_validation(api: ApiClient) -> None:
    token = token_for(create_user())
    for body, field in [({}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 101}, "name")]:
        payload = assert_error(api.post("/api/v1/api-keys", json_body=body, token=token), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field], body
    assert_error(api.get("/api/v1/api-keys?limit=0", token=token), 400, "VALIDATION_ERROR")
    assert api.get("/api/v1/api-keys", token=token).json["data"] == []


def test_api_keys_need_valid_credentials(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/api-keys"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/api-keys", json_body={"name": "x"}), 401, "UNAUTHORIZED")
    assert_error(api.delete("/api/v1/api-keys/01X"), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/api-keys", token="bad"), 401, "INVALID_TOKEN")
    assert_error(api.post("/api/v1/api-keys", json_body={"name": "x"}, token="bad"), 401, "INVALID_TOKEN")
    assert_error(api.delete("/api/v1/api-keys/01X", token="bad"), 401, "INVALID_TOKEN")
    assert_error(api.get("/api/v1/api-keys", headers={"X-Api-Key": "souk_not-a-real-key"}), 401, "INVALID_TOKEN")
