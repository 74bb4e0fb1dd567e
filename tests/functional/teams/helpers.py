"""Teams made through the API for route tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from souk.identity.models import User
from tests.factories import create_user, token_for
from tests.plans_support import on_plan
from tests.support import ApiClient


@dataclass
class Person:
    user: User
    token: str

    @property
    def id(self) -> str:
        return self.user.user_id


@dataclass
class TeamFixture:
    id: str
    people: dict[str, Person] = field(default_factory=dict)  # by team role: owner, admin, member, viewer

    def path(self, suffix: str = "") -> str:
        return f"/api/v1/teams/{self.id}{suffix}"


def person(name: str = "Test User", email: str | None = None) -> Person:
    user = create_user(name=name, email=email)
    return Person(user, token_for(user))


def make_team(api: ApiClient, name: str = "Ops", plan: str | None = "pro") -> TeamFixture:
    """A team with one person of each role (the owner created it; the others were added), on ``plan``
    (Pro: 10 seats; None: Free, 3 seats, so the last add would be refused)."""
    owner = person("Olive Owner")
    response = api.post("/api/v1/teams", json_body={"name": name}, token=owner.token)
    assert response.status == 201, response.body
    team = TeamFixture(response.json["data"]["id"], {"owner": owner})
    if plan is not None:
        on_plan("team", team.id, plan)
    for role in ("admin", "member", "viewer"):
        someone = person(f"{role.title()} Person")
        added = api.post(team.path("/members"), json_body={"userId": someone.id, "role": role}, token=owner.token)
        assert added.status == 201, added.body
        team.people[role] = someone
    return team
