"""Stripe webhooks signed exactly as Stripe signs them, and a test card confirmation on localstripe."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe

STRIPE_WEBHOOK_SECRET = "whsec_test_souk"
WEBHOOK_PATH = "/api/v1/webhooks/stripe"


def sign(payload: bytes, *, secret: str = STRIPE_WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header: ``t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def event(event_type: str, obj: dict[str, Any], *, event_id: str | None = None,
          created: int | None = None) -> dict[str, Any]:  # fmt: skip
    """A Stripe event envelope around ``obj`` (a PaymentIntent, a Charge...)."""
    return {"id": event_id or f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "api_version": "2024-06-20",
            "created": created or int(time.time()), "livemode": False, "pending_webhooks": 1,
            "type": event_type, "data": {"object": obj}}  # fmt: skip


def intent_object(intent_id: str, amount: int, metadata: dict[str, str], *, status: str = "succeeded",
                  currency: str = "usd") -> dict[str, Any]:  # fmt: skip
    return {"id": intent_id, "object": "payment_intent", "amount": amount, "amount_received": amount,
            "currency": currency, "status": status, "metadata": metadata,
            "latest_charge": f"ch_{intent_id[3:]}"}  # fmt: skip


def signed_request(payload: dict[str, Any], **sign_options: Any) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode()
    return body, {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(body, **sign_options)}


def confirm_with_test_card(server: LocalStripe, intent_id: str, card: str = "4242424242424242") -> dict[str, Any]:
    """What a client does with Stripe.js: attach a test card to the intent and confirm it."""
    from stripe import StripeClient

    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url})
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": card, "exp_month": 12, "exp_year": 2030, "cvc": "123"}})  # fmt: skip
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    return client.v1.payment_intents.confirm(intent_id).to_dict()
