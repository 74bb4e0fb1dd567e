"""The request-parsing guard (souk.http.guard) on real routes: what an attacker or a fuzzer sends gets a 400."""

from __future__ import annotations

from logging import LogRecord

import pytest

from tests.factories import create_user, token_for
from tests.functional.conftest import tracebacks
from tests.functional.product_support import make_category
from tests.support import ApiClient, assert_error

JSON = {"Content-Type": "application/json"}
REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def _post(api: ApiClient, path: str, body: str | bytes, token: str | None = None):
    raw = body.encode() if isinstance(body, str) else body
    return api.post(path, body=raw, headers=dict(JSON), token=token)


def _field(payload: dict) -> list[str]:
    return [d["field"] for d in payload["error"].get("details") or []]


# ---------------------------------------------------------------- nesting


@pytest.mark.parametrize("path", [LOGIN, REGISTER])
@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_400_and_logs_no_traceback(
    api: ApiClient, layer_logs: list[LogRecord], path: str, depth: int
) -> None:
    # GIVEN a body nesting arrays `depth` levels deep, at the top and inside a field
    for body in ("[" * depth + "]" * depth, '{"email": ' + "[" * depth + "]" * depth + "}"):
        # WHEN it is posted to a public route
        response = _post(api, path, body)
        # THEN 400 BAD_REQUEST, and no traceback (RecursionError) reached the log
        payload = assert_error(response, 400, "BAD_REQUEST")
        assert "deeper than 32" in payload["error"]["message"]
    assert tracebacks(layer_logs) == []


def test_brackets_inside_strings_do_not_count_as_nesting(api: ApiClient) -> None:
    # GIVEN a name made of 100 brackets: text, not structure
    body = {"email": "brackets@example.com", "password": "Sparkling-Otter-42", "name": "[" * 50 + "{" * 50}
    # WHEN registering
    response = api.post(REGISTER, json_body=body)
    # THEN it is accepted
    assert response.status == 201, response.body


def test_nesting_at_the_limit_is_parsed(api: ApiClient) -> None:
    # GIVEN 32 levels (the limit) in a field: parsed, then refused by the model as a wrong type
    response = _post(api, LOGIN, '{"email": ' + "[" * 31 + "]" * 31 + ', "password": "x"}')
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert "email" in _field(payload)


# ---------------------------------------------------------------- numbers


