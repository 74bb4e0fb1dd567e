"""What a route tells the OpenAPI document beyond its types: the errors its service raises.

A route names the domain errors it can answer with::

    @app.post("/api/v1/orders", openapi_extensions=raises(InsufficientStock, IdempotencyConflict))

``infra.openapi`` turns the names into documented responses (status, codes, the error
envelope), next to what it infers from the route itself (401/403 from its auth dependency,
404 from a path parameter). The route tests fail on any status a route answers that its
operation does not document, so a missing name is caught where it happens.
"""

from __future__ import annotations

from typing import Any

EXTENSION = "x-souk-raises"


def raises(*errors: type[Exception]) -> dict[str, Any]:
    """The ``openapi_extensions`` of a route that can answer with these errors (``SoukError``s or
    ``NotModified``, the 304 of a cached read)."""
    return {EXTENSION: sorted({error.__name__ for error in errors})}
