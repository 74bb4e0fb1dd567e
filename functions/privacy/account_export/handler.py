"""GET /api/v1/me/export: start the caller's GDPR account export (202); the exports worker builds the file."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.caller import Principal
from souk.errors import Forbidden, RateLimitExceeded, ServiceUnavailable
from souk.exports.schemas import ExportOut
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises
from souk.privacy.service.account_export import start_account_export

app = create_app()


@app.get("/api/v1/me/export", status_code=202, summary="Export my data", tags=["Privacy"],
         description="Any role, from a signed-in session (API keys: 403), 5 an hour. Queues an export of "
                     "every item the caller holds (profile, addresses, sessions, API keys, orders, reviews, "
                     "disputes, notifications, wallet, points, teams, uploads, invoices, audit entries about "
                     "them) as JSON Lines, each row with its `kind`; answers the job: read it with "
                     "`GET /api/v1/exports/{exportId}` until `status` is `completed`, then download `downloadUrl`.",
         openapi_extensions=raises(Forbidden, RateLimitExceeded, ServiceUnavailable))  # fmt: skip
def account_export(caller: Annotated[Principal, Depends(authenticated)]) -> Envelope[ExportOut]:
    return ok(start_account_export(caller))


lambda_handler = entrypoint(app)
