"""GET /api/v1/stores/{storeId}: an approved store for anyone; its owner and admins see any status."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import optional_principal
from souk.caller import Principal
from souk.catalog.schemas.stores import StoreOut
from souk.catalog.service import stores
from souk.http import Depends, Envelope, Path, Request, create_app, entrypoint, ok
from souk.http.caching import NotModified, cached
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/stores/<storeId>", summary="A store", tags=["Stores"], openapi_extensions=raises(NotModified))
def get_store(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    caller: Annotated[Principal | None, Depends(optional_principal)],
    request: Request,
) -> Envelope[StoreOut]:
    store, public = stores.view_store(store_id, caller)
    return cached(request, ok(store), public=public)


lambda_handler = entrypoint(app)
