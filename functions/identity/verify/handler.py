"""POST /api/v1/auth/verify: activate an account with its one-time code and sign in."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import InvalidState
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.accounts import VerifyRequest
from souk.identity.schemas.sessions import Client, TokenPair, token_pair
from souk.identity.service import accounts

app = create_app()


@app.post("/api/v1/auth/verify", summary="Verify an account", tags=["Auth"], openapi_extensions=raises(InvalidState))
def verify(body: VerifyRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[TokenPair]:
    user, issued = accounts.verify(body, client)
    return ok(token_pair(issued, user))


lambda_handler = entrypoint(app)
