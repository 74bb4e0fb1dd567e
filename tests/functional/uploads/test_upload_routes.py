"""Uploads: presigned POSTs with enforced policies, the owner's list, deletion, and claiming."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
import pytest

from souk.errors import ValidationFailed
from souk.uploads.service import MB, claim_uploads
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import count_dynamodb_calls
from tests.support import ApiClient, assert_error


def _start(api: ApiClient, token: str, **overrides: Any):
    body = {"filename": "shop front.jpg", "contentType": "image/jpeg", "size": 1234, "purpose": "product_image"}
    return api.post("/api/v1/uploads", json_body={**body, **overrides}, token=token)


def _policy(fields: dict[str, str]) -> dict[str, Any]:
    return json.loads(base64.b64decode(fields["policy"]))


def _put_file(bucket: str, key: str, content_type: str, size: int = 100) -> None:
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=bucket, Key=key, Body=b"x" * size,
                                                           ContentType=content_type)  # fmt: skip


# --- POST /api/v1/uploads
def test_create_upload_returns_a_presigned_post_whose_policy_pins_type_and_size(
    api: ApiClient, aws_resources: dict
) -> None:
    # GIVEN a signed-in customer
    user = create_user("customer")
    # WHEN they ask to upload a product image
    response = _start(api, token_for(user), filename="../../etc/passwd.jpg")
    # THEN the answer is a pending upload and a form to POST to the uploads bucket
    assert response.status == 201, response.body
    data = response.json["data"]
    assert set(data) == {"uploadId", "url", "fields", "expiresIn", "maxSize"}
    assert data["maxSize"] == 5 * MB and data["expiresIn"] == 900
    assert aws_resources["UploadsBucket"] in data["url"]
    # AND the key is built from ids only, never from the client's filename
    key = data["fields"]["key"]
    assert key == f"uploads/product_image/{user.user_id}/{data['uploadId']}"
    assert "passwd" not in key and ".." not in key
    # AND the policy S3 enforces pins the exact content type and the purpose's size range
    conditions = _policy(data["fields"])["conditions"]
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 5 * MB] in conditions
    assert {"bucket": aws_resources["UploadsBucket"]} in conditions
    assert {"key": key} in conditions
    assert data["fields"]["Content-Type"] == "image/jpeg"


@pytest.mark.parametrize(
    ("purpose", "content_type", "max_size"),
    [
        ("avatar", "image/webp", 5 * MB),
        ("store_document", "application/pdf", 10 * MB),
        ("attachment", "text/plain", 10 * MB),
    ],
)
def test_each_purpose_gets_its_own_size_limit_in_the_policy(
    api: ApiClient, purpose: str, content_type: str, max_size: int
) -> None:
    # GIVEN a user
    token = token_for(create_user("customer"))
    # WHEN they start an upload for that purpose
    response = _start(api, token, purpose=purpose, contentType=content_type)
    # THEN the policy's range is the purpose's limit
    assert response.status == 201, response.body
    assert ["content-length-range", 1, max_size] in _policy(response.json["data"]["fields"])["conditions"]
    assert response.json["data"]["maxSize"] == max_size


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": "avatar", "contentType": "application/pdf"}, "contentType"),
        ({"purpose": "product_image", "contentType": "image/svg+xml"}, "contentType"),
        ({"purpose": "store_document", "contentType": "text/html"}, "contentType"),
        ({"purpose": "avatar", "size": 5 * MB + 1}, "size"),
        ({"purpose": "store_document", "contentType": "application/pdf", "size": 10 * MB + 1}, "size"),
        ({"size": 0}, "size"),
        ({"purpose": "banner"}, "purpose"),
        ({"filename": ""}, "filename"),
        ({"filename": "bad\nname.jpg"}, "filename"),
    ],
)
def test_create_upload_refuses_the_wrong_type_or_size_for_the_purpose(
    api: ApiClient, overrides: dict, field: str
) -> None:
    # GIVEN a user
    token = token_for(create_user("customer"))
    # WHEN the declared file does not fit the purpose
    payload = assert_error(_start(api, token, **overrides), 400, "VALIDATION_ERROR")
    # THEN the error names the field
    assert field in {d["field"] for d in payload["error"]["details"]}


def test_create_upload_needs_a_token(api: ApiClient) -> None:
    body = {"filename": "a.jpg", "contentType": "image/jpeg", "size": 1, "purpose": "avatar"}
    assert_error(api.post("/api/v1/uploads", json_body=body), 401, "UNAUTHORIZED")


# --- GET /api/v1/uploads
def test_list_uploads_shows_only_own_newest_first_and_paginates(api: ApiClient) -> None:
    # GIVEN three uploads of one user and one of another
    owner, other = create_user("customer"), create_user("store_owner")
    token = token_for(owner)
    ids = [_start(api, token, filename=f"{i}.jpg").json["data"]["uploadId"] for i in range(3)]
    _start(api, token_for(other))
    # WHEN the owner lists two per page
    first = api.get("/api/v1/uploads?limit=2", token=token)
    assert first.status == 200, first.body
    second = api.get(f"/api/v1/uploads?limit=2&cursor={first.json['pagination']['nextCursor']}", token=token)
    # THEN they see exactly their own, newest first
    seen = [u["id"] for u in first.json["data"] + second.json["data"]]
    assert seen == list(reversed(ids))
    assert first.json["pagination"]["hasNext"] is True and second.json["pagination"]["hasNext"] is False
    assert first.json["data"][0]["status"] == "pending" and first.json["data"][0]["filename"] == "2.jpg"


def test_list_uploads_validation_and_auth(api: ApiClient) -> None:
    token = token_for(create_user("customer"))
    assert_error(api.get("/api/v1/uploads?limit=0", token=token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/uploads?cursor=forged", token=token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/uploads"), 401, "UNAUTHORIZED")


# --- DELETE an upload
def test_delete_upload_removes_the_file_and_the_list_entry(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN an upload whose file reached S3
    user = create_user("customer")
    token = token_for(user)
    data = _start(api, token).json["data"]
    bucket = aws_resources["UploadsBucket"]
    _put_file(bucket, data["fields"]["key"], "image/jpeg")
    # WHEN the owner deletes it
    response = api.delete(f"/api/v1/uploads/{data['uploadId']}", token=token)
    # THEN the object is gone, the upload leaves the list, and a second delete is 404
    assert response.status == 200, response.body
    assert response.json["data"] == {"id": data["uploadId"], "deleted": True}
    listed = boto3.client("s3", region_name="us-east-1").list_objects_v2(Bucket=bucket).get("Contents", [])
    assert listed == []
    assert api.get("/api/v1/uploads", token=token).json["data"] == []
    assert_error(api.delete(f"/api/v1/uploads/{data['uploadId']}", token=token), 404, "NOT_FOUND")


def test_delete_another_users_upload_is_404_and_keeps_it(api: ApiClient) -> None:
    # GIVEN someone else's upload
    owner_token = token_for(create_user("customer"))
    upload_id = _start(api, owner_token).json["data"]["uploadId"]
    # WHEN another user tries to delete it
    response = api.delete(f"/api/v1/uploads/{upload_id}", token=token_for(create_user("customer")))
    # THEN it looks like it does not exist, and it is still there
    assert_error(response, 404, "NOT_FOUND")
    assert [u["id"] for u in api.get("/api/v1/uploads", token=owner_token).json["data"]] == [upload_id]


def test_delete_upload_needs_a_token(api: ApiClient) -> None:
    assert_error(api.delete("/api/v1/uploads/01ANY"), 401, "UNAUTHORIZED")


# --- claim_uploads (used by store documents, product images, avatars)
def test_claim_uploads_confirms_files_and_marks_them_ready(api: ApiClient, aws_resources: dict) -> None:
    # GIVEN two store documents, both uploaded
    user = create_user("store_owner")
    token = token_for(user)
    started = [_start(api, token, purpose="store_document", contentType="application/pdf").json["data"]
               for _ in range(2)]  # fmt: skip
    for s in started:
        _put_file(aws_resources["UploadsBucket"], s["fields"]["key"], "application/pdf", size=321)
    ids = [s["uploadId"] for s in started]
    # WHEN a feature claims them
    claimed = claim_uploads(user.user_id, ids, {"store_document"}, field="documentUploadIds")
    # THEN they come back in order, ready, with the size S3 measured
    assert [u.upload_id for u in claimed] == ids
    assert {u.status for u in claimed} == {"ready"} and {int(u.size) for u in claimed} == {321}
    listed = api.get("/api/v1/uploads", token=token).json["data"]
    assert {u["status"] for u in listed} == {"ready"}


def _claim_error(owner_id: str, ids: list[str], purposes: set[str]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        claim_uploads(owner_id, ids, purposes, field="imageUploadIds")
    assert caught.value.details
    return caught.value.details[0]


def test_claim_uploads_refuses_foreign_wrong_purpose_missing_or_absent_files(
    api: ApiClient, aws_resources: dict
) -> None:
    # GIVEN an uploaded avatar, a product image never uploaded, and another user's image
    user = create_user("store_owner")
    token = token_for(user)
    avatar = _start(api, token, purpose="avatar").json["data"]
    _put_file(aws_resources["UploadsBucket"], avatar["fields"]["key"], "image/jpeg")
    never_sent = _start(api, token).json["data"]["uploadId"]
    foreign = _start(api, token_for(create_user("store_owner"))).json["data"]["uploadId"]
    # THEN each is refused with a 400 naming the field
    wrong_purpose = _claim_error(user.user_id, [avatar["uploadId"]], {"product_image"})
    assert wrong_purpose["field"] == "imageUploadIds" and "avatar" in wrong_purpose["message"]
    assert "no file" in _claim_error(user.user_id, [never_sent], {"product_image"})["message"]
    assert "does not exist" in _claim_error(user.user_id, [foreign], {"product_image"})["message"]
    assert "does not exist" in _claim_error(user.user_id, ["01NOPE"], {"product_image"})["message"]


def test_claim_uploads_reads_all_ids_with_one_batch_get(
    api: ApiClient, aws_resources: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN five ready uploads
    user = create_user("store_owner")
    token = token_for(user)
    ids = []
    for _ in range(5):
        data = _start(api, token).json["data"]
        _put_file(aws_resources["UploadsBucket"], data["fields"]["key"], "image/jpeg")
        ids.append(data["uploadId"])
    claim_uploads(user.user_id, ids, {"product_image"})
    # WHEN they are claimed again
    with count_dynamodb_calls(monkeypatch) as calls:
        claim_uploads(user.user_id, ids, {"product_image"})
    # THEN one BatchGetItem read them all, and nothing was written (they were ready)
    assert calls == {"BatchGetItem": 1}
