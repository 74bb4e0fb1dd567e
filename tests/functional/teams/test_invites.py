"""Invites in-process (moto): the token is emailed, stored hashed, valid 7 days, once, only for the
invited email; resending rotates it; one pending invite per team and email."""

from __future__ import annotations

from datetime import timedelta

import pytest

from souk.db.base import utc_now
from souk.teams import keys
from souk.teams.models import Invite
from souk.teams.rules import token_hash
from tests.factories import queued_jobs
from tests.functional.teams.helpers import TeamFixture, make_team, person
from tests.support import ApiClient, assert_error


@pytest.fixture
def team(api: ApiClient) -> TeamFixture:
    return make_team(api)


def invite(api: ApiClient, team: TeamFixture, email: str, role: str = "member", by: str = "admin") -> dict:
    response = api.post(team.path("/invites"), json_body={"email": email, "role": role}, token=team.people[by].token)
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def emailed_token(queue: str, email: str) -> str:
    jobs = [j for j in queued_jobs(queue) if j["template"] == "team_invite" and j["to"] == email]
    assert len(jobs) == 1, jobs
    return jobs[0]["variables"]["token"]  # type: ignore[no-any-return]


def accept(api: ApiClient, token: str, caller_token: str | None) -> object:
    return api.post(f"/api/v1/invites/{token}/accept", token=caller_token)


def test_the_invited_account_accepts_once(api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]) -> None:
    invitee = person("Ivy Invitee", email="ivy@example.com")
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN an admin invites Ivy's address (in another case)
    sent = invite(api, team, "Ivy@Example.com", role="viewer")
    # THEN the invite answers without the token, which is emailed and stored only as its sha256
    assert set(sent) == {"id", "email", "role", "expiresAt"}
    assert (sent["email"], sent["role"]) == ("ivy@example.com", "viewer")
    token = emailed_token(aws_resources["EmailQueue"], "ivy@example.com")
    stored = Invite.get(keys.team(team.id), keys.invite("ivy@example.com"))
    assert stored.token_hash == token_hash(token) and token not in str(stored.attribute_values)
    assert timedelta(days=6, hours=23) < stored.valid_until - utc_now() <= timedelta(days=7)
    # WHEN Ivy accepts: she joins with the role
    joined = api.post(f"/api/v1/invites/{token}/accept", token=invitee.token)
    assert joined.status == 200, joined.body
    assert joined.json["data"] == {"id": team.id, "name": "Ops", "role": "viewer", "members": 5}
    assert api.get(team.path(), token=invitee.token).json["data"]["role"] == "viewer"
    # ... once: the token is spent
    assert_error(api.post(f"/api/v1/invites/{token}/accept", token=invitee.token), 404, "NOT_FOUND")


def test_another_account_gets_403_and_the_invite_stays(
    api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]
) -> None:
    invitee, other = person(email="ivy2@example.com"), person(email="mallory@example.com")
    invite(api, team, "ivy2@example.com")
    token = emailed_token(aws_resources["EmailQueue"], "ivy2@example.com")
    assert_error(api.post(f"/api/v1/invites/{token}/accept", token=other.token), 403, "FORBIDDEN")
    assert_error(api.get(team.path(), token=other.token), 404, "NOT_FOUND")
    assert api.post(f"/api/v1/invites/{token}/accept", token=invitee.token).status == 200


def test_resending_rotates_the_token(api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]) -> None:
    invitee = person(email="rot@example.com")
    first = invite(api, team, "rot@example.com")
    old = emailed_token(aws_resources["EmailQueue"], "rot@example.com")
    second = invite(api, team, "rot@example.com", role="admin", by="owner")
    new = emailed_token(aws_resources["EmailQueue"], "rot@example.com")
    # THEN the same pending invite (one per team and email) carries a new token; the old one fails
    assert second["id"] == first["id"] and second["role"] == "admin" and new != old
    assert len(list(Invite.query(keys.team(team.id), Invite.sk.startswith(keys.INVITE_PREFIX)))) == 1
    assert_error(api.post(f"/api/v1/invites/{old}/accept", token=invitee.token), 404, "NOT_FOUND")
    joined = api.post(f"/api/v1/invites/{new}/accept", token=invitee.token)
    assert joined.status == 200 and joined.json["data"]["role"] == "admin"


def test_an_expired_invite_is_404(api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]) -> None:
    invitee = person(email="late@example.com")
    invite(api, team, "late@example.com")
    token = emailed_token(aws_resources["EmailQueue"], "late@example.com")
    stored = Invite.get(keys.team(team.id), keys.invite("late@example.com"))
    stored.update(actions=[Invite.valid_until.set(utc_now() - timedelta(seconds=1))])
    assert_error(api.post(f"/api/v1/invites/{token}/accept", token=invitee.token), 404, "NOT_FOUND")
    # ... and a new invite for the address replaces it
    invite(api, team, "late@example.com")
    fresh = emailed_token(aws_resources["EmailQueue"], "late@example.com")
    assert api.post(f"/api/v1/invites/{fresh}/accept", token=invitee.token).status == 200


def test_a_member_accepting_again_is_409(api: ApiClient, team: TeamFixture, aws_resources: dict[str, str]) -> None:
    member = team.people["member"]
    invite(api, team, member.user.email)
    token = emailed_token(aws_resources["EmailQueue"], member.user.email)
    assert_error(api.post(f"/api/v1/invites/{token}/accept", token=member.token), 409, "DUPLICATE_ENTRY")


def test_who_may_invite(api: ApiClient, team: TeamFixture) -> None:
    for role in ("member", "viewer"):
        response = api.post(team.path("/invites"), json_body={"email": "a@example.com", "role": "viewer"},
                            token=team.people[role].token)  # fmt: skip
        assert_error(response, 403, "FORBIDDEN")
    response = api.post(team.path("/invites"), json_body={"email": "a@example.com", "role": "owner"},
                        token=team.people["admin"].token)  # fmt: skip
    assert_error(response, 403, "FORBIDDEN")
    assert_error(api.post(team.path("/invites"), json_body={"email": "a@example.com", "role": "viewer"}),
                 401, "UNAUTHORIZED")  # fmt: skip


@pytest.mark.parametrize("body", [{}, {"email": "not-an-email", "role": "member"}, {"email": "a@example.com"},
                                  {"email": "a@example.com", "role": "boss"}])  # fmt: skip
def test_a_bad_invite_is_400(api: ApiClient, team: TeamFixture, body: dict[str, str]) -> None:
    response = api.post(team.path("/invites"), json_body=body, token=team.people["owner"].token)
    assert_error(response, 400, "VALIDATION_ERROR")


def test_accepting_needs_a_token_and_a_sane_one(api: ApiClient) -> None:
    someone = person()
    assert_error(api.post("/api/v1/invites/" + "a" * 43 + "/accept"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/invites/" + "a" * 43 + "/accept", token=someone.token), 404, "NOT_FOUND")
    assert_error(api.post("/api/v1/invites/short/accept", token=someone.token), 400, "VALIDATION_ERROR")
