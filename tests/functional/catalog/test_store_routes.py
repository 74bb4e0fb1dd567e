"""Stores: creation, review, the public list (category, search, near), reads, edits, verification."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from souk.audit import keys
from souk.audit.models import AuditRecord
from souk.catalog.service import review, stores
from souk.catalog.service.stores import require_selling_store
from souk.errors import NotFound, UnprocessableEntity
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.catalog_helpers import (
    admin_token,
    count_dynamodb_calls,
    make_category,
    make_store,
    set_status,
    store_body,
)
from tests.support import ApiClient, assert_error

OAKLAND = (37.8044, -122.2712)


@pytest.fixture
def world(api: ApiClient) -> dict[str, Any]:
    """An admin, two store owners, a customer, and a category tree Food > Coffee plus Books."""
    admin = admin_token()
    food = make_category(api, admin, "Food")
    coffee = make_category(api, admin, "Coffee", food["id"])
    books = make_category(api, admin, "Books")
    owner_a, owner_b = create_user("store_owner"), create_user("store_owner")
    return {
        "admin": admin, "food": food["id"], "coffee": coffee["id"], "books": books["id"],
        "owner_a": owner_a, "a": token_for(owner_a), "owner_b": owner_b, "b": token_for(owner_b),
        "customer": token_for(create_user("customer")),
    }  # fmt: skip


def _at(lat: float, lng: float) -> dict[str, Any]:
    return {"line1": "1 Main St", "city": "Oakland", "country": "US", "lat": lat, "lng": lng, "postalCode": "94612"}


def _approved(api: ApiClient, w: dict, token: str | None = None, **overrides: Any) -> dict[str, Any]:
    store = make_store(api, token or w["a"], [w["coffee"]], **overrides)
    return set_status(api, w["admin"], store["id"], "approved")


def _listed(api: ApiClient, query: str = "") -> list[str]:
    response = api.get(f"/api/v1/stores{query}")
    assert response.status == 200, response.body
    return [s["id"] for s in response.json["data"]]


# --- POST /api/v1/stores
def test_create_store_is_pending_review_and_audited(api: ApiClient, world: dict) -> None:
    # WHEN a store owner opens a store
    response = api.post("/api/v1/stores", json_body=store_body([world["coffee"], world["coffee"]], currency="EUR"),
                        token=world["a"])  # fmt: skip
    # THEN it is theirs, pending review, with the address and defaults normalised
    assert response.status == 201, response.body
    store = response.json["data"]
    assert store["status"] == "pending_review" and store["ownerId"] == world["owner_a"].user_id
    assert store["categoryIds"] == [world["coffee"]] and store["currency"] == "eur"
    assert store["address"]["country"] == "US" and store["address"]["lat"] == pytest.approx(OAKLAND[0])
    assert store["address"]["line2"] is None
    assert store["rating"] == {"average": 0.0, "count": 0} and store["documentUploadIds"] == []
    # AND the creation is in the audit log
    records = list(AuditRecord.gsi2.query(keys.audit_resource("store", store["id"])))
    assert [r.action for r in records] == ["store.create"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"categoryIds": []}, "categoryIds"),
        ({"categoryIds": ["01UNKNOWNCATEGORY"]}, "categoryIds"),
        ({"address": {"line1": "x", "city": "y", "country": "USA", "lat": 1, "lng": 1}}, "address.country"),
        # one address model with delivery addresses: ISO 3166-1 codes only
        ({"address": {"line1": "x", "city": "y", "country": "ZZ", "lat": 1, "lng": 1}}, "address.country"),
        (
            {"address": {"line1": "x", "line2": "a\tb", "city": "y", "country": "US", "lat": 1, "lng": 1}},
            "address.line2",
        ),
        ({"address": {"line1": "x", "city": "y", "country": "US", "lat": 91, "lng": 1}}, "address.lat"),
        ({"address": {"line1": "x", "city": "y", "country": "US", "lat": 1}}, "address.lng"),
        ({"currency": "dollars"}, "currency"),
    ],
)
def test_create_store_validation_errors_name_the_field(
    api: ApiClient, world: dict, overrides: dict, field: str
) -> None:
    response = api.post("/api/v1/stores", json_body=store_body([world["coffee"]], **overrides), token=world["a"])
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload


def test_create_store_needs_a_store_owner(api: ApiClient, world: dict) -> None:
    body = store_body([world["coffee"]])
    assert_error(api.post("/api/v1/stores", json_body=body), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/stores", json_body=body, token=world["customer"]), 403, "FORBIDDEN")


# --- GET /api/v1/stores
def test_unapproved_stores_are_not_listed_publicly(api: ApiClient, world: dict) -> None:
    # GIVEN one approved, one pending, one rejected and one suspended store
    approved = _approved(api, world)
    pending = make_store(api, world["a"], [world["coffee"]])
    rejected = make_store(api, world["b"], [world["coffee"]])
    set_status(api, world["admin"], rejected["id"], "rejected", "Blurry documents")
    suspended = _approved(api, world, world["b"], name="Gone Fishing")
    set_status(api, world["admin"], suspended["id"], "suspended", "Complaints")
    # WHEN anyone lists stores
    listed = _listed(api)
    # THEN only the approved one appears
    assert listed == [approved["id"]]
    assert pending["id"] not in listed


def test_list_stores_filters_by_category_and_pages(api: ApiClient, world: dict) -> None:
    # GIVEN two coffee stores and a bookshop, all approved
    first = _approved(api, world, name="Bean One")
    second = _approved(api, world, world["b"], name="Bean Two")
    bookshop = make_store(api, world["a"], [world["books"]], name="Paper Trail")
    set_status(api, world["admin"], bookshop["id"], "approved")
    # WHEN listing coffee stores one per page, following the cursor to the end
    ids, pages, cursor = [], 0, ""
    while cursor is not None and pages < 10:
        after = f"&cursor={cursor}" if cursor else ""
        response = api.get(f"/api/v1/stores?category={world['coffee']}&limit=1{after}")
        assert response.status == 200 and len(response.json["data"]) <= 1
        ids += [s["id"] for s in response.json["data"]]
        cursor, pages = response.json["pagination"]["nextCursor"], pages + 1
    # THEN the coffee stores come newest first and the bookshop never (its page comes back short)
    assert ids == [second["id"], first["id"]]
    assert bookshop["id"] in _listed(api) and bookshop["id"] not in _listed(api, f"?category={world['coffee']}")


def test_list_stores_by_name_prefix(api: ApiClient, world: dict) -> None:
    # GIVEN approved stores with different names and a pending one that would match
    blue = _approved(api, world, name="Blue Bottle Coffee")
    _approved(api, world, world["b"], name="Red Lantern Books")
    make_store(api, world["a"], [world["coffee"]], name="Blue Moon Bakery")
    # WHEN searching by prefixes of the name, words in any order, accents and case ignored
    # THEN only the approved match comes back
    assert _listed(api, "?search=blu") == [blue["id"]]
    assert _listed(api, "?search=COFF%20bl%C3%BC") == [blue["id"]]
    assert _listed(api, "?search=lantern%20blue") == []
    assert_error(api.get("/api/v1/stores?search=b"), 400, "VALIDATION_ERROR")


def test_near_returns_stores_within_the_radius_nearest_first(api: ApiClient, world: dict) -> None:
    # GIVEN approved stores about 1, 3 and 8 km from a point, one 60 km away, and a pending one at the point
    lat, lng = OAKLAND
    s3 = _approved(api, world, name="Three Km", address=_at(lat, -122.2372))
    s1 = _approved(api, world, world["b"], name="One Km", address=_at(37.8134, lng))
    s8 = _approved(api, world, name="Eight Km", address=_at(37.7325, lng))
    far = _approved(api, world, name="San Jose", address=_at(37.3382, -121.8863))
    make_store(api, world["a"], [world["coffee"]], name="Unreviewed", address=_at(lat, lng))
    # WHEN searching near the point with the default 10 km radius
    response = api.get(f"/api/v1/stores?lat={lat}&lng={lng}")
    # THEN the three nearby stores come nearest first, with their distance, and the far one is excluded
    assert response.status == 200, response.body
    found = response.json["data"]
    assert [s["id"] for s in found] == [s1["id"], s3["id"], s8["id"]]
    assert [round(s["distanceKm"]) for s in found] == [1, 3, 8]
    assert far["id"] not in {s["id"] for s in found}
    # AND a smaller radius keeps only the closest; a wider one pages through all four
    assert _listed(api, f"?lat={lat}&lng={lng}&radiusKm=2") == [s1["id"]]
    assert _listed(api, f"?lat={lat}&lng={lng}&radiusKm=5") == [s1["id"], s3["id"]]
    page1 = api.get(f"/api/v1/stores?lat={lat}&lng={lng}&radiusKm=2&limit=1&search=one").json
    assert [s["id"] for s in page1["data"]] == [s1["id"]] and page1["pagination"]["hasNext"] is False


def test_near_pages_with_a_cursor(api: ApiClient, world: dict) -> None:
    # GIVEN two approved stores near a point
    lat, lng = OAKLAND
    near = _approved(api, world, name="Near", address=_at(37.8054, lng))
    further = _approved(api, world, world["b"], name="Further", address=_at(37.8144, lng))
    # WHEN paging one at a time
    first = api.get(f"/api/v1/stores?lat={lat}&lng={lng}&limit=1").json
    second = api.get(f"/api/v1/stores?lat={lat}&lng={lng}&limit=1&cursor={first['pagination']['nextCursor']}").json
    # THEN the order holds across pages, and a near cursor is refused by the plain list
    assert [s["id"] for s in first["data"] + second["data"]] == [near["id"], further["id"]]
    assert second["pagination"]["nextCursor"] is None
    assert_error(api.get(f"/api/v1/stores?cursor={first['pagination']['nextCursor']}"), 400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?lat=37.8", "lng"),
        ("?lng=-122.2", "lat"),
        ("?lat=91&lng=0", "lat"),
        ("?lat=0&lng=0&radiusKm=0", "radiusKm"),
        ("?lat=0&lng=0&radiusKm=51", "radiusKm"),
        ("?lat=80&lng=0&radiusKm=40", "radiusKm"),
        ("?limit=101", "limit"),
        ("?cursor=garbage", "cursor"),
    ],
)
def test_list_stores_validation_errors(api: ApiClient, query: str, field: str) -> None:
    payload = assert_error(api.get(f"/api/v1/stores{query}"), 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload


def test_list_stores_costs_a_constant_number_of_calls(
    api: ApiClient, world: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a few approved stores
    for i in range(3):
        _approved(api, world, name=f"Cafe {i}")
    lat, lng = OAKLAND
    # WHEN listing plainly, by category, by name and near a point
    with count_dynamodb_calls(monkeypatch) as plain:
        api.get("/api/v1/stores?limit=2")
    with count_dynamodb_calls(monkeypatch) as by_category:
        api.get(f"/api/v1/stores?category={world['coffee']}")
    with count_dynamodb_calls(monkeypatch) as by_name:
        api.get("/api/v1/stores?search=cafe")
    with count_dynamodb_calls(monkeypatch) as near:
        api.get(f"/api/v1/stores?lat={lat}&lng={lng}")
    # THEN each is one page of fixed cost, whatever the table holds
    assert plain == {"Query": 1} and by_category == {"Query": 1}
    assert by_name == {"Query": 1, "BatchGetItem": 1}
    assert near == {"Query": 9}


def test_list_stores_sends_cache_headers_and_honours_if_none_match(api: ApiClient, world: dict) -> None:
    # GIVEN an approved store and a first answer
    _approved(api, world)
    first = api.get("/api/v1/stores")
    assert first.headers["Cache-Control"] == "public, max-age=60"
    etag = first.headers["ETag"]
    # WHEN the client revalidates with the ETag
    again = api.get("/api/v1/stores", headers={"If-None-Match": etag})
    # THEN it gets 304 with no body; a changed list gets a new ETag
    assert again.status == 304 and again.body == b""
    _approved(api, world, world["b"], name="Another")
    changed = api.get("/api/v1/stores", headers={"If-None-Match": etag})
    assert changed.status == 200 and changed.headers["ETag"] != etag


# --- GET a store
def test_get_store_public_for_approved_private_for_the_rest(api: ApiClient, world: dict) -> None:
    # GIVEN an approved store and a pending one of owner A
    approved = _approved(api, world)
    pending = make_store(api, world["a"], [world["coffee"]], name="Not Yet")
    # THEN anyone reads the approved one, without private fields, cacheable by shared caches
    public = api.get(f"/api/v1/stores/{approved['id']}")
    assert public.status == 200 and public.json["data"]["documentUploadIds"] is None
    assert public.headers["Cache-Control"] == "public, max-age=60"
    assert api.get(f"/api/v1/stores/{approved['id']}", headers={"If-None-Match": public.headers["ETag"]}).status == 304
    # AND the pending one is 404 for the public, a customer and another owner
    assert_error(api.get(f"/api/v1/stores/{pending['id']}"), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/v1/stores/{pending['id']}", token=world["customer"]), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/v1/stores/{pending['id']}", token=world["b"]), 404, "NOT_FOUND")
    # AND its owner and admins see it, never kept by a shared cache
    own = api.get(f"/api/v1/stores/{pending['id']}", token=world["a"])
    assert own.status == 200 and own.json["data"]["status"] == "pending_review"
    assert own.headers["Cache-Control"] == "private, no-store" and "ETag" not in own.headers
    assert api.get(f"/api/v1/stores/{pending['id']}", token=world["admin"]).status == 200


def test_get_unknown_store_is_404_and_a_bad_token_is_401(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/stores/01NOSUCHSTORE"), 404, "NOT_FOUND")
    assert_error(api.get("/api/v1/stores/01NOSUCHSTORE", token="not.a.jwt"), 401, "INVALID_TOKEN")


def _inbox(api: ApiClient, token: str, kind: str) -> list[tuple[str, str]]:
    """(entityId, title) of the caller's in-app notifications of one type (GET /notifications)."""
    response = api.get("/api/v1/notifications", token=token)
    assert response.status == 200, response.body
    return [(n["entityId"], n["title"]) for n in response.json["data"] if n["type"] == kind]


