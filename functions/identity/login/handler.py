"""POST /api/v1/auth/login: email and password → tokens, or 401 MFA_REQUIRED with an mfaToken."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import AccountNotVerified, AccountSuspended, InvalidCredentials, MfaRequired
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.identity.schemas.accounts import LoginRequest
from souk.identity.schemas.sessions import Client, TokenPair, token_pair
from souk.identity.service import accounts

app = create_app()


@app.post(
    "/api/v1/auth/login",
    summary="Sign in",
    tags=["Auth"],
    openapi_extensions=raises(AccountNotVerified, AccountSuspended, InvalidCredentials, MfaRequired),
)
def login(body: LoginRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[TokenPair]:
    user, issued, state = accounts.login(body, client)
    return respond(ok(token_pair(issued, user)), headers=state.headers())


lambda_handler = entrypoint(app)
