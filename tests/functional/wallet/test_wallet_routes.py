"""Wallet: GET /wallet (balance), GET /wallet/transactions (ledger), POST /wallet/top-up (localstripe)."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.db.transactions import WriteTransaction
from souk.identity.models import User
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from souk.settings import get_settings
from souk.wallet import keys as wallet_keys
from souk.wallet import service as wallet
from souk.wallet.models import Wallet
from tests.commerce_factories import fund_wallet
from tests.factories import create_user, token_for
from tests.stripe_support import WEBHOOK_PATH, confirm_with_test_card, event, signed_request
from tests.support import ApiClient, assert_error, record_dynamodb_calls

WALLET, LEDGER, TOP_UP = "/api/v1/wallet", "/api/v1/wallet/transactions", "/api/v1/wallet/top-up"


def _debit(user: User, amount: int, *, order_id: str = "order-1") -> None:
    with WriteTransaction() as tx:
        wallet.debit(tx, user.user_id, amount, entry_type="debit", reference=wallet.Reference("order", order_id),
                     description="order paid")  # fmt: skip


def _wallet_item(user: User) -> Wallet | None:
    try:
        return Wallet.get(wallet_keys.wallet(user.user_id), wallet_keys.WALLET, consistent_read=True)
    except Wallet.DoesNotExist:
        return None


def _payments_of(user: User) -> list[Payment]:
    return [p for p in Payment.gsi1.query(payments_keys.user_payments(user.user_id)) if isinstance(p, Payment)]


def _intent(server: LocalStripe, intent_id: str) -> Any:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}).v1.payment_intents.retrieve(intent_id)


def _top_up(api: ApiClient, token: str, amount: Any, key: str | None = None) -> Any:
    """POST /wallet/top-up; an int is sent as Money in the wallet's currency, anything else as it is."""
    headers = {"Idempotency-Key": key} if key else None
    sent = {"amount": amount, "currency": "usd"} if type(amount) is int else amount
    return api.post(TOP_UP, token=token, headers=headers, json_body={"amount": sent})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- GET /wallet


def test_a_wallet_never_credited_reads_zero_without_writing(api: ApiClient) -> None:
    # GIVEN a customer who was never credited
    user = create_user("customer")
    # WHEN they read their wallet
    response = api.get(WALLET, token=token_for(user))
    # THEN 0 in the wallet currency, and no Wallet item was created by the read
    assert response.status == 200, response.body
    assert response.json["data"] == {"balance": {"amount": 0, "currency": "usd"}, "currency": "usd",
                                     "updatedAt": None}  # fmt: skip
    assert _wallet_item(user) is None


def test_wallet_shows_the_balance_after_credits_and_debits(api: ApiClient) -> None:
    # GIVEN a courier credited 2500 then debited 700
    user = create_user("courier")
    fund_wallet(user.user_id, 2500)
    _debit(user, 700)
    # WHEN they read the wallet
    data = api.get(WALLET, token=token_for(user)).json["data"]
    # THEN the balance is 1800 usd, with the last movement's time
    assert data["balance"] == {"amount": 1800, "currency": "usd"} and data["currency"] == "usd"
    assert data["updatedAt"] is not None and data["updatedAt"].startswith(_wallet_item(user).updated_at.strftime("%Y"))


def test_wallet_is_for_customers_owners_and_couriers_only(api: ApiClient) -> None:
    # GIVEN a store owner, an admin and no token
    owner = create_user("store_owner")
    fund_wallet(owner.user_id, 300)
    # WHEN / THEN the owner sees their balance, the admin is 403, no token is 401
    assert api.get(WALLET, token=token_for(owner)).json["data"]["balance"]["amount"] == 300
    assert_error(api.get(WALLET, token=token_for(create_user("admin"))), 403, "FORBIDDEN")
    assert_error(api.get(WALLET), 401, "UNAUTHORIZED")


# --- GET /wallet/transactions


