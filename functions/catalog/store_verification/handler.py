"""POST /api/v1/stores/{storeId}/verification: the owner submits documents; a rejected store is reviewed again."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import require_roles
from souk.caller import Principal
from souk.catalog.schemas.stores import StoreOut, VerificationRequest, store_out
from souk.catalog.service import stores
from souk.errors import Conflict, InvalidState, UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post(
    "/api/v1/stores/<storeId>/verification",
    summary="Submit a store for review",
    tags=["Stores"],
    openapi_extensions=raises(Conflict, InvalidState, UpstreamError),
)
def submit_verification(
    store_id: Annotated[str, Path(alias="storeId", max_length=64)],
    body: VerificationRequest,
    caller: Annotated[Principal, Depends(require_roles("store_owner", "admin"))],
) -> Envelope[StoreOut]:
    return ok(store_out(stores.submit_verification(caller, store_id, body), private=True))


lambda_handler = entrypoint(app)
