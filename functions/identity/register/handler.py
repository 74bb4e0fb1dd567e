"""POST /api/v1/auth/register: a pending account; a one-time code goes out by email (and SMS)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import origin
from souk.errors import Conflict, DuplicateEntry
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.identity.schemas.accounts import RegisterRequest
from souk.identity.schemas.sessions import Client
from souk.identity.schemas.users import UserOut, user_out
from souk.identity.service import accounts

app = create_app()


@app.post(
    "/api/v1/auth/register",
    status_code=201,
    summary="Create an account",
    tags=["Auth"],
    openapi_extensions=raises(Conflict, DuplicateEntry),
)
def register(body: RegisterRequest, client: Annotated[Client, Depends(origin)]) -> Envelope[UserOut]:
    return ok(user_out(accounts.register(body, client)))


lambda_handler = entrypoint(app)
