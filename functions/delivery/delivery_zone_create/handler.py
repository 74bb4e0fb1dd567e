"""POST /api/v1/delivery-zones: an admin adds a radius or polygon zone with its fee rule (audited)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.delivery.schemas import ZoneIn, ZoneOut
from souk.delivery.service import zones as service
from souk.errors import UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/delivery-zones",
    status_code=201,
    summary="Add a delivery zone",
    tags=["Delivery"],
    openapi_extensions=raises(UnprocessableEntity),
)
def create_delivery_zone(
    body: ZoneIn, caller: Annotated[Principal, Depends(require_roles("admin"))]
) -> Envelope[ZoneOut]:
    return ok(service.create_zone(caller, body))


lambda_handler = entrypoint(app)
