"""Team API keys: created by a member with ``teamId``, limited by the team's plan, counted in the team's
usage, revoked when their creator leaves or is removed and when the team is deleted."""

from __future__ import annotations

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.identity import keys as identity_keys
from souk.identity.models import ApiKeyRing, TeamApiKeyRing
from tests.factories import create_user, token_for
from tests.functional.teams.helpers import make_team, person
from tests.plans_support import on_plan
from tests.support import ApiClient, assert_error


def _create(api: ApiClient, token: str, team_id: str | None = None, name: str = "ci"):
    body = {"name": name} | ({"teamId": team_id} if team_id else {})
    return api.post("/api/v1/api-keys", json_body=body, token=token)


def _works(api: ApiClient, raw: str) -> int:
    return api.get("/api/v1/auth/me", headers={"X-Api-Key": raw}).status


def _team_ring(team_id: str) -> int:
    return int(TeamApiKeyRing.get(identity_keys.team_api_keys(team_id), identity_keys.API_KEY_RING).active)


def _ring(user_id: str) -> ApiKeyRing:
    return ApiKeyRing.get(identity_keys.user(user_id), identity_keys.API_KEY_RING)


def _actions(key_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource("api_key", key_id))]


def test_a_member_creates_a_team_key_that_acts_as_them_and_lists_its_team(api: ApiClient) -> None:
    team = make_team(api)
    member = team.people["member"]
    created = _create(api, member.token, team.id)
    assert created.status == 201, created.body
    data = created.json["data"]
    assert data["teamId"] == team.id
    # the key's principal is its creator, with their own platform role (no wider)
    me = api.get("/api/v1/auth/me", headers={"X-Api-Key": data["key"]})
    assert me.status == 200 and (me.json["data"]["id"], me.json["data"]["role"]) == (member.id, member.user.role)
    listed = api.get("/api/v1/api-keys", token=member.token).json["data"]
    assert [(k["id"], k["teamId"]) for k in listed] == [(data["id"], team.id)]
    personal = _create(api, person().token).json["data"]
    assert personal["teamId"] is None
    assert _team_ring(team.id) == 1 and _actions(data["id"]) == ["api_key.create"]


def test_a_non_member_or_unknown_team_is_404_a_bad_team_id_400_no_token_401(api: ApiClient) -> None:
    team = make_team(api)
    outsider = person()
    assert_error(_create(api, outsider.token, team.id), 404, "NOT_FOUND")
    assert_error(_create(api, outsider.token, "01NOSUCHTEAM"), 404, "NOT_FOUND")
    bad = _create(api, outsider.token, "not a team id!")
    assert_error(bad, 400, "VALIDATION_ERROR")
    assert bad.json["error"]["details"][0]["field"] == "teamId"
    assert api.get("/api/v1/api-keys", token=outsider.token).json["data"] == []
    assert_error(api.post("/api/v1/api-keys", json_body={"name": "x", "teamId": team.id}), 401, "UNAUTHORIZED")


def test_the_team_plans_limit_applies_to_team_keys_and_the_users_to_personal_ones(api: ApiClient) -> None:
    team = make_team(api)
    on_plan("team", team.id, "free")  # Free: 1 API key
    owner, admin = team.people["owner"], team.people["admin"]
    assert _create(api, owner.token, team.id).status == 201
    refused = _create(api, admin.token, team.id)
    assert_error(refused, 403, "FORBIDDEN")
    assert refused.json["error"]["details"][0]["field"] == "apiKeys"
    # the admin's own Free limit (1 personal key) is untouched by the team's keys, and the reverse
    assert _create(api, admin.token).status == 201
    assert_error(_create(api, admin.token), 403, "FORBIDDEN")
    assert _create(api, owner.token).status == 201
    on_plan("team", team.id, "pro")
    assert _create(api, admin.token, team.id).status == 201
    assert _team_ring(team.id) == 2


