"""Team and member routes in-process (moto): create, list, read, rename, delete; add, re-role, remove;
the team always keeps an owner; a non-member gets 404, a member without the role 403."""

from __future__ import annotations

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.teams import keys
from souk.teams.models import Team
from tests.functional.teams.helpers import TeamFixture, make_team, person
from tests.support import ApiClient, assert_error, record_dynamodb_calls


@pytest.fixture
def team(api: ApiClient) -> TeamFixture:
    return make_team(api)


def actions_of(team_id: str) -> list[str]:
    return sorted(a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("team", team_id)))


def counters(team_id: str) -> tuple[int, int]:
    item = Team.get(keys.team(team_id), keys.TEAM_SK, consistent_read=True)
    return int(item.members), int(item.owners)


# ---------------------------------------------------------------- teams


def test_a_user_creates_teams_and_lists_them_with_their_role(api: ApiClient, team: TeamFixture) -> None:
    owner, member = team.people["owner"], team.people["member"]
    # GIVEN the member also creates a team of their own
    mine = api.post("/api/v1/teams", json_body={"name": "Bakers"}, token=member.token)
    assert mine.status == 201, mine.body
    assert mine.json["data"] == {"id": mine.json["data"]["id"], "name": "Bakers", "role": "owner", "members": 1}
    # WHEN each lists their teams
    listed = api.get("/api/v1/teams", token=member.token).json["data"]
    # THEN the member sees both, oldest team first, with their role in each; the owner only theirs
    assert [(t["name"], t["role"], t["members"]) for t in listed] == [("Ops", "member", 4), ("Bakers", "owner", 1)]
    assert [t["id"] for t in api.get("/api/v1/teams", token=owner.token).json["data"]] == [team.id]
    assert actions_of(team.id) == ["team.create"] + ["team.member_add"] * 3


def test_listing_own_teams_is_one_query_and_one_batch_get(
    api: ApiClient, team: TeamFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = team.people["member"]
    api.post("/api/v1/teams", json_body={"name": "Second"}, token=member.token)
    token = member.token
    calls = record_dynamodb_calls(monkeypatch)
    assert api.get("/api/v1/teams", token=token).status == 200
    assert [c for c in calls if c in ("Query", "BatchGetItem", "Scan")] == ["Query", "BatchGetItem"]


def test_any_member_reads_the_team_and_its_members(api: ApiClient, team: TeamFixture) -> None:
    viewer = team.people["viewer"]
    read = api.get(team.path(), token=viewer.token)
    assert read.status == 200, read.body
    assert read.json["data"] == {"id": team.id, "name": "Ops", "role": "viewer", "members": 4}
    members = api.get(team.path("/members"), token=viewer.token).json["data"]
    assert sorted((m["role"], m["name"]) for m in members) == [
        ("admin", "Admin Person"), ("member", "Member Person"), ("owner", "Olive Owner"), ("viewer", "Viewer Person")
    ]  # fmt: skip
    owner = next(m for m in members if m["role"] == "owner")
    assert owner == {"userId": team.people["owner"].id, "name": "Olive Owner",
                     "email": team.people["owner"].user.email, "role": "owner"}  # fmt: skip


@pytest.mark.parametrize(("method", "suffix"), [("GET", ""), ("PUT", ""), ("DELETE", ""), ("GET", "/members"),
                                                ("POST", "/members"), ("POST", "/invites")])  # fmt: skip
def test_a_non_member_gets_404_and_no_token_401(api: ApiClient, team: TeamFixture, method: str, suffix: str) -> None:
    stranger = person()
    body = {"name": "X", "userId": stranger.id, "role": "member", "email": "x@example.com"}
    response = api.request(method, team.path(suffix), json_body=body, token=stranger.token)
    assert_error(response, 404, "NOT_FOUND")
    assert_error(api.request(method, team.path(suffix), json_body=body), 401, "UNAUTHORIZED")
    assert_error(api.request(method, "/api/v1/teams/nope" + suffix, json_body=body, token=stranger.token),
                 404, "NOT_FOUND")  # fmt: skip


def test_no_token_is_401_on_the_collection(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/teams"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/teams", json_body={"name": "X"}), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 101}, {"name": 5}])
def test_a_bad_team_name_is_400(api: ApiClient, team: TeamFixture, body: dict[str, object]) -> None:
    owner = team.people["owner"]
    assert_error(api.post("/api/v1/teams", json_body=body, token=owner.token), 400, "VALIDATION_ERROR")
    assert_error(api.put(team.path(), json_body=body, token=owner.token), 400, "VALIDATION_ERROR")