def test_transactions_are_newest_first_with_signed_amounts(api: ApiClient) -> None:
    # GIVEN a credit, a top-up credit (derived entry id) and then a debit
    user = create_user("customer")
    fund_wallet(user.user_id, 5000)
    with WriteTransaction() as tx:
        wallet.credit(tx, user.user_id, 2000, entry_type="topup", reference=wallet.Reference("payment", "pay-1"),
                      entry_id="topup-pay-1", description="Wallet top-up")  # fmt: skip
    _debit(user, 1200, order_id="order-9")
    # WHEN they list their transactions
    response = api.get(LEDGER, token=token_for(user))
    # THEN newest first (the derived id does not jump the queue), debits negative
    assert response.status == 200, response.body
    entries = response.json["data"]
    assert [(e["type"], e["amount"]) for e in entries] == [
        ("debit", {"amount": -1200, "currency": "usd"}),
        ("topup", {"amount": 2000, "currency": "usd"}),
        ("credit", {"amount": 5000, "currency": "usd"}),
    ]
    assert (entries[0]["referenceType"], entries[0]["referenceId"], entries[0]["description"]) == (
        "order", "order-9", "order paid")  # fmt: skip
    assert entries[1]["id"] == "topup-pay-1" and entries[1]["referenceId"] == "pay-1"
    assert entries[2]["referenceType"] is None and entries[2]["createdAt"]
    assert response.json["pagination"]["hasNext"] is False and response.json["pagination"]["nextCursor"] is None


def test_transactions_filter_by_type(api: ApiClient) -> None:
    # GIVEN two credits and two debits
    user = create_user("customer")
    fund_wallet(user.user_id, 1000)
    fund_wallet(user.user_id, 1000)
    _debit(user, 300)
    _debit(user, 400)
    # WHEN they ask for debits only
    entries = api.get(f"{LEDGER}?type=debit", token=token_for(user)).json["data"]
    # THEN only the two debits, newest first
    assert [(e["type"], e["amount"]["amount"]) for e in entries] == [("debit", -400), ("debit", -300)]


def test_transactions_page_with_a_cursor(api: ApiClient) -> None:
    # GIVEN five credits of 1..5
    user = create_user("customer")
    token = token_for(user)
    for amount in range(1, 6):
        fund_wallet(user.user_id, amount)
    # WHEN they read pages of two
    first = api.get(f"{LEDGER}?limit=2", token=token).json
    second = api.get(f"{LEDGER}?limit=2&cursor={first['pagination']['nextCursor']}", token=token).json
    third = api.get(f"{LEDGER}?limit=2&cursor={second['pagination']['nextCursor']}", token=token).json
    # THEN every entry once, newest first, and the last page says so
    amounts = [[e["amount"]["amount"] for e in p["data"]] for p in (first, second, third)]
    assert amounts == [[5, 4], [3, 2], [1]]
    assert [p["pagination"]["hasNext"] for p in (first, second, third)] == [True, True, False]


def test_a_cursor_of_another_ledger_is_400(api: ApiClient) -> None:
    # GIVEN a cursor from one user's ledger
    alice, bob = create_user("customer"), create_user("customer")
    for _ in range(3):
        fund_wallet(alice.user_id, 10)
    fund_wallet(bob.user_id, 10)
    cursor = api.get(f"{LEDGER}?limit=1", token=token_for(alice)).json["pagination"]["nextCursor"]
    # WHEN another user sends it
    response = api.get(f"{LEDGER}?limit=1&cursor={cursor}", token=token_for(bob))
    # THEN 400 on the cursor
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "cursor"


def test_another_users_ledger_is_404_but_an_admin_reads_it(api: ApiClient) -> None:
    # GIVEN alice's funded wallet
    alice, bob = create_user("customer"), create_user("customer")
    fund_wallet(alice.user_id, 900)
    # WHEN bob asks for it / an admin asks for it / alice names herself
    as_bob = api.get(f"{LEDGER}?userId={alice.user_id}", token=token_for(bob))
    as_admin = api.get(f"{LEDGER}?userId={alice.user_id}", token=token_for(create_user("admin")))
    as_alice = api.get(f"{LEDGER}?userId={alice.user_id}", token=token_for(alice))
    # THEN 404 for bob, alice's entries for the admin and for alice
    assert_error(as_bob, 404, "NOT_FOUND")
    assert [e["amount"]["amount"] for e in as_admin.json["data"]] == [900]
    assert [e["amount"]["amount"] for e in as_alice.json["data"]] == [900]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "type=bonus", "cursor=garbage"])
def test_transactions_validation(api: ApiClient, query: str) -> None:
    # GIVEN a customer with a ledger
    user = create_user("customer")
    fund_wallet(user.user_id, 100)
    # WHEN the query string is invalid
    response = api.get(f"{LEDGER}?{query}", token=token_for(user))
    # THEN 400 VALIDATION_ERROR naming the field
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == query.split("=")[0]


