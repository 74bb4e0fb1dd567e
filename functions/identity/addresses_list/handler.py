"""GET /api/v1/addresses: the caller's delivery addresses (one Query a page)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.http import Depends, PageEnvelope, Query, create_app, entrypoint, page
from souk.identity.schemas.addresses import AddressOut
from souk.identity.service import addresses
from souk.schema import PageQuery

app = create_app()


@app.get("/api/v1/addresses", summary="List my addresses", tags=["Addresses"])
def list_addresses(
    query: Annotated[PageQuery, Query()], caller: Annotated[Principal, Depends(authenticated)]
) -> PageEnvelope[AddressOut]:
    items, cursor = addresses.list_addresses(caller, query)
    return page(items, limit=query.limit, next_cursor=cursor)


lambda_handler = entrypoint(app)
