"""POST /api/v1/webhooks/stripe: signatures on the raw body, each event once, effects by current state."""

from __future__ import annotations

import base64
import json
import time
from logging import LogRecord
from typing import Any

import pytest

from infra import template
from infra.local.events import api_event
from infra.local.routing import HttpResponse, invoke_http
from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.catalog import keys as catalog_keys
from souk.ids import new_id
from souk.orders.models import Order
from souk.payments import keys as payments_keys
from souk.payments.models import Payment, Refund
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet, WalletEntry
from souk.webhooks import keys as webhooks_keys
from souk.webhooks.models import StripeEvent
from tests.commerce_factories import make_order, make_payment
from tests.factories import create_user, queued_jobs
from tests.functional.conftest import tracebacks
from tests.functional.product_support import make_seller
from tests.stripe_support import (
    WEBHOOK_PATH,
    confirm_with_test_card,
    event,
    intent_object,
    sign,
    signed_request,
)
from tests.support import ApiClient, assert_error


@pytest.fixture
def hook(api: ApiClient, stripe_offline: None) -> ApiClient:
    """The route client, with our webhook secret and Stripe offline: the common path never calls Stripe."""
    return api


def _deliver(api: ApiClient, payload: dict[str, Any], **sign_options: Any) -> HttpResponse:
    body, headers = signed_request(payload, **sign_options)
    return api.post(WEBHOOK_PATH, body=body, headers=headers)


def _intent_event(event_type: str, payment: Payment, *, event_id: str | None = None,
                  **intent_fields: Any) -> dict[str, Any]:  # fmt: skip
    obj = intent_object(str(payment.stripe_payment_intent_id), int(payment.amount),
                        {"paymentId": payment.payment_id, "kind": payment.kind, "userId": payment.user_id},
                        currency=payment.currency)  # fmt: skip
    obj.update(intent_fields)
    return event(event_type, obj, event_id=event_id)


def _payment(payment: Payment) -> Payment:
    return Payment.get(payment.pk, payment.sk, consistent_read=True)


def _order(order: Order) -> Order:
    return Order.get(order.pk, order.sk, consistent_read=True)


def _balance(user_id: str) -> int:
    try:
        return int(Wallet.get(wallet_keys.wallet(user_id), wallet_keys.WALLET, consistent_read=True).balance)
    except Wallet.DoesNotExist:
        return 0


def _entries(user_id: str) -> list[WalletEntry]:
    return [
        e
        for e in WalletEntry.query(
            wallet_keys.wallet(user_id), WalletEntry.sk.startswith(wallet_keys.WALLET_ENTRY_PREFIX)
        )
        if isinstance(e, WalletEntry)
    ]


def _stored_event(event_id: str) -> StripeEvent:
    return StripeEvent.get(
        webhooks_keys.stripe_event(event_id), webhooks_keys.stripe_event(event_id), consistent_read=True
    )


def _refunds(payment: Payment) -> list[Refund]:
    return list(Refund.query(payment.pk, Refund.sk.startswith(payments_keys.REFUND_PREFIX)))


def _audit_actions(payment_id: str) -> list[str]:
    return [r.action for r in AuditRecord.gsi2.query(audit_keys.audit_resource("payment", payment_id))]


def _top_up(user_id: str, amount: int = 5000, status: str = "pending") -> Payment:
    return make_payment(user_id, amount, kind="topup", status=status, intent_id=f"pi_{new_id().lower()}")


def _checkout(customer_id: str, *, statuses: tuple[str, ...] = ("pending_payment",),
              payment_status: str = "pending") -> tuple[Payment, list[Order]]:  # fmt: skip
    """A card checkout: one order per status (2 x 1000 each) sharing one payment."""
    payment_id = new_id()
    orders = [make_order(customer_id, f"store-{i}", f"owner-{i}", status=status, payment_id=payment_id)
              for i, status in enumerate(statuses)]  # fmt: skip
    payment = make_payment(customer_id, sum(int(o.total) for o in orders), status=payment_status,
                           order_ids=[o.order_id for o in orders], intent_id=f"pi_{new_id().lower()}",
                           store_owner_ids=[o.store_owner_id for o in orders])  # fmt: skip
    # make_payment picks its own id: the orders must name the payment the intent's metadata names.
    for order in orders:
        order.update([Order.payment_id.set(payment.payment_id)])
    return payment, orders


