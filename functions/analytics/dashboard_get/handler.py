"""GET /api/v1/dashboard: the caller's summary, shaped by their role (each domain's dashboard hook)."""

from __future__ import annotations

from typing import Annotated

from souk.analytics.service.dashboard import DashboardOut, compose
from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/dashboard", summary="My dashboard", tags=["Analytics"],
          description="Admins: the platform's orders and revenue today and over 7 days; store owners: the same "
                      "per store; customers: points; everyone: the newest unread notifications.",
          openapi_extensions=raises())  # fmt: skip
def dashboard_get(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[DashboardOut]:
    return ok(compose(caller))


lambda_handler = entrypoint(app)
