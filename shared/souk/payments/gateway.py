"""Stripe, through the official SDK: PaymentIntents, refunds, Connect (Express accounts, account links,
transfers and their reversals) and webhook verification.

The only module that imports ``stripe`` (lazily: handlers that never pay don't load it).
Locally and in tests ``STRIPE_API_BASE`` points the SDK at localstripe; in production it
is unset and the SDK talks to api.stripe.com. Every create call sends an idempotency key
derived from our own ids, so a retried request never charges or refunds twice at Stripe.
Stripe being down or refusing a call becomes 502 UPSTREAM_ERROR / 503 SERVICE_UNAVAILABLE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from souk.errors import BadRequest, ServiceUnavailable, UpstreamError
from souk.observability import get_tracer, logger
from souk.secrets import stripe_keys
from souk.settings import get_settings
from souk.snapstart import on_restore

if TYPE_CHECKING:
    from stripe import StripeClient

# Stripe's default tolerance: a signature older than this (or as far in the future) is refused.
SIGNATURE_TOLERANCE_SECONDS = 300
# Connect calls wait at most this long per try (the SDK's default is 80 s): the payouts worker's
# Lambda timeout must leave room for the tries (max_network_retries) and its DynamoDB writes.
CONNECT_TIMEOUT_SECONDS = 5.0


class TransferRefused(UpstreamError):
    """Stripe answered a transfer or a reversal with a definitive refusal (invalid request: the destination
    cannot receive transfers or cover the reversal, a bad amount): nothing was created, and sending it
    again now would fail the same way."""

    def __init__(self, reason: str, stripe_code: str | None = None) -> None:
        super().__init__("The payment provider refused the transfer.")
        self.reason = reason
        self.stripe_code = stripe_code


@dataclass(frozen=True)
class Intent:
    id: str
    client_secret: str
    status: str


@lru_cache(maxsize=4)
def _client(secret_key: str, api_base: str | None, timeout: float | None = None) -> StripeClient:
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    from stripe import StripeClient, new_default_http_client

    options: dict[str, Any] = {"max_network_retries": 2}
    if api_base:
        options["base_addresses"] = {"api": api_base}
    if timeout is not None:
        options["http_client"] = new_default_http_client(timeout=timeout)
    return StripeClient(secret_key, **options)


on_restore(_client.cache_clear)  # SnapStart: no client outlives a restore


def client(timeout: float | None = None) -> StripeClient:
    secret_key, _ = stripe_keys()
    return _client(secret_key, get_settings().stripe_api_base, timeout)


def upstream_error(error: Exception, what: str) -> Exception:
    """The error a failed Stripe call ``what`` answers: 503 when Stripe is unreachable or rate limits, else 502."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    logger.warning("stripe call failed", extra={"call": what, "error_type": type(error).__name__,
                                                "stripe_code": getattr(error, "code", None)})  # fmt: skip
    if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
        return ServiceUnavailable("The payment provider is unavailable; retry shortly.")
    return UpstreamError("The payment provider refused the request.")


@get_tracer().capture_method(capture_response=False)  # Stripe calls: their own line in traces
def create_payment_intent(amount: int, currency: str, *, metadata: dict[str, str], idempotency_key: str,
                          description: str | None = None) -> Intent:  # fmt: skip
    """A card PaymentIntent for ``amount`` minor units; the client confirms it with the client secret."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    params: dict[str, Any] = {"amount": amount, "currency": currency, "metadata": metadata,
                              "payment_method_types": ["card"]}  # fmt: skip
    if description:
        params["description"] = description
    try:
        intent = client().v1.payment_intents.create(params=params,  # type: ignore[arg-type]  # a TypedDict in the SDK
                                                    options={"idempotency_key": idempotency_key})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "payment_intents.create") from error
    return Intent(id=intent.id, client_secret=str(intent.client_secret), status=str(intent.status))


@get_tracer().capture_method(capture_response=False)
def find_payment_intent(intent_id: str) -> dict[str, Any] | None:
    """The PaymentIntent as a dict, or None when Stripe does not know it (404 or an id it refuses).

    Raises
    ------
    UpstreamError, ServiceUnavailable
        Stripe failed or could not be reached (the caller's event is delivered again later).
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        return client().v1.payment_intents.retrieve(intent_id).to_dict()
    except stripe.InvalidRequestError as error:
        logger.info("stripe intent unknown", extra={"intent_id": intent_id, "stripe_code": error.code})
        return None
    except stripe.StripeError as error:
        raise upstream_error(error, "payment_intents.retrieve") from error


@get_tracer().capture_method(capture_response=False)
def cancel_payment_intent(intent_id: str) -> None:
    """Best effort: an intent that can no longer be cancelled (already paid) is left alone and logged."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        client().v1.payment_intents.cancel(intent_id)
    except stripe.StripeError as error:
        logger.warning("payment intent not cancelled", extra={"intent_id": intent_id,
                                                              "error_type": type(error).__name__})  # fmt: skip


@get_tracer().capture_method(capture_response=False)
def create_refund(intent_id: str, amount: int, *, idempotency_key: str, metadata: dict[str, str]) -> str:
    """Refund ``amount`` of a succeeded PaymentIntent to the card; returns the Stripe refund id."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        refund = client().v1.refunds.create(params={"payment_intent": intent_id, "amount": amount,
                                                    "metadata": metadata},
                                            options={"idempotency_key": idempotency_key})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "refunds.create") from error
    return str(refund.id)


