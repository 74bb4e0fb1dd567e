"""Order status moves and unpaid-order expiry racing, on DynamoDB Local: one outcome each time."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import pytest

from souk.catalog.service import inventory, products
from souk.db.transactions import WriteTransaction
from souk.errors import InvalidState
from souk.orders.models import Order
from souk.orders.schemas import StatusRequest
from souk.orders.service import expiry, fulfilment
from souk.payments.models import Payment
from souk.webhooks import service as webhooks
from tests.commerce_factories import make_order, make_payment, stored_order, stored_payment
from tests.integration.catalog_data import ADMIN, OWNER, product_with_stock
from tests.stripe_support import event, intent_object, signed_request

pytestmark = pytest.mark.integration

T = TypeVar("T")


@pytest.fixture
def no_stripe(table: str, stripe_offline: None) -> str:
    """The table, with our webhook secret and Stripe offline (best-effort calls fail fast and are logged)."""
    return table


def _together(*calls: Callable[[], T]) -> list[T | Exception]:
    """Run the calls at the same instant (a barrier), each outcome or the exception it raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T | Exception:
        barrier.wait()
        try:
            return call()
        except Exception as error:  # the outcome under test
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _stock(product_id: str) -> int:
    _, variants = products.load(product_id, consistent=True)
    return int(variants[0].stock)


def _expired_checkout(product_id: str, quantity: int = 2) -> tuple[Order, Payment]:
    """An unpaid card checkout of ``quantity`` units (reserved), its window passed a minute ago."""
    with WriteTransaction() as tx:
        inventory.reserve_stock(tx, product_id, "OIL-1L", quantity)
    line = {"productId": product_id, "sku": "OIL-1L", "name": "Olive Oil", "quantity": quantity, "unitPrice": 899,
            "lineTotal": 899 * quantity}  # fmt: skip
    order = make_order("it-customer", "it-store", OWNER.user_id, status="pending_payment", lines=[line],
                       minutes_left=-1)  # fmt: skip
    payment = make_payment("it-customer", int(order.total), status="pending", order_ids=[order.order_id])
    order.update([Order.payment_id.set(payment.payment_id)])
    return stored_order(order.order_id), stored_payment(payment.payment_id)


def _mark_paid(order: Order, payment: Payment) -> bool:
    """What the webhook's success does: payment pending → succeeded and order → paid, both conditional."""
    from souk.db.transactions import TransactionCancelled
    from souk.orders.models import move_actions

    actions, condition = move_actions(order, "paid", None, "card payment succeeded")
    try:
        with WriteTransaction() as tx:
            tx.update(order, [*actions, Order.paid_amount.set(int(order.total))], condition, label="order")
            tx.update(payment, [Payment.status.set("succeeded")], Payment.status == "pending", label="payment")
    except TransactionCancelled:
        return False
    return True


def test_two_racing_status_moves_only_one_applies(table: str) -> None:
    for _ in range(5):
        # GIVEN a paid order
        order = make_order("it-customer", "it-store", OWNER.user_id)
        accept = StatusRequest(status="accepted")
        # WHEN its owner and an admin accept it at the same instant
        outcomes = _together(lambda o=order, r=accept: fulfilment.move_order(OWNER, o.order_id, r),
                             lambda o=order, r=accept: fulfilment.move_order(ADMIN, o.order_id, r))  # fmt: skip
        # THEN exactly one move applied, the other is 409 INVALID_STATE
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert len(errors) == 1 and isinstance(errors[0], InvalidState), outcomes
        assert errors[0].message == "An order that is accepted cannot become accepted."
        stored = stored_order(order.order_id)
        assert stored.status == "accepted" and [h["status"] for h in stored.history].count("accepted") == 1


def test_ten_racing_moves_of_one_order_apply_once(table: str) -> None:
    # GIVEN a paid order
    order = make_order("it-customer", "it-store", OWNER.user_id)
    request = StatusRequest(status="accepted")
    # WHEN ten accepts race
    outcomes = _together(*[lambda: fulfilment.move_order(OWNER, order.order_id, request) for _ in range(10)])
    # THEN one applies, nine are INVALID_STATE, the history holds one accept
    assert sum(not isinstance(o, Exception) for o in outcomes) == 1
    assert sum(isinstance(o, InvalidState) for o in outcomes) == 9
    assert [h["status"] for h in stored_order(order.order_id).history] == ["pending_payment", "paid", "accepted"]


