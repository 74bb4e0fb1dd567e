"""GET /api/openapi.json: the OpenAPI 3 document of every route, generated from the code."""

from __future__ import annotations

from souk.http import Response, content_types, create_app, entrypoint
from souk.system.service.docs import openapi_document

app = create_app()


@app.get("/api/openapi.json", summary="OpenAPI document", tags=["System"])
def openapi() -> Response[str]:
    headers = {"Cache-Control": "public, max-age=300"}
    body = openapi_document()
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


lambda_handler = entrypoint(app)
