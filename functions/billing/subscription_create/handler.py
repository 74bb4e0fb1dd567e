"""POST /api/v1/subscriptions: start a paid plan (a Stripe subscription); 201 with the client secret."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.billing.schemas import SubscriptionIn, SubscriptionOut
from souk.billing.service import subscriptions
from souk.caller import Principal
from souk.errors import Conflict, Forbidden, NotFound, ServiceUnavailable, UpstreamError
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.post("/api/v1/subscriptions", status_code=201, summary="Start a subscription", tags=["Subscriptions"],
          description="A paid plan for the caller, or for a team (`teamId`: its admins and owners; 403 for other "
                      "members, 404 for non-members). Stripe makes an `incomplete` subscription whose first invoice "
                      "the client pays with `clientSecret` (Stripe.js); webhooks move the status on. 409 while the "
                      "subscriber has a live subscription (change it with PUT instead).",
          openapi_extensions=raises(NotFound, Forbidden, Conflict, UpstreamError, ServiceUnavailable))  # fmt: skip
def subscription_create(
    body: SubscriptionIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[SubscriptionOut]:
    return ok(subscriptions.start(caller, body))


lambda_handler = entrypoint(app)