def test_a_5000_digit_quantity_is_400_on_that_field(api: ApiClient, layer_logs: list[LogRecord]) -> None:
    token = token_for(create_user())
    body = '{"productId": "p1", "variantSku": "S1", "quantity": ' + "9" * 5000 + "}"
    payload = assert_error(_post(api, "/api/v1/cart/items", body, token), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["quantity"]
    assert tracebacks(layer_logs) == []


def test_a_5000_digit_top_up_amount_is_400_on_that_field(api: ApiClient, layer_logs: list[LogRecord]) -> None:
    token = token_for(create_user())
    body = '{"amount": {"amount": ' + "1" * 5000 + ', "currency": "usd"}}'
    payload = assert_error(_post(api, "/api/v1/wallet/top-up", body, token), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["amount.amount"]
    assert tracebacks(layer_logs) == []


@pytest.mark.parametrize(
    "lat",
    ["1" * 5000, "0." + "1" * 5000, "-" + "9" * 31, "1e999", "NaN", "Infinity", "-Infinity"],
    ids=["5000-digit-int", "5000-digit-float", "31-digit-int", "overflowing-float", "nan", "inf", "-inf"],
)
def test_an_unusable_latitude_is_400_on_that_field(api: ApiClient, layer_logs: list[LogRecord], lat: str) -> None:
    token = token_for(create_user())
    body = '{"label": "Home", "line1": "1 Nile St", "city": "Cairo", "country": "EG", "lat": ' + lat + ', "lng": 31.2}'
    payload = assert_error(_post(api, "/api/v1/addresses", body, token), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["lat"]
    assert tracebacks(layer_logs) == []


def test_ordinary_numbers_still_pass(api: ApiClient) -> None:
    token = token_for(create_user())
    body = {"label": "Home", "line1": "1 Nile St", "city": "Cairo", "country": "EG", "lat": 30.0444, "lng": -31.2357}
    response = api.post("/api/v1/addresses", json_body=body, token=token)
    assert response.status == 201, response.body
    assert (response.json["data"]["lat"], response.json["data"]["lng"]) == (30.0444, -31.2357)


# ---------------------------------------------------------------- the body's JSON type


@pytest.mark.parametrize("body", ["[1, 2]", '"login"', "42", "true"], ids=["array", "string", "number", "bool"])
def test_a_body_that_is_not_an_object_is_400(api: ApiClient, body: str) -> None:
    payload = assert_error(_post(api, LOGIN, body), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"] == [{"field": "body", "message": "Send a JSON object here."}]


def test_a_nested_object_sent_as_an_array_is_400_on_that_field(api: ApiClient) -> None:
    token = token_for(create_user("store_owner"))
    body = {"name": "Corner Shop", "categoryIds": ["c1"], "address": [1, 2]}
    payload = assert_error(api.post("/api/v1/stores", json_body=body, token=token), 400, "VALIDATION_ERROR")
    assert "address" in _field(payload)


# ---------------------------------------------------------------- control characters


@pytest.mark.parametrize("name", ["Ada\u0000", "Ada\u0007Lovelace", "Ada\u007f", "Ada\u0085", "Ada\u009b"],
                         ids=["nul", "bell", "del", "c1-nel", "c1-csi"])  # fmt: skip
def test_control_characters_in_a_name_are_400(api: ApiClient, name: str) -> None:
    body = {"email": "ada@example.com", "password": "Sparkling-Otter-42", "name": name}
    payload = assert_error(api.post(REGISTER, json_body=body), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["name"]


@pytest.mark.parametrize("name", ["Ada\nLovelace", "Ada\tLovelace", "Ada\rLovelace"], ids=["lf", "tab", "cr"])
def test_line_breaks_and_tabs_in_a_single_line_field_are_400(api: ApiClient, name: str) -> None:
    body = {"email": "ada@example.com", "password": "Sparkling-Otter-42", "name": name}
    payload = assert_error(api.post(REGISTER, json_body=body), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["name"]


def test_a_nul_byte_in_an_address_line_is_refused_and_nothing_is_stored(api: ApiClient) -> None:
    user = create_user()
    token = token_for(user)
    body = {"label": "Home", "line1": "1 Nile\u0000 St", "city": "Cairo", "country": "EG", "lat": 30.0, "lng": 31.2}
    payload = assert_error(api.post("/api/v1/addresses", json_body=body, token=token), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["line1"]
    assert api.get("/api/v1/addresses", token=token).json["data"] == []


def test_multi_line_text_keeps_its_newlines_but_not_other_controls(api: ApiClient) -> None:
    # GIVEN a store owner
    token = token_for(create_user("store_owner"))
    category = make_category("Bakery").category_id
    store = {"name": "Corner Shop", "categoryIds": [category], "currency": "usd",
             "address": {"line1": "1 Nile St", "city": "Cairo", "country": "EG", "lat": 30.0, "lng": 31.2}}  # fmt: skip
    # WHEN the description spans lines (with a tab)
    created = api.post("/api/v1/stores", json_body={**store, "description": "Fresh bread.\n\tOpen daily."}, token=token)
    # THEN it is kept as sent
    assert created.status == 201, created.body
    assert created.json["data"]["description"] == "Fresh bread.\n\tOpen daily."
    # WHEN it carries a NUL or a C1 control
    for bad in ("Fresh\u0000bread", "Fresh\u0090bread"):
        refused = api.post("/api/v1/stores", json_body={**store, "name": "Other Shop", "description": bad}, token=token)
        # THEN 400 on that field
        assert _field(assert_error(refused, 400, "VALIDATION_ERROR")) == ["description"]


def test_control_characters_in_a_key_or_a_query_value_are_400(api: ApiClient) -> None:
    payload = assert_error(_post(api, LOGIN, '{"em\\u0000ail": "a@b.co", "password": "x"}'), 400, "VALIDATION_ERROR")
    assert "Control characters" in payload["error"]["details"][0]["message"]
    payload = assert_error(api.get("/api/v1/products?search=br%00ead"), 400, "VALIDATION_ERROR")
    assert _field(payload) == ["search"]
