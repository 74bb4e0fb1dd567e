"""Delivery addresses: list, create, update, delete; one default; at most 20 per user."""

from __future__ import annotations

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.identity import keys as identity_keys
from souk.identity.models import Address, AddressBook
from tests.factories import create_user, token_for
from tests.support import ApiClient, assert_error

HOME = {"label": "Home", "line1": "12 Corniche Rd", "city": "Alexandria", "country": "eg", "lat": 31.2, "lng": 29.9}


def audit_actions(resource_type: str, resource_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource(resource_type, resource_id))]


def _add(api: ApiClient, token: str, **fields: object):
    return api.post("/api/v1/addresses", json_body={**HOME, **fields}, token=token)


def _defaults(api: ApiClient, token: str) -> list[str]:
    return [a["id"] for a in api.get("/api/v1/addresses", token=token).json["data"] if a["isDefault"]]


def test_create_the_first_address_makes_it_the_default(api: ApiClient) -> None:
    # GIVEN a user without addresses
    user = create_user()
    token = token_for(user)
    # WHEN adding one without isDefault
    response = _add(api, token, line2="Flat 3", postalCode="21500")
    # THEN it is created, normalised, and is the default
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data["isDefault"] is True and data["country"] == "EG" and data["line2"] == "Flat 3"
    assert (data["lat"], data["lng"]) == (31.2, 29.9)
    stored = Address.get(identity_keys.user(user.user_id), identity_keys.address(data["id"]))
    assert stored.user_id == user.user_id and stored.postal_code == "21500"
    assert AddressBook.get(identity_keys.user(user.user_id), identity_keys.ADDRESS_BOOK).default_id == data["id"]
    assert audit_actions("address", data["id"]) == ["address.create"]


def test_a_new_default_unsets_the_previous_one(api: ApiClient) -> None:
    token = token_for(create_user())
    first = _add(api, token).json["data"]
    second = _add(api, token, label="Work").json["data"]
    assert second["isDefault"] is False and _defaults(api, token) == [first["id"]]
    # WHEN a third one is created as the default
    third = _add(api, token, label="Gym", isDefault=True).json["data"]
    # THEN it is the only default
    assert _defaults(api, token) == [third["id"]]


def test_list_is_own_addresses_oldest_first_with_cursor_pages(api: ApiClient) -> None:
    # GIVEN three addresses of mine and one of someone else
    user, other = create_user(), create_user()
    token = token_for(user)
    mine = [_add(api, token, label=f"A{i}").json["data"]["id"] for i in range(3)]
    _add(api, token_for(other))
    # WHEN listing two at a time
    first = api.get("/api/v1/addresses?limit=2", token=token)
    cursor = first.json["pagination"]["nextCursor"]
    second = api.get(f"/api/v1/addresses?limit=2&cursor={cursor}", token=token)
    # THEN the pages are disjoint, in creation order, and only mine
    assert first.status == 200 and first.json["pagination"]["hasNext"] is True
    ids = [a["id"] for a in first.json["data"]] + [a["id"] for a in second.json["data"]]
    assert ids == mine
    assert second.json["pagination"]["hasNext"] is False


