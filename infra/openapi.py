"""Generate the OpenAPI document from every route handler the template declares.

Each handler's resolver describes its own route; Powertools' OpenAPIMerge joins them.
The result is committed as ``shared/souk/system/openapi.json`` (served by
GET /api/openapi.json and /api/docs) and a test fails when the committed copy is stale.

Usage: python -m infra.openapi [--check]
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import Any

from infra import handlers, template

OUTPUT = template.ROOT / "shared" / "souk" / "system" / "openapi.json"
SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
}


def _error_envelope_schema() -> dict[str, Any]:
    from souk.http.envelope import ErrorEnvelope

    return ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}", by_alias=True)


def _contract_errors(schema: dict[str, Any]) -> None:
    """Swap Powertools' 422 for the contract's 400 error envelope on every operation."""
    error_schema = _error_envelope_schema()
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in error_schema.pop("$defs", {}).items():
        components[name] = definition
    components["ErrorEnvelope"] = error_schema
    for name in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        components.pop(name, None)
    ref = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            responses.setdefault("400", {"description": "Invalid request (VALIDATION_ERROR, BAD_REQUEST)", **ref})
            responses["500"] = {"description": "INTERNAL_ERROR", **ref}


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
    for function in sorted({r.function for r in template.routes()}, key=lambda f: f.logical_id):
        app = handlers.load(function).app
        merge.add_schema(app.get_openapi_schema())
    # A JSON round trip turns the integer status keys Powertools emits into strings and its
    # enums (e.g. ParameterInType.query) into their values.
    schema = json.loads(json.dumps(merge.get_openapi_schema(), default=_plain))
    schema["servers"] = [{"url": "/"}]
    _contract_errors(schema)
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
