"""The resolver factory, envelope, error map and cursors, without AWS."""

from __future__ import annotations

import base64
import json

import pytest
from pydantic import Field

from infra.local.events import api_event
from souk.http import CamelModel, Envelope, create_app, ok
from souk.http import errors as e
from souk.http.pagination import decode_cursor, encode_cursor


class Greeting(CamelModel):
    display_name: str = Field(min_length=2)


def _app():
    app = create_app()

    @app.post("/api/greet", status_code=201)
    def greet(body: Greeting) -> Envelope[Greeting]:
        if body.display_name == "taken":
            raise e.DuplicateEntry("That name is taken.")
        if body.display_name == "crash":
            raise RuntimeError("database password is hunter2")
        return ok(body)

    @app.get("/api/broken")
    def broken() -> Envelope[Greeting]:
        return ok({"unexpected": True})  # breaks its own schema

    return app


def _call(app, method: str, path: str, body: bytes | None = None, content_type: str = "application/json") -> dict:
    event = api_event(method, path, path, headers={"Content-Type": content_type}, body=body)
    result = app.resolve(event, None)
    result["json"] = json.loads(result["body"])
    result["requestId"] = event["requestContext"]["requestId"]
    return result


def test_success_is_wrapped_in_the_envelope_with_camel_case() -> None:
    result = _call(_app(), "POST", "/api/greet", b'{"displayName": "Ada"}')
    assert result["statusCode"] == 201
    assert result["json"]["success"] is True
    assert result["json"]["data"] == {"displayName": "Ada"}
    assert result["json"]["meta"]["requestId"] == result["requestId"]
    assert result["multiValueHeaders"]["X-Request-Id"] == [result["requestId"]]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"displayName": "A"}', 400, "VALIDATION_ERROR"),
        (b"{}", 400, "VALIDATION_ERROR"),
        (b"{not json", 400, "BAD_REQUEST"),
        (b'{"displayName": "taken"}', 409, "DUPLICATE_ENTRY"),
        (b'{"displayName": "crash"}', 500, "INTERNAL_ERROR"),
    ],
)
def test_errors_use_the_contract_codes(body: bytes, status: int, code: str) -> None:
    result = _call(_app(), "POST", "/api/greet", body)
    assert result["statusCode"] == status
    assert result["json"]["success"] is False
    assert result["json"]["error"]["code"] == code
    assert result["json"]["meta"]["requestId"] == result["requestId"]


def test_validation_error_names_the_field() -> None:
    result = _call(_app(), "POST", "/api/greet", b'{"displayName": "A"}')
    assert result["json"]["error"]["details"][0]["field"] == "displayName"


def test_internal_errors_reveal_nothing() -> None:
    result = _call(_app(), "POST", "/api/greet", b'{"displayName": "crash"}')
    assert "hunter2" not in result["body"]
    assert "Traceback" not in result["body"]


def test_non_utf8_base64_body_is_400_not_500() -> None:
    app = _app()
    event = api_event("POST", "/api/greet", "/api/greet", headers={"Content-Type": "application/json"})
    event["body"], event["isBase64Encoded"] = base64.b64encode(b"\xff\xfe\xfd").decode(), True
    result = app.resolve(event, None)
    assert result["statusCode"] == 400
    assert json.loads(result["body"])["error"]["code"] == "BAD_REQUEST"


def test_wrong_content_type_is_400() -> None:
    result = _call(_app(), "POST", "/api/greet", b"displayName=Ada", content_type="text/csv")
    assert result["statusCode"] == 400
    assert result["json"]["error"]["code"] == "BAD_REQUEST"


def test_body_over_the_app_limit_is_413(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_BODY_BYTES", "10")
    from souk.settings import get_settings

    get_settings.cache_clear()
    try:
        result = _call(_app(), "POST", "/api/greet", b'{"displayName": "Ada Lovelace"}')
    finally:
        get_settings.cache_clear()
    assert result["statusCode"] == 413
    assert result["json"]["error"]["code"] == "PAYLOAD_TOO_LARGE"


def test_a_response_breaking_its_schema_is_a_500_not_a_client_error() -> None:
    result = _call(_app(), "GET", "/api/broken")
    assert result["statusCode"] == 500
    assert result["json"]["error"]["code"] == "INTERNAL_ERROR"


def test_rate_limit_error_carries_retry_headers() -> None:
    error = e.RateLimitExceeded(30, limit=5, reset_epoch=1000)
    assert error.status == 429 and error.code == "RATE_LIMIT_EXCEEDED"
    assert error.headers["Retry-After"] == "30" and error.headers["X-RateLimit-Remaining"] == "0"


def test_every_contract_code_has_one_error_class() -> None:
    codes = {cls.code for cls in e.ALL_ERRORS}
    expected = {
        "VALIDATION_ERROR", "BAD_REQUEST", "UNAUTHORIZED", "INVALID_TOKEN", "INVALID_CREDENTIALS", "MFA_REQUIRED",
        "FORBIDDEN", "ACCOUNT_SUSPENDED", "ACCOUNT_NOT_VERIFIED", "NOT_FOUND", "CONFLICT", "DUPLICATE_ENTRY",
        "IDEMPOTENCY_CONFLICT", "INSUFFICIENT_STOCK", "INSUFFICIENT_FUNDS", "INVALID_STATE", "PAYLOAD_TOO_LARGE",
        "UNPROCESSABLE_ENTITY", "RATE_LIMIT_EXCEEDED", "INTERNAL_ERROR", "UPSTREAM_ERROR", "SERVICE_UNAVAILABLE",
    }  # fmt: skip
    assert codes == expected


def test_cursor_round_trips_and_rejects_tampering() -> None:
    key = {"pk": {"S": "USER#1"}, "sk": {"S": "PROFILE"}}
    cursor = encode_cursor(key)
    assert cursor is not None and decode_cursor(cursor) == key
    assert encode_cursor(None) is None and decode_cursor(None) is None
    forged = base64.urlsafe_b64encode(json.dumps({"k": {"pk": {"S": "USER#2"}}, "s": "0" * 32}).encode()).decode()
    for bad in (forged, "not-a-cursor", cursor[:-3]):
        with pytest.raises(e.ValidationFailed) as raised:
            decode_cursor(bad)
        expected = [{"field": "cursor", "message": "The cursor is invalid; start again without it."}]
        assert raised.value.details == expected
