"""PATCH /api/v1/deliveries/{deliveryId}/status: the assigned courier picks up, delivers (with a photo) or fails."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.dispatch.schemas import DeliveryOut, DeliveryStatusIn
from souk.dispatch.service import status
from souk.errors import Conflict, InvalidState, UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/deliveries/<deliveryId>/status",
    summary="Pick up, deliver or fail my delivery",
    tags=["Delivery"],
    description="`picked_up` from assigned (the order follows); `delivered` from picked up, with `proofUploadId` "
    "(your own `attachment` upload, a photo) and your last reported position within "
    "`delivery.proofRadiusMeters` of the drop-off (else 422): the order is delivered and the fee credited to "
    "your wallet; `failed` with a `reason`: the order goes back to the store. Else 409 INVALID_STATE.",
    openapi_extensions=raises(Conflict, InvalidState, UnprocessableEntity),
)
def change_delivery_status(
    delivery_id: Annotated[str, Path(alias="deliveryId", max_length=64)],
    body: DeliveryStatusIn,
    caller: Annotated[Principal, Depends(require_roles("courier"))],
) -> Envelope[DeliveryOut]:
    return ok(status.change_status(caller, delivery_id, body))


lambda_handler = entrypoint(app)
