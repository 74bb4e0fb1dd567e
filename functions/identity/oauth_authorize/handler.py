"""GET /api/v1/auth/oauth/{provider}/authorize: 302 to Google or GitHub, with a state and PKCE (S256)."""

from __future__ import annotations

from typing import Annotated

from souk.errors import ServiceUnavailable
from souk.http import Depends, Query, Response, create_app, entrypoint
from souk.http.dependencies import public_base_url
from souk.http.docs import raises
from souk.identity.service import oauth

app = create_app()

REDIRECT = {302: {"description": "To the provider's sign-in page (Location header)."}}
RedirectUri = Annotated[
    str | None, Query(alias="redirectUri", max_length=2048, description="A client page to return to (allow-listed)")
]


@app.get("/api/v1/auth/oauth/<provider>/authorize", summary="Sign in with Google or GitHub", tags=["Auth"],
         responses=REDIRECT,
          openapi_extensions=raises(ServiceUnavailable))  # fmt: skip
def authorize(
    provider: str,
    base_url: Annotated[str, Depends(public_base_url)],
    redirect_uri: RedirectUri = None,
) -> Response[None]:
    location = oauth.authorize(provider, base_url=base_url, redirect_uri=redirect_uri)
    return Response(status_code=302, headers={"Location": location, "Cache-Control": "no-store"}, body="")


lambda_handler = entrypoint(app)