# --- PATCH a store
def test_owner_edits_store_and_the_indexes_follow(api: ApiClient, world: dict) -> None:
    # GIVEN an approved store found by its name and near its address
    store = _approved(api, world, name="Blue Bottle")
    assert _listed(api, "?search=blue") == [store["id"]]
    # WHEN its owner renames it and moves it 60 km away
    response = api.patch(f"/api/v1/stores/{store['id']}", token=world["a"],
                         json_body={"name": "Green Cup", "description": None, "categoryIds": [world["food"]],
                                    "address": _at(37.3382, -121.8863)})  # fmt: skip
    # THEN the store changed and stays approved
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["name"] == "Green Cup" and data["description"] is None and data["status"] == "approved"
    assert data["categoryIds"] == [world["food"]] and data["address"]["lat"] == pytest.approx(37.3382)
    # AND search and near follow: old name and old place no longer find it
    assert _listed(api, "?search=blue") == []
    assert _listed(api, "?search=green%20cu") == [store["id"]]
    assert _listed(api, f"?lat={OAKLAND[0]}&lng={OAKLAND[1]}") == []
    assert _listed(api, "?lat=37.34&lng=-121.89&radiusKm=1") == [store["id"]]
    actions = [r.action for r in AuditRecord.gsi2.query(keys.audit_resource("store", store["id"]))]
    assert actions == ["store.create", "store.status_change", "store.update"]


