"""POST /api/v1/api-keys: a new key for `X-Api-Key`, returned once and stored only as a hash (`teamId`: a team key)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound, UnprocessableEntity
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.api_keys import ApiKeyCreate, ApiKeyCreated
from souk.teams.service import api_keys  # a team key (teamId) needs the membership check, above identity

app = create_app()


@app.post(
    "/api/v1/api-keys",
    status_code=201,
    summary="Create an API key",
    tags=["API keys"],
    openapi_extensions=raises(Conflict, Forbidden, NotFound, UnprocessableEntity),
)
def create_api_key(body: ApiKeyCreate, caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[ApiKeyCreated]:
    return ok(api_keys.create_api_key(caller, body))


lambda_handler = entrypoint(app)
