"""GET /api/v1/delivery-zones: the active delivery zones (public); admins also see inactive ones."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import optional_principal
from souk.caller import Principal
from souk.delivery.schemas import ZoneOut
from souk.delivery.service import zones as service
from souk.http import Depends, Envelope, create_app, entrypoint, ok

app = create_app()


@app.get("/api/v1/delivery-zones", summary="Delivery zones and their fees", tags=["Delivery"])
def list_delivery_zones(caller: Annotated[Principal | None, Depends(optional_principal)]) -> Envelope[list[ZoneOut]]:
    return ok(service.list_zones(caller))


lambda_handler = entrypoint(app)
