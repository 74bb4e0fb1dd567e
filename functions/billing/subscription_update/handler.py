"""PUT /api/v1/subscriptions/{subscriptionId}: change the plan (prorated), cancel at the period's end or undo it."""

from __future__ import annotations

from typing import Annotated

from souk.auth.principal import authenticated
from souk.billing.schemas import SubscriptionOut, SubscriptionUpdateIn
from souk.billing.service import subscriptions
from souk.caller import Principal
from souk.errors import Forbidden, InvalidState, NotFound, ServiceUnavailable, UpstreamError
from souk.http import Depends, Envelope, Path, create_app, entrypoint, ok
from souk.http.docs import raises

app = create_app()


@app.put("/api/v1/subscriptions/<subscriptionId>", summary="Change a subscription", tags=["Subscriptions"],
         description="The caller's own subscription, or their team's as its admin or owner (403 for other members, "
                     "404 otherwise). `plan`: another paid plan, prorated by Stripe; `cancelAtPeriodEnd`: true ends "
                     "it at the period's end, false undoes that. 409 unless it is trialing, active or past_due.",
         openapi_extensions=raises(NotFound, Forbidden, InvalidState, UpstreamError, ServiceUnavailable))  # fmt: skip
def subscription_update(
    subscription_id: Annotated[str, Path(alias="subscriptionId", max_length=64)],
    body: SubscriptionUpdateIn,
    caller: Annotated[Principal, Depends(authenticated)],
) -> Envelope[SubscriptionOut]:
    return ok(subscriptions.update(caller, subscription_id, body))


lambda_handler = entrypoint(app)