# ---------------------------------------------------------------- signatures


def test_a_signed_top_up_success_credits_the_wallet_and_records_the_event(hook: ApiClient) -> None:
    # GIVEN a pending top-up of 5000
    user = create_user()
    payment = _top_up(user.user_id)
    payload = _intent_event("payment_intent.succeeded", payment)
    # WHEN Stripe delivers payment_intent.succeeded
    response = _deliver(hook, payload)
    # THEN 200 {received}, the payment succeeded, the wallet holds 5000 in one ledger entry
    assert response.status == 200, response.body
    assert response.json["data"] == {"received": True, "duplicate": False}
    assert _payment(payment).status == "succeeded"
    assert _balance(user.user_id) == 5000
    entries = _entries(user.user_id)
    assert [(e.entry_id, e.type, int(e.amount)) for e in entries] == [(f"topup-{payment.payment_id}", "topup", 5000)]
    # AND the event is stored with its outcome and a TTL about 30 days away, and audited
    stored = _stored_event(payload["id"])
    assert stored.type == "payment_intent.succeeded" and "wallet credited 5000" in stored.outcome
    assert 29 * 86400 < stored.expires_at.timestamp() - time.time() <= 30 * 86400
    assert "payment.succeeded" in _audit_actions(payment.payment_id)


def test_a_bad_signature_is_400_and_changes_nothing(hook: ApiClient) -> None:
    # GIVEN a pending top-up and its event
    user = create_user()
    payment = _top_up(user.user_id)
    body, headers = signed_request(_intent_event("payment_intent.succeeded", payment))
    # WHEN the body is altered after signing
    tampered = body.replace(b'"amount": 5000', b'"amount": 9000')
    response = hook.post(WEBHOOK_PATH, body=tampered, headers=headers)
    # THEN 400 BAD_REQUEST and the payment is untouched
    assert_error(response, 400, "BAD_REQUEST")
    assert _payment(payment).status == "pending" and _balance(user.user_id) == 0


def test_a_signature_with_another_secret_is_400(hook: ApiClient) -> None:
    user = create_user()
    payment = _top_up(user.user_id)
    # WHEN the event is signed with a secret that is not ours
    response = _deliver(hook, _intent_event("payment_intent.succeeded", payment), secret="whsec_someone_else")
    # THEN 400 and nothing is credited
    assert_error(response, 400, "BAD_REQUEST")
    assert _payment(payment).status == "pending" and _balance(user.user_id) == 0


def test_a_stale_signature_is_400(hook: ApiClient) -> None:
    user = create_user()
    payment = _top_up(user.user_id)
    # WHEN the signature's timestamp is older than 300 s (a replay)
    response = _deliver(hook, _intent_event("payment_intent.succeeded", payment), timestamp=int(time.time()) - 301)
    # THEN 400 and nothing is credited
    assert_error(response, 400, "BAD_REQUEST")
    assert _payment(payment).status == "pending" and _balance(user.user_id) == 0


def test_a_missing_signature_header_is_400(hook: ApiClient) -> None:
    user = create_user()
    payment = _top_up(user.user_id)
    body, _ = signed_request(_intent_event("payment_intent.succeeded", payment))
    # WHEN the Stripe-Signature header is missing
    response = hook.post(WEBHOOK_PATH, body=body, headers={"Content-Type": "application/json; charset=utf-8"})
    # THEN 400 and nothing is credited
    payload = assert_error(response, 400, "BAD_REQUEST")
    assert "Stripe-Signature" in payload["error"]["message"]
    assert _payment(payment).status == "pending"


