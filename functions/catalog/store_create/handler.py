"""POST /api/v1/stores: a store owner opens a store; it waits in ``pending_review``."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.stores import CreateStoreRequest, StoreOut, store_out
from souk.catalog.service import stores
from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/stores", status_code=201, summary="Open a store", tags=["Stores"], openapi_extensions=raises(Conflict)
)
def create_store(
    body: CreateStoreRequest, caller: Annotated[Principal, Depends(require_roles("store_owner"))]
) -> Envelope[StoreOut]:
    return ok(store_out(stores.create_store(caller, body), private=True))


lambda_handler = entrypoint(app)
