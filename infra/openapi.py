"""Generate the OpenAPI document from every route handler the template declares.

Each handler's resolver describes its own route; Powertools' OpenAPIMerge joins them.
The result is committed as ``shared/souk/system/openapi.json`` (served by
GET /api/openapi.json and /api/docs) and a test fails when the committed copy is stale.

Usage: python -m infra.openapi [--check]
"""

from __future__ import annotations

import json
import sys
import typing
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Depends

from infra import handlers, template
from souk.errors import (
    ALL_ERRORS,
    BadRequest,
    Forbidden,
    InternalError,
    InvalidToken,
    NotFound,
    PayloadTooLarge,
    RateLimitExceeded,
    SoukError,
    Unauthorized,
    ValidationFailed,
)
from souk.http.docs import EXTENSION

OUTPUT = template.ROOT / "shared" / "souk" / "system" / "openapi.json"
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
}


def _error_envelope_schema() -> dict[str, Any]:
    from souk.http.envelope import ErrorEnvelope

    return ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)


@dataclass(frozen=True)
class Documented:
    """What a dependency or a route adds to its operation: who may call, what may go wrong, which headers."""

    security: tuple[dict[str, list[str]], ...] = ()
    errors: tuple[type[SoukError], ...] = ()
    headers: tuple[dict[str, Any], ...] = ()
    not_modified: bool = False


NOT_MODIFIED = "NotModified"  # souk.http.caching's 304, the one answer that is not an error
SIGNED_IN = ({"bearer": []}, {"apiKey": []})
ANYONE = ({},)
CART_TOKEN = {
    "name": "X-Cart-Token",
    "in": "header",
    "required": False,
    "description": "The guest cart's token (POST /api/v1/cart returns it); ignored when signed in.",
    "schema": {"type": "string", "maxLength": 2048},
}
STRIPE_SIGNATURE = {
    "name": "Stripe-Signature",
    "in": "header",
    "required": True,
    "description": "Stripe's signature of the raw body (t=..., v1=...); more than 300 s off is refused.",
    "schema": {"type": "string", "maxLength": 4096},
}

# What each ``Depends`` of a route adds, by qualified name. A dependency missing here fails
# the generation: a new one must say what it does to the contract.
DEPENDENCIES: dict[str, Documented] = {
    "souk.auth.principal.authenticated": Documented(SIGNED_IN, (Unauthorized, InvalidToken)),
    "souk.auth.principal.require_roles.<locals>.dependency": Documented(
        SIGNED_IN, (Unauthorized, InvalidToken, Forbidden)
    ),
    "souk.auth.principal.optional_principal": Documented(ANYONE + SIGNED_IN, (InvalidToken,)),
    "souk.auth.principal.origin": Documented(),
    "souk.auth.cart.cart_owner": Documented(ANYONE + SIGNED_IN, (Unauthorized, InvalidToken), (CART_TOKEN,)),
    "souk.auth.cart.merge_parties": Documented(
        SIGNED_IN,
        (Unauthorized, InvalidToken, Forbidden),
        ({**CART_TOKEN, "required": True, "description": "The guest cart to merge into the caller's."},),
    ),
    "souk.http.dependencies.stripe_delivery": Documented((), (), (STRIPE_SIGNATURE,)),
    "souk.http.dependencies.public_base_url": Documented(),
}
# Every operation: a malformed request, API Gateway's throttle, and our own failure.
EVERY_OPERATION: tuple[type[SoukError], ...] = (ValidationFailed, BadRequest, RateLimitExceeded, InternalError)


def _route(app: Any) -> Any:
    routes = [*app._static_routes, *app._dynamic_routes]
    if len(routes) != 1:
        raise ValueError(f"a handler's app must hold exactly one route, found {len(routes)}")
    return routes[0]


def _dependencies(func: Any) -> list[Any]:
    """Every ``Depends`` callable of a route function, nested ones included."""
    found = []
    for hint in typing.get_type_hints(func, include_extras=True).values():
        for meta in getattr(hint, "__metadata__", ()):
            if isinstance(meta, Depends):
                found.extend([meta.dependency, *_dependencies(meta.dependency)])
    return found


def _documented(route: Any) -> Documented:
    """What a route's dependencies and its ``raises(...)`` declaration add to its operation."""
    security: list[dict[str, list[str]]] = []
    errors: list[type[SoukError]] = []
    headers: list[dict[str, Any]] = []
    for dependency in _dependencies(route.func):
        name = f"{dependency.__module__}.{dependency.__qualname__}"
        if name not in DEPENDENCIES:
            raise ValueError(f"{route.func.__module__}: dependency {name} is not in infra.openapi.DEPENDENCIES")
        documented = DEPENDENCIES[name]
        security += [s for s in documented.security if s not in security]
        errors += documented.errors
        headers += documented.headers
    by_name = {error.__name__: error for error in ALL_ERRORS}
    declared = (route.openapi_extensions or {}).get(EXTENSION, [])
    unknown = set(declared) - set(by_name) - {NOT_MODIFIED}
    if unknown:
        raise ValueError(f"{route.func.__module__}: raises() names {sorted(unknown)}, which are not contract errors")
    errors += [by_name[name] for name in declared if name != NOT_MODIFIED]
    return Documented(tuple(security), tuple(errors), tuple(headers), NOT_MODIFIED in declared)


def _error_envelope_schema() -> dict[str, Any]:
    from souk.http.envelope import ErrorEnvelope

    return ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)


