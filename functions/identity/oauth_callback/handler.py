"""GET /api/v1/auth/oauth/{provider}/callback: exchange the code, link or create the account, sign in."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import (
    AccountNotVerified,
    AccountSuspended,
    Conflict,
    DuplicateEntry,
    Forbidden,
    InvalidToken,
    MfaRequired,
    ServiceUnavailable,
    UnprocessableEntity,
    UpstreamError,
)
from souk.http import Depends, Envelope, Query, create_app, entrypoint, ok, respond
from souk.http.docs import raises
from souk.identity.schemas.sessions import Client, TokenPair, token_pair
from souk.identity.service import oauth

app = create_app()


@app.get(
    "/api/v1/auth/oauth/<provider>/callback",
    summary="Finish a Google or GitHub sign-in",
    tags=["Auth"],
    openapi_extensions=raises(
        AccountNotVerified,
        AccountSuspended,
        Conflict,
        DuplicateEntry,
        Forbidden,
        InvalidToken,
        MfaRequired,
        ServiceUnavailable,
        UnprocessableEntity,
        UpstreamError,
    ),
)
def callback(
    provider: str,
    state: Annotated[str, Query(min_length=1, max_length=512)],
    client: Annotated[Client, Depends(origin)],
    code: Annotated[str | None, Query(max_length=2048)] = None,
    error: Annotated[str | None, Query(max_length=256, description="Set by the provider when sign-in failed")] = None,
) -> Envelope[TokenPair]:
    user, issued = oauth.callback(provider, code=code, state=state, error=error, client=client)
    return respond(ok(token_pair(issued, user)), headers={"Cache-Control": "no-store"})


lambda_handler = entrypoint(app)
