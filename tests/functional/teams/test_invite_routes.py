"""Pending invites over HTTP (moto): an admin lists them (paged, one Query a page, expired ones left out,
never a token nor its hash) and revokes one (its token stops working, its seat is free again)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.db.base import utc_now
from souk.teams import keys
from souk.teams.models import Invite, Team
from tests.factories import queued_jobs
from tests.functional.teams.helpers import TeamFixture, make_team, person
from tests.functional.teams.test_paging_and_delete import READS, all_pages
from tests.support import ApiClient, assert_error

INVITE_FIELDS = {"id", "email", "role", "expiresAt"}


@pytest.fixture
def team(api: ApiClient) -> TeamFixture:
    return make_team(api)  # Pro: 10 seats


def invite(api: ApiClient, team: TeamFixture, email: str, role: str = "member", by: str = "admin") -> dict:
    response = api.post(team.path("/invites"), json_body={"email": email, "role": role}, token=team.people[by].token)
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def expire(team: TeamFixture, email: str) -> None:
    stored = Invite.get(keys.team(team.id), keys.invite(email))
    stored.update(actions=[Invite.valid_until.set(utc_now() - timedelta(seconds=1))])


def emailed_token(queue: str, email: str) -> str:
    jobs = [j for j in queued_jobs(queue) if j["template"] == "team_invite" and j["to"] == email]
    assert len(jobs) == 1, jobs
    return jobs[0]["variables"]["token"]  # type: ignore[no-any-return]


def revoke(api: ApiClient, team: TeamFixture, email: str, by: str | None = "admin") -> Any:
    return api.delete(team.path(f"/invites/{email}"), token=team.people[by].token if by else None)


# ---------------------------------------------------------------- list


def test_admins_and_owners_list_the_pending_invites_without_tokens(
    api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]
) -> None:
    # GIVEN three invites, one of them expired (not yet deleted by the TTL), and an owner invite
    ada = invite(api, team, "Ada@Example.com", role="viewer")
    invite(api, team, "gone@example.com")
    boss = invite(api, team, "boss@example.com", role="owner", by="owner")
    expire(team, "gone@example.com")
    tokens = [j["variables"]["token"] for j in queued_jobs(aws_resources["EmailQueue"])]
    # WHEN an admin and the owner list them
    for who in ("admin", "owner"):
        response = api.get(team.path("/invites"), token=team.people[who].token)
        assert response.status == 200, response.body
        listed = response.json["data"]
        # THEN the pending ones, by email, in the contract's shape; the expired one left out
        assert [i["email"] for i in listed] == ["ada@example.com", "boss@example.com"]
        assert all(set(i) == INVITE_FIELDS for i in listed), listed
        assert listed == [ada, boss]
        assert response.json["pagination"]["hasNext"] is False
        # never the token nor its hash
        hashes = [i.token_hash for i in Invite.query(keys.team(team.id), Invite.sk.startswith(keys.INVITE_PREFIX))]
        assert len(tokens) == 3 and len(hashes) == 3
        assert not any(secret in response.body.decode() for secret in tokens + hashes)


def test_invites_page_by_cursor_one_query_each(api: ApiClient) -> None:
    team = make_team(api, plan="enterprise")  # more invites than Pro seats
    # GIVEN 7 pending invites and 2 expired ones among them
    emails = [f"p{i}@example.com" for i in range(9)]
    for email in emails:
        invite(api, team, email)
    expire(team, "p2@example.com")
    expire(team, "p6@example.com")
    # WHEN an admin pages through them 3 at a time
    pages, calls = all_pages(api, team.path("/invites"), team.people["admin"].token, 3)
    # THEN each pending invite once, by email (a page with an expired one comes back short)
    listed = [i["email"] for p in pages for i in p]
    assert listed == [e for e in emails if e not in ("p2@example.com", "p6@example.com")]
    assert [len(p) for p in pages][:3] == [2, 3, 2]
    # AND every page costs the same calls, one Query of them (the others: the caller, their membership, the team)
    assert all(c == calls[0] for c in calls) and [c for c in calls[0] if c in READS] == ["Query"], calls
    _, whole = all_pages(api, team.path("/invites"), team.people["admin"].token, 100)
    assert whole == [calls[0]]


def test_an_invites_cursor_of_another_list_or_garbled_is_400(api: ApiClient, team: TeamFixture) -> None:
    owner = team.people["owner"].token
    invite(api, team, "a@example.com")
    invite(api, team, "b@example.com")
    other = api.post("/api/v1/teams", json_body={"name": "Other"}, token=owner).json["data"]["id"]
    first = api.get(team.path("/invites?limit=1"), token=owner).json
    cursor = first["pagination"]["nextCursor"]
    assert first["pagination"]["hasNext"] is True and cursor
    assert_error(api.get(f"/api/v1/teams/{other}/invites?cursor={cursor}", token=owner), 400, "VALIDATION_ERROR")
    # the members' cursor of the same team (same partition) is not the invites' one, nor the other way round
    members_cursor = api.get(team.path("/members?limit=1"), token=owner).json["pagination"]["nextCursor"]
    assert members_cursor
    assert_error(api.get(team.path(f"/invites?cursor={members_cursor}"), token=owner), 400, "VALIDATION_ERROR")
    assert_error(api.get(team.path(f"/members?cursor={cursor}"), token=owner), 400, "VALIDATION_ERROR")
    for bad in ("cursor=garbled", "limit=0", "limit=101", "limit=x"):
        assert_error(api.get(team.path(f"/invites?{bad}"), token=owner), 400, "VALIDATION_ERROR")


def test_who_may_list_invites(api: ApiClient, team: TeamFixture) -> None:
    invite(api, team, "a@example.com")
    for role in ("member", "viewer"):
        assert_error(api.get(team.path("/invites"), token=team.people[role].token), 403, "FORBIDDEN")
    outsider = person("Out Sider")
    assert_error(api.get(team.path("/invites"), token=outsider.token), 404, "NOT_FOUND")
    assert_error(api.get("/api/v1/teams/nope/invites", token=team.people["owner"].token), 404, "NOT_FOUND")
    assert_error(api.get(team.path("/invites")), 401, "UNAUTHORIZED")
    # an admin of another team sees only their own team's invites
    other = make_team(api, name="Other")
    listed = api.get(other.path("/invites"), token=other.people["admin"].token)
    assert listed.status == 200 and listed.json["data"] == []


# ---------------------------------------------------------------- revoke


def test_revoking_withdraws_the_invite_and_its_token(
    api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]
) -> None:
    invitee = person("Ivy", email="ivy@example.com")
    queued_jobs(aws_resources["EmailQueue"])
    sent = invite(api, team, "ivy@example.com")
    token = emailed_token(aws_resources["EmailQueue"], "ivy@example.com")
    seats = int(Team.get(keys.team(team.id), keys.TEAM_SK, consistent_read=True).seats)
    # WHEN an admin revokes it (the email in another case, percent-encoded as a client sends it)
    response = revoke(api, team, "Ivy%40Example.com")
    # THEN 200 with the deleted invite's id, the seat given back, the revoke audited
    assert response.status == 200, response.body
    assert response.json["data"] == {"id": sent["id"], "deleted": True}
    assert int(Team.get(keys.team(team.id), keys.TEAM_SK, consistent_read=True).seats) == seats - 1
    audited = [r for r in AuditRecord.gsi2.query(audit_keys.audit_resource("team", team.id))
               if r.action == "team.invite_revoke"]  # fmt: skip
    assert [(r.actor_id, r.before["inviteId"]) for r in audited] == [(team.people["admin"].id, sent["id"])]
    # AND it is no longer listed, its token no longer accepted, a second revoke 404
    assert api.get(team.path("/invites"), token=team.people["admin"].token).json["data"] == []
    assert_error(api.post(f"/api/v1/invites/{token}/accept", token=invitee.token), 404, "NOT_FOUND")
    assert_error(api.get(team.path(), token=invitee.token), 404, "NOT_FOUND")
    assert_error(revoke(api, team, "ivy@example.com"), 404, "NOT_FOUND")


def test_revoking_frees_the_seat_of_a_free_team(api: ApiClient) -> None:
    owner = person("Olive Owner")
    team_id = api.post("/api/v1/teams", json_body={"name": "Tiny"}, token=owner.token).json["data"]["id"]
    free = TeamFixture(team_id, {"owner": owner})

    def send(email: str) -> Any:
        return api.post(free.path("/invites"), json_body={"email": email, "role": "member"}, token=owner.token)

    # GIVEN a Free team (3 seats) holding the owner and two pending invites: a third is refused
    assert send("a@example.com").status == 201 and send("b@example.com").status == 201
    refused = assert_error(send("c@example.com"), 403, "FORBIDDEN")
    assert refused["error"]["details"][0]["field"] == "teamMembers"
    # WHEN the owner revokes one over HTTP
    assert revoke(api, free, "b@example.com", by="owner").status == 200
    # THEN the team can invite again, and is full again after it
    assert send("c@example.com").status == 201
    assert_error(send("d@example.com"), 403, "FORBIDDEN")


def test_who_may_revoke(api: ApiClient, team: TeamFixture) -> None:
    invite(api, team, "a@example.com")
    invite(api, team, "boss@example.com", role="owner", by="owner")
    # members and viewers: 403, for an invite or none (they learn nothing of the invites)
    for role in ("member", "viewer"):
        assert_error(revoke(api, team, "a@example.com", by=role), 403, "FORBIDDEN")
        assert_error(revoke(api, team, "nobody@example.com", by=role), 403, "FORBIDDEN")
    # an admin may not revoke an owner invite; the owner may
    assert_error(revoke(api, team, "boss@example.com"), 403, "FORBIDDEN")
    assert revoke(api, team, "boss@example.com", by="owner").status == 200
    # no token 401; a non-member and an unknown team 404
    assert_error(revoke(api, team, "a@example.com", by=None), 401, "UNAUTHORIZED")
    outsider = person("Out Sider")
    assert_error(api.delete(team.path("/invites/a@example.com"), token=outsider.token), 404, "NOT_FOUND")
    assert_error(api.delete("/api/v1/teams/nope/invites/a@example.com", token=team.people["owner"].token),
                 404, "NOT_FOUND")  # fmt: skip
    # another team's invite: its admin, through their own team, finds none pending
    other = make_team(api, name="Other")
    assert_error(revoke(api, other, "a@example.com", by="owner"), 404, "NOT_FOUND")
    # the invite is still there, revoked only by this team's admin
    assert [i["email"] for i in api.get(team.path("/invites"), token=team.people["admin"].token).json["data"]] == [
        "a@example.com"
    ]
    assert revoke(api, team, "a@example.com").status == 200


def test_an_expired_invite_is_not_revoked(api: ApiClient, team: TeamFixture) -> None:
    invite(api, team, "late@example.com")
    expire(team, "late@example.com")
    assert_error(revoke(api, team, "late@example.com"), 404, "NOT_FOUND")


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@example.com", "a" * 250 + "@example.com",
                                   "a%40b%40example.com", "%FF%FE@example.com", "a b@example.com",
                                   "x" * 800])  # fmt: skip
def test_a_garbled_email_is_400(api: ApiClient, team: TeamFixture, email: str) -> None:
    assert_error(revoke(api, team, email, by="owner"), 400, "VALIDATION_ERROR")


def test_a_plus_address_is_revoked(api: ApiClient, team: TeamFixture) -> None:
    invite(api, team, "ivy+teams@example.com")
    assert revoke(api, team, "ivy%2Bteams%40example.com").status == 200
    assert api.get(team.path("/invites"), token=team.people["admin"].token).json["data"] == []