def test_expiry_racing_a_payment_has_exactly_one_outcome(no_stripe: str) -> None:
    # GIVEN a product with 100 in stock
    product_id = product_with_stock(100).product_id
    outcomes: set[str] = set()
    for round_ in range(10):
        # GIVEN an expired unpaid checkout of 2 units
        before = _stock(product_id)
        order, payment = _expired_checkout(product_id)
        # WHEN expiry and the payment's success race (the payment a little later in some rounds: both orders occur)
        delay = 0.004 * round_

        def pay(o: Order = order, p: Payment = payment, d: float = delay) -> bool:
            time.sleep(d)
            return _mark_paid(o, p)

        expired, paid = _together(lambda o=order: expiry.expire_unpaid(o), pay)
        # THEN either the payment won (paid, stock still held, nothing cancelled)...
        stored, saved_payment = stored_order(order.order_id), stored_payment(payment.payment_id)
        if paid is True:
            assert expired == [] and stored.status == "paid" and saved_payment.status == "succeeded"
            assert _stock(product_id) == before - 2
            outcomes.add("paid")
        # ...or expiry did (cancelled, stock back, payment canceled), never both
        else:
            assert paid is False and [o.order_id for o in expired] == [order.order_id]  # type: ignore[union-attr]
            assert stored.status == "cancelled" and saved_payment.status == "canceled"
            assert _stock(product_id) == before
            outcomes.add("cancelled")
    print(f"outcomes seen: {sorted(outcomes)}")  # which side wins is up to the engine


def test_expiry_racing_the_real_webhook_never_pays_a_released_order(no_stripe: str) -> None:
    # GIVEN a product with 100 in stock
    product_id = product_with_stock(100).product_id
    for round_ in range(6):
        # GIVEN an expired unpaid checkout of 2 units
        before = _stock(product_id)
        order, payment = _expired_checkout(product_id)
        body, headers = signed_request(event("payment_intent.succeeded", intent_object(
            "pi_unused", int(payment.amount), {"paymentId": payment.payment_id, "kind": "order"})))  # fmt: skip
        delivery = webhooks.Delivery(raw=body, signature=headers["Stripe-Signature"])
        # WHEN expiry and Stripe's success delivery race (one or the other a little later: both orders occur)
        head_start = 0.01 * (round_ // 2)

        def expire(o: Order = order, wait: float = head_start if round_ % 2 else 0.0) -> list[Order]:
            time.sleep(wait)
            return expiry.expire_unpaid(o)

        def deliver(d: webhooks.Delivery = delivery, wait: float = 0.0 if round_ % 2 else head_start) -> Any:
            time.sleep(wait)
            return webhooks.receive(d)

        expired, ack = _together(expire, deliver)
        assert not isinstance(ack, Exception), ack
        stored = stored_order(order.order_id)
        print(f"round {round_}: {stored.status}")
        # THEN a paid order kept its stock; a cancelled one got its stock back and its money is being returned
        if stored.status == "paid":
            assert expired == [] and _stock(product_id) == before - 2
            assert stored_payment(payment.payment_id).status == "succeeded"
        else:
            assert stored.status == "cancelled" and int(stored.paid_amount or 0) == 0
            assert [o.order_id for o in expired] == [order.order_id]  # type: ignore[union-attr]
            assert _stock(product_id) == before
            assert stored_payment(payment.payment_id).status in ("canceled", "refunded")


def test_concurrent_expiries_release_the_stock_once(no_stripe: str) -> None:
    # GIVEN an expired unpaid checkout of 2 units out of 10
    product_id = product_with_stock(10).product_id
    order, payment = _expired_checkout(product_id)
    assert _stock(product_id) == 8
    # WHEN five expiries (job, reads, a customer cancel) run at once
    expiries = [lambda: expiry.expire_unpaid(order) for _ in range(4)]
    outcomes: list[Any] = _together(*expiries, lambda: expiry.cancel_unpaid_checkout(payment, "customer cancelled"))
    # THEN exactly one cancelled it, and the stock came back once
    assert all(not isinstance(o, Exception) for o in outcomes), outcomes
    assert sum(len(o) for o in outcomes) == 1
    assert _stock(product_id) == 10
    assert (
        stored_order(order.order_id).status == "cancelled" and stored_payment(payment.payment_id).status == "canceled"
    )