# ---------------------------------------------------------------- Connect


@get_tracer().capture_method(capture_response=False)
def create_express_account(*, country: str | None, metadata: dict[str, str], idempotency_key: str) -> str:
    """A Stripe Connect Express account able to receive transfers; returns its id (``acct_...``).

    The same ``idempotency_key`` with the same parameters within 24 hours returns the same
    account: two parallel requests never make two.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    params: dict[str, Any] = {"type": "express", "capabilities": {"transfers": {"requested": True}},
                              "metadata": metadata}  # fmt: skip
    if country:
        params["country"] = country.upper()
    try:
        account = client(CONNECT_TIMEOUT_SECONDS).v1.accounts.create(
            params=params,  # type: ignore[arg-type]  # a TypedDict in the SDK
            options={"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise upstream_error(error, "accounts.create") from error
    return str(account.id)


@get_tracer().capture_method(capture_response=False)
def create_account_link(account_id: str, *, refresh_url: str, return_url: str) -> str:
    """A one-time onboarding URL for the account (Stripe's hosted Express onboarding)."""
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        link = client(CONNECT_TIMEOUT_SECONDS).v1.account_links.create(params={
            "account": account_id, "refresh_url": refresh_url, "return_url": return_url,
            "type": "account_onboarding"})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "account_links.create") from error
    return str(link.url)


@get_tracer().capture_method(capture_response=False)
def find_transfer(transfer_group: str) -> dict[str, Any] | None:
    """The newest transfer of ``transfer_group`` as a dict, or None when Stripe has none.

    Raises
    ------
    UpstreamError, ServiceUnavailable
        Stripe failed or could not be reached: whether a transfer exists is unknown.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        found = client(CONNECT_TIMEOUT_SECONDS).v1.transfers.list(params={"transfer_group": transfer_group,
                                                                          "limit": 1})  # fmt: skip
    except stripe.StripeError as error:
        raise upstream_error(error, "transfers.list") from error
    return found.data[0].to_dict() if found.data else None


@get_tracer().capture_method(capture_response=False)
def create_transfer(amount: int, currency: str, *, destination: str, transfer_group: str, metadata: dict[str, str],
                    idempotency_key: str) -> dict[str, Any]:  # fmt: skip
    """Send ``amount`` from the platform's balance to a connected account; the transfer as a dict.

    Raises
    ------
    TransferRefused
        Stripe refused it for good (``invalid_request_error``): nothing was created.
    UpstreamError, ServiceUnavailable
        Anything else (timeout, connection, 5xx, rate limit, an idempotency clash): the outcome
        is unknown, a transfer may exist; look it up by ``transfer_group`` before sending again.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    params: dict[str, Any] = {"amount": amount, "currency": currency, "destination": destination,
                              "transfer_group": transfer_group, "metadata": metadata}  # fmt: skip
    try:
        transfer = client(CONNECT_TIMEOUT_SECONDS).v1.transfers.create(
            params=params,  # type: ignore[arg-type]  # a TypedDict in the SDK
            options={"idempotency_key": idempotency_key},
        )
    except stripe.InvalidRequestError as error:
        logger.warning("stripe refused a transfer", extra={"transfer_group": transfer_group,
                                                           "stripe_code": error.code})  # fmt: skip
        raise TransferRefused(str(error.user_message or error.code or "invalid request")[:500], error.code) from error
    except stripe.StripeError as error:
        raise upstream_error(error, "transfers.create") from error
    return transfer.to_dict()


