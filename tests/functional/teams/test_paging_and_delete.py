"""Team lists page with a signed cursor at a constant DynamoDB cost; deleting a team tombstones it
first, so a crash before the sweep leaves no team visible to anyone and the leftovers are cleaned."""

from __future__ import annotations

from datetime import timedelta

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.db.base import SoukItem, utc_now
from souk.teams import keys
from souk.teams.models import Invite, Membership, Team
from souk.teams.store import teams as team_store
from tests.factories import queued_jobs
from tests.functional.teams.helpers import Person, TeamFixture, make_team, person
from tests.support import ApiClient, assert_error, record_dynamodb_calls

READS = ("Query", "BatchGetItem", "Scan", "BatchWriteItem")


@pytest.fixture
def team(api: ApiClient) -> TeamFixture:
    return make_team(api, plan="enterprise")  # more members than Pro seats


def add_members(api: ApiClient, team: TeamFixture, count: int) -> list[Person]:
    added = []
    for i in range(count):
        someone = person(f"Extra {i}")
        response = api.post(team.path("/members"), json_body={"userId": someone.id, "role": "member"},
                            token=team.people["owner"].token)  # fmt: skip
        assert response.status == 201, response.body
        added.append(someone)
    return added


def all_pages(api: ApiClient, path: str, token: str, limit: int) -> tuple[list[list[dict]], list[list[str]]]:
    """Every page of a list (by its cursor) and the DynamoDB calls of each."""
    pages: list[list[dict]] = []
    calls_per_page: list[list[str]] = []
    cursor = None
    while True:
        calls: list[str] = []
        with pytest.MonkeyPatch.context() as patch:
            calls = record_dynamodb_calls(patch)
            url = f"{path}?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            response = api.get(url, token=token)
        assert response.status == 200, response.body
        pages.append(response.json["data"])
        calls_per_page.append(list(calls))
        pagination = response.json["pagination"]
        assert pagination["limit"] == limit
        assert pagination["hasNext"] is (pagination["nextCursor"] is not None)
        cursor = pagination["nextCursor"]
        if cursor is None:
            return pages, calls_per_page
        assert len(pages) < 20, "the cursor does not move on"


# ---------------------------------------------------------------- members


def test_members_page_by_cursor_one_query_each(api: ApiClient, team: TeamFixture) -> None:
    # GIVEN a team of 4 + 6 = 10 members
    add_members(api, team, 6)
    viewer = team.people["viewer"].token
    # WHEN a member pages through them 3 at a time
    pages, calls = all_pages(api, team.path("/members"), viewer, 3)
    # THEN 3 + 3 + 3 + 1 members (DynamoDB may end on an empty last page), each once, all of them
    assert [len(p) for p in pages if p][:4] == [3, 3, 3, 1]
    ids = [m["userId"] for p in pages for m in p]
    assert len(ids) == len(set(ids)) == 10
    assert set(ids) == {m.user_id for m in Membership.query(keys.team(team.id), Membership.sk.startswith("MEMBER#"))}
    # AND every page costs the same calls, one Query of them (the others: the caller, their membership, the team)
    assert all(c == calls[0] for c in calls) and [c for c in calls[0] if c in READS] == ["Query"], calls
    # AND one page of everyone costs the same as one page of three
    _, whole = all_pages(api, team.path("/members"), viewer, 100)
    assert whole == [calls[0]]


def test_a_members_cursor_of_another_team_or_garbled_is_400(api: ApiClient, team: TeamFixture) -> None:
    owner = team.people["owner"]
    other = api.post("/api/v1/teams", json_body={"name": "Other"}, token=owner.token).json["data"]["id"]
    first = api.get(team.path("/members?limit=1"), token=owner.token).json
    cursor = first["pagination"]["nextCursor"]
    assert first["pagination"]["hasNext"] is True and cursor
    assert_error(api.get(f"/api/v1/teams/{other}/members?cursor={cursor}", token=owner.token), 400, "VALIDATION_ERROR")
    assert_error(api.get(team.path("/members?cursor=garbled"), token=owner.token), 400, "VALIDATION_ERROR")
    assert_error(api.get(team.path("/members?limit=0"), token=owner.token), 400, "VALIDATION_ERROR")
    assert_error(api.get(team.path("/members?limit=101"), token=owner.token), 400, "VALIDATION_ERROR")
    # another user's teams cursor is not a team's members cursor either
    assert_error(api.get(f"/api/v1/teams?cursor={cursor}", token=owner.token), 400, "VALIDATION_ERROR")


# ---------------------------------------------------------------- my teams


def test_my_teams_page_by_cursor_one_query_and_one_batch_get_each(api: ApiClient) -> None:
    # GIVEN a user in 5 teams
    me = person("Many Teams")
    made = [api.post("/api/v1/teams", json_body={"name": f"T{i}"}, token=me.token).json["data"]["id"] for i in range(5)]
    # WHEN they page through their teams 2 at a time
    pages, calls = all_pages(api, "/api/v1/teams", me.token, 2)
    # THEN each team once, oldest first, in pages of 2
    assert [t["id"] for p in pages for t in p] == made
    assert [len(p) for p in pages if p] == [2, 2, 1]
    # AND each page is one Query and one BatchGet (an empty last page: the Query only)
    reads = [[c for c in page_calls if c in READS] for page_calls in calls]
    assert all(r == ["Query", "BatchGetItem"] or (r == ["Query"] and not p) for r, p in zip(reads, pages, strict=True))
    assert len({len(c) for c, p in zip(calls, pages, strict=True) if p}) == 1, calls
    _, whole = all_pages(api, "/api/v1/teams", me.token, 100)
    assert whole == [calls[0]]


