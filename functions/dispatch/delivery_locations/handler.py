"""POST /api/v1/deliveries/{deliveryId}/locations: the assigned courier's GPS points, in batches."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.dispatch.schemas import LocationsIn, LocationsOut
from souk.dispatch.service import tracking
from souk.errors import InvalidState, RateLimitExceeded
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok, respond
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/deliveries/<deliveryId>/locations",
    summary="Report my position on a delivery",
    tags=["Delivery"],
    description="Up to 50 points `{lat, lng, at, accuracy?}` a call, in any order, while the delivery is assigned "
    "or picked up. Points older than the assignment or more than 2 minutes ahead of the server's clock are "
    "ignored (counted in `ignored`); the delivery's last position only moves forward in time. Rate limited "
    "per courier (30 calls a minute).",
    openapi_extensions=raises(InvalidState, RateLimitExceeded),
)
def report_locations(
    delivery_id: Annotated[str, Path(alias="deliveryId", max_length=64)],
    body: LocationsIn,
    caller: Annotated[Principal, Depends(require_roles("courier"))],
) -> Envelope[LocationsOut]:
    result, state = tracking.record_locations(caller, delivery_id, body)
    return respond(ok(result), headers=state.headers())


lambda_handler = entrypoint(app)