def test_a_signed_body_that_is_not_an_event_is_400(hook: ApiClient) -> None:
    # GIVEN a correctly signed body that is not JSON
    body = b"not json at all"
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(body)}
    # WHEN it is delivered
    response = hook.post(WEBHOOK_PATH, body=body, headers=headers)
    # THEN 400 BAD_REQUEST (not a validation error from the resolver's own JSON parsing)
    assert_error(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize(
    "body",
    [b"[1,2]", b"{}", b'"evt"', b'{"id": "evt_1", "type": "payment_intent.succeeded"}',
     b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": [1]}}',
     b'{"id": 7, "type": "payment_intent.succeeded", "data": {"object": {}}}',
     b'{"type": "charge.refunded", "data": {"object": {"id": "ch_1"}}}'],
    ids=["array", "empty-object", "string", "no-data", "object-not-an-object", "numeric-id", "no-id"],
)  # fmt: skip
def test_a_signed_body_of_another_shape_is_400(hook: ApiClient, body: bytes, layer_logs: list[LogRecord]) -> None:
    # GIVEN a correctly signed body that is JSON but not a Stripe event
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(body)}
    # WHEN it is delivered
    response = hook.post(WEBHOOK_PATH, body=body, headers=headers)
    # THEN 400 BAD_REQUEST, nothing logged as an unhandled error
    payload = assert_error(response, 400, "BAD_REQUEST")
    assert "not a Stripe event" in payload["error"]["message"]
    assert tracebacks(layer_logs) == []


def test_a_signed_body_nested_100k_deep_is_400_without_a_traceback(
    hook: ApiClient, layer_logs: list[LogRecord]
) -> None:
    # GIVEN a correctly signed body of 100,000 nested arrays (json.loads alone would raise RecursionError)
    body = b"[" * 100_000 + b"]" * 100_000
    headers = {"Content-Type": "application/json", "Stripe-Signature": sign(body)}
    # WHEN it is delivered
    response = hook.post(WEBHOOK_PATH, body=body, headers=headers)
    # THEN 400 and no traceback in the log
    payload = assert_error(response, 400, "BAD_REQUEST")
    assert "deeper than 32" in payload["error"]["message"]
    assert tracebacks(layer_logs) == []


def test_a_signed_body_that_is_not_utf8_is_400(hook: ApiClient) -> None:
    # GIVEN a signed body with a byte that is not UTF-8 (API Gateway hands such bodies over base64-encoded)
    body = b'{"id": "evt_\xff"}'
    raw_event = api_event("POST", WEBHOOK_PATH, WEBHOOK_PATH, headers={"Stripe-Signature": sign(body)}, body=body)
    raw_event["body"], raw_event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    function = next(r.function for r in template.routes() if r.path == WEBHOOK_PATH and r.method == "POST")
    # WHEN the handler receives it
    response = invoke_http(function, raw_event)
    # THEN 400, not a crash
    payload = assert_error(response, 400, "BAD_REQUEST")
    assert "UTF-8" in payload["error"]["message"]


def test_a_signature_from_the_future_is_400(hook: ApiClient) -> None:
    user = create_user()
    payment = _top_up(user.user_id)
    # WHEN the signature's timestamp is 400 s ahead of our clock (Stripe's SDK only checks the past)
    response = _deliver(hook, _intent_event("payment_intent.succeeded", payment), timestamp=int(time.time()) + 400)
    # THEN 400 and nothing is credited
    payload = assert_error(response, 400, "BAD_REQUEST")
    assert "future" in payload["error"]["message"]
    assert _payment(payment).status == "pending" and _balance(user.user_id) == 0


def test_a_signature_slightly_ahead_of_our_clock_is_accepted(hook: ApiClient) -> None:
    # GIVEN clocks that disagree by less than the tolerance
    user = create_user()
    payment = _top_up(user.user_id, 300)
    # WHEN the event is signed 200 s ahead
    response = _deliver(hook, _intent_event("payment_intent.succeeded", payment), timestamp=int(time.time()) + 200)
    # THEN it is applied
    assert response.status == 200, response.body
    assert _balance(user.user_id) == 300


def test_a_base64_encoded_body_is_verified_on_its_decoded_bytes(hook: ApiClient) -> None:
    # GIVEN a pending top-up and API Gateway handing the body over base64-encoded
    user = create_user()
    payment = _top_up(user.user_id, 1200)
    body, headers = signed_request(_intent_event("payment_intent.succeeded", payment))
    raw_event = api_event("POST", WEBHOOK_PATH, WEBHOOK_PATH, headers=headers, body=body)
    raw_event["body"], raw_event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    function = next(r.function for r in template.routes() if r.path == WEBHOOK_PATH and r.method == "POST")
    # WHEN the handler receives it
    response = invoke_http(function, raw_event)
    # THEN the signature matched the decoded bytes and the wallet is credited
    assert response.status == 200, response.body
    assert _payment(payment).status == "succeeded" and _balance(user.user_id) == 1200