def _contract_errors(schema: dict[str, Any], documented: dict[tuple[str, str], Documented]) -> None:
    """Each operation's security, header parameters and every error status it can answer.

    Powertools' own 422 becomes the contract's 400; each status lists its error codes.
    """
    error_schema = _error_envelope_schema()
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in error_schema.pop("$defs", {}).items():
        components[name] = definition
    components["ErrorEnvelope"] = error_schema
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        components.pop(name, None)
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
    for path, path_item in schema.get("paths", {}).items():
        for method, operation in path_item.items():
            doc = documented[(method.upper(), path)]
            operation.pop(EXTENSION, None)
            operation["security"] = list(doc.security)
            parameters = operation.setdefault("parameters", [])
            parameters += [h for h in doc.headers if h["name"] not in {p["name"] for p in parameters}]
            if not parameters:
                operation.pop("parameters")
            errors = [*EVERY_OPERATION, *doc.errors]
            if "{" in path:
                errors.append(NotFound)
            if "requestBody" in operation:
                errors.append(PayloadTooLarge)
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            codes: dict[int, list[str]] = {}
            for error in errors:
                listed = codes.setdefault(error.status, [])
                if error.code not in listed:
                    listed.append(error.code)
            for status, names in sorted(codes.items()):
                responses[str(status)] = {"description": ", ".join(names), **ref}
            if doc.not_modified:
                responses["304"] = {"description": "Not modified: If-None-Match names the current ETag (no body)."}


# Example values by field name, where the type alone would make a poor example. None is a
# demo account's (infra.seed): fuzzing sends these examples, and must not lock out or
# change the password of the accounts it signs in with.
FIELD_EXAMPLES: dict[str, Any] = {
    "email": "ada@souk.example", "password": "Example-Pass-2026", "currentPassword": "Example-Pass-2026",
    "newPassword": "Example-Pass-2027", "phone": "+201001000001", "currency": "EGP",
    "country": "EG", "city": "Cairo", "line1": "12 Shagaret El Dor St, Zamalek", "lat": 30.0626, "lng": 31.2197,
    "code": "WELCOME10", "quantity": 1, "amount": 2500, "reason": "Damaged in transit",
}  # fmt: skip


def _example(schema: dict[str, Any], components: dict[str, Any], name: str = "", depth: int = 0) -> Any:
    """A plausible value for a JSON schema: its own example, a named field's, or one built from its type."""
    if "$ref" in schema:
        return _example(components[schema["$ref"].rsplit("/", 1)[-1]], components, name, depth)
    for key in ("example", "default"):
        if schema.get(key) is not None:
            return schema[key]
    if schema.get("examples"):
        return schema["examples"][0]
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [o for o in schema.get(key, []) if o.get("type") != "null"]
        if options:
            return _example(options[0], components, name, depth)
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {
            field: _example(sub, components, field, depth + 1) for field, sub in schema.get("properties", {}).items()
        }
    if kind == "array":
        return [_example(schema.get("items", {}), components, name, depth + 1)] if depth <= 4 else []
    if name in FIELD_EXAMPLES and kind in ("string", "integer", "number"):
        return FIELD_EXAMPLES[name]
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1)
        return int(low) if kind == "integer" else float(low)
    if kind == "boolean":
        return True
    formats = {"email": "ada@souk.example", "date-time": "2026-12-06T12:00:00Z", "date": "2026-12-06",
               "uri": "https://app.souk.example/", "uuid": "00000000-0000-4000-8000-000000000000"}  # fmt: skip
    text = formats.get(schema.get("format", ""), "example")
    return text[: schema.get("maxLength", len(text))].ljust(schema.get("minLength", 0), "x")


def _request_examples(schema: dict[str, Any]) -> None:
    """Every JSON request body gets an example (Swagger UI's "Try it out", schemathesis' examples phase)."""
    components = schema.get("components", {}).get("schemas", {})
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            media = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if media is not None and "example" not in media and "examples" not in media:
                media["example"] = _example(media["schema"], components)


def _plain(value: object) -> object:
    return value.value if isinstance(value, Enum) else str(value)


def generate() -> dict[str, Any]:
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    merge = OpenAPIMerge(
        title="Souk API",
        version="1.0.0",
        description="Serverless multi-vendor marketplace and business platform. Contract: API.md.",
        security_schemes=SECURITY_SCHEMES,  # type: ignore[arg-type]
        on_conflict="error",
    )
    documented: dict[tuple[str, str], Documented] = {}
    for route in sorted(template.routes(), key=lambda r: r.function.logical_id):
        app = handlers.load(route.function).app
        merge.add_schema(app.get_openapi_schema())
        documented[(route.method, route.path)] = _documented(_route(app))
    # A JSON round trip turns the integer status keys Powertools emits into strings and its
    # enums (e.g. ParameterInType.query) into their values.
    schema = json.loads(json.dumps(merge.get_openapi_schema(), default=_plain))
    schema["servers"] = [{"url": "/"}]
    _contract_errors(schema, documented)
    _request_examples(schema)
    return schema


def render() -> str:
    return json.dumps(generate(), indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text(encoding="utf-8") != text:
            print(f"{OUTPUT.relative_to(template.ROOT)} is stale: run `make openapi`", file=sys.stderr)
            return 1
        return 0
    Path(OUTPUT).write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(template.ROOT)} ({len(json.loads(text).get('paths', {}))} paths)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
