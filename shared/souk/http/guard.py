"""The request-parsing guard: every JSON body is read here before pydantic sees it.

:func:`create_app` hands :func:`parse_body` to the resolver as its JSON deserializer, so
every route's body goes through :func:`souk.safe_json.parse_json` (depth, number sizes,
control characters: its docstring lists what is refused, as a 400 in the contract's
envelope). Query string values are held to the same control-character rule
(:func:`query_problem`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from souk.errors import ValidationFailed
from souk.safe_json import CONTROL_CHARACTERS, parse_json


def parse_body(text: str) -> Any:
    """The resolver's JSON deserializer (``json_body_deserializer``): :func:`parse_json` with every check."""
    return parse_json(text)


def query_problem(event: Mapping[str, Any]) -> ValidationFailed | None:
    """Control characters in a query string value (``?search=%00``): refused like body text."""
    params = event.get("multiValueQueryStringParameters") or {}
    single = event.get("queryStringParameters") or {}
    details = []
    for name in {*params, *single}:
        values = params.get(name) or [single.get(name)]
        if CONTROL_CHARACTERS.search(name) or any(v and CONTROL_CHARACTERS.search(v) for v in values):
            details.append({"field": CONTROL_CHARACTERS.sub("", name) or "query",
                            "message": "Control characters are not allowed."})  # fmt: skip
    return ValidationFailed(details=sorted(details, key=lambda d: d["field"])) if details else None
