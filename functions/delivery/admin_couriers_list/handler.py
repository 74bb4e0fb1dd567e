"""GET /api/v1/admin/couriers: the couriers' verifications in one status (the review queue), oldest first."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.delivery.schemas import VerificationOut, VerificationsQuery
from souk.delivery.service import verification as service
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page

app = create_app()


@app.get(
    "/api/v1/admin/couriers",
    summary="Courier verifications to review",
    tags=["Admin"],
    description="One status (`pending` by default), oldest submission first; one Query per page.",
)
def list_courier_verifications(
    query: Annotated[VerificationsQuery, Query()],
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> PageEnvelope[VerificationOut]:
    items, next_cursor = service.review_queue(query)
    return page(items, limit=query.limit, next_cursor=next_cursor)


lambda_handler = entrypoint(app)