def test_admins_rename_members_may_not(api: ApiClient, team: TeamFixture) -> None:
    renamed = api.put(team.path(), json_body={"name": "Operations"}, token=team.people["admin"].token)
    assert renamed.status == 200, renamed.body
    assert renamed.json["data"]["name"] == "Operations"
    assert api.get(team.path(), token=team.people["viewer"].token).json["data"]["name"] == "Operations"
    for role in ("member", "viewer"):
        response = api.put(team.path(), json_body={"name": "Mine"}, token=team.people[role].token)
        assert_error(response, 403, "FORBIDDEN")
    assert "team.update" in actions_of(team.id)


def test_only_an_owner_deletes_the_team_and_it_is_gone_for_everyone(api: ApiClient, team: TeamFixture) -> None:
    assert_error(api.delete(team.path(), token=team.people["admin"].token), 403, "FORBIDDEN")
    deleted = api.delete(team.path(), token=team.people["owner"].token)
    assert deleted.status == 200, deleted.body
    assert deleted.json["data"] == {"id": team.id, "deleted": True}
    for role in ("owner", "member"):
        assert_error(api.get(team.path(), token=team.people[role].token), 404, "NOT_FOUND")
        assert api.get("/api/v1/teams", token=team.people[role].token).json["data"] == []
    assert "team.delete" in actions_of(team.id)


# ---------------------------------------------------------------- members


def test_admins_add_existing_users_once(api: ApiClient, team: TeamFixture) -> None:
    newcomer = person("New Comer")
    added = api.post(team.path("/members"), json_body={"userId": newcomer.id, "role": "member"},
                     token=team.people["admin"].token)  # fmt: skip
    assert added.status == 201, added.body
    assert added.json["data"] == {"userId": newcomer.id, "name": "New Comer", "email": newcomer.user.email,
                                  "role": "member"}  # fmt: skip
    assert counters(team.id) == (5, 1)
    again = api.post(team.path("/members"), json_body={"userId": newcomer.id, "role": "viewer"},
                     token=team.people["owner"].token)  # fmt: skip
    assert_error(again, 409, "DUPLICATE_ENTRY")
    assert counters(team.id) == (5, 1)
    assert api.get(team.path(), token=newcomer.token).json["data"]["role"] == "member"


def test_adding_is_for_admins_and_owners_and_owner_only_by_owners(api: ApiClient, team: TeamFixture) -> None:
    newcomer = person()
    for role in ("member", "viewer"):
        response = api.post(team.path("/members"), json_body={"userId": newcomer.id, "role": "viewer"},
                            token=team.people[role].token)  # fmt: skip
        assert_error(response, 403, "FORBIDDEN")
    response = api.post(team.path("/members"), json_body={"userId": newcomer.id, "role": "owner"},
                        token=team.people["admin"].token)  # fmt: skip
    assert_error(response, 403, "FORBIDDEN")
    unknown = api.post(team.path("/members"), json_body={"userId": "nobody", "role": "member"},
                       token=team.people["owner"].token)  # fmt: skip
    assert_error(unknown, 404, "NOT_FOUND")


@pytest.mark.parametrize("body", [{}, {"userId": "u"}, {"userId": "u", "role": "king"}, {"userId": "", "role": "admin"},
                                  {"role": "admin"}])  # fmt: skip
def test_a_bad_member_body_is_400(api: ApiClient, team: TeamFixture, body: dict[str, str]) -> None:
    owner = team.people["owner"]
    assert_error(api.post(team.path("/members"), json_body=body, token=owner.token), 400, "VALIDATION_ERROR")
    member_path = team.path(f"/members/{team.people['member'].id}")
    bad_role = {k: v for k, v in body.items() if k == "role"}
    if bad_role.get("role") != "admin":
        assert_error(api.put(member_path, json_body=bad_role, token=owner.token), 400, "VALIDATION_ERROR")


