"""Coupons: create, list, update and soft-delete, by store owners (own stores) and admins (any)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.cart import keys as cart_keys
from souk.cart import store as cart_store
from souk.cart.discounts import coupon_problem
from souk.cart.models import Coupon
from souk.cart.service import coupons
from souk.db.transactions import WriteTransaction
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import count_dynamodb_calls
from tests.functional.product_support import Seller, make_seller
from tests.support import ApiClient, assert_error

SOON = datetime(2030, 1, 1, tzinfo=UTC)


def _usd(amount: int, currency: str = "usd") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _body(seller: Seller | None = None, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"code": "spring-10", "type": "percent", "value": 10, "minSubtotal": _usd(2000),
                            "maxUses": 100, "perUserLimit": 1, "startsAt": "2030-01-01T00:00:00Z",
                            "endsAt": "2030-02-01T00:00:00Z"}  # fmt: skip
    if seller is not None:
        body["storeId"] = seller.store.store_id
    body.update(overrides)
    return body


def _create(api: ApiClient, token: str, body: dict[str, Any]) -> dict[str, Any]:
    response = api.post("/api/v1/coupons", json_body=body, token=token)
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def _stored(code: str) -> Coupon:
    return Coupon.get(cart_keys.coupon(code), cart_keys.COUPON, consistent_read=True)


def _audit_actions(code: str) -> list[str]:
    records = AuditRecord.gsi2.query(audit_keys.audit_resource("coupon", code))
    return sorted(r.action for r in records)


@pytest.fixture
def admin() -> str:
    return token_for(create_user("admin"))


# --- POST /coupons


def test_store_owner_creates_a_coupon_for_their_store(api: ApiClient) -> None:
    # GIVEN a store owner with an approved usd store
    seller = make_seller()
    # WHEN they create a percent coupon with a lower-case code
    response = api.post("/api/v1/coupons", json_body=_body(seller), token=seller.token)
    # THEN 201 with the coupon, its code upper-cased, no uses yet
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data["code"] == "SPRING-10" and data["type"] == "percent" and data["value"] == 10
    assert (data["minSubtotal"], data["maxUses"], data["perUserLimit"], data["uses"]) == (_usd(2000), 100, 1, 0)
    assert data["storeId"] == seller.store.store_id and data["status"] == "active" and data["currency"] == "usd"
    assert data["startsAt"].startswith("2030-01-01T00:00:00") and data["endsAt"].startswith("2030-02-01")
    # AND the table holds it with both list index keys, and an audit record
    stored = _stored("spring-10")
    assert stored.owner_id == seller.user.user_id and stored.starts_at == SOON
    assert stored.gsi1pk == cart_keys.coupons_by_owner(seller.user.user_id) and stored.gsi2pk == cart_keys.COUPONS_ALL
    assert stored.gsi1sk == stored.gsi2sk and stored.gsi1sk.endswith("#SPRING-10")
    assert _audit_actions("SPRING-10") == ["coupon.create"]


def test_fixed_store_coupon_is_money_in_the_store_currency(api: ApiClient) -> None:
    # GIVEN a store selling in eur
    seller = make_seller(currency="eur")
    # WHEN a fixed coupon of 5.00 EUR with a 20.00 EUR minimum is created
    body = _body(seller, code="EUR5", type="fixed", value=_usd(500, "EUR"), minSubtotal=_usd(2000, "eur"))
    data = _create(api, seller.token, body)
    # THEN its money is in the store's currency, in and out
    assert (data["type"], data["value"], data["currency"]) == ("fixed", _usd(500, "eur"), "eur")
    assert data["minSubtotal"] == _usd(2000, "eur")
    stored = _stored("EUR5")
    assert (stored.currency, int(stored.value), int(stored.min_subtotal)) == ("eur", 500, 2000)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"type": "fixed", "value": _usd(500), "minSubtotal": _usd(2000, "eur")}, "value.currency"),
     ({"type": "fixed", "value": _usd(500, "eur"), "minSubtotal": _usd(2000)}, "minSubtotal.currency"),
     ({"minSubtotal": _usd(2000)}, "minSubtotal.currency")],
)  # fmt: skip
def test_money_in_another_currency_than_the_store_is_refused(api: ApiClient, overrides: dict, field: str) -> None:
    # GIVEN a store selling in eur WHEN a coupon's money is in usd
    seller = make_seller(currency="eur")
    response = api.post("/api/v1/coupons", json_body=_body(seller, **overrides), token=seller.token)
    # THEN 400 on that field, nothing written
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert [d["field"] for d in payload["error"]["details"]] == [field]
    assert cart_store.get_coupon("SPRING-10") is None


def test_admin_creates_a_platform_wide_coupon(api: ApiClient, admin: str) -> None:
    # WHEN an admin creates a fixed coupon without a store
    data = _create(api, admin, _body(code="WELCOME_5", type="fixed", value=_usd(500, "USD"), maxUses=None,
                                     perUserLimit=None, startsAt=None, endsAt=None))  # fmt: skip
    # THEN it applies everywhere, in usd, unlimited
    assert data["storeId"] is None and data["currency"] == "usd" and data["value"] == _usd(500)
    assert data["maxUses"] is None and data["perUserLimit"] is None and data["startsAt"] is None
    assert _stored("WELCOME_5").store_id is None


def test_a_fixed_value_or_a_minimum_as_a_bare_number_is_400(api: ApiClient, admin: str) -> None:
    # The contract: money in a request is {amount, currency}, never a bare number.
    for body, field in ((_body(type="fixed", value=500), "value"), (_body(minSubtotal=2000), "minSubtotal")):
        payload = assert_error(api.post("/api/v1/coupons", json_body=body, token=admin), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field]
    assert cart_store.get_coupon("SPRING-10") is None


def test_a_platform_coupon_minimum_must_be_in_its_values_currency(api: ApiClient, admin: str) -> None:
    body = _body(type="fixed", value=_usd(500, "eur"), minSubtotal=_usd(2000, "usd"))
    payload = assert_error(api.post("/api/v1/coupons", json_body=body, token=admin), 400, "VALIDATION_ERROR")
    assert [d["field"] for d in payload["error"]["details"]] == ["minSubtotal.currency"]


def test_store_owner_must_name_a_store(api: ApiClient) -> None:
    seller = make_seller()
    payload = assert_error(api.post("/api/v1/coupons", json_body=_body(), token=seller.token), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "storeId"
    assert cart_store.get_coupon("SPRING-10") is None


def test_another_owners_store_is_not_found(api: ApiClient) -> None:
    # GIVEN two store owners
    mine, theirs = make_seller(), make_seller()
    # WHEN one creates a coupon on the other's store
    response = api.post("/api/v1/coupons", json_body=_body(theirs), token=mine.token)
    # THEN 404, nothing written
    assert_error(response, 404, "NOT_FOUND")
    assert cart_store.get_coupon("SPRING-10") is None


def test_a_code_is_unique_whatever_its_case(api: ApiClient) -> None:
    # GIVEN a coupon SPRING-10
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    # WHEN another owner creates "Spring-10"
    other = make_seller()
    response = api.post("/api/v1/coupons", json_body=_body(other, code="Spring-10", value=50), token=other.token)
    # THEN 409 DUPLICATE_ENTRY and the first one is unchanged
    assert_error(response, 409, "DUPLICATE_ENTRY")
    stored = _stored("SPRING-10")
    assert stored.owner_id == seller.user.user_id and int(stored.value) == 10
    assert _audit_actions("SPRING-10") == ["coupon.create"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "AB"}, "code"),
        ({"code": "NO SPACES"}, "code"),
        ({"code": "X" * 33}, "code"),
        ({"type": "bogo"}, "type"),
        ({"value": 0}, "value"),
        ({"value": 101}, "value"),
        ({"value": 10.5}, "value"),
        ({"value": _usd(10)}, "value"),
        ({"type": "fixed", "value": 0}, "value"),
        ({"type": "fixed", "value": _usd(0)}, "value"),
        ({"type": "fixed", "value": {"amount": 5.5, "currency": "usd"}}, "value.amount"),
        ({"minSubtotal": -1}, "minSubtotal"),
        ({"minSubtotal": _usd(-1)}, "minSubtotal.amount"),
        ({"minSubtotal": {"amount": 100}}, "minSubtotal.currency"),
        ({"maxUses": 0}, "maxUses"),
        ({"perUserLimit": 0}, "perUserLimit"),
        ({"endsAt": "2029-12-31T00:00:00Z"}, "endsAt"),
        ({"endsAt": "2030-01-01T00:00:00Z"}, "endsAt"),
    ],
)  # fmt: skip
def test_invalid_fields_are_400(api: ApiClient, overrides: dict[str, Any], field: str) -> None:
    seller = make_seller()
    response = api.post("/api/v1/coupons", json_body=_body(seller, **overrides), token=seller.token)
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload
    assert cart_store.get_coupon(str(overrides.get("code", "SPRING-10"))[:40]) is None


def test_create_without_a_token_is_401(api: ApiClient) -> None:
    assert_error(api.post("/api/v1/coupons", json_body=_body()), 401, "UNAUTHORIZED")


def test_a_customer_cannot_create_coupons(api: ApiClient) -> None:
    customer = token_for(create_user("customer"))
    assert_error(api.post("/api/v1/coupons", json_body=_body(), token=customer), 403, "FORBIDDEN")
    assert cart_store.get_coupon("SPRING-10") is None


# --- GET /coupons


def test_store_owner_lists_only_their_coupons_newest_first(api: ApiClient, admin: str) -> None:
    # GIVEN an owner's two coupons, another owner's and an admin's
    seller, other = make_seller(), make_seller()
    _create(api, seller.token, _body(seller, code="FIRST"))
    _create(api, seller.token, _body(seller, code="SECOND"))
    _create(api, other.token, _body(other, code="OTHER"))
    _create(api, admin, _body(code="PLATFORM"))
    # WHEN the owner lists
    response = api.get("/api/v1/coupons", token=seller.token)
    # THEN only their own, newest first
    assert response.status == 200, response.body
    assert [c["code"] for c in response.json["data"]] == ["SECOND", "FIRST"]
    assert response.json["pagination"]["nextCursor"] is None and response.json["pagination"]["hasNext"] is False


def test_admin_lists_every_coupon_and_pages_with_a_cursor(api: ApiClient, admin: str) -> None:
    # GIVEN coupons from two owners and an admin
    seller, other = make_seller(), make_seller()
    _create(api, seller.token, _body(seller, code="AAA"))
    _create(api, other.token, _body(other, code="BBB"))
    _create(api, admin, _body(code="CCC"))
    # WHEN the admin lists two at a time
    first = api.get("/api/v1/coupons?limit=2", token=admin)
    cursor = first.json["pagination"]["nextCursor"]
    second = api.get(f"/api/v1/coupons?limit=2&cursor={cursor}", token=admin)
    # THEN every coupon, newest first, across two pages
    assert [c["code"] for c in first.json["data"]] == ["CCC", "BBB"] and first.json["pagination"]["hasNext"]
    assert [c["code"] for c in second.json["data"]] == ["AAA"]


def test_list_filters_by_store_and_status(api: ApiClient, admin: str) -> None:
    # GIVEN one owner's coupons on two stores, one of them deleted
    seller = make_seller()
    second_store = make_seller()
    _create(api, seller.token, _body(seller, code="KEEP"))
    _create(api, seller.token, _body(seller, code="DROP"))
    _create(api, second_store.token, _body(second_store, code="ELSEWHERE"))
    assert api.delete("/api/v1/coupons/DROP", token=seller.token).status == 200
    # WHEN listing without a status, with status=deleted, and an admin by store
    default = api.get("/api/v1/coupons", token=seller.token).json["data"]
    deleted = api.get("/api/v1/coupons?status=deleted", token=seller.token).json["data"]
    by_store = api.get(f"/api/v1/coupons?storeId={seller.store.store_id}&status=active", token=admin).json["data"]
    # THEN deleted ones are left out unless asked for; the store filter keeps that store's only
    assert [c["code"] for c in default] == ["KEEP"]
    assert [(c["code"], c["status"]) for c in deleted] == [("DROP", "deleted")]
    assert [c["code"] for c in by_store] == ["KEEP"]


def test_list_costs_one_query_whatever_the_table_holds(api: ApiClient, admin: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # GIVEN a few coupons
    seller = make_seller()
    for n in range(4):
        _create(api, seller.token, _body(seller, code=f"C{n}XX"))
    # WHEN the owner and the admin list, filtered or not
    with count_dynamodb_calls(monkeypatch) as owner_calls:
        api.get(f"/api/v1/coupons?limit=2&storeId={seller.store.store_id}", token=seller.token)
    with count_dynamodb_calls(monkeypatch) as admin_calls:
        api.get("/api/v1/coupons?status=active", token=admin)
    # THEN one Query each (plus the session lookup of the token)
    assert owner_calls["Query"] == 1 and admin_calls["Query"] == 1
    assert "Scan" not in owner_calls and set(owner_calls) <= {"Query", "GetItem"}


def test_a_cursor_from_another_list_is_400(api: ApiClient, admin: str) -> None:
    # GIVEN an admin's cursor over every coupon
    seller = make_seller()
    for code in ("ONE", "TWO"):
        _create(api, seller.token, _body(seller, code=code))
    cursor = api.get("/api/v1/coupons?limit=1", token=admin).json["pagination"]["nextCursor"]
    # WHEN the store owner sends it
    response = api.get(f"/api/v1/coupons?cursor={cursor}", token=seller.token)
    # THEN 400 on the cursor
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "cursor"


def test_list_validation_auth_and_roles(api: ApiClient) -> None:
    seller = make_seller()
    assert_error(api.get("/api/v1/coupons?status=expired", token=seller.token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/coupons?limit=101", token=seller.token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/coupons"), 401, "UNAUTHORIZED")
    courier = token_for(create_user("courier"))
    assert_error(api.get("/api/v1/coupons", token=courier), 403, "FORBIDDEN")


# --- PATCH a coupon


def test_owner_updates_value_limits_and_dates(api: ApiClient) -> None:
    # GIVEN an owner's coupon
    seller = make_seller()
    created = _create(api, seller.token, _body(seller))
    # WHEN they change the value, remove the per-user limit and move the end date (code in any case)
    response = api.patch("/api/v1/coupons/spring-10", token=seller.token,
                         json_body={"value": 15, "perUserLimit": None, "endsAt": "2030-03-01T00:00:00Z",
                                    "minSubtotal": _usd(0)})  # fmt: skip
    # THEN the coupon says so, the rest unchanged
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["value"], data["perUserLimit"], data["minSubtotal"], data["maxUses"]) == (15, None, None, 100)
    assert data["endsAt"].startswith("2030-03-01") and data["startsAt"] == created["startsAt"]
    assert data["updatedAt"] >= created["updatedAt"]
    # AND the table holds the new version and an audit record with before/after
    stored = _stored("SPRING-10")
    assert int(stored.value) == 15 and stored.per_user_limit is None and stored.version == 2
    record = next(r for r in AuditRecord.gsi2.query(audit_keys.audit_resource("coupon", "SPRING-10"))
                  if r.action == "coupon.update")  # fmt: skip
    assert record.before["value"] == 10 and record.after["value"] == 15


def test_admin_updates_any_coupon(api: ApiClient, admin: str) -> None:
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    response = api.patch("/api/v1/coupons/SPRING-10", token=admin, json_body={"maxUses": None})
    assert response.status == 200, response.body
    assert response.json["data"]["maxUses"] is None and _stored("SPRING-10").max_uses is None


def test_max_uses_cannot_go_below_the_uses_counted(api: ApiClient) -> None:
    # GIVEN a coupon used three times
    seller = make_seller()
    _create(api, seller.token, _body(seller, perUserLimit=None))
    coupon = _stored("SPRING-10")
    for user in ("u1", "u2", "u3"):
        with WriteTransaction() as tx:
            coupons.use_coupon(tx, coupon, user)
    # WHEN the owner sets maxUses to 2, then to 3
    below = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"maxUses": 2})
    at = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"maxUses": 3})
    # THEN 2 is refused (422), 3 is accepted, and the uses stay counted through the versioned save
    assert_error(below, 422, "UNPROCESSABLE_ENTITY")
    assert at.status == 200, at.body
    assert (at.json["data"]["maxUses"], at.json["data"]["uses"]) == (3, 3)
    stored = _stored("SPRING-10")
    assert (int(stored.max_uses), int(stored.uses)) == (3, 3)
    # AND the coupon is now used up for the next customer
    assert coupon_problem(stored, SOON + timedelta(days=1)) == "This coupon has been used up."


def test_an_update_after_a_use_keeps_the_use(api: ApiClient) -> None:
    # GIVEN a coupon used once after the route could have read it (version bumped by the use)
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    with WriteTransaction() as tx:
        coupons.use_coupon(tx, _stored("SPRING-10"), "u1")
    # WHEN the owner changes the value
    response = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"value": 20})
    # THEN the use is still counted
    assert response.status == 200, response.body
    stored = _stored("SPRING-10")
    assert (int(stored.value), int(stored.uses)) == (20, 1)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"value": 101}, "value"),
        ({"value": None}, "value"),
        ({"value": _usd(15)}, "value"),
        ({"minSubtotal": 100}, "minSubtotal"),
        ({"minSubtotal": _usd(100, "eur")}, "minSubtotal.currency"),
        ({"code": "OTHER"}, "code"),
        ({"type": "fixed"}, "type"),
        ({"storeId": "x"}, "storeId"),
        ({"maxUses": 0}, "maxUses"),
        ({"endsAt": "2029-06-01T00:00:00Z"}, "endsAt"),
        ({"startsAt": "2030-02-01T00:00:00Z"}, "endsAt"),
    ],
)  # fmt: skip
def test_invalid_patches_are_400(api: ApiClient, patch: dict[str, Any], field: str) -> None:
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    response = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body=patch)
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload
    stored = _stored("SPRING-10")
    assert (stored.code, stored.type, int(stored.value), stored.version) == ("SPRING-10", "percent", 10, 1)


def test_a_fixed_coupons_value_is_patched_as_money_in_its_currency(api: ApiClient) -> None:
    # GIVEN a fixed 5.00 EUR coupon
    seller = make_seller(currency="eur")
    _create(api, seller.token, _body(seller, type="fixed", value=_usd(500, "eur"), minSubtotal=None))
    # WHEN the value is changed in usd, as a bare number, then in eur
    usd = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"value": _usd(700)})
    bare = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"value": 700})
    eur = api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"value": _usd(700, "eur")})
    # THEN only Money in eur is taken
    assert [d["field"] for d in assert_error(usd, 400, "VALIDATION_ERROR")["error"]["details"]] == ["value.currency"]
    assert [d["field"] for d in assert_error(bare, 400, "VALIDATION_ERROR")["error"]["details"]] == ["value"]
    assert eur.status == 200, eur.body
    assert eur.json["data"]["value"] == _usd(700, "eur") and int(_stored("SPRING-10").value) == 700


def test_empty_patch_is_400(api: ApiClient) -> None:
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    assert_error(api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={}), 400, "VALIDATION_ERROR")


def test_another_owners_coupon_is_not_found(api: ApiClient) -> None:
    # GIVEN a coupon of one owner
    seller, other = make_seller(), make_seller()
    _create(api, seller.token, _body(seller))
    # WHEN another owner updates or deletes it
    patched = api.patch("/api/v1/coupons/SPRING-10", token=other.token, json_body={"value": 90})
    deleted = api.delete("/api/v1/coupons/SPRING-10", token=other.token)
    # THEN 404 both times and nothing changed
    assert_error(patched, 404, "NOT_FOUND")
    assert_error(deleted, 404, "NOT_FOUND")
    stored = _stored("SPRING-10")
    assert (int(stored.value), stored.status) == (10, "active")


def test_unknown_coupon_is_not_found(api: ApiClient, admin: str) -> None:
    assert_error(api.patch("/api/v1/coupons/NOPE", token=admin, json_body={"value": 5}), 404, "NOT_FOUND")
    assert_error(api.delete("/api/v1/coupons/NOPE", token=admin), 404, "NOT_FOUND")


def test_update_and_delete_need_a_token_and_a_role(api: ApiClient) -> None:
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    customer = token_for(create_user("customer"))
    assert_error(api.patch("/api/v1/coupons/SPRING-10", json_body={"value": 5}), 401, "UNAUTHORIZED")
    assert_error(api.delete("/api/v1/coupons/SPRING-10"), 401, "UNAUTHORIZED")
    assert_error(api.patch("/api/v1/coupons/SPRING-10", token=customer, json_body={"value": 5}), 403, "FORBIDDEN")
    assert_error(api.delete("/api/v1/coupons/SPRING-10", token=customer), 403, "FORBIDDEN")
    assert _stored("SPRING-10").status == "active"


# --- DELETE a coupon


def test_delete_is_soft_and_the_code_stays_taken(api: ApiClient) -> None:
    # GIVEN an owner's coupon held in a cart
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    # WHEN the owner deletes it
    response = api.delete("/api/v1/coupons/SPRING-10", token=seller.token)
    # THEN it is marked deleted, not removed, and audited
    assert response.status == 200, response.body
    assert response.json["data"]["status"] == "deleted"
    stored = _stored("SPRING-10")
    assert stored.status == "deleted"
    assert _audit_actions("SPRING-10") == ["coupon.create", "coupon.delete"]
    # AND carts holding it say it does not exist
    assert coupon_problem(stored, SOON + timedelta(days=1)) == "This coupon does not exist."
    # AND it cannot be recreated with another meaning, updated or deleted again
    recreate = api.post("/api/v1/coupons", json_body=_body(seller, value=90), token=seller.token)
    assert_error(recreate, 409, "DUPLICATE_ENTRY")
    assert_error(api.patch("/api/v1/coupons/SPRING-10", token=seller.token, json_body={"value": 5}), 404, "NOT_FOUND")
    assert_error(api.delete("/api/v1/coupons/SPRING-10", token=seller.token), 404, "NOT_FOUND")
    assert int(_stored("SPRING-10").value) == 10


def test_admin_deletes_any_coupon(api: ApiClient, admin: str) -> None:
    seller = make_seller()
    _create(api, seller.token, _body(seller))
    response = api.delete("/api/v1/coupons/spring-10", token=admin)
    assert response.status == 200, response.body
    assert _stored("SPRING-10").status == "deleted"
