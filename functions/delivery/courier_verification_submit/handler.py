"""POST /api/v1/couriers/me/verification: a courier sends their licence and vehicle documents for review."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.delivery.schemas import VerificationIn, VerificationOut
from souk.delivery.service import verification as service
from souk.errors import Conflict, InvalidState, UnprocessableEntity, UpstreamError
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/couriers/me/verification",
    summary="Submit my courier documents for review",
    tags=["Delivery"],
    description="Two of the caller's own uploads (`store_document` or `attachment`): another user's or an "
    "unknown one is 422. Replaces the documents while pending; after a rejection starts a new review; "
    "once approved it is 409 INVALID_STATE.",
    openapi_extensions=raises(Conflict, InvalidState, UnprocessableEntity, UpstreamError),
)
def submit_courier_verification(
    body: VerificationIn, caller: Annotated[Principal, Depends(require_roles("courier"))]
) -> Envelope[VerificationOut]:
    return ok(service.submit(caller, body))


lambda_handler = entrypoint(app)
