"""A client's side of the e2e tests: JSON calls, sign-up through the outbox, demo data, a test card."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from typing import Any

from infra.seed import DEMO_PASSWORD
from infra.template import ROOT
from tests.e2e.conftest import Reply, RunnerProcess, http, wait_for

PASSWORD = "Sp4rkling-Otter-91"


def call(runner: RunnerProcess, method: str, path: str, body: Any = None, token: str | None = None,
         headers: dict[str, str] | None = None) -> Reply:  # fmt: skip
    sent = {"Content-Type": "application/json", **(headers or {})}
    if token:
        sent["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    return http(method, runner.url(path), body=data, headers=sent)


def ok(reply: Reply, status: int = 200) -> Any:
    """The envelope's data, once the status is the expected one."""
    assert reply.status == status, (reply.status, reply.body[:800])
    return reply.json["data"]


def login(runner: RunnerProcess, email: str, password: str = DEMO_PASSWORD) -> str:
    return str(ok(call(runner, "POST", "/api/v1/auth/login", {"email": email, "password": password}))["accessToken"])


def emailed_code(runner: RunnerProcess, email: str) -> str:
    """The 6-digit code of the newest email to ``email``, once the email worker has sent it."""

    def newest() -> str | None:
        items = http("GET", runner.url(f"/api/_dev/outbox?to={email}&channel=email&limit=1")).json["data"]
        return items[0]["text"] if items else None

    text = wait_for(newest, timeout=30)
    assert text, f"no email reached the outbox for {email}"
    return next(word.strip(".") for word in text.split() if word.strip(".").isdigit() and len(word.strip(".")) == 6)


def new_customer(runner: RunnerProcess, name: str = "Ada", email: str | None = None) -> tuple[str, str]:
    """A verified customer with one address: (access token, address id); ``email`` a new one if not given."""
    email = email or f"e2e-{uuid.uuid4().hex[:12]}@example.com"
    ok(call(runner, "POST", "/api/v1/auth/register", {"email": email, "password": PASSWORD, "name": name}), 201)
    code = emailed_code(runner, email)
    token = str(ok(call(runner, "POST", "/api/v1/auth/verify", {"email": email, "code": code}))["accessToken"])
    home = {"label": "Home", "line1": "1 Elm St", "city": "Springfield", "country": "US", "lat": 40.1, "lng": -73.2}
    address = ok(call(runner, "POST", "/api/v1/addresses", home, token), 201)
    return token, str(address["id"])


def seed(runner: RunnerProcess) -> str:
    """`make seed` against the runner, found through its stack.json alone, then a zero-fee delivery zone
    serving everywhere (:func:`deliver_everywhere`); what the seed printed."""
    env = {k: v for k, v in runner.env().items() if k not in ("TABLE_NAME", "AWS_ENDPOINT_URL_DYNAMODB")}
    done = subprocess.run([sys.executable, "-m", "infra.seed"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    deliver_everywhere(runner)
    return done.stdout


EVERYWHERE = [[-180, -90], [180, -90], [180, 90], [-180, 90], [-180, -90]]


def deliver_everywhere(runner: RunnerProcess) -> dict[str, Any]:
    """An admin adds a zone serving every address at no fee (priority 0, the largest: the seed's Greater
    Cairo zone still prices Cairo addresses). The e2e customers live in Springfield, far from the
    Cairo stores, so their checkouts have a zone and the flows' amounts stay the goods' alone."""
    free = {"amount": 0, "currency": "usd"}
    body = {"name": "Everywhere (e2e)", "type": "polygon", "polygon": EVERYWHERE, "priority": 0,
            "fee": {"base": free, "perKm": free, "minimum": free}}  # fmt: skip
    admin = login(runner, "admin@souk.example")
    return ok(call(runner, "POST", "/api/v1/delivery-zones", body, admin), 201)  # type: ignore[no-any-return]


def pay_with_test_card(runner: RunnerProcess, intent_id: str) -> str:
    """What Stripe.js does on the client: a card payment method, attached and confirmed."""
    from stripe import StripeClient

    client = StripeClient("sk_test_souk_local", base_addresses={"api": runner.stripe_url})
    method = client.v1.payment_methods.create(params={"type": "card", "card": {
        "number": "4242424242424242", "exp_month": 12, "exp_year": 2030, "cvc": "123"}})  # fmt: skip
    client.v1.payment_intents.update(intent_id, params={"payment_method": method.id})
    return str(client.v1.payment_intents.confirm(intent_id).status)
