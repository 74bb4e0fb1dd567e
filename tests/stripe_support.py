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


def dev_hook(server: LocalStripe, path: str, method: str = "POST", **data: str) -> Any:
    """Call one of our localstripe dev hooks (``/connect/...``, ``/billing/...``, ``/_config/...``)."""
    import urllib.parse
    import urllib.request

    body = urllib.parse.urlencode(data).encode() if data else (b"" if method == "POST" else None)
    request = urllib.request.Request(server.url + path, data=body, method=method)
    request.add_header("Authorization", f"Bearer {TEST_SECRET_KEY}")
    if data:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


class WebhookReceiver:
    """Our webhook endpoint's stand-in, registered on localstripe: records every delivery (raw body and
    ``Stripe-Signature``) so a test can verify what Stripe would have sent us."""

    def __init__(self, server: LocalStripe, secret: str) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.deliveries: list[tuple[bytes, str]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.arrived:
                    receiver.deliveries.append((body, self.headers.get("Stripe-Signature", "")))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = server
        self.webhook_id = f"test-{uuid.uuid4().hex[:8]}"
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}{WEBHOOK_PATH}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        server.register_webhook(self.url, secret, self.webhook_id)

    def close(self) -> None:
        dev_hook(self._server, f"/_config/webhooks/{self.webhook_id}", method="DELETE")
        self.http.shutdown()
        self.http.server_close()

    def wait_for(self, event_type: str, object_id: str, within: float = 20.0, **fields: Any) -> tuple[bytes, str]:
        """The first delivery of ``event_type`` about ``object_id`` whose object has ``fields``: (body,
        signature). localstripe sends about a second after the fact."""
        deadline = time.monotonic() + within
        with self.arrived:
            while True:
                for body, signature in self.deliveries:
                    payload = json.loads(body)
                    obj = payload["data"]["object"]
                    if (payload["type"], obj.get("id")) == (event_type, object_id) and all(
                        obj.get(name) == value for name, value in fields.items()
                    ):
                        return body, signature
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no {event_type} for {object_id} with {fields} delivered in {within:.0f}s")
                self.arrived.wait(left)