def test_reads_cost_a_constant_number_ofrecord_dynamodb_calls(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a ledger of 30 entries
    user = create_user("customer")
    token = token_for(user)
    for _ in range(30):
        fund_wallet(user.user_id, 10)
    calls = record_dynamodb_calls(monkeypatch)
    # WHEN the balance and a filtered page are read
    assert api.get(WALLET, token=token).json["data"]["balance"]["amount"] == 300
    balance_calls = list(calls)
    calls.clear()
    assert len(api.get(f"{LEDGER}?limit=5&type=credit", token=token).json["data"]) == 5
    # THEN the session check plus one GetItem / one Query, whatever the ledger holds
    assert balance_calls == ["GetItem", "GetItem"]
    assert calls == ["GetItem", "Query"]


def test_transactions_need_a_token(api: ApiClient) -> None:
    assert_error(api.get(LEDGER), 401, "UNAUTHORIZED")


# --- POST /wallet/top-up


def test_top_up_creates_a_payment_intent_and_a_pending_payment(api: ApiClient, stripe_fake) -> None:
    # GIVEN a customer with 300 in the wallet
    user = create_user("customer")
    fund_wallet(user.user_id, 300)
    # WHEN they top up 5000
    response = _top_up(api, token_for(user), 5000, key="top-up-1")
    # THEN 201 with the payment id, the client secret and the amount, pending
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data["amount"] == {"amount": 5000, "currency": "usd"} and data["status"] == "pending"
    assert response.headers["X-RateLimit-Limit"] == "10" and response.headers["X-RateLimit-Remaining"] == "9"
    # AND the intent exists at Stripe with the amount and our metadata
    payment = Payment.get(
        payments_keys.payment(data["paymentId"]), payments_keys.payment(data["paymentId"]), consistent_read=True
    )
    intent = _intent(stripe_fake, payment.stripe_payment_intent_id)
    assert (intent.amount, intent.currency) == (5000, "usd")
    assert intent.metadata.to_dict() == {"paymentId": data["paymentId"], "userId": user.user_id, "kind": "topup"}
    assert data["clientSecret"] == intent.client_secret == payment.client_secret
    assert data["intentId"] == intent.id == payment.stripe_payment_intent_id
    # AND the payment is a pending card top-up on the user's and the platform's timelines
    assert (payment.kind, payment.method, payment.status, payment.amount, payment.currency, payment.user_id) == (
        "topup", "card", "pending", 5000, "usd", user.user_id)  # fmt: skip
    assert payment.order_ids == [] and payment.gsi1pk == payments_keys.user_payments(user.user_id)
    assert payment.gsi2pk == payments_keys.PAYMENTS_ALL and payment.gsi2sk.endswith(data["paymentId"])
    # AND it was audited, and the balance is untouched until the webhook credits it
    audits = list(AuditRecord.gsi2.query(audit_keys.audit_resource("payment", data["paymentId"])))
    assert [(a.action, a.actor_id) for a in audits] == [("wallet.top_up", user.user_id)]
    assert int(_wallet_item(user).balance) == 300


def test_a_replayed_top_up_returns_the_first_answer_and_one_payment(api: ApiClient, stripe_fake) -> None:
    # GIVEN a top-up sent with a key
    user = create_user("store_owner")
    token = token_for(user)
    first = _top_up(api, token, 2500, key="retry-me")
    # WHEN the same request is replayed, then the same key is sent with another amount
    again = _top_up(api, token, 2500, key="retry-me")
    other = _top_up(api, token, 2600, key="retry-me")
    # THEN the replay is the first answer, the other body is 409, and there is one payment
    assert first.status == 201 and again.status == 201, again.body
    assert again.json["data"] == first.json["data"]
    assert_error(other, 409, "IDEMPOTENCY_CONFLICT")
    assert [p.payment_id for p in _payments_of(user)] == [first.json["data"]["paymentId"]]


def test_top_ups_without_a_key_are_separate_payments(api: ApiClient, stripe_fake) -> None:
    # GIVEN a courier
    user = create_user("courier")
    token = token_for(user)
    # WHEN they top up twice without an Idempotency-Key
    one, two = _top_up(api, token, 100), _top_up(api, token, 100)
    # THEN two payments, two intents
    assert one.status == two.status == 201
    payments = _payments_of(user)
    assert len(payments) == 2 and len({p.stripe_payment_intent_id for p in payments}) == 2


@pytest.mark.parametrize(
    ("amount", "field"),
    [(99, "amount.amount"), (1_000_001, "amount.amount"), (0, "amount.amount"), (-500, "amount.amount"),
     ({"amount": "5000", "currency": "usd"}, "amount.amount"), ({"amount": 50.5, "currency": "usd"}, "amount.amount"),
     ({"amount": 5000, "currency": "eur"}, "amount.currency"), ({"amount": 5000}, "amount.currency"),
     (5000.0, "amount"), ("5000", "amount"), (None, "amount")],
)  # fmt: skip
def test_top_up_amount_validation(api: ApiClient, amount: Any, field: str) -> None:
    # GIVEN a customer
    user = create_user("customer")
    # WHEN the amount is out of range, not Money in minor units, or not in the wallet's currency (usd)
    response = _top_up(api, token_for(user), amount)
    # THEN 400 on that field, nothing written
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == field
    assert _payments_of(user) == []


def test_a_bare_number_is_not_money(api: ApiClient) -> None:
    # The contract: every money field of a request is {amount, currency}; a bare number is a 400.
    user = create_user("customer")
    response = api.post(TOP_UP, token=token_for(user), json_body={"amount": 5000})
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "amount"
    assert _payments_of(user) == []


def test_top_up_key_validation(api: ApiClient) -> None:
    # GIVEN a customer WHEN the Idempotency-Key is too long THEN 400 on the header, nothing written
    user = create_user("customer")
    payload = assert_error(_top_up(api, token_for(user), 1000, key="k" * 256), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "Idempotency-Key"
    assert _payments_of(user) == []


def test_top_up_auth(api: ApiClient) -> None:
    # GIVEN an admin and no token WHEN they top up THEN 403 / 401, nothing written
    admin = create_user("admin")
    assert_error(_top_up(api, token_for(admin), 1000), 403, "FORBIDDEN")
    assert_error(_top_up(api, None, 1000), 401, "UNAUTHORIZED")  # type: ignore[arg-type]
    assert _payments_of(admin) == []


def test_stripe_unreachable_is_503_and_writes_nothing(api: ApiClient, stripe_fake,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    # GIVEN Stripe unreachable
    user = create_user("customer")
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{_closed_port()}")
    get_settings.cache_clear()
    # WHEN they top up with a key
    response = _top_up(api, token_for(user), 1000, key="down")
    # THEN 503, no payment; the key is free again once Stripe is back
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert _payments_of(user) == []
    monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
    get_settings.cache_clear()
    assert _top_up(api, token_for(user), 1000, key="down").status == 201
    assert len(_payments_of(user)) == 1


def test_top_ups_are_rate_limited_per_user(api: ApiClient, stripe_fake) -> None:
    # GIVEN a customer who already made the limit of top-ups this window
    user, other = create_user("customer"), create_user("customer")
    token = token_for(user)
    if time.time() % wallet.TOP_UPS_PER_USER.window_seconds > wallet.TOP_UPS_PER_USER.window_seconds - 3:
        time.sleep(3)  # the hits and the request must fall in the same window
    for _ in range(wallet.TOP_UPS_PER_USER.limit):
        wallet.TOP_UPS_PER_USER.hit(user.user_id)
    # WHEN they try once more
    response = _top_up(api, token, 1000)
    # THEN 429 with Retry-After, nothing written; another user is not affected
    payload = assert_error(response, 429, "RATE_LIMIT_EXCEEDED")
    assert payload and int(response.headers["Retry-After"]) >= 1
    assert _payments_of(user) == []
    assert _top_up(api, token_for(other), 1000).status == 201


def test_a_confirmed_top_up_is_credited_once_by_the_webhook(api: ApiClient, stripe_fake) -> None:
    # GIVEN a customer with 200 who tops up 3000 and confirms the intent with a test card
    user = create_user("customer")
    token = token_for(user)
    fund_wallet(user.user_id, 200)
    payment_id = _top_up(api, token, 3000, key="flow").json["data"]["paymentId"]
    payment = Payment.get(payments_keys.payment(payment_id), payments_keys.payment(payment_id), consistent_read=True)
    confirmed = confirm_with_test_card(stripe_fake, payment.stripe_payment_intent_id)
    assert confirmed["status"] == "succeeded"
    # WHEN Stripe delivers payment_intent.succeeded, twice (a retry)
    body, headers = signed_request(event("payment_intent.succeeded", confirmed))
    first = api.post(WEBHOOK_PATH, body=body, headers=headers)
    again = api.post(WEBHOOK_PATH, body=body, headers=headers)
    # THEN the wallet is credited once, the ledger shows the top-up on top, the payment succeeded
    assert first.status == 200 and again.status == 200, (first.body, again.body)
    assert api.get(WALLET, token=token).json["data"]["balance"] == {"amount": 3200, "currency": "usd"}
    entries = api.get(LEDGER, token=token).json["data"]
    assert [(e["type"], e["amount"]["amount"], e["referenceId"]) for e in entries] == [
        ("topup", 3000, payment_id), ("credit", 200, None)]  # fmt: skip
    assert entries[0]["id"] == f"topup-{payment_id}"
    assert (
        Payment.get(payments_keys.payment(payment_id), payments_keys.payment(payment_id), consistent_read=True).status
        == "succeeded"
    )
