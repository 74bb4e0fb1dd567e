"""Refunds under races, on DynamoDB Local: never more than was paid, each refund counted once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from souk.caller import Principal
from souk.errors import ServiceUnavailable, SoukError
from souk.ids import new_id
from souk.money import Money
from souk.orders.models import Order
from souk.orders.schemas import CancelRequest, RefundRequest
from souk.orders.service import cancel, refunds
from souk.payments import gateway
from souk.payments.models import Payment
from souk.wallet import keys
from souk.wallet.models import Wallet, WalletEntry
from tests.commerce_factories import make_order, make_payment, stored_order, stored_payment, stored_refunds

pytestmark = pytest.mark.integration

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)


def _sale(paid: int, *, method: str = "card") -> tuple[Order, Payment]:
    """One order of ``paid`` (one line), its payment succeeded."""
    customer, owner, store_id = f"it-{new_id()}", f"it-{new_id()}", f"store-{new_id()}"
    payment = make_payment(customer, paid, method=method, store_ids=[store_id], store_owner_ids=[owner],
                           intent_id=f"pi_{new_id()}" if method == "card" else None)  # fmt: skip
    line = {"productId": "p-gone", "sku": "SKU-GONE", "name": "Gone", "variantName": None, "quantity": 1,
            "unitPrice": paid, "lineTotal": paid}  # fmt: skip
    order = make_order(customer, store_id, owner, lines=[line], method=method, payment_id=payment.payment_id)
    payment.order_ids = [order.order_id]
    payment.save()
    return order, payment


def _refund(payment_id: str, amount: int | None, to: str = "wallet") -> str:
    """One refund through the route's service; the outcome: "ok" or the error code."""
    sent = None if amount is None else Money(amount=amount, currency="usd")
    request = RefundRequest(amount=sent, reason="race", to=to)  # type: ignore[arg-type]
    try:
        refunds.refund_payment(ADMIN, payment_id, request)
    except SoukError as error:
        return error.code
    return "ok"


def _balance(user_id: str) -> int:
    return int(Wallet.get(keys.wallet(user_id), keys.WALLET, consistent_read=True).balance)


def _entries(user_id: str) -> list[WalletEntry]:
    found = WalletEntry.query(keys.wallet(user_id), WalletEntry.sk.startswith(keys.WALLET_ENTRY_PREFIX),
                              consistent_read=True)  # fmt: skip
    return [e for e in found if isinstance(e, WalletEntry)]


def test_five_parallel_full_refunds_refund_once(table: str) -> None:
    # GIVEN an order paid 1000
    order, payment = _sale(1000)
    # WHEN five admins refund it in full to the wallet at once
    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(lambda _: _refund(payment.payment_id, None), range(5)))
    # THEN exactly one goes through; the others are told nothing is left (422) or lost the race (409)
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) <= {"ok", "UNPROCESSABLE_ENTITY", "CONFLICT"}, outcomes
    # AND 1000 was refunded once: order, payment, one refund, one wallet entry
    stored, paid = stored_order(order.order_id), stored_payment(payment.payment_id)
    assert (stored.status, stored.refunded_amount, paid.status, paid.refunded_amount) == (
        "refunded", 1000, "refunded", 1000)  # fmt: skip
    assert [int(r.amount) for r in stored_refunds(payment.payment_id)] == [1000]
    assert _balance(order.customer_id) == 1000 and len(_entries(order.customer_id)) == 1


def test_ten_parallel_partial_refunds_never_exceed_what_was_paid(table: str) -> None:
    # GIVEN an order paid 1000
    order, payment = _sale(1000)
    # WHEN ten refunds of 300 race each other
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _refund(payment.payment_id, 300), range(10)))
    # THEN exactly three go through (900), the others are refused
    assert outcomes.count("ok") == 3, outcomes
    assert set(outcomes) <= {"ok", "UNPROCESSABLE_ENTITY", "CONFLICT"}, outcomes
    stored, paid = stored_order(order.order_id), stored_payment(payment.payment_id)
    assert (stored.status, stored.refunded_amount, paid.status, paid.refunded_amount) == (
        "partially_refunded", 900, "partially_refunded", 900)  # fmt: skip
    assert sorted(int(r.amount) for r in stored_refunds(payment.payment_id)) == [300, 300, 300]
    assert _balance(order.customer_id) == 900 and len(_entries(order.customer_id)) == 3
    # AND the history moved to partially_refunded once
    assert [h["status"] for h in stored.history].count("partially_refunded") == 1


def test_card_refunds_racing_stripe_failures_keep_totals_exact(table: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an order paid 1000 by card, and Stripe failing every other refund
    order, payment = _sale(1000)
    calls: list[str] = []
    lock = threading.Lock()

    def flaky_refund(intent_id: str, amount: int, *, idempotency_key: str, metadata: dict[str, str]) -> str:
        with lock:
            calls.append(idempotency_key)
            fail = len(calls) % 2 == 0
        if fail:
            raise ServiceUnavailable("The payment provider is unavailable; retry shortly.")
        return f"re_{idempotency_key}"

    monkeypatch.setattr(gateway, "create_refund", flaky_refund)
    # WHEN ten refunds of 100 to the card race
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _refund(payment.payment_id, 100, "original"), range(10)))
    # THEN the refunds Stripe accepted are exactly what the order and the payment say was refunded
    stored = stored_refunds(payment.payment_id)
    succeeded = [r for r in stored if r.status == "succeeded"]
    assert {r.status for r in stored} <= {"succeeded", "failed"}, [r.status for r in stored]
    assert len(succeeded) == outcomes.count("ok") and outcomes.count("ok") >= 1, outcomes
    assert all(r.stripe_refund_id == f"re_refund-{r.refund_id}" for r in succeeded)
    total = 100 * len(succeeded)
    final, paid = stored_order(order.order_id), stored_payment(payment.payment_id)
    assert (final.refunded_amount, paid.refunded_amount) == (total, total)
    assert final.status == ("partially_refunded" if total else "paid")
    assert paid.status == ("partially_refunded" if total else "succeeded")


def test_a_cancel_racing_a_full_refund_gives_the_money_back_once(table: str) -> None:
    # GIVEN a paid wallet order of 1000
    order, payment = _sale(1000, method="wallet")
    customer = Principal(user_id=order.customer_id, role="customer", session_id=None)

    def cancel_it(_: int) -> str:
        try:
            cancel.cancel_order(customer, order.order_id, CancelRequest(reason="race"))
        except SoukError as error:
            return error.code
        return "ok"

    # WHEN the customer cancels while an admin refunds it in full, three times each
    with ThreadPoolExecutor(max_workers=6) as pool:
        cancels = [pool.submit(cancel_it, i) for i in range(3)]
        refunded = [pool.submit(_refund, payment.payment_id, None, "original") for _ in range(3)]
        outcomes = [f.result() for f in cancels + refunded]
    # THEN the customer got 1000 back exactly once, whoever won
    assert "ok" in outcomes, outcomes
    final, paid = stored_order(order.order_id), stored_payment(payment.payment_id)
    assert (final.refunded_amount, paid.refunded_amount, paid.status) == (1000, 1000, "refunded")
    assert final.status in ("cancelled", "refunded")
    assert _balance(order.customer_id) == 1000
    assert [int(r.amount) for r in stored_refunds(payment.payment_id)] == [1000]
