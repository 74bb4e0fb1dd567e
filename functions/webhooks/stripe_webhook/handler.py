"""POST /api/v1/webhooks/stripe: Stripe's signed events on the exact raw body, each applied once."""

from __future__ import annotations

from typing import Annotated

from souk.errors import Conflict
from souk.http import Depends, Envelope, create_app, entrypoint, ok
from souk.http.dependencies import stripe_delivery
from souk.http.docs import raises
from souk.webhooks import service
from souk.webhooks.schemas import Delivery, WebhookAck

app = create_app()


# No body parameter: the resolver must not parse or re-serialize what Stripe signed.
@app.post(
    "/api/v1/webhooks/stripe",
    summary="Stripe webhook (Stripe-Signature on the raw body)",
    tags=["Payments"],
    openapi_extensions=raises(Conflict),
)
def stripe_webhook(
    delivery: Annotated[Delivery, Depends(stripe_delivery)],
) -> Envelope[WebhookAck]:
    return ok(service.receive(delivery))


lambda_handler = entrypoint(app)