def test_the_exact_bytes_are_verified_whatever_their_formatting(hook: ApiClient) -> None:
    # GIVEN an event serialized the way localstripe does (indented, sorted keys): re-serializing would break it
    user = create_user()
    payment = _top_up(user.user_id, 700)
    body = json.dumps(_intent_event("payment_intent.succeeded", payment), indent=2, sort_keys=True).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": sign(body)}
    # WHEN it is delivered
    response = hook.post(WEBHOOK_PATH, body=body, headers=headers)
    # THEN it is accepted and applied
    assert response.status == 200, response.body
    assert _balance(user.user_id) == 700


# ---------------------------------------------------------------- once, in any order


def test_the_same_event_delivered_twice_is_applied_once(hook: ApiClient) -> None:
    # GIVEN a top-up success already delivered
    user = create_user()
    payment = _top_up(user.user_id, 2500)
    payload = _intent_event("payment_intent.succeeded", payment)
    assert _deliver(hook, payload).json["data"]["duplicate"] is False
    # WHEN Stripe delivers the same event again
    response = _deliver(hook, payload)
    # THEN 200 {duplicate: true} and the wallet was credited once
    assert response.status == 200
    assert response.json["data"] == {"received": True, "duplicate": True}
    assert _balance(user.user_id) == 2500 and len(_entries(user.user_id)) == 1


def test_two_events_saying_one_top_up_succeeded_credit_it_once(hook: ApiClient) -> None:
    # GIVEN a top-up credited by a first event
    user = create_user()
    payment = _top_up(user.user_id, 3000)
    assert _deliver(hook, _intent_event("payment_intent.succeeded", payment)).status == 200
    # WHEN another event (another id) says the same intent succeeded
    second = _intent_event("payment_intent.succeeded", payment)
    response = _deliver(hook, second)
    # THEN it is received, recorded as a no-op, and the wallet still holds one credit
    assert response.status == 200 and response.json["data"]["duplicate"] is False
    assert _stored_event(second["id"]).outcome.startswith("no change")
    assert _balance(user.user_id) == 3000 and len(_entries(user.user_id)) == 1


def test_an_order_payment_success_marks_its_pending_orders_paid(hook: ApiClient) -> None:
    # GIVEN a card checkout of two orders waiting for payment
    customer = create_user()
    payment, orders = _checkout(customer.user_id, statuses=("pending_payment", "pending_payment"))
    payload = _intent_event("payment_intent.succeeded", payment)
    # WHEN the payment succeeds (delivered twice)
    assert _deliver(hook, payload).status == 200
    assert _deliver(hook, payload).json["data"]["duplicate"] is True
    # THEN the payment succeeded and both orders are paid in full, with one "paid" history entry each
    assert _payment(payment).status == "succeeded"
    for order in orders:
        saved = _order(order)
        assert (saved.status, int(saved.paid_amount)) == ("paid", int(order.total))
        assert [h["status"] for h in saved.history] == ["pending_payment", "paid"]
        assert saved.history[-1]["role"] == "system"
        assert saved.gsi4pk is None  # out of the expiry index
    assert _refunds(payment) == []


def test_a_failure_leaves_the_orders_waiting_and_a_later_success_pays_them(hook: ApiClient) -> None:
    # GIVEN a checkout waiting for payment
    customer = create_user()
    payment, (order,) = _checkout(customer.user_id)
    # WHEN the card is declined
    failed = _intent_event("payment_intent.payment_failed", payment, status="requires_payment_method",
                           last_payment_error={"message": "Your card was declined."})  # fmt: skip
    assert _deliver(hook, failed).status == 200
    # THEN the payment failed with the reason; the order still waits for payment
    saved = _payment(payment)
    assert (saved.status, saved.failure_reason) == ("failed", "Your card was declined.")
    assert _order(order).status == "pending_payment"
    assert "payment.failed" in _audit_actions(payment.payment_id)
    # WHEN the customer retries with another card and it succeeds
    assert _deliver(hook, _intent_event("payment_intent.succeeded", payment)).status == 200
    # THEN the payment succeeded (no failure reason left) and the order is paid
    saved = _payment(payment)
    assert (saved.status, saved.failure_reason) == ("succeeded", None)
    assert _order(order).status == "paid"


