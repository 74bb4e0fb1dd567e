"""GET /api/docs: Swagger UI served entirely by the API (no CDN, works offline)."""

from __future__ import annotations

from souk.http import Response, create_app, entrypoint
from souk.system.service.docs import swagger_page

app = create_app()


@app.get("/api/docs", summary="Swagger UI", tags=["System"], include_in_schema=False)
def docs() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=swagger_page(),
                    headers={"Cache-Control": "public, max-age=300"})  # fmt: skip


lambda_handler = entrypoint(app)
