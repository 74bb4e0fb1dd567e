"""Seats in-process (moto): the team item's ``seats`` counts members and pending invites, each write
that takes one is conditional on the plan's limit (Free: 3), and every way out gives it back: a
revoked invite, a removed member, an expired invite (at the next recount). A resend takes none, an
accepted invite keeps its seat as the member's, and a team made before the counter is counted once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.caller import Principal
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled
from souk.errors import Forbidden, NotFound
from souk.teams import keys
from souk.teams.models import Invite, Team
from souk.teams.service import invites, members
from souk.teams.store import teams as team_store
from tests.factories import queued_jobs
from tests.functional.teams.helpers import Person, person
from tests.plans_support import on_plan
from tests.support import ApiClient, assert_error


def refused(response: Any) -> None:
    payload = assert_error(response, 403, "FORBIDDEN")
    assert payload["error"]["details"][0]["field"] == "teamMembers", payload
    assert payload["error"]["message"] == "Your plan allows 3 teamMembers."


def seats(team_id: str) -> tuple[int | None, int]:
    item = Team.get(keys.team(team_id), keys.TEAM_SK, consistent_read=True)
    return (None if item.seats is None else int(item.seats)), int(item.members)


def principal(who: Person) -> Principal:
    return Principal(user_id=who.id, role="customer", session_id="s")


class FreeTeam:
    """A Free team (3 seats) of its owner, through the routes."""

    def __init__(self, api: ApiClient) -> None:
        self.api = api
        self.owner = person("Olive Owner")
        created = api.post("/api/v1/teams", json_body={"name": "Tiny"}, token=self.owner.token)
        assert created.status == 201, created.body
        self.id: str = created.json["data"]["id"]

    def invite(self, email: str, role: str = "member", token: str | None = None) -> Any:
        return self.api.post(f"/api/v1/teams/{self.id}/invites", json_body={"email": email, "role": role},
                             token=token or self.owner.token)  # fmt: skip

    def add(self, who: Person, role: str = "member") -> Any:
        return self.api.post(f"/api/v1/teams/{self.id}/members", json_body={"userId": who.id, "role": role},
                             token=self.owner.token)  # fmt: skip


@pytest.fixture
def team(api: ApiClient) -> FreeTeam:
    return FreeTeam(api)


def test_pending_invites_hold_seats_and_revoking_one_gives_it_back(team: FreeTeam) -> None:
    assert seats(team.id) == (1, 1)  # the owner's
    # GIVEN two pending invites: the team's three seats are taken
    assert team.invite("a@example.com").status == 201
    assert team.invite("b@example.com").status == 201
    assert seats(team.id) == (3, 1)
    # THEN a fourth invite and a direct add are 403 naming teamMembers, and take nothing
    refused(team.invite("c@example.com"))
    refused(team.add(person()))
    assert seats(team.id) == (3, 1)
    assert Invite.count(keys.team(team.id), Invite.sk.startswith(keys.INVITE_PREFIX)) == 2
    # resending a pending invite takes no new seat
    assert team.invite("a@example.com", role="viewer").status == 201
    assert seats(team.id) == (3, 1)
    # WHEN an invite is revoked: its seat is free, the revoke audited
    revoked = invites.revoke(principal(team.owner), team.id, "B@example.com")
    assert seats(team.id) == (2, 1)
    assert not Invite.count(keys.team(team.id), Invite.sk == keys.invite("b@example.com"))
    audited = [r for r in AuditRecord.gsi2.query(audit_keys.audit_resource("team", team.id))
               if r.action == "team.invite_revoke"]  # fmt: skip
    assert [(r.before["email"], r.before["inviteId"]) for r in audited] == [("b@example.com", revoked.id)]
    # THEN one more invite fits, and then none again
    assert team.invite("c@example.com").status == 201
    refused(team.invite("d@example.com"))
    # ... revoking again is 404, the seat given back once only
    with pytest.raises(NotFound):
        invites.revoke(principal(team.owner), team.id, "b@example.com")
    assert seats(team.id) == (3, 1)


def test_accepting_keeps_the_seat_and_removing_a_member_frees_it(
    api: ApiClient, team: FreeTeam, aws_resources: dict[str, str]
) -> None:
    invitee = person("Ivy", email="ivy@example.com")
    queued_jobs(aws_resources["EmailQueue"])
    assert team.invite("ivy@example.com").status == 201
    assert team.add(person()).status == 201
    assert seats(team.id) == (3, 2)
    (job,) = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["to"] == "ivy@example.com"]
    # WHEN Ivy accepts: her pending seat becomes her membership's
    assert api.post(f"/api/v1/invites/{job['variables']['token']}/accept", token=invitee.token).status == 200
    assert seats(team.id) == (3, 3)
    refused(team.invite("more@example.com"))
    # WHEN she leaves: a seat is free
    assert api.delete(f"/api/v1/teams/{team.id}/members/{invitee.id}", token=invitee.token).status == 200
    assert seats(team.id) == (2, 2)
    assert team.invite("more@example.com").status == 201
    assert seats(team.id) == (3, 2)


def test_an_expired_invite_gives_its_seat_back_at_the_next_recount(team: FreeTeam) -> None:
    assert team.invite("a@example.com").status == 201
    assert team.invite("b@example.com").status == 201
    # GIVEN invite a expired (its item not yet deleted by the TTL)
    stale = Invite.get(keys.team(team.id), keys.invite("a@example.com"))
    stale.update(actions=[Invite.valid_until.set(utc_now() - timedelta(seconds=1))])
    assert seats(team.id) == (3, 1)  # still counted until a recount
    # WHEN another email is invited: the full counter is recounted (a's seat back) and c takes it
    assert team.invite("c@example.com").status == 201
    assert seats(team.id) == (3, 1)
    refused(team.invite("d@example.com"))
    # inviting a's email again replaces the expired item: a new seat, refused on a full team
    refused(team.invite("a@example.com"))
    # an expired invite cannot be revoked (it holds no seat once recounted)
    with pytest.raises(NotFound):
        invites.revoke(principal(team.owner), team.id, "a@example.com")


def test_a_team_made_before_the_counter_is_counted_once(api: ApiClient, team: FreeTeam) -> None:
    # GIVEN a team of two members and one pending invite, its item without seats (made before the counter)
    assert team.add(person()).status == 201
    assert team.invite("a@example.com").status == 201
    Team.get(keys.team(team.id), keys.TEAM_SK).update(actions=[Team.seats.remove(), Team.seat_version.remove()])
    assert seats(team.id) == (None, 2)
    # THEN its first seat-taking write counts it (2 members + 1 pending: full) and refuses
    refused(team.invite("b@example.com"))
    assert seats(team.id) == (3, 2)
    # GIVEN the counter gone again: a removal leaves it missing (counted later), an add then fits
    Team.get(keys.team(team.id), keys.TEAM_SK).update(actions=[Team.seats.remove()])
    someone = next(m for m in api.get(f"/api/v1/teams/{team.id}/members", token=team.owner.token).json["data"]
                   if m["role"] == "member")  # fmt: skip
    assert api.delete(f"/api/v1/teams/{team.id}/members/{someone['userId']}", token=team.owner.token).status == 200
    assert seats(team.id) == (None, 1)
    assert team.add(person()).status == 201
    assert seats(team.id) == (3, 2)


def test_only_admins_and_owners_revoke_and_an_admin_not_an_owner_invite(api: ApiClient, team: FreeTeam) -> None:
    admin, member = person("Ada"), person("Max")
    assert team.add(admin, "admin").status == 201
    assert team.invite("boss@example.com", role="owner").status == 201
    assert seats(team.id) == (3, 2)
    with pytest.raises(Forbidden):
        invites.revoke(principal(admin), team.id, "boss@example.com")
    with pytest.raises(NotFound):  # not a member: the team is not revealed
        invites.revoke(principal(member), team.id, "boss@example.com")
    assert seats(team.id) == (3, 2)
    invites.revoke(principal(team.owner), team.id, "boss@example.com")
    assert seats(team.id) == (2, 2)


def test_a_recount_is_refused_after_any_change_since_its_read_even_one_that_nets_out(team: FreeTeam) -> None:
    assert team.invite("a@example.com").status == 201
    assert team.invite("b@example.com").status == 201
    # GIVEN the team read by a recount, then an invite revoked and another sent (seats and members as read)
    read = Team.get(keys.team(team.id), keys.TEAM_SK, consistent_read=True)
    invites.revoke(principal(team.owner), team.id, "b@example.com")
    assert team.invite("c@example.com").status == 201
    assert seats(team.id) == (3, 1)
    # THEN writing what it counted from the invites before the change (2: c missed) fails, the counter kept
    with pytest.raises(TransactionCancelled) as failed:
        team_store.recount(read, 2)
    assert failed.value.failed() == [team_store.TEAM_LABEL]
    read.seats = 4  # what a stale read might hold: the recount runs, loses, and the attempt reads again
    with pytest.raises(Retry):
        members.recount(read)
    assert seats(team.id) == (3, 1)
    # a fresh read recounts to the truth (nothing to write) and the team is full
    assert members.recount(Team.get(keys.team(team.id), keys.TEAM_SK, consistent_read=True)) == 3
    refused(team.invite("d@example.com"))


def test_an_unlimited_team_keeps_counting_and_a_lower_plan_then_refuses(team: FreeTeam) -> None:
    on_plan("team", team.id, "enterprise")
    for n in range(4):
        assert team.invite(f"many{n}@example.com").status == 201
    assert team.add(person()).status == 201
    assert seats(team.id) == (6, 2)
    # WHEN the plan lapses to Free (3 seats): nothing is taken away, nothing more fits
    on_plan("team", team.id, "free")
    refused(team.invite("one-more@example.com"))
    refused(team.add(person()))
    assert seats(team.id) == (6, 2)