def test_re_roling_members(api: ApiClient, team: TeamFixture) -> None:
    member_path = team.path(f"/members/{team.people['member'].id}")
    changed = api.put(member_path, json_body={"role": "admin"}, token=team.people["admin"].token)
    assert changed.status == 200, changed.body
    assert changed.json["data"]["role"] == "admin"
    assert api.get(team.path(), token=team.people["member"].token).json["data"]["role"] == "admin"
    # a member may not re-role another, an admin may not touch an owner nor make one
    viewer_path = team.path(f"/members/{team.people['viewer'].id}")
    assert_error(api.put(viewer_path, json_body={"role": "member"}, token=team.people["viewer"].token),
                 403, "FORBIDDEN")  # fmt: skip
    owner_path = team.path(f"/members/{team.people['owner'].id}")
    assert_error(api.put(owner_path, json_body={"role": "member"}, token=team.people["admin"].token), 403, "FORBIDDEN")
    assert_error(api.put(viewer_path, json_body={"role": "owner"}, token=team.people["admin"].token), 403, "FORBIDDEN")
    # an owner makes another owner; the counters follow
    promoted = api.put(viewer_path, json_body={"role": "owner"}, token=team.people["owner"].token)
    assert promoted.status == 200, promoted.body
    assert counters(team.id) == (4, 2)
    assert_error(api.put(team.path("/members/nobody"), json_body={"role": "member"}, token=team.people["owner"].token),
                 404, "NOT_FOUND")  # fmt: skip
    assert actions_of(team.id).count("team.member_role") == 2


def test_the_last_owner_can_neither_step_down_nor_leave_nor_be_removed(api: ApiClient, team: TeamFixture) -> None:
    owner = team.people["owner"]
    own_path = team.path(f"/members/{owner.id}")
    assert_error(api.put(own_path, json_body={"role": "admin"}, token=owner.token), 409, "CONFLICT")
    assert_error(api.delete(own_path, token=owner.token), 409, "CONFLICT")
    assert counters(team.id) == (4, 1)
    # with a second owner, the first may leave; then the second is the last one
    second = team.people["admin"]
    assert api.put(team.path(f"/members/{second.id}"), json_body={"role": "owner"}, token=owner.token).status == 200
    left = api.delete(own_path, token=owner.token)
    assert left.status == 200, left.body
    assert left.json["data"] == {"id": owner.id, "deleted": True}
    assert counters(team.id) == (3, 1)
    assert_error(api.get(team.path(), token=owner.token), 404, "NOT_FOUND")
    assert_error(api.delete(team.path(f"/members/{second.id}"), token=second.token), 409, "CONFLICT")


def test_removing_members(api: ApiClient, team: TeamFixture) -> None:
    viewer, member = team.people["viewer"], team.people["member"]
    # a member may not remove another, an admin may not remove an owner
    assert_error(api.delete(team.path(f"/members/{viewer.id}"), token=member.token), 403, "FORBIDDEN")
    owner_path = team.path(f"/members/{team.people['owner'].id}")
    assert_error(api.delete(owner_path, token=team.people["admin"].token), 403, "FORBIDDEN")
    # an admin removes the viewer; a member leaves
    assert api.delete(team.path(f"/members/{viewer.id}"), token=team.people["admin"].token).status == 200
    assert api.delete(team.path(f"/members/{member.id}"), token=member.token).status == 200
    assert counters(team.id) == (2, 1)
    assert_error(api.get(team.path("/members"), token=viewer.token), 404, "NOT_FOUND")
    assert_error(api.delete(team.path(f"/members/{viewer.id}"), token=team.people["owner"].token), 404, "NOT_FOUND")
    assert actions_of(team.id).count("team.member_remove") == 2
    assert_error(api.delete(team.path(f"/members/{viewer.id}")), 401, "UNAUTHORIZED")