def test_owner_a_cannot_patch_owner_bs_store(api: ApiClient, world: dict) -> None:
    # GIVEN owner B's store
    store = make_store(api, world["b"], [world["coffee"]], name="Bs Place")
    # WHEN owner A tries to rename it
    response = api.patch(f"/api/v1/stores/{store['id']}", json_body={"name": "Hijacked"}, token=world["a"])
    # THEN it is 404 and nothing changed
    assert_error(response, 404, "NOT_FOUND")
    assert api.get(f"/api/v1/stores/{store['id']}", token=world["b"]).json["data"]["name"] == "Bs Place"


def test_patch_store_validation_roles_and_auth(api: ApiClient, world: dict) -> None:
    store = make_store(api, world["a"], [world["coffee"]])
    path = f"/api/v1/stores/{store['id']}"
    payload = assert_error(api.patch(path, json_body={"name": "x"}, token=world["a"]), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "name"
    payload = assert_error(api.patch(path, json_body={}, token=world["a"]), 400, "VALIDATION_ERROR")
    assert [d["field"] for d in payload["error"]["details"]] == ["body"]
    payload = assert_error(api.patch(path, json_body={"categoryIds": ["01NOPE"]}, token=world["a"]), 400,
                           "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "categoryIds"
    assert_error(api.patch(path, json_body={"name": "Fine Name"}, token=world["customer"]), 403, "FORBIDDEN")
    assert_error(api.patch(path, json_body={"name": "Fine Name"}), 401, "UNAUTHORIZED")
    # AND an admin may edit any store
    fixed = api.patch(path, json_body={"name": "Admin Fixed"}, token=world["admin"])
    assert fixed.status == 200 and fixed.json["data"]["name"] == "Admin Fixed"


# --- POST a store's verification
def _document(api: ApiClient, token: str, bucket: str, purpose: str = "store_document", upload: bool = True) -> str:
    content_type = "application/pdf" if purpose == "store_document" else "image/jpeg"
    body = {"filename": "licence.pdf", "contentType": content_type, "size": 2048, "purpose": purpose}
    data = api.post("/api/v1/uploads", json_body=body, token=token).json["data"]
    if upload:
        boto3.client("s3", region_name="us-east-1").put_object(Bucket=bucket, Key=data["fields"]["key"], Body=b"%PDF",
                                                               ContentType=content_type)  # fmt: skip
    return data["uploadId"]


def test_verification_resubmits_a_rejected_store_with_documents(
    api: ApiClient, world: dict, aws_resources: dict
) -> None:
    # GIVEN a rejected store and an uploaded document
    store = make_store(api, world["a"], [world["coffee"]])
    set_status(api, world["admin"], store["id"], "rejected", "Missing licence")
    doc = _document(api, world["a"], aws_resources["UploadsBucket"])
    # WHEN the owner submits it
    response = api.post(f"/api/v1/stores/{store['id']}/verification", json_body={"documentUploadIds": [doc]},
                        token=world["a"])  # fmt: skip
    # THEN the store is back in review with the document attached, which is now ready
    assert response.status == 200, response.body
    data = response.json["data"]
    assert data["status"] == "pending_review" and data["documentUploadIds"] == [doc] and data["statusReason"] is None
    uploads = api.get("/api/v1/uploads", token=world["a"]).json["data"]
    assert [(u["id"], u["status"]) for u in uploads] == [(doc, "ready")]
    # AND an admin can approve it now
    assert set_status(api, world["admin"], store["id"], "approved")["status"] == "approved"


def test_verification_refuses_bad_documents_wrong_state_and_strangers(
    api: ApiClient, world: dict, aws_resources: dict
) -> None:
    bucket = aws_resources["UploadsBucket"]
    store = make_store(api, world["a"], [world["coffee"]])
    path = f"/api/v1/stores/{store['id']}/verification"
    # an avatar is not a store document; a document never uploaded is refused; so is someone else's
    for doc in (_document(api, world["a"], bucket, purpose="avatar"), _document(api, world["a"], bucket, upload=False),
                _document(api, world["b"], bucket)):  # fmt: skip
        payload = assert_error(api.post(path, json_body={"documentUploadIds": [doc]}, token=world["a"]), 400,
                               "VALIDATION_ERROR")  # fmt: skip
        assert payload["error"]["details"][0]["field"] == "documentUploadIds"
    assert_error(api.post(path, json_body={"documentUploadIds": []}, token=world["a"]), 400, "VALIDATION_ERROR")
    # another owner's store is 404, a customer 403, no token 401
    good = _document(api, world["a"], bucket)
    assert_error(api.post(path, json_body={"documentUploadIds": [good]}, token=world["b"]), 404, "NOT_FOUND")
    assert_error(api.post(path, json_body={"documentUploadIds": [good]}, token=world["customer"]), 403, "FORBIDDEN")
    assert_error(api.post(path, json_body={"documentUploadIds": [good]}), 401, "UNAUTHORIZED")
    # an approved store is not waiting for review
    set_status(api, world["admin"], store["id"], "approved")
    assert_error(api.post(path, json_body={"documentUploadIds": [good]}, token=world["a"]), 409, "INVALID_STATE")


# --- PATCH a store's status (admin)
def test_admin_approval_lists_indexes_and_emails_the_owner(api: ApiClient, world: dict, aws_resources: dict) -> None:
    # GIVEN a pending store
    store = make_store(api, world["a"], [world["coffee"]], name="Sunny Side")
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN an admin approves it
    approved = set_status(api, world["admin"], store["id"], "approved")
    # THEN it is public, searchable and near-findable
    assert approved["status"] == "approved"
    assert _listed(api) == [store["id"]] and _listed(api, "?search=sun") == [store["id"]]
    assert _listed(api, f"?lat={OAKLAND[0]}&lng={OAKLAND[1]}") == [store["id"]]
    # AND the owner is emailed
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "store_status_changed"]
    assert len(jobs) == 1 and jobs[0]["to"] == world["owner_a"].email
    assert jobs[0]["variables"] == {"store_name": "Sunny Side", "status": "approved"}
    # AND has it in the app (an account notification), once even if the decision is told again
    assert _inbox(api, world["a"], "account") == [(store["id"], "Sunny Side is approved")]
    review._email_owner(stores.get_store(store["id"]))
    assert len(_inbox(api, world["a"], "account")) == 1 and queued_jobs(aws_resources["EmailQueue"]) == []
    # AND the decision is audited
    records = [r for r in AuditRecord.gsi2.query(keys.audit_resource("store", store["id"]))
               if r.action == "store.status_change"]  # fmt: skip
    assert records[0].before == {"status": "pending_review", "statusReason": None}


def test_suspension_removes_the_store_from_every_index(api: ApiClient, world: dict, aws_resources: dict) -> None:
    # GIVEN an approved store
    store = _approved(api, world, name="Night Owl")
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN an admin suspends it with a reason
    suspended = set_status(api, world["admin"], store["id"], "suspended", "Repeated complaints")
    # THEN it is gone from the list, search and near search, and the owner learns why
    assert suspended["status"] == "suspended" and suspended["statusReason"] == "Repeated complaints"
    assert _listed(api) == [] and _listed(api, "?search=night") == []
    assert _listed(api, f"?lat={OAKLAND[0]}&lng={OAKLAND[1]}") == []
    job = queued_jobs(aws_resources["EmailQueue"])[0]
    assert job["variables"]["reason"] == "Repeated complaints" and job["variables"]["status"] == "suspended"
    # AND it can be reinstated
    set_status(api, world["admin"], store["id"], "approved")
    assert _listed(api, "?search=owl") == [store["id"]]


@pytest.mark.parametrize(("first", "then"), [(None, "suspended"), ("rejected", "approved"), ("rejected", "suspended")])
def test_admin_status_allows_only_the_allowed_transitions(
    api: ApiClient, world: dict, first: str | None, then: str
) -> None:
    store = make_store(api, world["a"], [world["coffee"]])
    if first:
        set_status(api, world["admin"], store["id"], first, "Because")
    response = api.patch(f"/api/v1/admin/stores/{store['id']}", json_body={"status": then, "reason": "Because"},
                         token=world["admin"])  # fmt: skip
    assert_error(response, 409, "INVALID_STATE")


def test_admin_status_validation_roles_and_unknown_store(api: ApiClient, world: dict) -> None:
    store = make_store(api, world["a"], [world["coffee"]])
    path = f"/api/v1/admin/stores/{store['id']}"
    for body, field in (({"status": "rejected"}, "reason"), ({"status": "suspended", "reason": "  "}, "reason"),
                        ({"status": "pending_review"}, "status")):  # fmt: skip
        payload = assert_error(api.patch(path, json_body=body, token=world["admin"]), 400, "VALIDATION_ERROR")
        assert payload["error"]["details"][0]["field"] == field
    assert_error(api.patch(path, json_body={"status": "approved"}, token=world["a"]), 403, "FORBIDDEN")
    assert_error(api.patch(path, json_body={"status": "approved"}), 401, "UNAUTHORIZED")
    assert_error(api.patch("/api/v1/admin/stores/01NOPE", json_body={"status": "approved"}, token=world["admin"]),
                 404, "NOT_FOUND")  # fmt: skip


# --- require_selling_store (for products and inventory)
def test_require_selling_store(api: ApiClient, world: dict) -> None:
    from souk.caller import Principal

    approved = _approved(api, world)
    pending = make_store(api, world["a"], [world["coffee"]], name="Later")
    owner_a = Principal(world["owner_a"].user_id, "store_owner", None)
    owner_b = Principal(world["owner_b"].user_id, "store_owner", None)
    assert require_selling_store(approved["id"], owner_a).store_id == approved["id"]
    with pytest.raises(UnprocessableEntity):
        require_selling_store(pending["id"], owner_a)
    with pytest.raises(NotFound):
        require_selling_store(approved["id"], owner_b)
