"""Courier verification routes and the availability gate, in process on moto.

POST/GET /api/v1/couriers/me/verification, GET /api/v1/admin/couriers,
PATCH /api/v1/admin/couriers/{userId}, PUT /api/v1/couriers/me/availability (the gate).
"""

from __future__ import annotations

from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.delivery.service import verification
from souk.identity.models import User
from tests.factories import create_user, queued_jobs, ready_upload, token_for
from tests.functional.catalog_helpers import admin_token
from tests.support import ApiClient, assert_error, record_dynamodb_calls

MINE = "/api/v1/couriers/me/verification"
QUEUE = "/api/v1/admin/couriers"
AVAILABILITY = "/api/v1/couriers/me/availability"
SPOT = {"lat": 30.0384, "lng": 31.2118}


@pytest.fixture(autouse=True)
def fresh_settings() -> Any:
    admin_settings.forget()  # each test has its own table
    yield
    admin_settings.forget()


class Courier:
    def __init__(self) -> None:
        self.user: User = create_user("courier", name="Youssef Rider")
        self.token = token_for(self.user)
        self.id = self.user.user_id

    def documents(self, **extra: Any) -> dict[str, Any]:
        """Two fresh finished uploads of this courier: a PDF licence and a vehicle photo."""
        licence = ready_upload(self.user, "store_document", "application/pdf")
        vehicle = ready_upload(self.user, "attachment", "image/jpeg")
        return {"licenceUploadId": licence, "vehicleUploadId": vehicle, **extra}


def submit(api: ApiClient, courier: Courier, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = api.post(MINE, json_body=body or courier.documents(vehicleType="scooter"), token=courier.token)
    assert response.status == 200, response.body
    return response.json["data"]


def decide(api: ApiClient, admin: str, user_id: str, status: str, reason: str | None = None) -> Any:
    body = {"status": status} | ({"reason": reason} if reason else {})
    return api.patch(f"{QUEUE}/{user_id}", json_body=body, token=admin)


def available(api: ApiClient, courier: Courier, value: bool = True) -> Any:
    return api.put(AVAILABILITY, json_body={"available": value, **SPOT}, token=courier.token)


def queue(api: ApiClient, admin: str, query: str = "") -> Any:
    response = api.get(f"{QUEUE}{query}", token=admin)
    assert response.status == 200, response.body
    return response.json


def _account_inbox(api: ApiClient, token: str) -> list[dict[str, Any]]:
    """The caller's in-app account notifications (GET /notifications)."""
    response = api.get("/api/v1/notifications", token=token)
    assert response.status == 200, response.body
    return [n for n in response.json["data"] if n["type"] == "account"]


def audit_actions(user_id: str) -> list[str]:
    records = AuditRecord.gsi2.query(audit_keys.audit_resource("courier", user_id))
    return [r.action for r in records]


@pytest.fixture
def admin() -> str:
    return admin_token()


# --- the whole review


def test_a_courier_submits_an_admin_approves_and_the_courier_can_be_available(
    api: ApiClient, admin: str, aws_resources: dict[str, str]
) -> None:
    # GIVEN a courier who may not be available yet
    courier = Courier()
    assert_error(available(api, courier), 403, "FORBIDDEN")
    # WHEN they submit their documents
    body = courier.documents(vehicleType="motorbike", note="Evenings")
    sent = submit(api, courier, body)
    # THEN their verification is pending with those documents, for them and in the admins' queue
    assert sent["userId"] == courier.id and sent["status"] == "pending"
    assert sent["documents"] == {"licence": body["licenceUploadId"], "vehicle": body["vehicleUploadId"]}
    assert sent["vehicleType"] == "motorbike" and sent["note"] == "Evenings" and sent["decidedAt"] is None
    assert api.get(MINE, token=courier.token).json["data"] == sent
    assert [v["userId"] for v in queue(api, admin)["data"]] == [courier.id]
    assert_error(available(api, courier), 403, "FORBIDDEN")  # pending is not approved
    # WHEN an admin approves
    queued_jobs(aws_resources["EmailQueue"])
    response = decide(api, admin, courier.id, "approved")
    # THEN the courier is approved, leaves the pending queue, joins the approved one
    assert response.status == 200, response.body
    decided = response.json["data"]
    assert decided["status"] == "approved" and decided["decidedAt"] is not None and decided["reason"] is None
    assert decided["documents"] == sent["documents"]
    assert api.get(MINE, token=courier.token).json["data"]["status"] == "approved"
    assert queue(api, admin)["data"] == []
    assert [v["userId"] for v in queue(api, admin, "?status=approved")["data"]] == [courier.id]
    # AND is emailed, AND both steps are audited
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["channel"] == "email"]
    assert [(j["template"], j["to"]) for j in jobs] == [("courier_verification_approved", courier.user.email)]
    assert jobs[0]["variables"] == {"name": "Youssef Rider"}
    # AND has it in the app (an account notification), once even if the decision is told again
    assert [n["title"] for n in _account_inbox(api, courier.token)] == ["You can deliver now"]
    verification._email(courier.user, verification.store.get_verification(courier.id))
    assert len(_account_inbox(api, courier.token)) == 1 and queued_jobs(aws_resources["EmailQueue"]) == []
    assert sorted(audit_actions(courier.id)) == ["courier_verification.decide", "courier_verification.submit"]
    # AND may now be available (and unavailable)
    assert available(api, courier).status == 200
    assert available(api, courier, False).status == 200


