"""POST /api/v1/auth/login/2fa: the mfaToken from /auth/login plus a TOTP or backup code → tokens."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import AccountSuspended, InvalidToken
from souk.http import Depends, Envelope, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.identity.schemas.mfa import MfaLoginRequest
from souk.identity.schemas.sessions import Client, TokenPair, token_pair
from souk.identity.service import mfa

app = create_app()


@app.post(
    "/api/v1/auth/login/2fa",
    summary="Sign in: second factor",
    tags=["Auth"],
    openapi_extensions=raises(AccountSuspended, InvalidToken),
)
def login_2fa(body: MfaLoginRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[TokenPair]:
    user, issued, state = mfa.login(body, client)
    return respond(ok(token_pair(issued, user)), headers=state.headers())


lambda_handler = entrypoint(app)
