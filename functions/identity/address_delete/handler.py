"""DELETE /api/v1/addresses/{addressId}: remove an own address (the default moves on)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.identity.schemas.users import Deleted
from souk.identity.service import addresses

app = create_app()


@app.delete("/api/v1/addresses/<addressId>", summary="Delete an address", tags=["Addresses"])
def delete_address(
    address_id: Annotated[str, Path(alias="addressId", max_length=64)],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[Deleted]:
    return ok(addresses.delete_address(caller, address_id))


lambda_handler = entrypoint(app)
