"""GET /api/v1/plans: Free, Pro and Enterprise with their price, features and limits (public)."""

from __future__ import annotations

from souk.http import Envelope, Request, create_app, entrypoint, ok
from souk.http.caching import NotModified, cached
from souk.http.docs import raises
from souk.plans.schemas import PlanOut
from souk.plans.service import plans

app = create_app()


@app.get("/api/v1/plans", summary="Plans", tags=["Subscriptions"],
         description="Public. Each plan's monthly price, features and limits (`null`: unlimited), cheapest first.",
         openapi_extensions=raises(NotModified))  # fmt: skip
def plans_list(request: Request) -> Envelope[list[PlanOut]]:
    return cached(request, ok(plans.list_plans()), public=True)


lambda_handler = entrypoint(app)
