"""POST /api/v1/auth/refresh: rotate the refresh token; replaying a used one revokes the session."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import InvalidToken
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.sessions import Client, RefreshRequest, TokenPair, token_pair
from souk.identity.service.sessions import rotate
from souk.identity.service.users import get_user

app = create_app()


@app.post("/api/v1/auth/refresh", summary="Refresh tokens", tags=["Auth"], openapi_extensions=raises(InvalidToken))
def refresh(body: RefreshRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[TokenPair]:
    issued = rotate(body.refresh_token, client)
    return ok(token_pair(issued, get_user(issued.session.user_id)))


lambda_handler = entrypoint(app)
