"""PATCH /api/v1/addresses/{addressId}: change an own address or make it the default."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import UnprocessableEntity
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.addresses import AddressOut, AddressPatch
from souk.identity.service import addresses

app = create_app()


@app.patch(
    "/api/v1/addresses/<addressId>",
    summary="Update an address",
    tags=["Addresses"],
    openapi_extensions=raises(UnprocessableEntity),
)
def update_address(
    address_id: Annotated[str, Path(alias="addressId", max_length=64)],
    body: AddressPatch,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[AddressOut]:
    return ok(addresses.update_address(caller, address_id, body))


lambda_handler = entrypoint(app)
