"""GET /api/v1/deliveries/{deliveryId}: one delivery (its courier, the order's customer and store owner, admins)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.dispatch.schemas import DeliveryOut
from souk.dispatch.service import offers
from souk.errors import NotFound
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/deliveries/<deliveryId>", summary="A delivery", tags=["Delivery"],
         description="An offer past its expiry is moved on to the next courier first.",
         openapi_extensions=raises(NotFound))  # fmt: skip
def get_delivery(
    delivery_id: Annotated[str, Path(alias="deliveryId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[DeliveryOut]:
    return ok(offers.view(caller, delivery_id))


lambda_handler = entrypoint(app)
