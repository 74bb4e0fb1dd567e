"""DELETE /api/v1/api-keys/{keyId}: revoke an own API key; it is refused from the next request."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.users import Deleted
from souk.identity.service import api_keys

app = create_app()


@app.delete(
    "/api/v1/api-keys/<keyId>", summary="Revoke an API key", tags=["API keys"], openapi_extensions=raises(Conflict)
)
def delete_api_key(
    key_id: Annotated[str, Path(alias="keyId", max_length=64)], caller: Annotated[Principal, Depends(authenticated)]
) -> Envelope[Deleted]:
    return ok(api_keys.revoke_api_key(caller, key_id))


lambda_handler = entrypoint(app)
