"""Plan limits enforced from the cached entitlement through the routes: seats (pending invites count),
API keys, exports per billing period; a limit reached is 403 with ``details`` naming it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import create_user, token_for
from tests.functional.teams.helpers import make_team, person
from tests.plans_support import on_plan
from tests.support import ApiClient, assert_error


def refused(response: Any, limit: str) -> str:
    payload = assert_error(response, 403, "FORBIDDEN")
    assert payload["error"]["details"][0]["field"] == limit, payload
    return str(payload["error"]["message"])


def test_a_free_team_has_three_seats_and_pending_invites_hold_them(api: ApiClient) -> None:
    owner = person()
    team_id = api.post("/api/v1/teams", json_body={"name": "Tiny"}, token=owner.token).json["data"]["id"]
    path = f"/api/v1/teams/{team_id}"
    assert api.post(f"{path}/members", json_body={"userId": person().id, "role": "member"},
                    token=owner.token).status == 201  # fmt: skip
    friend = {"email": "friend@example.com", "role": "member"}
    invited = api.post(f"{path}/invites", json_body=friend, token=owner.token)
    assert invited.status == 201, invited.body  # the third seat, pending
    message = refused(api.post(f"{path}/members", json_body={"userId": person().id, "role": "member"},
                               token=owner.token), "teamMembers")  # fmt: skip
    assert message == "Your plan allows 3 teamMembers."
    refused(api.post(f"{path}/invites", json_body={"email": "other@example.com", "role": "member"}, token=owner.token),
            "teamMembers")  # fmt: skip
    # resending the pending invite takes no new seat
    again = api.post(f"{path}/invites", json_body=friend, token=owner.token)
    assert again.status == 201, again.body
    # on Pro the team has ten seats
    on_plan("team", team_id, "pro")
    assert api.post(f"{path}/members", json_body={"userId": person().id, "role": "member"},
                    token=owner.token).status == 201  # fmt: skip


def test_a_pro_team_stops_at_ten_seats_and_a_lapsed_plan_at_free(api: ApiClient) -> None:
    team = make_team(api)  # Pro, four members
    owner = team.people["owner"]
    for _ in range(6):
        assert api.post(team.path("/members"), json_body={"userId": person().id, "role": "viewer"},
                        token=owner.token).status == 201  # fmt: skip
    refused(api.post(team.path("/members"), json_body={"userId": person().id, "role": "viewer"}, token=owner.token),
            "teamMembers")  # fmt: skip
    on_plan("team", team.id, "pro", status="unpaid")  # Free's 3 now: nobody is removed, nobody added
    message = refused(api.post(team.path("/members"), json_body={"userId": person().id, "role": "viewer"},
                               token=owner.token), "teamMembers")  # fmt: skip
    assert "3" in message


def test_free_allows_one_api_key_pro_ten(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    assert api.post("/api/v1/api-keys", json_body={"name": "first"}, token=token).status == 201
    message = refused(api.post("/api/v1/api-keys", json_body={"name": "second"}, token=token), "apiKeys")
    assert message == "Your plan allows 1 apiKeys."
    on_plan("user", user.user_id, "pro")
    assert api.post("/api/v1/api-keys", json_body={"name": "second"}, token=token).status == 201


def test_exports_per_month_for_store_owners_admins_unlimited(api: ApiClient) -> None:
    owner = token_for(create_user("store_owner"))
    for _ in range(2):
        assert api.post("/api/v1/exports", json_body={"type": "orders"}, token=owner).status == 202
    message = refused(api.post("/api/v1/exports", json_body={"type": "orders"}, token=owner), "exportsPerMonth")
    assert message == "Your plan allows 2 exportsPerMonth."
    admin = token_for(create_user("admin"))
    for _ in range(3):
        assert api.post("/api/v1/exports", json_body={"type": "orders"}, token=admin).status == 202


def test_an_export_that_cannot_be_queued_is_not_counted(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from souk.exports.store import files

    user = create_user("store_owner")
    owner = token_for(user)

    def refuse(*_: object) -> None:
        raise files.EnqueueFailed("queue down")

    with monkeypatch.context() as patched:  # only this: the suite's own patches stay
        patched.setattr(files, "send", refuse)
        refused_now = api.post("/api/v1/exports", json_body={"type": "orders"}, token=owner)
    assert_error(refused_now, 503, "SERVICE_UNAVAILABLE")
    read = api.get("/api/v1/subscriptions", token=owner).json["data"]["usage"]
    assert read["exports"] == 0
    for _ in range(2):  # Free's two are still there
        assert api.post("/api/v1/exports", json_body={"type": "orders"}, token=owner).status == 202
