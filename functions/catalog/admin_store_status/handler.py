"""PATCH /api/v1/admin/stores/{storeId}: an admin approves, rejects or suspends a store."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.stores import StoreOut, StoreStatusRequest, store_out
from souk.catalog.service import review
from souk.errors import Conflict, InvalidState
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.patch(
    "/api/v1/admin/stores/<storeId>",
    summary="Review a store",
    tags=["Admin"],
    openapi_extensions=raises(Conflict, InvalidState),
)
def set_store_status(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    body: StoreStatusRequest,
    caller: Annotated[Principal, Depends(require_roles("admin"))],
) -> Envelope[StoreOut]:
    return ok(store_out(review.set_store_status(caller, store_id, body), private=True))


lambda_handler = entrypoint(app)