def test_a_late_failure_after_success_changes_nothing(hook: ApiClient) -> None:
    # GIVEN a checkout already paid by a success event
    customer = create_user()
    payment, (order,) = _checkout(customer.user_id)
    assert _deliver(hook, _intent_event("payment_intent.succeeded", payment)).status == 200
    # WHEN an older payment_failed event arrives after it
    late = _intent_event("payment_intent.payment_failed", payment, last_payment_error={"message": "declined"})
    response = _deliver(hook, late)
    # THEN it is recorded, and the payment stays succeeded, the order paid
    assert response.status == 200
    assert _stored_event(late["id"]).outcome == "no change: payment already succeeded"
    saved = _payment(payment)
    assert (saved.status, saved.failure_reason) == ("succeeded", None)
    assert _order(order).status == "paid"


def test_a_success_for_an_unknown_payment_is_recorded_as_ignored(hook: ApiClient) -> None:
    # GIVEN an intent whose metadata names no payment of ours
    payload = event("payment_intent.succeeded", intent_object("pi_unknown", 100, {"paymentId": "nope"}))
    # WHEN it is delivered
    response = _deliver(hook, payload)
    # THEN 200 and the event is recorded as ignored
    assert response.status == 200 and response.json["data"]["duplicate"] is False
    assert _stored_event(payload["id"]).outcome == "ignored: no such payment"


def test_an_intent_that_is_not_the_payments_own_is_ignored(hook: ApiClient) -> None:
    # GIVEN a pending top-up and an event for another intent claiming its payment id
    user = create_user()
    payment = _top_up(user.user_id)
    payload = event("payment_intent.succeeded", intent_object("pi_other", 5000, {"paymentId": payment.payment_id}))
    # WHEN it is delivered
    assert _deliver(hook, payload).status == 200
    # THEN nothing is credited
    assert _stored_event(payload["id"]).outcome == "ignored: no such payment"
    assert _payment(payment).status == "pending" and _balance(user.user_id) == 0


def test_an_unhandled_event_type_is_recorded_as_ignored(hook: ApiClient) -> None:
    # GIVEN an event type we do not act on
    payload = event("customer.created", {"id": "cus_1", "object": "customer"})
    # WHEN it is delivered twice
    first, second = _deliver(hook, payload), _deliver(hook, payload)
    # THEN 200, recorded once as ignored, the second a duplicate
    assert first.status == 200 and first.json["data"]["duplicate"] is False
    assert second.json["data"]["duplicate"] is True
    assert _stored_event(payload["id"]).outcome == "ignored: customer.created is not handled"


def test_a_canceled_intent_cancels_the_unpaid_orders_and_releases_their_stock(hook: ApiClient) -> None:
    # GIVEN a card checkout holding 2 of a variant's 10 units, waiting for payment
    from souk.catalog.models import Variant
    from souk.catalog.service import inventory
    from souk.db.transactions import WriteTransaction

    customer = create_user()
    seller = make_seller()
    product = seller.create(hook)
    with WriteTransaction() as tx:
        inventory.reserve_stock(tx, product["id"], "TRS-42", 2)
    line = {"productId": product["id"], "sku": "TRS-42", "name": "Trail Running Shoes", "variantName": "Size 42",
            "quantity": 2, "unitPrice": 5999, "lineTotal": 11998}  # fmt: skip
    order = make_order(customer.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment",
                       lines=[line])  # fmt: skip
    payment = make_payment(customer.user_id, 11998, status="pending", order_ids=[order.order_id],
                           intent_id=f"pi_{new_id().lower()}")  # fmt: skip
    order.update([Order.payment_id.set(payment.payment_id)])
    # WHEN Stripe says the intent was canceled (delivered twice)
    payload = _intent_event("payment_intent.canceled", payment, status="canceled")
    assert _deliver(hook, payload).json["data"]["duplicate"] is False
    assert _deliver(hook, payload).json["data"]["duplicate"] is True
    # THEN the order is cancelled, its 2 units are back, the payment is canceled
    saved = _order(order)
    assert saved.status == "cancelled" and [h["status"] for h in saved.history] == ["pending_payment", "cancelled"]
    variant = Variant.get(catalog_keys.product(product["id"]), catalog_keys.variant("TRS-42"), consistent_read=True)
    assert int(variant.stock) == 10
    assert _payment(payment).status == "canceled"
    assert _stored_event(payload["id"]).outcome.startswith("canceled")