def test_a_rejection_says_why_blocks_availability_and_a_new_submission_is_reviewed_again(
    api: ApiClient, admin: str, aws_resources: dict[str, str]
) -> None:
    courier = Courier()
    submit(api, courier)
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN an admin rejects with a reason
    response = decide(api, admin, courier.id, "rejected", "The licence  photo is blurry")
    assert response.status == 200, response.body
    assert response.json["data"]["status"] == "rejected"
    assert response.json["data"]["reason"] == "The licence photo is blurry"  # spaces squashed
    # THEN the courier is emailed the reason
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["channel"] == "email"]
    assert [(j["template"], j["to"]) for j in jobs] == [("courier_verification_rejected", courier.user.email)]
    assert jobs[0]["variables"] == {"name": "Youssef Rider", "reason": "The licence photo is blurry"}
    # AND cannot be available, but can say they are not
    payload = assert_error(available(api, courier), 403, "FORBIDDEN")
    assert "verification is needed" in payload["error"]["message"] and "rejected" in payload["error"]["message"]
    assert available(api, courier, False).status == 200
    # WHEN they submit new documents
    again = submit(api, courier)
    # THEN a new pending review starts, the old reason gone
    assert again["status"] == "pending" and again["reason"] is None and again["decidedAt"] is None
    assert [v["userId"] for v in queue(api, admin)["data"]] == [courier.id]
    assert queue(api, admin, "?status=rejected")["data"] == []


def test_resubmitting_while_pending_replaces_the_documents(api: ApiClient, admin: str) -> None:
    courier = Courier()
    first = submit(api, courier)
    second_body = courier.documents(vehicleType="van")
    second = submit(api, courier, second_body)
    assert second["status"] == "pending"
    assert second["documents"] == {"licence": second_body["licenceUploadId"], "vehicle": second_body["vehicleUploadId"]}
    assert second["documents"] != first["documents"] and second["vehicleType"] == "van"
    assert [v["documents"] for v in queue(api, admin)["data"]] == [second["documents"]]  # one entry, the new one


