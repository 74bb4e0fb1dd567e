"""Chargebacks under races, on DynamoDB Local (and localstripe for the intent's metadata): one dispute
event delivered 5 times at once posts each step once; the store's balance is the sum of its entries."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.admin_settings import service as admin_settings
from souk.admin_settings.schemas import AdminSettingsUpdate
from souk.caller import Principal
from souk.finance.store import disputes as dispute_store
from souk.finance.store import ledger as ledger_store
from souk.ids import new_id
from souk.payments.models import Payment
from souk.webhooks import service as webhooks
from souk.webhooks.schemas import Delivery, WebhookAck
from tests.commerce_factories import make_order, make_payment
from tests.finance_support import reconciled, stored_commission
from tests.stripe_support import event, intent_object, signed_request

pytestmark = pytest.mark.integration

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)
PAID, FEE = 4000, 1500  # one line of 4000 at 10%: commission 400, net 3600


@pytest.fixture
def rates(table: str, stripe_fake: LocalStripe) -> Iterator[LocalStripe]:
    admin_settings.forget()
    admin_settings.update(ADMIN, AdminSettingsUpdate.model_validate(
        {"version": 0, "commission": {"defaultRateBps": 1000}, "funds": {"holdDays": 2}}))  # fmt: skip
    yield stripe_fake
    admin_settings.forget()


def _deliver(payload: dict[str, Any]) -> WebhookAck:
    body, headers = signed_request(payload)
    return webhooks.receive(Delivery(raw=body, signature=headers["Stripe-Signature"]))


def _in_parallel(calls: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def _paid_by_card(server: LocalStripe) -> tuple[str, str, str]:
    """A card-paid order (commission frozen by payment_intent.succeeded); its intent lives on localstripe."""
    customer, owner, store_id = f"it-{new_id()}", f"it-{new_id()}", f"store-{new_id()}"
    lines = [{"productId": "p-1", "sku": "S-1", "name": "Thing", "variantName": None, "quantity": 1,
              "unitPrice": PAID, "lineTotal": PAID}]  # fmt: skip
    payment = make_payment(customer, PAID, status="pending", store_ids=[store_id], store_owner_ids=[owner])
    order = make_order(customer, store_id, owner, status="pending_payment", lines=lines,
                       payment_id=payment.payment_id)  # fmt: skip
    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}, max_network_retries=0)
    intent = client.v1.payment_intents.create(params={"amount": PAID, "currency": "usd",
                                                      "metadata": {"paymentId": payment.payment_id}})  # fmt: skip
    payment.update([Payment.order_ids.set([order.order_id]), Payment.stripe_payment_intent_id.set(intent.id)])
    _deliver(event("payment_intent.succeeded", intent_object(intent.id, PAID, {"paymentId": payment.payment_id})))
    return store_id, order.order_id, str(intent.id)


def _dispute(intent_id: str, status: str, *, withdrawn: bool = False) -> dict[str, Any]:
    moves = [{"id": "txn_w", "object": "balance_transaction", "amount": -PAID, "fee": FEE}] if withdrawn else []
    return {"id": f"dp_{new_id().lower()}", "object": "dispute", "amount": PAID, "currency": "usd", "status": status,
            "charge": f"ch_{intent_id[3:]}", "payment_intent": intent_id, "reason": "fraudulent",
            "evidence_details": {"due_by": 1_900_000_000}, "balance_transactions": moves}  # fmt: skip


def _dispute_keys(store_id: str) -> list[str]:
    return sorted(e.business_key for e in ledger_store.entries(store_id) if e.business_key.startswith("DISPUTE#"))


def test_one_dispute_event_delivered_five_times_at_once_holds_once(rates: LocalStripe) -> None:
    # GIVEN a card-paid order (3600 net pending)
    store_id, _order_id, intent_id = _paid_by_card(rates)
    obj = _dispute(intent_id, "needs_response")
    payload = event("charge.dispute.created", obj, created=1000)
    # WHEN Stripe delivers the same charge.dispute.created 5 times in parallel
    acks = _in_parallel([lambda: _deliver(payload)] * 5)
    # THEN one delivery applied it, and the store holds its net once
    assert [a.duplicate for a in acks].count(False) == 1
    assert _dispute_keys(store_id) == [f"DISPUTE#{obj['id']}#HOLD"]
    assert reconciled(store_id) == {"pending": 3600, "available": -3600, "held": 3600, "in_payout": 0, "paid_out": 0}
    assert [int(d.held) for d in dispute_store.store_disputes(store_id)] == [3600]


def test_a_first_seen_closed_lost_delivered_five_times_at_once_posts_each_step_once(rates: LocalStripe) -> None:
    # GIVEN a card-paid order, and its dispute's first event to arrive is closed lost (hold, fee, reversal)
    store_id, order_id, intent_id = _paid_by_card(rates)
    obj = _dispute(intent_id, "lost", withdrawn=True)
    payload = event("charge.dispute.closed", obj, created=2000)
    # WHEN it is delivered 5 times in parallel, racing an older created (a different event) too
    older = event("charge.dispute.created", {**obj, "status": "needs_response", "balance_transactions": []},
                  created=1000)  # fmt: skip
    acks = _in_parallel([lambda: _deliver(payload)] * 5 + [lambda: _deliver(older)])
    # THEN each delivered event applied once: one hold, one fee, one reversal
    assert [a.duplicate for a in acks[:5]].count(False) == 1 and acks[5].duplicate is False
    dispute_id = obj["id"]
    assert _dispute_keys(store_id) == [f"DISPUTE#{dispute_id}#FEE", f"DISPUTE#{dispute_id}#HOLD",
                                       f"DISPUTE#{dispute_id}#LOST"]  # fmt: skip
    # AND the commission is reversed once, at its frozen rate; the store's balance is back to nothing
    commission = stored_commission(store_id, order_id)
    assert (commission.status, int(commission.reversed_gross), int(commission.reversed_commission)) == (
        "reversed", PAID, 400)  # fmt: skip
    assert reconciled(store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}
    (item,) = dispute_store.store_disputes(store_id)
    assert (item.status, item.settlement, int(item.event_created), int(item.fee)) == ("lost", "lost", 2000, FEE)
