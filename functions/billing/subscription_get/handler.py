"""GET /api/v1/subscriptions: the current subscription with the period's usage (Free when none)."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.billing.schemas import SubscriberQuery, SubscriptionOut
from souk.billing.service import subscriptions
from souk.caller import Principal
from souk.errors import NotFound
from souk.http import Depends, Envelope, Query, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.get("/api/v1/subscriptions", summary="My subscription", tags=["Subscriptions"],
         description="The caller's current subscription, or a team's (`teamId`: any member; 404 for non-members), "
                     "with the billing period's usage (exports, API calls by key). No subscription: the Free plan "
                     "(`id` null).",
         openapi_extensions=raises(NotFound))  # fmt: skip
def subscription_get(
    query: Annotated[SubscriberQuery, Query()],
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[SubscriptionOut]:
    return ok(subscriptions.current(caller, query))


lambda_handler = entrypoint(app)