def test_a_canceled_intent_after_success_changes_nothing(hook: ApiClient) -> None:
    # GIVEN a checkout already paid
    customer = create_user()
    payment, (order,) = _checkout(customer.user_id)
    assert _deliver(hook, _intent_event("payment_intent.succeeded", payment)).status == 200
    # WHEN a canceled event arrives late
    late = _intent_event("payment_intent.canceled", payment, status="canceled")
    assert _deliver(hook, late).status == 200
    # THEN the payment stays succeeded and the order paid
    assert _payment(payment).status == "succeeded" and _order(order).status == "paid"
    assert _stored_event(late["id"]).outcome == "no change: payment already succeeded"


# ---------------------------------------------------------------- refunds


def test_a_success_for_orders_cancelled_meanwhile_refunds_them_to_the_card(api: ApiClient, stripe_fake) -> None:
    # GIVEN a real PaymentIntent for a checkout of two orders, one of which the expiry cancelled meanwhile
    from souk.payments import gateway

    customer = create_user()
    payment, (waiting, expired) = _checkout(customer.user_id, statuses=("pending_payment", "cancelled"))
    intent = gateway.create_payment_intent(int(payment.amount), "usd", metadata={"paymentId": payment.payment_id},
                                           idempotency_key=f"pi-{payment.payment_id}")  # fmt: skip
    payment.update([Payment.stripe_payment_intent_id.set(intent.id)])
    assert confirm_with_test_card(stripe_fake, intent.id)["status"] == "succeeded"
    real = gateway.client().v1.payment_intents.retrieve(intent.id).to_dict()
    # WHEN the success event arrives
    response = _deliver(api, event("payment_intent.succeeded", real))
    # THEN the waiting order is paid, the cancelled one untouched and its 2000 refunded to the card
    assert response.status == 200, response.body
    assert _order(waiting).status == "paid"
    saved_expired = _order(expired)
    assert (saved_expired.status, int(saved_expired.paid_amount)) == ("cancelled", 0)
    saved = _payment(payment)
    assert (saved.status, int(saved.refunded_amount)) == ("partially_refunded", 2000)
    (refund,) = _refunds(payment)
    assert (refund.refund_id, refund.order_id, int(refund.amount), refund.to, refund.status) == (
        f"auto-{expired.order_id}", expired.order_id, 2000, "original", "succeeded")  # fmt: skip
    stripe_refund = gateway.client().v1.refunds.retrieve(str(refund.stripe_refund_id))
    assert (stripe_refund.amount, stripe_refund.payment_intent) == (2000, intent.id)
    assert {"payment.succeeded", "refund.sent"} <= set(_audit_actions(payment.payment_id))


def _charge_refunded(payment: Payment, amount_refunded: int, refund_id: str) -> dict[str, Any]:
    charge = {"id": f"ch_{payment.payment_id.lower()}", "object": "charge", "amount": int(payment.amount),
              "amount_refunded": amount_refunded, "currency": payment.currency, "refunded": True,
              "payment_intent": payment.stripe_payment_intent_id, "metadata": {"paymentId": payment.payment_id},
              "refunds": {"object": "list",
                          "data": [{"id": refund_id, "amount": amount_refunded, "created": 1}]}}  # fmt: skip
    return event("charge.refunded", charge)


