"""GET /api/v1/couriers/me/verification: a courier's own verification and its status."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.delivery.schemas import VerificationOut
from souk.delivery.service import verification as service
from souk.errors import NotFound
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get(
    "/api/v1/couriers/me/verification",
    summary="My courier verification",
    tags=["Delivery"],
    description="404 until the courier has submitted documents.",
    openapi_extensions=raises(NotFound),
)
def get_courier_verification(
    caller: Annotated[Principal, Depends(require_roles("courier"))],
) -> Envelope[VerificationOut]:
    return ok(service.mine(caller))


lambda_handler = entrypoint(app)
