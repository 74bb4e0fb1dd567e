"""The resolver factory, envelope, error map and cursors, without AWS."""

from __future__ import annotations

import base64
import json

import pytest
from aws_lambda_powertools.event_handler import Response
from pydantic import Field

from infra.local.events import api_event
from souk import errors as e
from souk.db.paging import decode_cursor, encode_cursor
from souk.http import Envelope, create_app, ok
from souk.schema import CamelModel


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


@pytest.mark.parametrize("content_type", ["multipart/form-data", "multipart/form-data; boundary=x",
                                          "application/x-www-form-urlencoded"])  # fmt: skip
def test_form_bodies_are_400_before_powertools_parses_them(content_type: str) -> None:
    # A multipart type without a boundary used to raise inside Powertools' parser: a 500.
    result = _call(_app(), "POST", "/api/greet", b'{"displayName": "Ada"}', content_type=content_type)
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


# ---------------------------------------------------------------- the request-parsing guard


def test_depth_is_counted_outside_strings_only() -> None:
    from souk.safe_json import MAX_DEPTH, too_deep

    assert not too_deep("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    assert too_deep("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    # brackets in strings, escaped quotes included, are text
    assert not too_deep('{"a": "' + '\\"[' * 1000 + '"}')
    assert too_deep('{"a": "\\"", "b": ' + "{" * 40 + "}" * 40 + "}")
    assert too_deep("[" * 100_000 + "]" * 100_000)


def test_numbers_are_bounded_and_finite() -> None:
    from souk.safe_json import parse_json

    assert parse_json('{"n": ' + "9" * 30 + ', "f": -1.5e10}') == {"n": int("9" * 30), "f": -1.5e10}
    for bad, field in (('{"n": ' + "9" * 31 + "}", "n"), ('{"a": [1, 1e999]}', "a.1"), ('{"x": {"y": NaN}}', "x.y"),
                       ('[-Infinity]', "0"), ('{"f": 0.' + "1" * 60 + "}", "f"), ("1" * 5000, "body")):  # fmt: skip
        with pytest.raises(e.ValidationFailed) as refused:
            parse_json(bad)
        assert [d["field"] for d in refused.value.details or []] == [field], bad


def test_control_characters_are_refused_with_their_path_unless_turned_off() -> None:
    from souk.safe_json import parse_json

    document = '{"items": [{"name": "ok"}, {"name": "a\\u0000b"}], "note": "line\\none\\ttab\\r"}'
    with pytest.raises(e.ValidationFailed) as refused:
        parse_json(document)
    assert refused.value.details == [{"field": "items.1.name", "message": "Control characters are not allowed."}]
    assert parse_json(document, controls=False)["items"][1]["name"] == "a\x00b"
    assert parse_json('{"note": "line\\none\\ttab\\r"}') == {"note": "line\none\ttab\r"}


def test_a_too_deep_body_is_400_through_the_resolver() -> None:
    result = _call(_app(), "POST", "/api/greet", b'{"displayName": ' + b"[" * 5000 + b"]" * 5000 + b"}")
    assert (result["statusCode"], result["json"]["error"]["code"]) == (400, "BAD_REQUEST")


def test_one_line_text_refuses_line_breaks_and_multi_line_text_keeps_them() -> None:
    from pydantic import ValidationError

    from souk.schema import OneLineText

    class Note(CamelModel):
        title: OneLineText
        body: str

    assert Note(title="Hi", body="a\nb\tc").body == "a\nb\tc"
    for title in ("a\nb", "a\tb", "a\rb", "a\x00b", "a\x85b"):
        with pytest.raises(ValidationError):
            Note(title=title, body="")


# ---------------------------------------------------------------- security headers and CORS


def _cached_app():
    app = create_app()

    @app.get("/api/public")
    def public() -> Response[str]:
        return Response(status_code=200, content_type="application/json", body="{}",
                        headers={"Cache-Control": "public, max-age=60"})  # fmt: skip

    return app


def _headers(result: dict) -> dict[str, str]:
    return {name: ", ".join(values) for name, values in result["multiValueHeaders"].items()}


def test_every_answer_carries_the_security_headers() -> None:
    app = _app()
    answers = [_call(app, "POST", "/api/greet", b'{"displayName": "Ada"}'),  # success
               _call(app, "POST", "/api/greet", b"{"),  # error from the resolver
               _call(app, "GET", "/api/nothing")]  # fmt: skip
    for result in answers:
        headers = _headers(result)
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Cache-Control"] == "no-store"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_a_route_that_sets_its_own_caching_keeps_it() -> None:
    headers = _headers(_call(_cached_app(), "GET", "/api/public"))
    assert headers["Cache-Control"] == "public, max-age=60"
    assert headers["X-Content-Type-Options"] == "nosniff"


def _cors(app, method: str, path: str, origin: str | None, **headers: str) -> dict[str, str]:
    sent = {"Content-Type": "application/json", **headers}
    if origin is not None:
        sent["Origin"] = origin
    body = b'{"displayName": "Ada"}' if method == "POST" else None
    return _headers(app.resolve(api_event(method, path, path, headers=sent, body=body), None))


@pytest.fixture
def origins(monkeypatch: pytest.MonkeyPatch):
    from souk.settings import get_settings

    def configure(listed: str) -> None:
        monkeypatch.setenv("APP_URL", "https://app.souk.example/reset")
        monkeypatch.setenv("CORS_ALLOW_ORIGINS", listed)
        get_settings.cache_clear()

    yield configure
    get_settings.cache_clear()


def test_cors_echoes_only_listed_origins_never_null(origins) -> None:
    # GIVEN the app's origin and one more listed
    origins("https://admin.souk.example, null")
    app = _app()
    # THEN listed origins are echoed, the app's own included
    for allowed in ("https://app.souk.example", "https://admin.souk.example"):
        headers = _cors(app, "POST", "/api/greet", allowed)
        assert headers["Access-Control-Allow-Origin"] == allowed
        assert headers["Vary"] == "Origin"
        assert "Access-Control-Allow-Credentials" not in headers
    # AND a foreign origin, "null" (even listed), a near miss and no Origin get no CORS header
    for refused in ("https://evil.example", "null", "https://app.souk.example.evil.example", None):
        assert "Access-Control-Allow-Origin" not in _cors(app, "POST", "/api/greet", refused)


def test_a_star_is_for_public_reads_only(origins) -> None:
    # GIVEN "*" in the list
    origins("*")
    # WHEN a foreign page reads a public route without credentials
    public = _cors(_cached_app(), "GET", "/api/public", "https://blog.example")
    # THEN "*", never the echoed origin, never with credentials
    assert public["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in public
    # BUT with a token, an API key or a cart token, or on a POST, it gets nothing
    for credential in ({"Authorization": "Bearer x"}, {"X-Api-Key": "k"}, {"X-Cart-Token": "t"}):
        assert "Access-Control-Allow-Origin" not in _cors(_cached_app(), "GET", "/api/public", "https://blog.example",
                                                          **credential)  # fmt: skip
    assert "Access-Control-Allow-Origin" not in _cors(_app(), "POST", "/api/greet", "https://blog.example")
    assert "Access-Control-Allow-Origin" not in _cors(_cached_app(), "GET", "/api/public", "null")


def test_a_body_refused_before_routing_has_the_same_headers(origins, monkeypatch: pytest.MonkeyPatch) -> None:
    origins("")
    monkeypatch.setenv("MAX_BODY_BYTES", "10")
    from souk.settings import get_settings

    get_settings.cache_clear()
    headers = _cors(_app(), "POST", "/api/greet", "https://app.souk.example")
    assert headers["Access-Control-Allow-Origin"] == "https://app.souk.example"
    assert headers["X-Content-Type-Options"] == "nosniff" and headers["Cache-Control"] == "no-store"
    assert "Access-Control-Allow-Origin" not in _cors(_app(), "POST", "/api/greet", "https://evil.example")


@pytest.mark.parametrize("raw", [b"[" * 1500, b'{"k": ' + b"9" * 1500 + b"}", b"\xff\xfe", b"[1, 2]"],
                         ids=["deep", "huge-int", "not-utf8", "array"])  # fmt: skip
def test_a_hostile_cursor_is_a_400_on_cursor(raw: bytes) -> None:
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    with pytest.raises(e.ValidationFailed) as refused:
        decode_cursor(cursor)
    assert [d["field"] for d in refused.value.details or []] == ["cursor"]