def test_a_dashboard_refund_is_recorded_once_and_kept_in_step_with_the_order(hook: ApiClient) -> None:
    # GIVEN a paid single-order checkout of 2000
    customer = create_user()
    payment, (order,) = _checkout(customer.user_id, statuses=("paid",), payment_status="succeeded")
    # WHEN 500 is refunded in the Stripe dashboard (the event delivered twice, then a second event for it)
    payload = _charge_refunded(payment, 500, "re_dash1")
    first = _deliver(hook, payload)
    assert first.status == 200, first.body
    assert first.json["data"]["duplicate"] is False
    assert _deliver(hook, payload).json["data"]["duplicate"] is True
    assert _deliver(hook, _charge_refunded(payment, 500, "re_dash1")).status == 200
    # THEN one Refund of 500, the payment and the order partially refunded by 500
    (refund,) = _refunds(payment)
    assert (refund.refund_id, int(refund.amount), refund.status, refund.order_id) == (
        "stripe-re_dash1", 500, "succeeded", order.order_id)  # fmt: skip
    saved = _payment(payment)
    assert (saved.status, int(saved.refunded_amount)) == ("partially_refunded", 500)
    saved_order = _order(order)
    assert (saved_order.status, int(saved_order.refunded_amount)) == ("partially_refunded", 500)
    # WHEN the rest is refunded there
    assert _deliver(hook, _charge_refunded(payment, 2000, "re_dash2")).status == 200
    # THEN a second Refund of 1500 and everything refunded
    assert sorted(int(r.amount) for r in _refunds(payment)) == [500, 1500]
    assert (_payment(payment).status, int(_payment(payment).refunded_amount)) == ("refunded", 2000)
    assert (_order(order).status, int(_order(order).refunded_amount)) == ("refunded", 2000)


def test_a_refund_of_an_intent_stripe_does_not_know_is_ignored_with_200(
    api: ApiClient, stripe_fake, layer_logs: list[LogRecord]
) -> None:
    # GIVEN a charge.refunded without our metadata, for a PaymentIntent Stripe has never seen
    charge = {"id": "ch_unknown", "object": "charge", "amount": 1000, "amount_refunded": 1000, "currency": "usd",
              "refunded": True, "payment_intent": "pi_unknown_to_stripe", "metadata": {}}  # fmt: skip
    payload = event("charge.refunded", charge)
    # WHEN it is delivered (the intent is looked up at Stripe, which answers 404)
    response = _deliver(api, payload)
    # THEN 200 (a 5xx would have Stripe retry for days), recorded and logged as ignored
    assert response.status == 200, response.body
    assert _stored_event(payload["id"]).outcome == "ignored: no such payment"
    ignored = [r for r in layer_logs if r.getMessage() == "stripe event ignored"]
    assert len(ignored) == 1 and ignored[0].__dict__["event_id"] == payload["id"]


def test_a_refund_of_an_unknown_payment_is_ignored_without_calling_stripe(hook: ApiClient) -> None:
    # GIVEN a charge.refunded whose metadata names no payment of ours (Stripe is offline in this test)
    charge = {"id": "ch_x", "object": "charge", "amount": 500, "amount_refunded": 500, "currency": "usd",
              "payment_intent": "pi_x", "metadata": {"paymentId": "01NOSUCHPAYMENT0000000000"}}  # fmt: skip
    payload = event("charge.refunded", charge)
    # WHEN it is delivered
    response = _deliver(hook, payload)
    # THEN 200 and ignored
    assert response.status == 200, response.body
    assert _stored_event(payload["id"]).outcome == "ignored: no such payment"


def _api_refund(payment: Payment, amount: int, to: str) -> None:
    """A refund made through POST /payments/{id}/refund: the Refund item and the payment's total, reserved first."""
    refund_id = new_id()
    Refund(pk=payment.pk, sk=payments_keys.refund(refund_id), refund_id=refund_id, payment_id=payment.payment_id,
           amount=amount, currency=payment.currency, to=to, reason="damaged", status="succeeded",
           actor_id="admin").save()  # fmt: skip
    payment.update([Payment.refunded_amount.add(amount), Payment.status.set("partially_refunded")])


