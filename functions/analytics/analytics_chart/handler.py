"""GET /api/v1/analytics/chart.svg: the metric of GET /api/v1/analytics as an SVG bar chart."""

from __future__ import annotations

from typing import Annotated

from souk.analytics import chart
from souk.analytics.schemas import AnalyticsQuery
from souk.analytics.service import reports
from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Forbidden, NotFound, ValidationFailed
from souk.http import Depends, Query, Response, create_app, entrypoint
from souk.http.docs import raises

app = create_app()
analyst = require_roles("admin", "store_owner")
SVG = {200: {"description": "An SVG image (640 x 320).", "content": {"image/svg+xml": {"schema": {"type": "string"}}}}}


@app.get("/api/v1/analytics/chart.svg", summary="Chart a metric (SVG)", tags=["Analytics"], responses=SVG,
          description="The same query and access as `GET /api/v1/analytics` (a store owner's plan needs "
                      "`analytics`: Free is 403), drawn as a bar chart.",
          openapi_extensions=raises(ValidationFailed, Forbidden, NotFound))  # fmt: skip
def analytics_chart(
    query: Annotated[AnalyticsQuery, Query()],
    caller: Annotated[Principal, Depends(analyst)],
) -> Response[str]:
    out = reports.read_metric(caller, query)
    svg = chart.render(out, chart.title_of(out, f"store {query.store_id}" if query.store_id else "platform"))
    return Response(status_code=200, content_type="image/svg+xml", body=svg,
                    headers={"Cache-Control": "private, max-age=60"})  # fmt: skip


lambda_handler = entrypoint(app)
