"""POST /api/v1/auth/login: email and password → tokens, or 401 MFA_REQUIRED with an mfaToken."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import AccountNotVerified, AccountSuspended, InvalidCredentials, MfaRequired
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.identity import accounts
from souk.identity.schemas import TokenPair
from souk.identity.sessions import Client, token_pair

app = create_app()


@app.post(
    "/api/v1/auth/login",
    summary="Sign in",
    tags=["Auth"],
    openapi_extensions=raises(AccountNotVerified, AccountSuspended, InvalidCredentials, MfaRequired),
)
def login(body: accounts.LoginRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[TokenPair]:
    user, issued, state = accounts.login(body, client)
    return respond(ok(token_pair(issued, user)), headers=state.headers())


lambda_handler = entrypoint(app)