def test_removing_a_member_revokes_their_team_keys_only(api: ApiClient) -> None:
    team = make_team(api)
    other_team = make_team(api, "Other")
    owner, member = team.people["owner"], team.people["member"]
    on_plan("user", member.id, "pro")
    added = api.post(other_team.path("/members"), json_body={"userId": member.id, "role": "member"},
                     token=other_team.people["owner"].token)  # fmt: skip
    assert added.status == 201, added.body
    mine = [_create(api, member.token, team.id, f"t{i}").json["data"] for i in range(2)]
    personal = _create(api, member.token).json["data"]
    elsewhere = _create(api, member.token, other_team.id).json["data"]
    owners = _create(api, owner.token, team.id).json["data"]
    # WHEN the owner removes the member
    removed = api.delete(team.path(f"/members/{member.id}"), token=owner.token)
    assert removed.status == 200, removed.body
    # THEN the member's keys for this team are refused, the rest still work
    for key in mine:
        assert_error(api.get("/api/v1/auth/me", headers={"X-Api-Key": key["key"]}), 401, "INVALID_TOKEN")
        assert _actions(key["id"]) == ["api_key.create", "api_key.revoke"]
    assert all(_works(api, k["key"]) == 200 for k in (personal, elsewhere, owners))
    listed = {k["id"] for k in api.get("/api/v1/api-keys", token=member.token).json["data"]}
    assert listed == {personal["id"], elsewhere["id"]}
    ring = _ring(member.id)
    assert (ring.active, ring.team_keys) == (2, 1)
    assert _team_ring(team.id) == 1 and _team_ring(other_team.id) == 1
    # AND a key made before rejoining is gone for good; a new one counts again
    assert_error(_create(api, member.token, team.id), 404, "NOT_FOUND")


def test_leaving_revokes_ones_team_keys(api: ApiClient) -> None:
    team = make_team(api)
    viewer = team.people["viewer"]
    key = _create(api, viewer.token, team.id).json["data"]
    left = api.delete(team.path(f"/members/{viewer.id}"), token=viewer.token)
    assert left.status == 200, left.body
    assert _works(api, key["key"]) == 401
    records = list(AuditRecord.gsi2.query(audit_keys.audit_resource("api_key", key["id"])))
    assert records[-1].action == "api_key.revoke" and records[-1].after == {"reason": "member_left"}


def test_deleting_the_team_revokes_its_keys(api: ApiClient) -> None:
    team = make_team(api)
    owner, admin = team.people["owner"], team.people["admin"]
    team_keys = [_create(api, p.token, team.id).json["data"] for p in (owner, admin)]
    personal = _create(api, admin.token).json["data"]
    deleted = api.delete(team.path(), token=owner.token)
    assert deleted.status == 200, deleted.body
    assert all(_works(api, k["key"]) == 401 for k in team_keys)
    assert _works(api, personal["key"]) == 200
    assert _team_ring(team.id) == 0
    ring = _ring(admin.id)
    assert (ring.active, ring.team_keys) == (1, 0)
    # the owner's retry of the delete (resuming the sweep) is idempotent
    assert api.delete(team.path(), token=owner.token).status in (200, 404)


def test_a_team_keys_calls_count_in_the_teams_usage(api: ApiClient) -> None:
    team = make_team(api)
    member = team.people["member"]
    key = _create(api, member.token, team.id).json["data"]
    for _ in range(2):
        assert _works(api, key["key"]) == 200
    read = api.get(f"/api/v1/subscriptions?teamId={team.id}", token=team.people["owner"].token)
    assert read.status == 200, read.body
    assert read.json["data"]["usage"]["apiCallsByKey"] == {key["id"]: 2}
    mine = api.get("/api/v1/subscriptions", token=member.token).json["data"]["usage"]
    assert mine["apiCallsByKey"] == {}


def test_revoking_a_team_key_counts_it_off_the_team(api: ApiClient) -> None:
    team = make_team(api)
    admin = team.people["admin"]
    key = _create(api, admin.token, team.id).json["data"]
    assert api.delete(f"/api/v1/api-keys/{key['id']}", token=admin.token).status == 200
    assert _team_ring(team.id) == 0 and _ring(admin.id).team_keys == 0
    assert _works(api, key["key"]) == 401


def test_suspension_revokes_team_keys_and_counts_them_off(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    team_id = api.post("/api/v1/teams", json_body={"name": "Solo"}, token=token).json["data"]["id"]
    key = _create(api, token, team_id).json["data"]
    from souk.db.transactions import WriteTransaction
    from souk.identity.store.api_keys import revoke_all_keys

    with WriteTransaction() as tx:
        assert revoke_all_keys(user.user_id, tx) == 1
    assert _works(api, key["key"]) == 401 and _team_ring(team_id) == 0