def test_once_approved_resubmitting_and_deciding_again_are_409(api: ApiClient, admin: str) -> None:
    courier = Courier()
    submit(api, courier)
    assert decide(api, admin, courier.id, "approved").status == 200
    payload = assert_error(api.post(MINE, json_body=courier.documents(), token=courier.token), 409, "INVALID_STATE")
    assert "already approved" in payload["error"]["message"]
    assert_error(decide(api, admin, courier.id, "rejected", "Changed my mind"), 409, "INVALID_STATE")
    assert api.get(MINE, token=courier.token).json["data"]["status"] == "approved"


# --- POST /couriers/me/verification


@pytest.mark.parametrize(
    "change",
    [
        {"vehicleUploadId": None},
        {"vehicleType": "truck"},
        {"note": "x" * 501},
        {"licenceUploadId": ""},
        {"unexpected": True},
    ],
)
def test_submit_bad_bodies_are_400(api: ApiClient, change: dict[str, Any]) -> None:
    courier = Courier()
    body = {k: v for k, v in (courier.documents() | change).items() if v is not None}
    assert_error(api.post(MINE, json_body=body, token=courier.token), 400, "VALIDATION_ERROR")


def test_submit_the_same_upload_twice_is_400(api: ApiClient) -> None:
    courier = Courier()
    upload = courier.documents()["licenceUploadId"]
    body = {"licenceUploadId": upload, "vehicleUploadId": upload}
    payload = assert_error(api.post(MINE, json_body=body, token=courier.token), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "vehicleUploadId"


def test_submit_without_a_token_is_401_and_for_other_roles_403(api: ApiClient) -> None:
    body = {"licenceUploadId": "L1", "vehicleUploadId": "V1"}
    assert_error(api.post(MINE, json_body=body), 401, "UNAUTHORIZED")
    for role in ("customer", "store_owner", "admin"):
        assert_error(api.post(MINE, json_body=body, token=token_for(create_user(role))), 403, "FORBIDDEN")


def test_another_users_unknown_unfinished_or_unsuitable_uploads_are_422(api: ApiClient) -> None:
    courier, other = Courier(), Courier()
    mine = courier.documents()
    theirs = other.documents()["licenceUploadId"]
    unfinished = _pending_upload(courier.user)
    avatar = ready_upload(courier.user, "avatar", "image/png")
    cases = {
        "licenceUploadId": [theirs, "01UNKNOWNUPLOAD0000000000"],
        "vehicleUploadId": [unfinished, avatar],
    }
    for field, ids in cases.items():
        for upload_id in ids:
            body = mine | {field: upload_id}
            payload = assert_error(api.post(MINE, json_body=body, token=courier.token), 422, "UNPROCESSABLE_ENTITY")
            assert upload_id in payload["error"]["message"]
            assert payload["error"]["details"][0]["field"] == field
    # AND nothing was submitted
    assert_error(api.get(MINE, token=courier.token), 404, "NOT_FOUND")


def _pending_upload(user: User) -> str:
    """An upload presigned but whose file never reached S3."""
    from souk.caller import Principal
    from souk.uploads.schemas import CreateUploadRequest
    from souk.uploads.service import create_upload

    request = CreateUploadRequest(filename="licence.pdf", content_type="application/pdf", size=100,
                                  purpose="store_document")  # fmt: skip
    return create_upload(Principal(user.user_id, user.role, None), request).upload_id


# --- GET /couriers/me/verification


def test_get_mine_is_404_before_any_submission_401_without_token_403_for_other_roles(api: ApiClient) -> None:
    payload = assert_error(api.get(MINE, token=Courier().token), 404, "NOT_FOUND")
    assert "not submitted" in payload["error"]["message"]
    assert_error(api.get(MINE), 401, "UNAUTHORIZED")
    for role in ("customer", "store_owner", "admin"):
        assert_error(api.get(MINE, token=token_for(create_user(role))), 403, "FORBIDDEN")


def test_get_mine_shows_only_the_callers_own(api: ApiClient) -> None:
    submitter, other = Courier(), Courier()
    submit(api, submitter)
    assert_error(api.get(MINE, token=other.token), 404, "NOT_FOUND")


# --- GET /admin/couriers


def test_the_queue_pages_oldest_first_with_a_cursor_in_one_query(
    api: ApiClient, admin: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    couriers = [Courier() for _ in range(3)]
    for courier in couriers:
        submit(api, courier)
    calls = record_dynamodb_calls(monkeypatch)
    first = queue(api, admin, "?limit=2")
    assert [c for c in calls if c in ("Query", "Scan", "BatchGetItem")] == ["Query"]
    assert [v["userId"] for v in first["data"]] == [c.id for c in couriers[:2]]
    assert first["pagination"]["hasNext"] is True
    second = queue(api, admin, f"?limit=2&cursor={first['pagination']['nextCursor']}")
    assert [v["userId"] for v in second["data"]] == [couriers[2].id]
    # a cursor of the pending list does not read the approved list
    cursor = first["pagination"]["nextCursor"]
    assert_error(api.get(f"{QUEUE}?status=approved&cursor={cursor}", token=admin), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize("query", ["?status=none", "?limit=0", "?limit=101", "?cursor=garbage"])
def test_the_queue_refuses_bad_queries_with_400(api: ApiClient, admin: str, query: str) -> None:
    assert_error(api.get(f"{QUEUE}{query}", token=admin), 400, "VALIDATION_ERROR")


def test_the_queue_is_401_without_token_and_403_for_other_roles(api: ApiClient) -> None:
    assert_error(api.get(QUEUE), 401, "UNAUTHORIZED")
    for role in ("customer", "store_owner", "courier"):
        assert_error(api.get(QUEUE, token=token_for(create_user(role))), 403, "FORBIDDEN")


# --- PATCH /admin/couriers/<userId>


@pytest.mark.parametrize(
    "body",
    [
        {"status": "rejected"},
        {"status": "rejected", "reason": "  "},
        {"status": "suspended"},
        {},
        {"status": "approved", "x": 1},
    ],
)
def test_decide_bad_bodies_are_400(api: ApiClient, admin: str, body: dict[str, Any]) -> None:
    courier = Courier()
    submit(api, courier)
    assert_error(api.patch(f"{QUEUE}/{courier.id}", json_body=body, token=admin), 400, "VALIDATION_ERROR")
    assert api.get(MINE, token=courier.token).json["data"]["status"] == "pending"


def test_decide_unknown_users_and_non_couriers_are_404_and_a_courier_without_documents_409(
    api: ApiClient, admin: str
) -> None:
    assert_error(decide(api, admin, "01NOSUCHUSER00000000000000", "approved"), 404, "NOT_FOUND")
    customer = create_user("customer")
    assert_error(decide(api, admin, customer.user_id, "approved"), 404, "NOT_FOUND")
    payload = assert_error(decide(api, admin, Courier().id, "approved"), 409, "INVALID_STATE")
    assert "not submitted" in payload["error"]["message"]


def test_decide_is_401_without_token_and_403_for_other_roles(api: ApiClient) -> None:
    courier = Courier()
    submit(api, courier)
    path, body = f"{QUEUE}/{courier.id}", {"status": "approved"}
    assert_error(api.patch(path, json_body=body), 401, "UNAUTHORIZED")
    for token in (courier.token, token_for(create_user("customer")), token_for(create_user("store_owner"))):
        assert_error(api.patch(path, json_body=body, token=token), 403, "FORBIDDEN")
    assert api.get(MINE, token=courier.token).json["data"]["status"] == "pending"


# --- the availability gate


def test_the_gate_needs_approval_to_be_available_not_to_be_unavailable(api: ApiClient) -> None:
    courier = Courier()
    payload = assert_error(available(api, courier), 403, "FORBIDDEN")
    assert "verification is needed" in payload["error"]["message"]
    assert "POST /api/v1/couriers/me/verification" in payload["error"]["message"]
    response = available(api, courier, False)
    assert response.status == 200 and response.json["data"]["available"] is False
