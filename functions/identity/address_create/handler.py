"""POST /api/v1/addresses: add a delivery address (at most 20; the first becomes the default)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.addresses import AddressIn, AddressOut
from souk.identity.service import addresses

app = create_app()


@app.post(
    "/api/v1/addresses",
    status_code=201,
    summary="Add an address",
    tags=["Addresses"],
    openapi_extensions=raises(UnprocessableEntity),
)
def create_address(body: AddressIn, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[AddressOut]:
    return ok(addresses.create_address(caller, body))


lambda_handler = entrypoint(app)
