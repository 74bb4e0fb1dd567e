"""GDPR: DELETE /api/v1/me (the account erased by the privacy worker) and GET /api/v1/me/export."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from souk.audit.models import AuditRecord
from souk.db import personal
from souk.identity import keys as identity_keys
from souk.identity.models import Address, EmailClaim
from souk.identity.store.users import load_user
from souk.orders import keys as order_keys
from souk.orders.models import Order
from souk.privacy.store import erasure as erasure_store
from souk.settings import get_settings
from souk.teams.store import teams as team_store
from souk.uploads.store import get_upload
from tests.factories import PASSWORD, create_user, queued_jobs, ready_upload, token_for
from tests.functional.exports.conftest import Queue, Worker, put_orders, read_file
from tests.support import ApiClient, assert_error

HOME = {"label": "Home", "line1": "12 Corniche Rd", "city": "Alexandria", "country": "eg", "lat": 31.2, "lng": 29.9}
STREET = {"line1": "12 Corniche Rd", "city": "Alexandria", "country": "eg", "lat": 31.2, "lng": 29.9,
          "name": "Hana Said", "phone": "+201000000000"}  # fmt: skip


def _account(api: ApiClient, role: str = "customer", name: str = "Hana Said") -> dict[str, Any]:
    """A user with an address, an API key, an order delivered to their street, an avatar upload and a team."""
    user = create_user(role, name=name)
    token = token_for(user)
    address = api.post("/api/v1/addresses", json_body=HOME, token=token)
    assert address.status == 201, address.body
    key = api.post("/api/v1/api-keys", json_body={"name": "ci"}, token=token)
    assert key.status == 201, key.body
    [order_id] = put_orders(1, owner_id="owner-1", store_id="store-1", customer_id=user.user_id)
    Order(pk=order_keys.order(order_id), sk=order_keys.order(order_id)).update(actions=[Order.address.set(STREET)])
    upload_id = ready_upload(user)
    team = api.post("/api/v1/teams", json_body={"name": f"{name}'s team"}, token=token)
    assert team.status == 201, team.body
    return {"user": user, "token": token, "key": key.json["data"]["key"], "order": order_id, "upload": upload_id,
            "address": address.json["data"]["id"], "team": team.json["data"]["id"]}  # fmt: skip


def _login(api: ApiClient, email: str) -> int:
    return api.post("/api/v1/auth/login", json_body={"email": email, "password": PASSWORD}).status


def _actions(user_id: str) -> list[str]:
    return sorted(r.action for r in AuditRecord.gsi2.query(f"AUDIT_RES#user#{user_id}"))


def test_delete_me_erases_the_account_once_the_worker_ran(
    api: ApiClient, aws_resources: dict[str, str], privacy_queue: Queue, privacy_worker: Worker
) -> None:
    # GIVEN an account with data in several domains, and another account
    mine, other = _account(api), _account(api, name="Omar Adel")
    user = mine["user"]
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN it asks to be deleted with its password
    response = api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=mine["token"])
    # THEN 202, deleting; sign-in, its session and its API key are refused at once
    assert response.status == 202, response.body
    assert response.json["data"]["status"] == "deleting"
    assert _login(api, user.email) == 401
    assert_error(api.get("/api/v1/auth/me", token=mine["token"]), 401, "INVALID_TOKEN")
    assert api.get("/api/v1/auth/me", headers={"X-Api-Key": mine["key"]}).status == 401
    # WHEN the worker runs
    assert privacy_queue.drain(privacy_worker) >= 1
    # THEN the user item is anonymised and deleted, its email free to sign up again
    stored = load_user(user.user_id, consistent=True)
    assert stored is not None
    assert (stored.status, stored.name, stored.email) == ("deleted", personal.ANONYMOUS_NAME,
                                                          personal.anonymous_email(user.user_id))  # fmt: skip
    assert stored.password_hash is None and stored.phone is None
    with pytest.raises(EmailClaim.DoesNotExist):
        EmailClaim.get(identity_keys.email(user.email), identity_keys.email(user.email))
    # the address is gone; the order is kept with its city and country only
    assert list(Address.query(identity_keys.user(user.user_id), Address.sk.startswith("ADDRESS#"))) == []
    order = Order.get(order_keys.order(mine["order"]), order_keys.order(mine["order"]))
    assert order.address == {"city": "Alexandria", "country": "eg"}
    assert order.customer_id == user.user_id and order.total == 1000
    # the upload's file is deleted from S3, the team (theirs alone) deleted
    upload = get_upload(mine["upload"])
    assert upload is not None and upload.status == "deleted"
    s3 = boto3.client("s3")
    assert s3.list_objects_v2(Bucket=get_settings().uploads_bucket, Prefix=upload.object_key).get("KeyCount") == 0
    assert team_store.get_team(mine["team"]) is None
    # the job is done, audited, and the confirmation email queued to the old address
    job = erasure_store.load(user.user_id, consistent=True)
    assert job is not None and job.status == "deleted" and job.notify_email is None
    assert {"account.erased", "account.erasure_requested"} <= set(_actions(user.user_id))
    emails = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "account_deleted"]
    assert [e["to"] for e in emails] == [user.email]
    # AND the other account is untouched
    kept = load_user(other["user"].user_id, consistent=True)
    assert kept is not None and (kept.status, kept.name) == ("active", "Omar Adel")
    assert Order.get(order_keys.order(other["order"]), order_keys.order(other["order"])).address == STREET
    kept_upload = get_upload(other["upload"])
    assert kept_upload is not None and kept_upload.status != "deleted"
    assert api.get("/api/v1/auth/me", token=other["token"]).status == 200
    # AND the freed email can register again
    again = api.post("/api/v1/auth/register", json_body={"email": user.email, "password": PASSWORD,
                                                          "name": "New Me", "role": "customer"})  # fmt: skip
    assert again.status == 201, again.body


def test_a_second_delete_answers_the_same_job(api: ApiClient, aws_resources: dict[str, str]) -> None:
    user = create_user("customer")
    token = token_for(user)
    first = api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token)
    assert first.status == 202, first.body
    # the session is revoked: a second request needs a new one, which sign-in no longer gives
    assert _login(api, user.email) == 401
    job = erasure_store.load(user.user_id, consistent=True)
    assert job is not None and job.seq == 0


def test_delete_me_wrong_password_is_401_and_nothing_changes(api: ApiClient, aws_resources: dict[str, str]) -> None:
    user = create_user("customer")
    token = token_for(user)
    assert_error(api.delete("/api/v1/me", json_body={"password": "not-it-at-all"}, token=token), 401,
                 "INVALID_CREDENTIALS")  # fmt: skip
    assert_error(api.delete("/api/v1/me", json_body={}, token=token), 400, "VALIDATION_ERROR")
    assert_error(api.delete("/api/v1/me", json_body={"password": PASSWORD, "extra": 1}, token=token), 400,
                 "VALIDATION_ERROR")  # fmt: skip
    assert erasure_store.load(user.user_id, consistent=True) is None
    assert api.get("/api/v1/auth/me", token=token).status == 200


def test_delete_me_without_a_token_is_401(api: ApiClient, aws_resources: dict[str, str]) -> None:
    assert_error(api.delete("/api/v1/me", json_body={"password": PASSWORD}), 401, "UNAUTHORIZED")


def test_delete_me_with_an_api_key_is_403(api: ApiClient, aws_resources: dict[str, str]) -> None:
    user = create_user("customer")
    key = api.post("/api/v1/api-keys", json_body={"name": "ci"}, token=token_for(user)).json["data"]["key"]
    assert_error(api.delete("/api/v1/me", json_body={"password": PASSWORD}, headers={"X-Api-Key": key}), 403,
                 "FORBIDDEN")  # fmt: skip
    assert erasure_store.load(user.user_id, consistent=True) is None


def test_the_last_admin_cannot_delete_their_account(api: ApiClient, aws_resources: dict[str, str]) -> None:
    admin = create_user("admin")
    token = token_for(admin)
    assert_error(api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token), 409, "CONFLICT")
    # with another active admin, they can
    create_user("admin")
    assert api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token).status == 202


def test_the_last_owner_of_a_team_with_members_cannot_delete_their_account(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    owner, member = create_user("customer"), create_user("customer")
    token = token_for(owner)
    team = api.post("/api/v1/teams", json_body={"name": "Crew"}, token=token).json["data"]["id"]
    added = api.post(f"/api/v1/teams/{team}/members", json_body={"userId": member.user_id, "role": "member"},
                     token=token)  # fmt: skip
    assert added.status == 201, added.body
    refused = assert_error(api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token), 409, "CONFLICT")
    assert "Crew" in refused["error"]["message"]
    assert erasure_store.load(owner.user_id, consistent=True) is None


def test_a_member_who_is_erased_leaves_the_team(
    api: ApiClient, aws_resources: dict[str, str], privacy_queue: Queue, privacy_worker: Worker
) -> None:
    owner, member = create_user("customer"), create_user("customer")
    token = token_for(owner)
    team = api.post("/api/v1/teams", json_body={"name": "Crew"}, token=token).json["data"]["id"]
    api.post(f"/api/v1/teams/{team}/members", json_body={"userId": member.user_id, "role": "admin"}, token=token)
    assert api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token_for(member)).status == 202
    privacy_queue.drain(privacy_worker)
    members = api.get(f"/api/v1/teams/{team}/members", token=token)
    assert [m["userId"] for m in members.json["data"]] == [owner.user_id]
    stored = team_store.get_team(team)
    assert stored is not None and int(stored.members) == 1


def _export_rows(api: ApiClient, aws_resources: dict[str, str], token: str, queue: Queue, worker: Worker,
                 ) -> list[dict[str, Any]]:  # fmt: skip
    started = api.get("/api/v1/me/export", token=token)
    assert started.status == 202, started.body
    assert (started.json["data"]["type"], started.json["data"]["status"]) == ("account", "queued")
    queue.drain(worker)
    done = api.get(f"/api/v1/exports/{started.json['data']['id']}", token=token)
    assert done.status == 200 and done.json["data"]["status"] == "completed", done.body
    assert done.json["data"]["downloadUrl"]
    from souk.exports.store import exports as export_store

    job = export_store.load(started.json["data"]["id"])
    assert job is not None
    body = read_file(aws_resources["ExportsBucket"], job.object_key).decode()
    return [json.loads(line) for line in body.splitlines()]


def test_export_me_holds_every_item_of_the_caller_and_nobody_elses(
    api: ApiClient, aws_resources: dict[str, str], exports_queue: Queue, exports_worker: Worker
) -> None:
    mine, other = _account(api), _account(api, name="Omar Adel")
    rows = _export_rows(api, aws_resources, mine["token"], exports_queue, exports_worker)
    kinds = {r["kind"] for r in rows}
    assert {"profile", "address", "api_key", "session", "order", "upload", "team_membership",
            "audit_entry"} <= kinds  # fmt: skip
    [profile] = [r for r in rows if r["kind"] == "profile"]
    assert profile["email"] == mine["user"].email and "passwordHash" not in profile
    assert [r["orderId"] for r in rows if r["kind"] == "order"] == [mine["order"]]
    assert [r["addressId"] for r in rows if r["kind"] == "address"] == [mine["address"]]
    assert [r["uploadId"] for r in rows if r["kind"] == "upload"] == [mine["upload"]]
    text = json.dumps(rows)
    assert other["user"].user_id not in text and other["user"].email not in text and other["order"] not in text
    assert not any("refreshHash" in r or "keyHash" in r for r in rows)


def test_export_me_needs_a_signed_in_session(api: ApiClient, aws_resources: dict[str, str]) -> None:
    assert_error(api.get("/api/v1/me/export"), 401, "UNAUTHORIZED")
    user = create_user("customer")
    key = api.post("/api/v1/api-keys", json_body={"name": "ci"}, token=token_for(user)).json["data"]["key"]
    assert_error(api.get("/api/v1/me/export", headers={"X-Api-Key": key}), 403, "FORBIDDEN")
    # another user's export job is 404 to the caller
    mine = api.get("/api/v1/me/export", token=token_for(user))
    assert mine.status == 202
    other = token_for(create_user("customer"))
    assert_error(api.get(f"/api/v1/exports/{mine.json['data']['id']}", token=other), 404, "NOT_FOUND")


def test_an_admin_cannot_bring_back_an_account_being_erased(api: ApiClient, aws_resources: dict[str, str]) -> None:
    admin, user = create_user("admin"), create_user("customer")
    assert api.delete("/api/v1/me", json_body={"password": PASSWORD}, token=token_for(user)).status == 202
    for status in ("active", "suspended"):
        changed = api.patch(f"/api/v1/users/{user.user_id}/status", json_body={"status": status},
                            token=token_for(admin))  # fmt: skip
        assert_error(changed, 409, "CONFLICT")
    stored = load_user(user.user_id, consistent=True)
    assert stored is not None and stored.status == "deleting"
