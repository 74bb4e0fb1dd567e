"""Refunds, POST /api/v1/payments/{paymentId}/refund: full or partial, to the card (localstripe) or the wallet."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.identity.models import User
from souk.ids import new_id
from souk.orders.models import Order
from souk.payments import gateway
from souk.payments.models import Payment
from souk.settings import get_settings
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet, WalletEntry
from tests.commerce_factories import make_order, make_payment, stored_order, stored_payment, stored_refunds
from tests.factories import create_user, token_for
from tests.stripe_support import confirm_with_test_card
from tests.support import ApiClient, assert_error

PAID = 2000  # make_order's default: 2 x 1000


def _path(payment_id: str) -> str:
    return f"/api/v1/payments/{payment_id}/refund"


@dataclass
class Sale:
    customer: User
    owner: User
    order: Order
    payment: Payment


def _sale(*, status: str = "paid", method: str = "card", intent_id: str | None = None, owner: User | None = None,
          customer: User | None = None) -> Sale:  # fmt: skip
    """One order of one store, paid by ``method`` (a card payment only reaches Stripe with ``intent_id``)."""
    customer = customer or create_user("customer")
    owner = owner or create_user("store_owner")
    store_id = f"store-{new_id()}"
    paid = status not in ("pending_payment", "cancelled")
    payment = make_payment(customer.user_id, PAID, method=method, status="succeeded" if paid else "pending",
                           store_ids=[store_id], store_owner_ids=[owner.user_id],
                           intent_id=intent_id or (f"pi_{new_id()}" if method == "card" else None))  # fmt: skip
    order = make_order(customer.user_id, store_id, owner.user_id, status=status, method=method,
                       payment_id=payment.payment_id)  # fmt: skip
    payment.order_ids = [order.order_id]
    payment.save()
    return Sale(customer, owner, order, payment)


def _two_store_sale() -> tuple[Sale, Sale]:
    """One card payment for two orders of two stores (a checkout across stores)."""
    customer = create_user("customer")
    owners = create_user("store_owner"), create_user("store_owner")
    stores = f"store-{new_id()}", f"store-{new_id()}"
    payment = make_payment(customer.user_id, 2 * PAID, store_ids=list(stores), intent_id=f"pi_{new_id()}",
                           store_owner_ids=[o.user_id for o in owners])  # fmt: skip
    orders = [make_order(customer.user_id, s, o.user_id, payment_id=payment.payment_id)
              for s, o in zip(stores, owners, strict=True)]  # fmt: skip
    payment.order_ids = [o.order_id for o in orders]
    payment.save()
    return Sale(customer, owners[0], orders[0], payment), Sale(customer, owners[1], orders[1], payment)


def _refund(api: ApiClient, token: str | None, payment_id: str, key: str | None = None, **body: Any) -> Any:
    """POST the refund; an int ``amount`` is sent as Money in usd (the payments here), anything else as it is."""
    headers = {"Idempotency-Key": key} if key else None
    if type(body.get("amount")) is int:
        body["amount"] = {"amount": body["amount"], "currency": "usd"}
    return api.post(_path(payment_id), token=token, headers=headers, json_body=body)


def _balance(user: User) -> int | None:
    try:
        return int(Wallet.get(wallet_keys.wallet(user.user_id), wallet_keys.WALLET, consistent_read=True).balance)
    except Wallet.DoesNotExist:
        return None


def _stripe(server: LocalStripe) -> StripeClient:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url})


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _succeeded_intent(server: LocalStripe, amount: int) -> str:
    """A PaymentIntent paid with a test card at localstripe, as checkout + Stripe.js leave it."""
    intent = gateway.create_payment_intent(amount, "usd", metadata={"kind": "order"}, idempotency_key=f"pi-{new_id()}")
    assert confirm_with_test_card(server, intent.id)["status"] == "succeeded"
    return intent.id


# --- happy paths


def test_full_refund_of_a_wallet_payment_goes_back_to_the_wallet(api: ApiClient) -> None:
    # GIVEN an order paid 2000 from the wallet
    sale = _sale(method="wallet")
    admin = create_user("admin")
    # WHEN an admin refunds it to the original method without an amount
    response = _refund(api, token_for(admin), sale.payment.payment_id, reason="damaged", to="original")
    # THEN 201: a succeeded refund of everything paid
    assert response.status == 201, response.body
    data = response.json["data"]
    assert (data["amount"], data["status"], data["to"], data["orderId"], data["reason"]) == (
        {"amount": PAID, "currency": "usd"}, "succeeded", "original", sale.order.order_id, "damaged")  # fmt: skip
    # AND the order and the payment are refunded in full, with the move in the order's history
    order, payment = stored_order(sale.order.order_id), stored_payment(sale.payment.payment_id)
    assert (order.status, order.refunded_amount, payment.status, payment.refunded_amount) == (
        "refunded", PAID, "refunded", PAID)  # fmt: skip
    assert [h["status"] for h in order.history][-1] == "refunded" and order.history[-1]["actorId"] == admin.user_id
    # AND the customer's wallet got it back with one ledger entry refund-<refundId>
    assert _balance(sale.customer) == PAID
    entry = WalletEntry.get(wallet_keys.wallet(sale.customer.user_id), wallet_keys.wallet_entry(f"refund-{data['id']}"))
    assert (entry.amount, entry.type, entry.reference_type, entry.reference_id) == (
        PAID, "refund", "refund", data["id"])  # fmt: skip
    # AND the refund is stored under the payment, and audited
    [stored] = stored_refunds(sale.payment.payment_id)
    assert (stored.refund_id, stored.amount, stored.status, stored.actor_id) == (data["id"], PAID, "succeeded",
                                                                                admin.user_id)  # fmt: skip
    audits = list(AuditRecord.gsi2.query(audit_keys.audit_resource("payment", sale.payment.payment_id)))
    assert [a.action for a in audits] == ["payment.refund"] and audits[0].after["amount"] == PAID


def test_partial_refunds_to_the_wallet_then_the_rest(api: ApiClient) -> None:
    # GIVEN a card-paid order of the caller's store
    sale = _sale()
    token = token_for(sale.owner)
    # WHEN the store owner refunds 500 to the customer's wallet
    first = _refund(api, token, sale.payment.payment_id, amount=500, reason="late", to="wallet")
    # THEN the order and payment are partially refunded, the wallet holds 500, no Stripe call was needed
    assert first.status == 201, first.body
    assert first.json["data"]["status"] == "succeeded" and first.json["data"]["to"] == "wallet"
    order, payment = stored_order(sale.order.order_id), stored_payment(sale.payment.payment_id)
    assert (order.status, order.refunded_amount, payment.status, payment.refunded_amount) == (
        "partially_refunded", 500, "partially_refunded", 500)  # fmt: skip
    assert _balance(sale.customer) == 500
    # WHEN they refund 1200, then the remaining 300 (no amount)
    second = _refund(api, token, sale.payment.payment_id, amount=1200, reason="late", to="wallet")
    third = _refund(api, token, sale.payment.payment_id, reason="late", to="wallet")
    # THEN both go through; the order history records each status change once
    assert second.status == 201 and third.status == 201, third.body
    assert third.json["data"]["amount"]["amount"] == 300
    order, payment = stored_order(sale.order.order_id), stored_payment(sale.payment.payment_id)
    assert (order.status, order.refunded_amount, payment.status, payment.refunded_amount) == (
        "refunded", PAID, "refunded", PAID)  # fmt: skip
    assert [h["status"] for h in order.history] == ["pending_payment", "paid", "partially_refunded", "refunded"]
    assert _balance(sale.customer) == PAID and len(stored_refunds(sale.payment.payment_id)) == 3


def test_refund_to_the_card_reaches_stripe(api: ApiClient, stripe_fake) -> None:
    # GIVEN an order paid by a real card at localstripe
    intent_id = _succeeded_intent(stripe_fake, PAID)
    sale = _sale(intent_id=intent_id)
    # WHEN an admin refunds 700 to the card
    response = _refund(api, token_for(create_user("admin")), sale.payment.payment_id, amount=700,
                       reason="missing item", to="original")  # fmt: skip
    # THEN the refund succeeded and carries Stripe's refund id
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data["status"] == "succeeded" and data["amount"]["amount"] == 700
    [stored] = stored_refunds(sale.payment.payment_id)
    assert stored.status == "succeeded" and stored.stripe_refund_id
    # AND Stripe holds a refund of 700 for that card payment, with our ids in its metadata
    at_stripe = _stripe(stripe_fake).v1.refunds.retrieve(stored.stripe_refund_id)
    assert at_stripe.amount == 700 and at_stripe.status == "succeeded"
    assert at_stripe.metadata.to_dict() == {"refundId": data["id"], "orderId": sale.order.order_id,
                                            "paymentId": sale.payment.payment_id}  # fmt: skip
    # AND the totals say 700 was refunded, the customer's wallet is untouched
    order, payment = stored_order(sale.order.order_id), stored_payment(sale.payment.payment_id)
    assert (order.refunded_amount, payment.refunded_amount) == (700, 700)
    assert _balance(sale.customer) is None
    audits = list(AuditRecord.gsi2.query(audit_keys.audit_resource("payment", sale.payment.payment_id)))
    assert sorted(a.action for a in audits) == ["payment.refund", "payment.refund_sent"]


def test_stripe_down_compensates_the_refund(api: ApiClient, stripe_fake, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a card-paid order and Stripe unreachable
    sale = _sale(intent_id=_succeeded_intent(stripe_fake, PAID))
    token = token_for(create_user("admin"))
    monkeypatch.setenv("STRIPE_API_BASE", f"http://127.0.0.1:{_closed_port()}")
    get_settings.cache_clear()
    # WHEN an admin refunds it to the card
    response = _refund(api, token, sale.payment.payment_id, reason="x", to="original", key="down")
    # THEN 503; the refund is recorded as failed and the totals and statuses are as before
    assert_error(response, 503, "SERVICE_UNAVAILABLE")
    [failed] = stored_refunds(sale.payment.payment_id)
    assert (failed.status, failed.amount) == ("failed", PAID)
    order, payment = stored_order(sale.order.order_id), stored_payment(sale.payment.payment_id)
    assert (order.status, order.refunded_amount, payment.status, payment.refunded_amount) == (
        "paid", 0, "succeeded", 0)  # fmt: skip
    assert [h["status"] for h in order.history][-2:] == ["refunded", "paid"]
    # WHEN Stripe is back and the same key is retried
    monkeypatch.setenv("STRIPE_API_BASE", stripe_fake.url)
    get_settings.cache_clear()
    again = _refund(api, token, sale.payment.payment_id, reason="x", to="original", key="down")
    # THEN the failed attempt did not hold the key: the refund goes through this time
    assert again.status == 201, again.body
    assert again.json["data"]["status"] == "succeeded" and again.json["data"]["id"] != failed.refund_id
    assert stored_payment(sale.payment.payment_id).refunded_amount == PAID


def test_a_store_owner_refunds_their_order_of_a_shared_payment(api: ApiClient) -> None:
    # GIVEN one payment for orders of two stores
    mine, theirs = _two_store_sale()
    # WHEN the first store's owner refunds without naming the order
    response = _refund(api, token_for(mine.owner), mine.payment.payment_id, reason="sorry", to="wallet")
    # THEN their order is the one refunded, in full; the payment only partially
    assert response.status == 201, response.body
    assert response.json["data"]["orderId"] == mine.order.order_id
    assert (
        stored_order(mine.order.order_id).status == "refunded"
        and stored_order(theirs.order.order_id).refunded_amount == 0
    )
    payment = stored_payment(mine.payment.payment_id)
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", PAID)
    # AND naming the other store's order is 404
    assert_error(_refund(api, token_for(mine.owner), mine.payment.payment_id, reason="x", to="wallet",
                         orderId=theirs.order.order_id), 404, "NOT_FOUND")  # fmt: skip


def test_an_admin_must_name_the_order_of_a_shared_payment(api: ApiClient) -> None:
    # GIVEN one payment for two orders and an admin
    first, second = _two_store_sale()
    token = token_for(create_user("admin"))
    # WHEN the admin leaves out orderId THEN 400 on orderId, nothing refunded
    payload = assert_error(_refund(api, token, first.payment.payment_id, reason="x", to="wallet"), 400,
                           "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "orderId" and stored_refunds(first.payment.payment_id) == []
    # WHEN they name the second order THEN it alone is refunded
    response = _refund(api, token, first.payment.payment_id, reason="x", to="wallet", orderId=second.order.order_id)
    assert response.status == 201 and response.json["data"]["orderId"] == second.order.order_id
    assert (
        stored_order(second.order.order_id).refunded_amount,
        stored_order(first.order.order_id).refunded_amount,
    ) == (PAID, 0)


# --- business rules


def test_refunding_more_than_is_left_is_422(api: ApiClient) -> None:
    # GIVEN an order of 2000 of which 800 was refunded
    sale = _sale(method="wallet")
    token = token_for(sale.owner)
    assert _refund(api, token, sale.payment.payment_id, amount=800, reason="x", to="wallet").status == 201
    # WHEN the owner asks for 1201, then 0
    over = _refund(api, token, sale.payment.payment_id, amount=1201, reason="x", to="wallet")
    zero = _refund(api, token, sale.payment.payment_id, amount=0, reason="x", to="wallet")
    # THEN 422 saying what is left; nothing more refunded
    assert assert_error(over, 422, "UNPROCESSABLE_ENTITY")["error"]["message"] == "Only 1200 can still be refunded."
    assert_error(zero, 422, "UNPROCESSABLE_ENTITY")
    assert stored_order(sale.order.order_id).refunded_amount == 800 and _balance(sale.customer) == 800


def test_a_second_full_refund_is_422(api: ApiClient) -> None:
    # GIVEN an order refunded in full
    sale = _sale(method="wallet")
    token = token_for(create_user("admin"))
    assert _refund(api, token, sale.payment.payment_id, reason="x", to="original").status == 201
    # WHEN it is refunded again
    response = _refund(api, token, sale.payment.payment_id, reason="x", to="original")
    # THEN 422, the wallet got the money once
    assert_error(response, 422, "UNPROCESSABLE_ENTITY")
    assert _balance(sale.customer) == PAID and len(stored_refunds(sale.payment.payment_id)) == 1


def test_an_unpaid_order_is_409(api: ApiClient) -> None:
    # GIVEN an order still waiting for its card payment
    sale = _sale(status="pending_payment")
    # WHEN an admin refunds it THEN 409 INVALID_STATE, nothing written
    assert_error(_refund(api, token_for(create_user("admin")), sale.payment.payment_id, reason="x", to="wallet"),
                 409, "INVALID_STATE")  # fmt: skip
    assert (
        stored_refunds(sale.payment.payment_id) == [] and stored_order(sale.order.order_id).status == "pending_payment"
    )


def test_a_top_up_is_not_refundable_here(api: ApiClient) -> None:
    # GIVEN a succeeded wallet top-up
    payment = make_payment(create_user("customer").user_id, 5000, kind="topup", intent_id="pi_topup")
    # WHEN an admin refunds it THEN 422
    assert_error(_refund(api, token_for(create_user("admin")), payment.payment_id, reason="x", to="original"),
                 422, "UNPROCESSABLE_ENTITY")  # fmt: skip
    assert stored_refunds(payment.payment_id) == []


def test_an_idempotency_key_replays_the_same_refund(api: ApiClient) -> None:
    # GIVEN a refund sent with a key
    sale = _sale(method="wallet")
    token = token_for(sale.owner)
    first = _refund(api, token, sale.payment.payment_id, key="refund-1", amount=300, reason="x", to="original")
    # WHEN it is replayed, then the key is sent with another amount
    again = _refund(api, token, sale.payment.payment_id, key="refund-1", amount=300, reason="x", to="original")
    other = _refund(api, token, sale.payment.payment_id, key="refund-1", amount=400, reason="x", to="original")
    # THEN the replay is the first refund, the other body is 409, and 300 was refunded once
    assert first.status == 201 and again.status == 201, again.body
    assert again.json["data"] == first.json["data"]
    assert_error(other, 409, "IDEMPOTENCY_CONFLICT")
    assert [r.refund_id for r in stored_refunds(sale.payment.payment_id)] == [first.json["data"]["id"]]
    assert _balance(sale.customer) == 300


# --- who may


def test_a_store_owner_of_another_store_gets_404(api: ApiClient) -> None:
    # GIVEN an order of another owner's store, and an unknown payment
    sale = _sale(method="wallet")
    stranger = token_for(create_user("store_owner"))
    # WHEN a stranger refunds them THEN 404, nothing written
    assert_error(_refund(api, stranger, sale.payment.payment_id, reason="x", to="wallet"), 404, "NOT_FOUND")
    assert_error(_refund(api, stranger, "no-such-payment", reason="x", to="wallet"), 404, "NOT_FOUND")
    # AND an orderId outside the payment is 404 even for an admin
    assert_error(_refund(api, token_for(create_user("admin")), sale.payment.payment_id, reason="x", to="wallet",
                         orderId="not-in-it"), 404, "NOT_FOUND")  # fmt: skip
    assert stored_refunds(sale.payment.payment_id) == [] and _balance(sale.customer) is None


@pytest.mark.parametrize("role", ["customer", "courier"])
def test_customers_and_couriers_are_403(api: ApiClient, role: str) -> None:
    # GIVEN a paid order WHEN its customer (or a courier) refunds it THEN 403, nothing written
    sale = _sale(method="wallet")
    user = sale.customer if role == "customer" else create_user("courier")
    assert_error(_refund(api, token_for(user), sale.payment.payment_id, reason="x", to="wallet"), 403, "FORBIDDEN")
    assert stored_refunds(sale.payment.payment_id) == []


def test_no_token_is_401(api: ApiClient) -> None:
    sale = _sale(method="wallet")
    assert_error(_refund(api, None, sale.payment.payment_id, reason="x", to="wallet"), 401, "UNAUTHORIZED")
    assert stored_refunds(sale.payment.payment_id) == []


@pytest.mark.parametrize(("body", "field"), [
    ({"to": "wallet"}, "reason"),
    ({"reason": "  ", "to": "wallet"}, "reason"),
    ({"reason": "x", "to": "bank"}, "to"),
    ({"reason": "x"}, "to"),
    ({"reason": "x", "to": "wallet", "amount": "500"}, "amount"),
    ({"reason": "x", "to": "wallet", "amount": 5.5}, "amount"),
    ({"reason": "x", "to": "wallet", "amount": {"amount": 5.5, "currency": "usd"}}, "amount.amount"),
    ({"reason": "x", "to": "wallet", "amount": {"amount": 500}}, "amount.currency"),
])  # fmt: skip
def test_validation_is_400(api: ApiClient, body: dict[str, Any], field: str) -> None:
    # GIVEN a paid order WHEN the body is invalid THEN 400 naming the field, nothing written
    sale = _sale(method="wallet")
    payload = assert_error(_refund(api, token_for(sale.owner), sale.payment.payment_id, **body), 400,
                           "VALIDATION_ERROR")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == field
    assert stored_refunds(sale.payment.payment_id) == [] and stored_order(sale.order.order_id).refunded_amount == 0


def test_a_bare_number_or_another_currency_is_400_on_the_amount(api: ApiClient) -> None:
    # GIVEN a paid usd order
    sale = _sale(method="wallet")
    token = token_for(sale.owner)
    # WHEN the amount is a bare number (the contract: money in a request is {amount, currency})
    bare = api.post(_path(sale.payment.payment_id), token=token, json_body={"amount": 500, "reason": "x",
                                                                           "to": "wallet"})  # fmt: skip
    # OR Money in another currency than the payment's
    euros = _refund(api, token, sale.payment.payment_id, amount={"amount": 500, "currency": "eur"}, reason="x",
                    to="wallet")  # fmt: skip
    # THEN 400 on amount / amount.currency, nothing written
    assert assert_error(bare, 400, "VALIDATION_ERROR")["error"]["details"][0]["field"] == "amount"
    payload = assert_error(euros, 400, "VALIDATION_ERROR")
    assert payload["error"]["details"] == [{"field": "amount.currency", "message": "Send this amount in usd."}]
    assert stored_refunds(sale.payment.payment_id) == [] and stored_order(sale.order.order_id).refunded_amount == 0
