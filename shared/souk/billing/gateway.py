"""Stripe Billing through the official SDK: customers and subscriptions.

Built on :func:`souk.payments.gateway.client` (the one configured ``StripeClient``: localstripe
locally and in tests through ``STRIPE_API_BASE``). Every create call sends an idempotency key
derived from our own ids, so a retried request never makes a second customer or subscription.
Stripe down or refusing is 502 ``UPSTREAM_ERROR`` / 503 ``SERVICE_UNAVAILABLE``.
"""

from __future__ import annotations

from typing import Any

from souk.observability import get_tracer, logger
from souk.payments.gateway import client, upstream_error

# What the first invoice needs expanded for its client secret (both API shapes).
EXPAND = ["latest_invoice.payment_intent", "latest_invoice.confirmation_secret"]


@get_tracer().capture_method(capture_response=False)
def create_customer(*, metadata: dict[str, str], idempotency_key: str, email: str | None = None,
                    name: str | None = None) -> str:  # fmt: skip
    """A Stripe customer; its id (``cus_...``)."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    params: dict[str, Any] = {"metadata": metadata}
    if email:
        params["email"] = email
    if name:
        params["name"] = name
    try:
        customer = client().v1.customers.create(params=params,  # type: ignore[arg-type]  # a TypedDict in the SDK
                                                options={"idempotency_key": idempotency_key})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "customers.create") from error
    return str(customer.id)


@get_tracer().capture_method(capture_response=False)
def create_subscription(customer_id: str, price_id: str, *, metadata: dict[str, str],
                        idempotency_key: str) -> dict[str, Any]:  # fmt: skip
    """An ``incomplete`` subscription whose first invoice waits for the client to pay
    (``payment_behavior=default_incomplete``), its ``latest_invoice`` expanded; as a dict."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    params: dict[str, Any] = {"customer": customer_id, "items": [{"price": price_id}], "metadata": metadata,
                              "payment_behavior": "default_incomplete", "expand": EXPAND,
                              "payment_settings": {"save_default_payment_method": "on_subscription"}}  # fmt: skip
    try:
        created = client().v1.subscriptions.create(params=params,  # type: ignore[arg-type]  # a TypedDict in the SDK
                                                   options={"idempotency_key": idempotency_key})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "subscriptions.create") from error
    return created.to_dict()


@get_tracer().capture_method(capture_response=False)
def update_subscription(subscription_id: str, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
    """Change a subscription (its price with prorations, ``cancel_at_period_end``); the result as a dict."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        updated = client().v1.subscriptions.update(subscription_id, params=params,  # type: ignore[arg-type]
                                                   options={"idempotency_key": idempotency_key})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "subscriptions.update") from error
    return updated.to_dict()


@get_tracer().capture_method(capture_response=False)
def cancel_subscription(subscription_id: str) -> dict[str, Any] | None:
    """Cancel a subscription now; None when Stripe no longer knows it (already gone)."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        return client().v1.subscriptions.cancel(subscription_id).to_dict()
    except stripe.InvalidRequestError as error:
        logger.info("stripe subscription not cancelled", extra={"subscription_id": subscription_id,
                                                                "stripe_code": error.code})  # fmt: skip
        return None
    except stripe.StripeError as error:
        raise upstream_error(error, "subscriptions.cancel") from error
