"""GET /api/v1/analytics: a metric per day, week or month, from the day counters only."""

from __future__ import annotations

from typing import Annotated

from souk.analytics.schemas import AnalyticsOut, AnalyticsQuery
from souk.analytics.service import reports
from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.errors import Forbidden, NotFound, ValidationFailed
from souk.http import Depends, Envelope, Query, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()
analyst = require_roles("admin", "store_owner")


@app.get("/api/v1/analytics", summary="Read a metric", tags=["Analytics"],
          description="`metric` (revenue, orders, customers, topProducts) from `from` to `to` (UTC days, at most "
                      "366) per `interval`; admins read the platform or any `storeId`, store owners their own "
                      "stores (another's is 404) when their own plan has `analytics` (Pro, Enterprise; on Free "
                      "403 whose `details` name `analytics`). Revenue is Money in `currency`.",
          openapi_extensions=raises(ValidationFailed, Forbidden, NotFound))  # fmt: skip
def analytics_get(
    query: Annotated[AnalyticsQuery, Query()],
    caller: Annotated[Principal, Depends(analyst)],
) -> Envelope[AnalyticsOut]:
    return ok(reports.read_metric(caller, query))


lambda_handler = entrypoint(app)
