"""GET /api/health: liveness plus table, bucket and queue reachability."""

from __future__ import annotations

from souk.errors import ServiceUnavailable
from souk.http import Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.system.schemas import HealthReport
from souk.system.service.health import check_health

app = create_app()


@app.get(
    "/api/health",
    summary="Liveness and dependency reachability",
    tags=["System"],
    openapi_extensions=raises(ServiceUnavailable),
)
def health() -> Envelope[HealthReport]:
    report = check_health()
    if report.status != "ok":
        raise ServiceUnavailable("A dependency is unreachable.", data=report.model_dump(mode="json"))
    return ok(report)


lambda_handler = entrypoint(app)
