"""Stripe webhook deliveries racing each other, on DynamoDB Local: each event and each payment applied once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from souk.ids import new_id
from souk.orders.models import Order
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet, WalletEntry
from souk.webhooks import keys as webhooks_keys
from souk.webhooks import service as webhooks
from souk.webhooks.models import StripeEvent
from souk.webhooks.schemas import Delivery, WebhookAck
from tests.commerce_factories import make_order, make_payment
from tests.stripe_support import event, intent_object, signed_request

pytestmark = pytest.mark.integration


@pytest.fixture
def webhook_secret(table: str, stripe_offline: None) -> str:
    """The table, with our webhook secret and Stripe offline (these events never call it)."""
    return table


def _delivery(payload: dict[str, Any]) -> Delivery:
    body, headers = signed_request(payload)
    return Delivery(raw=body, signature=headers["Stripe-Signature"])


def _succeeded(payment: Payment) -> dict[str, Any]:
    obj = intent_object(str(payment.stripe_payment_intent_id), int(payment.amount),
                        {"paymentId": payment.payment_id, "kind": payment.kind})  # fmt: skip
    return event("payment_intent.succeeded", obj)


def _deliver_all(deliveries: list[Delivery]) -> list[WebhookAck]:
    with ThreadPoolExecutor(max_workers=len(deliveries)) as pool:
        return list(pool.map(webhooks.receive, deliveries))


def _wallet(user_id: str) -> tuple[int, list[WalletEntry]]:
    balance = int(Wallet.get(wallet_keys.wallet(user_id), wallet_keys.WALLET, consistent_read=True).balance)
    entries = [
        e
        for e in WalletEntry.query(
            wallet_keys.wallet(user_id),
            WalletEntry.sk.startswith(wallet_keys.WALLET_ENTRY_PREFIX),
            consistent_read=True,
        )
        if isinstance(e, WalletEntry)
    ]
    return balance, entries


def _top_up(amount: int) -> Payment:
    return make_payment(f"user-{new_id()}", amount, kind="topup", status="pending", intent_id=f"pi_{new_id().lower()}")


def test_one_top_up_event_delivered_five_times_at_once_credits_once(webhook_secret: str) -> None:
    # GIVEN a pending top-up of 5000 and its success event
    payment = _top_up(5000)
    delivery = _delivery(_succeeded(payment))
    # WHEN Stripe delivers the same event 5 times in parallel
    acks = _deliver_all([delivery] * 5)
    # THEN every delivery is acknowledged, exactly one applied it
    assert all(a.received for a in acks)
    assert [a.duplicate for a in acks].count(False) == 1
    # AND the wallet holds 5000 in one ledger entry, the payment succeeded
    balance, entries = _wallet(payment.user_id)
    assert balance == 5000
    assert [(e.entry_id, int(e.amount)) for e in entries] == [(f"topup-{payment.payment_id}", 5000)]
    assert Payment.get(payment.pk, payment.sk, consistent_read=True).status == "succeeded"


def test_two_event_ids_for_one_top_up_at_once_credit_once(webhook_secret: str) -> None:
    # GIVEN a pending top-up and two different events saying it succeeded (each sent twice)
    payment = _top_up(1500)
    first, second = _succeeded(payment), _succeeded(payment)
    assert first["id"] != second["id"]
    # WHEN all four deliveries race
    acks = _deliver_all([_delivery(first), _delivery(second), _delivery(first), _delivery(second)])
    # THEN both events are recorded once each, and the wallet is credited once
    assert [a.duplicate for a in acks].count(False) == 2
    balance, entries = _wallet(payment.user_id)
    assert balance == 1500 and len(entries) == 1
    outcomes = sorted(StripeEvent.get(webhooks_keys.stripe_event(e["id"]), webhooks_keys.stripe_event(e["id"]),
                                      consistent_read=True).outcome for e in (first, second))  # fmt: skip
    assert outcomes[0].startswith("no change") and outcomes[1].startswith("succeeded: wallet credited 1500")


def test_one_order_payment_event_delivered_five_times_pays_the_orders_once(webhook_secret: str) -> None:
    # GIVEN a checkout of two orders waiting for their card payment
    customer = f"user-{new_id()}"
    orders = [make_order(customer, f"store-{i}", f"owner-{i}", status="pending_payment") for i in range(2)]
    payment = make_payment(customer, sum(int(o.total) for o in orders), status="pending",
                           order_ids=[o.order_id for o in orders], intent_id=f"pi_{new_id().lower()}")  # fmt: skip
    for order in orders:
        order.update([Order.payment_id.set(payment.payment_id)])
    delivery = _delivery(_succeeded(payment))
    # WHEN the success event arrives 5 times at once
    acks = _deliver_all([delivery] * 5)
    # THEN one delivery applied it; each order is paid once, with one "paid" entry in its history
    assert [a.duplicate for a in acks].count(False) == 1
    for order in orders:
        saved = Order.get(order.pk, order.sk, consistent_read=True)
        assert (saved.status, int(saved.paid_amount)) == ("paid", int(order.total))
        assert [h["status"] for h in saved.history] == ["pending_payment", "paid"]
    assert Payment.get(payment.pk, payment.sk, consistent_read=True).status == "succeeded"


def test_a_success_racing_the_expiry_either_pays_or_refunds_never_both(webhook_secret: str) -> None:
    from datetime import timedelta

    from souk.db.base import utc_now
    from souk.orders.service import expiry
    from souk.payments.models import Refund

    def late_receive(delivery: Delivery, delay: float) -> WebhookAck:
        time.sleep(delay)
        return webhooks.receive(delivery)

    outcomes = []
    for delay in (0.0, 0.01, 0.03, 0.06, 0.1, 0.2):  # the event arriving a little later each time
        # GIVEN an unpaid checkout whose payment window has just passed
        customer = f"user-{new_id()}"
        order = make_order(customer, "store-1", "owner-1", status="pending_payment")
        payment = make_payment(customer, int(order.total), status="pending", order_ids=[order.order_id],
                               intent_id=f"pi_{new_id().lower()}")  # fmt: skip
        order.update([Order.payment_id.set(payment.payment_id)])
        later = utc_now() + timedelta(hours=1)
        # WHEN the card's success event and the expiry run at the same time
        with ThreadPoolExecutor(max_workers=2) as pool:
            ack = pool.submit(late_receive, _delivery(_succeeded(payment)), delay)
            expired = pool.submit(expiry.expire_unpaid, order, now=later)
            ack.result(), expired.result()
        # THEN exactly one of them won: paid and kept, or cancelled with the money sent back
        saved_order = Order.get(order.pk, order.sk, consistent_read=True)
        saved_payment = Payment.get(payment.pk, payment.sk, consistent_read=True)
        outcomes.append(saved_order.status)
        refunds = list(
            Refund.query(payment.pk, Refund.sk.startswith(payments_keys.REFUND_PREFIX), consistent_read=True)
        )
        if saved_order.status == "paid":
            assert (saved_payment.status, int(saved_payment.refunded_amount), refunds) == ("succeeded", 0, [])
            assert int(saved_order.paid_amount) == int(order.total)
        else:
            assert saved_order.status == "cancelled" and int(saved_order.paid_amount) == 0
            assert (saved_payment.status, int(saved_payment.refunded_amount)) == ("refunded", int(order.total))
            assert [(r.refund_id, int(r.amount)) for r in refunds] == [(f"auto-{order.order_id}", int(order.total))]
        assert [h["status"] for h in saved_order.history].count("pending_payment") == 1
        assert len(saved_order.history) == 2
    assert set(outcomes) <= {"paid", "cancelled"}
