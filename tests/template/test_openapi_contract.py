"""The committed OpenAPI document says, for every operation, who may call it and every way it can answer.

The route tests (tests.support.assert_documented) check each answer they see against this
document, and schemathesis (make fuzz) does the same with generated requests; these tests
check the document's own shape.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import pytest
from aws_lambda_powertools.event_handler import Depends

from infra import handlers, openapi, template
from souk.http import create_app
from souk.system.service.docs import openapi_document, swagger_page

DOCUMENT: dict[str, Any] = json.loads(openapi_document())
OPERATIONS = [(method.upper(), path, op) for path, item in DOCUMENT["paths"].items() for method, op in item.items()]
ERROR_REF = {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_every_template_route_is_an_operation_except_the_swagger_page() -> None:
    routes = {(r.method, r.path) for r in template.routes()}
    documented = {(method, path) for method, path, _ in OPERATIONS}
    assert routes - documented == {("GET", "/api/docs")}
    assert documented <= routes


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_every_operation_declares_security_and_its_error_statuses(method: str, path: str, operation: dict) -> None:
    responses = operation["responses"]
    # Everyone can send a malformed request, be throttled by the gateway, or meet our failure.
    assert {"400", "429", "500"} <= set(responses)
    for status, response in responses.items():
        if status[0] in "45":
            assert response["content"]["application/json"]["schema"] == ERROR_REF, status
            assert response["description"].replace("_", "").replace(", ", "").isupper(), response["description"]
    assert "security" in operation, "public operations say so with security: []"
    schemes = {name for requirement in operation["security"] for name in requirement}
    if schemes:
        assert schemes == {"bearer", "apiKey"}
        assert "401" in responses
    if "{" in path:
        assert "404" in responses
    if "requestBody" in operation:
        assert "413" in responses
        assert "example" in operation["requestBody"]["content"]["application/json"]


def test_signed_in_only_routes_have_no_anonymous_option_and_public_ones_none() -> None:
    security = {(m, p): op["security"] for m, p, op in OPERATIONS}
    assert security[("GET", "/api/v1/auth/me")] == [{"bearer": []}, {"apiKey": []}]
    assert security[("POST", "/api/v1/auth/login")] == []
    assert security[("POST", "/api/v1/webhooks/stripe")] == []
    # A product is public, but a signed-in owner sees more: anonymous or either scheme.
    assert security[("GET", "/api/v1/products/{productId}")] == [{}, {"bearer": []}, {"apiKey": []}]


def test_role_restricted_routes_document_403() -> None:
    responses = {(m, p): op["responses"] for m, p, op in OPERATIONS}
    assert "FORBIDDEN" in responses[("GET", "/api/v1/users")]["403"]["description"]
    assert "403" not in responses[("GET", "/api/v1/auth/me")]


@pytest.mark.parametrize(
    ("method", "path", "header", "required"),
    [
        ("POST", "/api/v1/orders", "idempotency-key", False),
        ("POST", "/api/v1/wallet/top-up", "idempotency-key", False),
        ("POST", "/api/v1/payments/{paymentId}/refund", "idempotency-key", False),
        ("GET", "/api/v1/cart", "X-Cart-Token", False),
        ("POST", "/api/v1/cart/merge", "X-Cart-Token", True),
        ("POST", "/api/v1/webhooks/stripe", "Stripe-Signature", True),
    ],
)
def test_headers_a_route_reads_are_declared(method: str, path: str, header: str, required: bool) -> None:
    parameters = DOCUMENT["paths"][path][method.lower()]["parameters"]
    found = [p for p in parameters if p["in"] == "header" and p["name"].lower() == header.lower()]
    assert len(found) == 1, parameters
    assert found[0]["required"] is required


def test_domain_errors_a_route_names_are_documented_with_their_codes() -> None:
    checkout = DOCUMENT["paths"]["/api/v1/orders"]["post"]["responses"]
    assert {"INSUFFICIENT_STOCK", "INSUFFICIENT_FUNDS", "IDEMPOTENCY_CONFLICT"} <= set(
        checkout["409"]["description"].split(", ")
    )
    assert "422" in checkout and "503" in checkout
    assert "304" in DOCUMENT["paths"]["/api/v1/products/{productId}"]["get"]["responses"]


def mystery(request: object) -> str:
    return "?"


def test_a_dependency_the_generator_does_not_know_fails_the_generation() -> None:
    # GIVEN a route whose caller comes from a dependency nobody documented
    app = create_app()

    @app.get("/mystery")
    def route(who: Annotated[str, Depends(mystery)]) -> dict[str, str]:
        return {"who": who}

    # WHEN the generator documents it, THEN it refuses rather than guess
    with pytest.raises(ValueError, match=r"is not in infra\.openapi\.DEPENDENCIES"):
        openapi._documented(openapi._route(app))


def test_a_raises_name_that_is_not_a_contract_error_fails_the_generation() -> None:
    app = create_app()

    @app.get("/odd", openapi_extensions={"x-souk-raises": ["KeyError"]})
    def route() -> dict[str, str]:
        return {}

    with pytest.raises(ValueError, match="not contract errors"):
        openapi._documented(openapi._route(app))


def test_swagger_ui_sends_the_document_to_no_public_validator() -> None:
    # The bundle carries the public validator as its default; the page's options must turn it off.
    page = swagger_page()
    options = page[page.index("var swaggerUIOptions") :]
    assert "validatorUrl: null" in options[: options.index("}")]


def test_handlers_load_for_the_generator() -> None:
    # The generator reads each handler's single route; a second route on one app is refused.
    function = next(r.function for r in template.routes() if r.path == "/api/health")
    assert openapi._route(handlers.load(function).app).path == "/api/health"
