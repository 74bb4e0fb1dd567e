"""PATCH /api/v1/stores/{storeId}: the owner edits name, description, categories or address."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.stores import StoreOut, UpdateStoreRequest, store_out
from souk.catalog.service import stores
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch("/api/v1/stores/<storeId>", summary="Edit a store", tags=["Stores"], openapi_extensions=raises(Conflict))
def update_store(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    body: UpdateStoreRequest,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[StoreOut]:
    return ok(store_out(stores.update_store(caller, store_id, body), private=True))


lambda_handler = entrypoint(app)
