"""DELETE /api/v1/me: erase the caller's account (GDPR); 202 while the privacy worker erases it."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, InvalidCredentials, ServiceUnavailable
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.privacy.schemas import EraseRequest, ErasureOut
from souk.privacy.service import erasure

app = create_app()


@app.delete("/api/v1/me", status_code=202, summary="Delete my account", tags=["Privacy"],
            description="Any role, from a signed-in session, with the current password. Sessions and API keys "
                        "end at once and sign-in is refused; the account's data is then deleted or anonymised "
                        "(orders, ledgers and invoices are kept, anonymised) by a resumable worker, and an "
                        "email confirms it. The last admin, and the last owner of a team with other members, "
                        "are refused (409).",
            openapi_extensions=raises(Conflict, Forbidden, InvalidCredentials, ServiceUnavailable))  # fmt: skip
def account_delete(
    body: EraseRequest,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[ErasureOut]:
    return ok(erasure.request_erasure(caller, body))


lambda_handler = entrypoint(app)
