"""POST /api/v1/auth/refresh: rotate the refresh token; replaying a used one revokes the session."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from souk.auth.principal import origin
from souk.errors import InvalidToken
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas import TokenPair
from souk.identity.sessions import Client, rotate, token_pair
from souk.identity.users import get_user
from souk.schema import CamelModel

app = create_app()


class RefreshRequest(CamelModel):
    refresh_token: str = Field(min_length=10, max_length=200)


@app.post("/api/v1/auth/refresh", summary="Refresh tokens", tags=["Auth"], openapi_extensions=raises(InvalidToken))
def refresh(body: RefreshRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[TokenPair]:
    issued = rotate(body.refresh_token, client)
    return ok(token_pair(issued, get_user(issued.session.user_id)))


lambda_handler = entrypoint(app)