def test_update_fields_and_move_the_default(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    home = _add(api, token).json["data"]
    work = _add(api, token, label="Work").json["data"]
    # WHEN the second address is edited and made the default
    body = {"label": "Office", "line2": "Floor 4", "isDefault": True}
    response = api.patch(f"/api/v1/addresses/{work['id']}", json_body=body, token=token)
    # THEN it changed, and it is the only default
    assert response.status == 200, response.body
    assert response.json["data"]["label"] == "Office" and response.json["data"]["isDefault"] is True
    assert _defaults(api, token) == [work["id"]]
    assert Address.get(identity_keys.user(user.user_id), identity_keys.address(home["id"])).is_default is False
    assert AddressBook.get(identity_keys.user(user.user_id), identity_keys.ADDRESS_BOOK).default_id == work["id"]
    # AND a nullable field can be cleared
    cleared = api.patch(f"/api/v1/addresses/{work['id']}", json_body={"line2": None}, token=token)
    assert cleared.json["data"]["line2"] is None
    assert audit_actions("address", work["id"]) == ["address.create", "address.update", "address.update"]


def test_unsetting_the_default_is_422(api: ApiClient) -> None:
    token = token_for(create_user())
    home = _add(api, token).json["data"]
    response = api.patch(f"/api/v1/addresses/{home['id']}", json_body={"isDefault": False}, token=token)
    assert_error(response, 422, "UNPROCESSABLE_ENTITY")
    assert _defaults(api, token) == [home["id"]]


def test_deleting_the_default_promotes_the_oldest_remaining(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    first, second, third = (_add(api, token, label=f"A{i}").json["data"] for i in range(3))
    api.patch(f"/api/v1/addresses/{third['id']}", json_body={"isDefault": True}, token=token)
    # WHEN the default is deleted
    response = api.delete(f"/api/v1/addresses/{third['id']}", token=token)
    # THEN it is gone and the oldest remaining one is the default
    assert response.status == 200 and response.json["data"] == {"id": third["id"], "deleted": True}
    assert _defaults(api, token) == [first["id"]]
    book = AddressBook.get(identity_keys.user(user.user_id), identity_keys.ADDRESS_BOOK)
    assert (book.address_count, book.default_id) == (2, first["id"])
    # AND deleting a non-default address keeps the default
    api.delete(f"/api/v1/addresses/{second['id']}", token=token)
    assert _defaults(api, token) == [first["id"]]
    # AND deleting the last one leaves no default
    api.delete(f"/api/v1/addresses/{first['id']}", token=token)
    book = AddressBook.get(identity_keys.user(user.user_id), identity_keys.ADDRESS_BOOK)
    assert (book.address_count, book.default_id) == (0, None)
    assert api.get("/api/v1/addresses", token=token).json["data"] == []
    assert audit_actions("address", third["id"])[-1] == "address.delete"


def test_at_most_twenty_addresses(api: ApiClient) -> None:
    # GIVEN a user with 20 addresses
    token = token_for(create_user())
    ids = [_add(api, token, label=f"A{i}").json["data"]["id"] for i in range(20)]
    # THEN a 21st is refused
    assert_error(_add(api, token, label="One too many"), 422, "UNPROCESSABLE_ENTITY")
    # AND after deleting one there is room again
    api.delete(f"/api/v1/addresses/{ids[5]}", token=token)
    assert _add(api, token, label="Fits").status == 201


def test_another_users_address_is_404(api: ApiClient) -> None:
    owner, other, admin = create_user(), create_user(), create_user("admin")
    home = _add(api, token_for(owner)).json["data"]
    for token in (token_for(other), token_for(admin)):  # addresses are own-only, admins included
        assert_error(api.patch(f"/api/v1/addresses/{home['id']}", json_body={"label": "Mine"}, token=token),
                     404, "NOT_FOUND")  # fmt: skip
        assert_error(api.delete(f"/api/v1/addresses/{home['id']}", token=token), 404, "NOT_FOUND")
    assert Address.get(identity_keys.user(owner.user_id), identity_keys.address(home["id"])).label == "Home"


def test_create_validation_names_each_bad_field(api: ApiClient) -> None:
    token = token_for(create_user())
    without_label = {k: v for k, v in HOME.items() if k != "label"}
    cases = [({"country": "XX"}, "country"), ({"country": "EGY"}, "country"), ({"lat": 90.5}, "lat"),
             ({"lat": -91}, "lat"), ({"lng": 180.1}, "lng"), ({"lng": "east"}, "lng"), ({"line1": "   "}, "line1"),
             ({"city": ""}, "city"), ({"label": "x" * 51}, "label"), ({"postalCode": "x" * 21}, "postalCode"),
             ({"isDefault": "perhaps"}, "isDefault")]  # fmt: skip
    for fields, field in cases:
        payload = assert_error(_add(api, token, **fields), 400, "VALIDATION_ERROR")
        assert [d["field"] for d in payload["error"]["details"]] == [field], fields
    missing = api.post("/api/v1/addresses", json_body=without_label, token=token)
    assert [d["field"] for d in assert_error(missing, 400, "VALIDATION_ERROR")["error"]["details"]] == ["label"]
    assert api.get("/api/v1/addresses", token=token).json["data"] == []


def test_update_validation_names_each_bad_field(api: ApiClient) -> None:
    token = token_for(create_user())
    home = _add(api, token).json["data"]
    cases = [({}, "body"), ({"label": None}, "label"), ({"country": None}, "country"), ({"lat": None}, "lat"),
             ({"country": "ZZ"}, "country"), ({"lng": -200}, "lng"), ({"isDefault": None}, "isDefault")]  # fmt: skip
    for body, field in cases:
        payload = assert_error(api.patch(f"/api/v1/addresses/{home['id']}", json_body=body, token=token),
                               400, "VALIDATION_ERROR")  # fmt: skip
        assert [d["field"] for d in payload["error"]["details"]] == [field], body


def test_addresses_need_a_valid_token(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/addresses"), 401, "UNAUTHORIZED")
    assert_error(api.post("/api/v1/addresses", json_body=HOME), 401, "UNAUTHORIZED")
    assert_error(api.patch("/api/v1/addresses/01X", json_body={"label": "x"}), 401, "UNAUTHORIZED")
    assert_error(api.delete("/api/v1/addresses/01X"), 401, "UNAUTHORIZED")
    for call in (lambda: api.get("/api/v1/addresses", token="bad"),
                 lambda: api.post("/api/v1/addresses", json_body=HOME, token="bad"),
                 lambda: api.patch("/api/v1/addresses/01X", json_body={"label": "x"}, token="bad"),
                 lambda: api.delete("/api/v1/addresses/01X", token="bad")):  # fmt: skip
        assert_error(call(), 401, "INVALID_TOKEN")


def test_addresses_work_with_an_api_key_too(api: ApiClient) -> None:
    user = create_user()
    key = api.post("/api/v1/api-keys", json_body={"name": "shop"}, token=token_for(user)).json["data"]["key"]
    # WHEN an address is added with the key
    created = api.post("/api/v1/addresses", json_body=HOME, headers={"X-Api-Key": key})
    # THEN it belongs to the key's owner
    assert created.status == 201, created.body
    assert (
        Address.get(identity_keys.user(user.user_id), identity_keys.address(created.json["data"]["id"])).user_id
        == user.user_id
    )
    listed = api.get("/api/v1/addresses", token=token_for(user)).json["data"]
    assert [a["id"] for a in listed] == [created.json["data"]["id"]]
