"""PUT /api/v1/couriers/me/availability: a courier says whether they take deliveries, and where they are."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.delivery.schemas import AvailabilityIn, AvailabilityOut
from souk.delivery.service import couriers as service
from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.put(
    "/api/v1/couriers/me/availability",
    summary="Set my courier availability and position",
    tags=["Delivery"],
    description="`available: true` needs an approved courier verification (403 FORBIDDEN otherwise).",
    openapi_extensions=raises(Conflict),
)
def set_courier_availability(
    body: AvailabilityIn, caller: Annotated[Principal, Depends(require_roles("courier"))]
) -> Envelope[AvailabilityOut]:
    return ok(service.set_availability(caller, body))


lambda_handler = entrypoint(app)