@get_tracer().capture_method(capture_response=False)
def retrieve_transfer(transfer_id: str) -> dict[str, Any] | None:
    """The transfer as a dict (its ``amount_reversed`` included), or None when Stripe does not know it.

    Raises
    ------
    UpstreamError, ServiceUnavailable
        Stripe failed or could not be reached.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        return client(CONNECT_TIMEOUT_SECONDS).v1.transfers.retrieve(transfer_id).to_dict()
    except stripe.InvalidRequestError as error:
        logger.info("stripe transfer unknown", extra={"transfer_id": transfer_id, "stripe_code": error.code})
        return None
    except stripe.StripeError as error:
        raise upstream_error(error, "transfers.retrieve") from error


@get_tracer().capture_method(capture_response=False)
def list_transfer_reversals(transfer_id: str) -> list[dict[str, Any]]:
    """Every reversal of the transfer (all pages), newest first, as dicts.

    Raises
    ------
    UpstreamError, ServiceUnavailable
        Stripe failed or could not be reached: which reversals exist is unknown.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        found = client(CONNECT_TIMEOUT_SECONDS).v1.transfers.reversals.list(transfer_id, params={"limit": 100})
        return [reversal.to_dict() for reversal in found.auto_paging_iter()]
    except stripe.StripeError as error:
        raise upstream_error(error, "transfers.reversals.list") from error


@get_tracer().capture_method(capture_response=False)
def reverse_transfer(transfer_id: str, amount: int, *, idempotency_key: str,
                     metadata: dict[str, str]) -> dict[str, Any]:  # fmt: skip
    """Take ``amount`` of a transfer back from the connected account (in the transfer's currency); the reversal.

    Raises
    ------
    TransferRefused
        Stripe refused it for good (``invalid_request_error``: the connected account cannot
        cover it, ``balance_insufficient``; more than is left on the transfer): nothing was reversed.
    UpstreamError, ServiceUnavailable
        Anything else (timeout, connection, 5xx, rate limit, an idempotency clash): the outcome is
        unknown, a reversal may exist; list the transfer's reversals (``metadata``) before sending again.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    try:
        reversal = client(CONNECT_TIMEOUT_SECONDS).v1.transfers.reversals.create(
            transfer_id, params={"amount": amount, "metadata": metadata}, options={"idempotency_key": idempotency_key}
        )
    except stripe.InvalidRequestError as error:
        logger.warning("stripe refused a transfer reversal", extra={"transfer_id": transfer_id,
                                                                    "stripe_code": error.code})  # fmt: skip
        raise TransferRefused(str(error.user_message or error.code or "invalid request")[:500], error.code) from error
    except stripe.StripeError as error:
        raise upstream_error(error, "transfers.reversals.create") from error
    return reversal.to_dict()


def _signed_at(signature: str) -> int:
    """The ``t=`` of a ``Stripe-Signature`` header (the first, as the SDK reads it)."""
    for item in signature.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise ValueError("no timestamp")


def verify_webhook(payload: bytes, signature: str | None) -> str:
    """The body as text, if ``Stripe-Signature`` signs exactly ``payload`` with our secret, recently.

    ``stripe.WebhookSignature.verify_header`` checks the HMAC-SHA256 of ``"<t>.<payload>"``
    against every ``v1`` in the header and refuses timestamps older than the tolerance; it
    does not look the other way, so a timestamp more than the tolerance ahead of our clock
    is refused here. The body is only parsed afterwards (souk.webhooks.service), by the
    request guard.

    Raises
    ------
    BadRequest
        No header, a body that is not UTF-8, a signature that does not match, or a timestamp
        more than :data:`SIGNATURE_TOLERANCE_SECONDS` away from now either way.
    """
    # Deferred for cold start: the Stripe SDK loads with the first Stripe call.
    import stripe

    if not signature:
        raise BadRequest("Missing Stripe-Signature header.")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The webhook body is not UTF-8 text.") from None
    _, webhook_secret = stripe_keys()
    try:
        stripe.WebhookSignature.verify_header(text, signature, webhook_secret, tolerance=SIGNATURE_TOLERANCE_SECONDS)
    except stripe.SignatureVerificationError as error:
        raise BadRequest("The Stripe signature is invalid or too old.") from error
    if _signed_at(signature) > time.time() + SIGNATURE_TOLERANCE_SECONDS:
        raise BadRequest("The Stripe signature is dated in the future.")
    return text