# ---------------------------------------------------------------- delete


def test_deleting_sweeps_members_and_invites_and_leaves_an_audited_tombstone(
    api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]
) -> None:
    add_members(api, team, 30)  # more than one sweep page
    assert api.post(team.path("/invites"), json_body={"email": "ivy@example.com", "role": "member"},
                    token=team.people["owner"].token).status == 201  # fmt: skip
    assert api.delete(team.path(), token=team.people["owner"].token).status == 200
    left = list(SoukItem.query(keys.team(team.id), consistent_read=True))
    assert [type(i) for i in left] == [Team]
    tombstone = left[0]
    assert isinstance(tombstone, Team) and tombstone.deleted_at is not None
    assert timedelta(days=29) < tombstone.expires_at - utc_now() <= team_store.TOMBSTONE_TTL
    actions = [a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("team", team.id))]
    assert actions.count("team.delete") == 1
    # a second DELETE by the owner (no membership left) is 404, as is any read
    assert_error(api.delete(team.path(), token=team.people["owner"].token), 404, "NOT_FOUND")


def test_a_crash_after_the_tombstone_hides_the_team_and_the_leftovers_are_cleaned(
    api: ApiClient, team: TeamFixture, aws_resources: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    owner, member = team.people["owner"], team.people["member"]
    queued_jobs(aws_resources["EmailQueue"])
    invitee = person("Ivy Invitee", email="ivy@example.com")
    assert api.post(team.path("/invites"), json_body={"email": "ivy@example.com", "role": "member"},
                    token=owner.token).status == 201  # fmt: skip
    [job] = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "team_invite"]
    token = job["variables"]["token"]

    # GIVEN the delete crashes right after its first step (the tombstone transaction)
    def crash(team_id: str, **_: object) -> bool:
        raise RuntimeError("Lambda timed out")

    monkeypatch.setattr(team_store, "sweep", crash)
    assert api.delete(team.path(), token=owner.token).status == 500
    monkeypatch.undo()
    # the memberships and the invite are still stored
    assert len(list(Membership.query(keys.team(team.id), Membership.sk.startswith("MEMBER#")))) == 4
    invite = Invite.get(keys.team(team.id), keys.invite("ivy@example.com"))

    # THEN the team is gone for everyone: every read, every write, the invite
    for role, someone in team.people.items():
        assert_error(api.get(team.path(), token=someone.token), 404, "NOT_FOUND")
        assert_error(api.get(team.path("/members"), token=someone.token), 404, "NOT_FOUND")
        assert_error(api.put(team.path(), json_body={"name": "X"}, token=someone.token), 404, "NOT_FOUND")
        if role != "owner":
            assert_error(api.delete(team.path(), token=someone.token), 404, "NOT_FOUND")
    newcomer = person("New Comer")
    assert_error(api.post(team.path("/members"), json_body={"userId": newcomer.id, "role": "member"},
                          token=owner.token), 404, "NOT_FOUND")  # fmt: skip
    assert_error(api.post(f"/api/v1/invites/{token}/accept", token=invitee.token), 404, "NOT_FOUND")
    # AND the leftover invite expires by itself (DynamoDB TTL)
    assert invite.expires_at is not None and invite.expires_at <= utc_now() + timedelta(days=7)

    # WHEN the member lists their teams: the team is left out and their dead membership removed
    calls = record_dynamodb_calls(monkeypatch)
    listed = api.get("/api/v1/teams", token=member.token)
    assert listed.status == 200 and listed.json["data"] == []
    assert [c for c in calls if c in READS] == ["Query", "BatchGetItem", "BatchWriteItem"]
    monkeypatch.undo()
    assert team_store.get_membership(team.id, member.id) is None
    # and listing again costs the usual Query only (nothing left to find)
    calls = record_dynamodb_calls(monkeypatch)
    assert api.get("/api/v1/teams", token=member.token).json["data"] == []
    assert [c for c in calls if c in READS] == ["Query"]
    monkeypatch.undo()

    # WHEN the owner retries the DELETE: the sweep resumes, the same 200, no second audit record
    again = api.delete(team.path(), token=owner.token)
    assert again.status == 200, again.body
    assert again.json["data"] == {"id": team.id, "deleted": True}
    assert [type(i) for i in SoukItem.query(keys.team(team.id), consistent_read=True)] == [Team]
    actions = [a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("team", team.id))]
    assert actions.count("team.delete") == 1
    for someone in team.people.values():
        assert api.get("/api/v1/teams", token=someone.token).json["data"] == []


def test_the_sweep_is_bounded_and_resumable(api: ApiClient, team: TeamFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a team of 4 + 30 members, deleted by a request that crashed before the sweep
    add_members(api, team, 30)
    sweep = team_store.sweep
    monkeypatch.setattr(team_store, "sweep", lambda team_id, **_: (_ for _ in ()).throw(RuntimeError("crash")))
    assert api.delete(team.path(), token=team.people["owner"].token).status == 500
    monkeypatch.undo()
    # WHEN the sweep runs one page: one Query and one BatchWriteItem, 25 items gone, not done
    calls = record_dynamodb_calls(monkeypatch)
    assert sweep(team.id, pages=1) is False
    assert [c for c in calls if c in READS] == ["Query", "BatchWriteItem"]
    monkeypatch.undo()
    assert len(list(SoukItem.query(keys.team(team.id), consistent_read=True))) == 34 + 1 - 25
    # THEN the rest of it finishes: the tombstone alone is left
    assert sweep(team.id) is True
    assert [type(i) for i in SoukItem.query(keys.team(team.id), consistent_read=True)] == [Team]