def test_a_card_refund_already_recorded_by_the_api_is_not_counted_again(hook: ApiClient) -> None:
    # GIVEN a payment whose 800 card refund our API recorded before calling Stripe
    customer = create_user()
    payment, _ = _checkout(customer.user_id, statuses=("paid",), payment_status="succeeded")
    _api_refund(payment, 800, "original")
    # WHEN Stripe reports the charge refunded by 800
    payload = _charge_refunded(payment, 800, "re_api")
    assert _deliver(hook, payload).status == 200
    # THEN nothing new is recorded
    assert len(_refunds(payment)) == 1
    assert int(_payment(payment).refunded_amount) == 800
    assert _stored_event(payload["id"]).outcome == "no change: 800 already recorded as refunded to the card"


def test_a_dashboard_refund_after_a_wallet_refund_is_still_recorded(hook: ApiClient) -> None:
    # GIVEN a card payment of 2000 of which our API refunded 1000 to the wallet (not on the card)
    customer = create_user()
    payment, (order,) = _checkout(customer.user_id, statuses=("paid",), payment_status="succeeded")
    _api_refund(payment, 1000, "wallet")
    # WHEN 500 is refunded to the card in the Stripe dashboard
    assert _deliver(hook, _charge_refunded(payment, 500, "re_dash")).status == 200
    # THEN the 500 is recorded on top of the wallet refund
    assert sorted((r.to, int(r.amount)) for r in _refunds(payment)) == [("original", 500), ("wallet", 1000)]
    saved = _payment(payment)
    assert (saved.status, int(saved.refunded_amount)) == ("partially_refunded", 1500)
    assert (_order(order).status, int(_order(order).refunded_amount)) == ("partially_refunded", 500)


# ---------------------------------------------------------------- end to end with localstripe


def test_a_top_up_confirmed_on_localstripe_is_credited_from_the_real_intent(api: ApiClient, stripe_fake) -> None:
    # GIVEN a pending top-up backed by a real PaymentIntent, confirmed with a test card
    from souk.payments import gateway

    user = create_user()
    payment = _top_up(user.user_id, 4200)
    intent = gateway.create_payment_intent(4200, "usd", idempotency_key=f"pi-{payment.payment_id}",
                                           metadata={"paymentId": payment.payment_id, "kind": "topup",
                                                     "userId": user.user_id})  # fmt: skip
    payment.update([Payment.stripe_payment_intent_id.set(intent.id)])
    confirmed = confirm_with_test_card(stripe_fake, intent.id)
    assert confirmed["status"] == "succeeded"
    # WHEN the signed event built from the real intent is delivered
    response = _deliver(api, event("payment_intent.succeeded", confirmed))
    # THEN the wallet is credited 4200
    assert response.status == 200, response.body
    assert _payment(payment).status == "succeeded"
    assert _balance(user.user_id) == 4200


def test_a_paid_order_emails_its_customer_and_its_store_owner_once(hook: ApiClient, aws_resources: dict) -> None:
    # GIVEN an unpaid card order of a real store, 2 x 59.99
    customer, seller = create_user(), make_seller()
    line = {"productId": "p-1", "sku": "TRS-42", "name": "Trail Running Shoes", "variantName": "Size 42",
            "quantity": 2, "unitPrice": 5999, "lineTotal": 11998}  # fmt: skip
    order = make_order(customer.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment",
                       lines=[line])  # fmt: skip
    payment = make_payment(customer.user_id, 11998, status="pending", order_ids=[order.order_id],
                           intent_id=f"pi_{new_id().lower()}")  # fmt: skip
    order.update([Order.payment_id.set(payment.payment_id)])
    queued_jobs(aws_resources["EmailQueue"])  # the store approval email
    # WHEN Stripe says the payment succeeded, twice
    payload = _intent_event("payment_intent.succeeded", payment)
    assert _deliver(hook, payload).status == 200 and _deliver(hook, payload).json["data"]["duplicate"] is True
    # THEN the customer got the confirmation and the owner the new order, once each, with the total
    jobs = {(j["template"], j["to"]): j["variables"] for j in queued_jobs(aws_resources["EmailQueue"])}
    assert set(jobs) == {("order_paid", customer.email), ("new_order", seller.user.email)}
    for variables in jobs.values():
        assert variables["order_id"] == order.order_id and variables["total"] == "119.98 USD"
        assert variables["store_name"] == seller.store.name and variables["items"] == 2
