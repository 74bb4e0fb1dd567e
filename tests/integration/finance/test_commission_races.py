"""Commissions under races, on DynamoDB Local: one commission per paid order, reversals never beyond the
order, one release; every store's balance is the sum of its entries afterwards."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.admin_settings.schemas import AdminSettingsUpdate
from souk.caller import Principal
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.errors import SoukError
from souk.finance.models import Commission
from souk.finance.service import commissions, daily
from souk.finance.store import ledger as ledger_store
from souk.ids import new_id
from souk.money import Money
from souk.orders.models import Order
from souk.orders.schemas import RefundRequest
from souk.orders.service import refunds
from souk.payments.models import Payment
from souk.webhooks import service as webhooks
from souk.webhooks.schemas import Delivery
from tests.commerce_factories import make_order, make_payment, stored_order
from tests.finance_support import reconciled, stored_commission
from tests.stripe_support import event, intent_object, signed_request

pytestmark = pytest.mark.integration

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)
# Two lines at two rates: 2500 in a 5% category (125) and 1500 at the 10% default (150).
LINES = [
    {"productId": "p-book", "sku": "B-1", "name": "Book", "variantName": None, "quantity": 1, "unitPrice": 2500,
     "lineTotal": 2500, "categoryId": "cat-books"},
    {"productId": "p-shoe", "sku": "S-1", "name": "Shoe", "variantName": None, "quantity": 1, "unitPrice": 1500,
     "lineTotal": 1500, "categoryId": "cat-shoes"},
]  # fmt: skip
PAID = 4000


@pytest.fixture
def rates(table: str, stripe_offline: None) -> Iterator[None]:
    admin_settings.forget()
    admin_settings.update(ADMIN, AdminSettingsUpdate.model_validate({
        "version": 0, "commission": {"defaultRateBps": 1000, "categoryRatesBps": {"cat-books": 500}},
        "funds": {"holdDays": 2}}))  # fmt: skip
    yield
    admin_settings.forget()


def _entry_keys(store_id: str) -> list[str]:
    return sorted(e.business_key for e in ledger_store.entries(store_id))


def _in_parallel(calls: list[Any]) -> list[Any]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


# ---------------------------------------------------------------- paid


def test_one_payment_event_delivered_five_times_at_once_makes_one_commission(rates: None) -> None:
    # GIVEN a card checkout's order waiting for its payment
    customer, owner, store_id = f"it-{new_id()}", f"it-{new_id()}", f"store-{new_id()}"
    payment = make_payment(customer, PAID, status="pending", store_ids=[store_id], store_owner_ids=[owner],
                           intent_id=f"pi_{new_id().lower()}")  # fmt: skip
    order = make_order(customer, store_id, owner, status="pending_payment", lines=LINES,
                       payment_id=payment.payment_id)  # fmt: skip
    payment.order_ids = [order.order_id]
    payment.save()
    obj = intent_object(str(payment.stripe_payment_intent_id), PAID, {"paymentId": payment.payment_id,
                                                                       "kind": "order"})  # fmt: skip
    body, headers = signed_request(event("payment_intent.succeeded", obj))
    delivery = Delivery(raw=body, signature=headers["Stripe-Signature"])
    # WHEN Stripe delivers the same event 5 times in parallel
    acks = _in_parallel([lambda: webhooks.receive(delivery)] * 5)
    # THEN one delivery applied it
    assert [a.duplicate for a in acks].count(False) == 1
    assert stored_order(order.order_id).status == "paid"
    # AND there is one commission, frozen per line (125 + 150), and one sale entry
    commission = stored_commission(store_id, order.order_id)
    assert [(x["rateBps"], x["commission"]) for x in commission.lines] == [(500, 125), (1000, 150)]
    assert _entry_keys(store_id) == [f"COMMISSION#{order.order_id}"]
    assert reconciled(store_id)["pending"] == PAID - 275


# ---------------------------------------------------------------- refunds


def _paid_wallet_order() -> tuple[Order, Payment]:
    """An order paid from the wallet, with its commission and sale entry as checkout writes them."""
    customer, owner, store_id = f"it-{new_id()}", f"it-{new_id()}", f"store-{new_id()}"
    payment = make_payment(customer, PAID, method="wallet", store_ids=[store_id], store_owner_ids=[owner])
    order = make_order(customer, store_id, owner, lines=LINES, method="wallet", payment_id=payment.payment_id)
    payment.order_ids = [order.order_id]
    payment.save()
    with WriteTransaction() as tx:
        assert commissions.add_sale(tx, order) is not None
    return order, payment


def _refund(payment_id: str, amount: int | None) -> str:
    request = RefundRequest(amount=None if amount is None else Money(amount=amount, currency="usd"), reason="race",
                            to="wallet")  # fmt: skip
    try:
        refunds.refund_payment(ADMIN, payment_id, request)
    except SoukError as error:
        return error.code
    return "ok"


def _check_reversals(order: Order, commission: Commission) -> None:
    """What the order says was refunded is what the commission reversed, line by line within the frozen amounts."""
    refunded = int(stored_order(order.order_id).refunded_amount or 0)
    assert int(commission.reversed_gross) == refunded <= int(commission.gross)
    assert sum(x["reversedGross"] for x in commission.lines) == refunded
    for line in commission.lines:
        assert 0 <= line["reversedGross"] <= line["gross"]
        assert 0 <= line["reversedCommission"] <= line["commission"]
    assert int(commission.reversed_commission) == sum(x["reversedCommission"] for x in commission.lines)
    assert len(commission.reversals) == len([k for k in _entry_keys(order.store_id) if k.startswith("REVERSAL#")])


def test_parallel_partial_refunds_never_reverse_more_than_the_order(rates: None) -> None:
    # GIVEN an order paid 4000 with a commission of 275
    order, payment = _paid_wallet_order()
    # WHEN 8 refunds of 700 race (at most 5 fit in 4000)
    outcomes = _in_parallel([lambda: _refund(payment.payment_id, 700)] * 8)
    # THEN at most 5 went through, and the others were refused cleanly
    assert 1 <= outcomes.count("ok") <= 5
    assert set(outcomes) <= {"ok", "UNPROCESSABLE_ENTITY", "CONFLICT"}, outcomes
    # AND the commission reversed exactly what was refunded, one reversal per refund, within each line
    commission = stored_commission(order.store_id, order.order_id)
    assert int(commission.reversed_gross) == 700 * outcomes.count("ok")
    _check_reversals(order, commission)
    assert reconciled(order.store_id)["pending"] == int(commission.net) - int(commission.reversed_net)
    # WHEN the rest is refunded
    assert _refund(payment.payment_id, None) == "ok"
    # THEN exactly the frozen commission went back and nothing is left pending
    commission = stored_commission(order.store_id, order.order_id)
    assert commission.status == "reversed"
    assert int(commission.reversed_commission) == int(commission.commission) == 275
    _check_reversals(order, commission)
    assert reconciled(order.store_id)["pending"] == 0


def test_refunds_racing_the_daily_release_keep_the_balance_whole(rates: None) -> None:
    # GIVEN a paid order, delivered long enough ago that its net is due
    order, payment = _paid_wallet_order()
    delivered = utc_now() - timedelta(days=3)
    writes = commissions.delivery_writes(order, delivered)
    assert writes is not None
    with WriteTransaction() as tx:
        writes(tx)
    due = stored_commission(order.store_id, order.order_id).available_at
    assert due is not None and due < utc_now()
    # WHEN three daily runs and three partial refunds race
    runs: list[Any] = [lambda: daily.run(now=utc_now())] * 3
    outcomes = _in_parallel([*runs, *[lambda: _refund(payment.payment_id, 500)] * 3])
    # THEN the commission was released once, the refunds reversed from pending or available as it stood
    commission = stored_commission(order.store_id, order.order_id)
    assert int(commission.released) == 1
    assert _entry_keys(order.store_id).count(f"RELEASE#{order.order_id}") == 1
    assert outcomes[3:].count("ok") == 3, outcomes
    _check_reversals(order, commission)
    balance = reconciled(order.store_id)
    # AND everything the store still has of the order is available: nothing stuck in pending
    assert balance["pending"] == 0
    assert balance["available"] == int(commission.net) - int(commission.reversed_net)
