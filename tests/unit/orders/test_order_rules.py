"""Orders' rules as plain functions (checkout planning, refund caps, status moves, cancel): no AWS."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from souk.caller import Principal
from souk.cart import pricing
from souk.cart.models import Cart
from souk.catalog.models import Product, Store, Variant
from souk.db.transactions import TransactionCancelled
from souk.errors import (
    Conflict,
    Forbidden,
    InsufficientFunds,
    InsufficientStock,
    InvalidState,
    NotFound,
    UnprocessableEntity,
    ValidationFailed,
)
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.service import cancel, checkout, fulfilment, refunds
from souk.orders.store.checkout import CheckoutPlan
from souk.payments.models import Payment

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
OWNER = Principal(user_id="owner", role="store_owner", session_id=None)


# ---------------------------------------------------------------- checkout planning


def _priced(*stores: tuple[str, str, int, int]) -> pricing.PricedCart:
    """A cart priced from in-memory items: one line per (store, currency, unit price, stock); 2 units each."""
    lines, view = [], pricing.CatalogView(products={}, variants={}, stores={}, coupon=None, coupon_uses=0)
    for n, (store_id, currency, price, stock) in enumerate(stores):
        product_id = f"p{n}"
        view.stores[store_id] = Store(store_id=store_id, owner_id="o", name=store_id, currency=currency,
                                      status="approved")  # fmt: skip
        view.products[product_id] = Product(product_id=product_id, store_id=store_id, owner_id="o", name="x",
                                            price_amount=price, currency=currency, category_id="c",
                                            status="active")  # fmt: skip
        view.variants[(product_id, "S")] = Variant(product_id=product_id, store_id=store_id, sku="S", name="s",
                                                   stock=stock)  # fmt: skip
        lines.append({"id": f"l{n}", "productId": product_id, "storeId": store_id, "sku": "S", "quantity": 2,
                      "seenPrice": price, "currency": currency})  # fmt: skip
    return pricing.price(Cart(cart_id="u", user_id="u", lines=lines), view, NOW)


def test_checkout_terms_total_one_currency_and_settle_the_wallet() -> None:
    priced = _priced(("a", "usd", 500, 9), ("b", "usd", 250, 9))
    assert checkout.checkout_terms(priced, "card", "usd") == checkout.Terms("usd", 1500, settled=False)
    assert checkout.checkout_terms(priced, "wallet", "usd") == checkout.Terms("usd", 1500, settled=True)


def test_checkout_terms_refuse_mixed_currencies_and_a_wallet_in_another_currency() -> None:
    with pytest.raises(UnprocessableEntity, match="mixes currencies"):
        checkout.checkout_terms(_priced(("a", "usd", 500, 9), ("b", "eur", 250, 9)), "card", "usd")
    with pytest.raises(UnprocessableEntity, match=r"Your wallet holds usd; pay this eur order by card\."):
        checkout.checkout_terms(_priced(("a", "eur", 500, 9)), "wallet", "usd")


def test_a_cart_short_of_stock_is_refused_with_its_lines() -> None:
    with pytest.raises(InsufficientStock) as raised:
        checkout.refuse_problems(_priced(("a", "usd", 500, 9), ("b", "usd", 250, 1)))
    assert raised.value.data == {"lines": [{"lineId": "l1", "productId": "p1", "variantSku": "S", "requested": 2,
                                            "available": 1}]}  # fmt: skip
    checkout.refuse_problems(_priced(("a", "usd", 500, 2)))  # exactly the stock passes


def _plan(priced: pricing.PricedCart) -> CheckoutPlan:
    return CheckoutPlan(user_id="u", actor=OWNER.actor, method="wallet", checkout_id="c", payment_id="pay",
                        currency="usd", total=0, cart=priced.cart, coupon=None,
                        reservations=checkout.reservations(priced), orders=[],
                        payment=Payment(payment_id="pay"))  # fmt: skip


@pytest.mark.parametrize(("reasons", "refused"), [
    ({"wallet": "ConditionalCheckFailed"}, InsufficientFunds),
    ({"coupon": "ConditionalCheckFailed"}, Conflict),
    ({"cart": "ConditionalCheckFailed"}, Conflict),
    ({"payment": "TransactionConflict"}, None),  # a race lost: retried
])  # fmt: skip
def test_a_cancelled_checkout_maps_to_the_label_that_failed(reasons: dict[str, str], refused: Any) -> None:
    plan = _plan(_priced(("a", "usd", 500, 9)))
    result = checkout.refusal(plan, TransactionCancelled(reasons))
    assert result is None if refused is None else isinstance(result, refused)


# ---------------------------------------------------------------- refund caps


def _order(**fields: Any) -> Order:
    values: dict[str, Any] = {"order_id": "o1", "status": "delivered", "currency": "usd", "paid_amount": 1000,
                              "refunded_amount": 0, "history": [], **fields}  # fmt: skip
    return Order(**values)


def _payment(**fields: Any) -> Payment:
    values: dict[str, Any] = {"payment_id": "pay", "kind": "order", "method": "card", "order_ids": ["o1", "o2"],
                              "amount": 1500, "refunded_amount": 0, "status": "succeeded", "currency": "usd",
                              "stripe_payment_intent_id": "pi_1", **fields}  # fmt: skip
    return Payment(**values)


def test_a_refund_defaults_to_all_that_is_left_of_the_order() -> None:
    plan = refunds.plan_refund(_order(refunded_amount=300), _payment(refunded_amount=300), None, "original", "usd")
    assert (plan.amount, plan.destination, plan.order_full, plan.payment_full) == (700, "card", True, False)


def test_a_refund_is_capped_by_the_order_and_the_payment() -> None:
    with pytest.raises(UnprocessableEntity) as raised:
        refunds.plan_refund(_order(), _payment(), 1001, "original", "usd")
    assert raised.value.data == {"refundable": 1000}
    with pytest.raises(UnprocessableEntity) as raised:  # the payment has 200 left, the order 1000
        refunds.plan_refund(_order(), _payment(refunded_amount=1300), 500, "original", "usd")
    assert raised.value.data == {"refundable": 200}
    with pytest.raises(UnprocessableEntity, match="refunded in full already"):
        refunds.plan_refund(_order(refunded_amount=1000), _payment(), None, "original", "usd")


@pytest.mark.parametrize(("order", "payment", "error"), [
    (_order(status="pending_payment"), _payment(), InvalidState),
    (_order(), _payment(status="pending"), InvalidState),
    (_order(order_id="o9"), _payment(), NotFound),
    (_order(), _payment(kind="topup"), UnprocessableEntity),
    (_order(), _payment(stripe_payment_intent_id=None), UnprocessableEntity),  # no card charge to refund
    (_order(currency="eur"), _payment(method="wallet"), UnprocessableEntity),  # the wallet holds usd
])  # fmt: skip
def test_refunds_refused(order: Order, payment: Payment, error: type[Exception]) -> None:
    with pytest.raises(error):
        refunds.plan_refund(order, payment, None, "original", "usd")


def test_a_cancelled_order_with_money_left_is_still_refundable() -> None:
    plan = refunds.plan_refund(_order(status="cancelled"), _payment(), None, "wallet", "usd")
    assert (plan.amount, plan.destination) == (1000, "wallet")


def test_a_failed_refund_restores_the_status_before_refunds() -> None:
    history = [{"status": s} for s in ("paid", "accepted", "partially_refunded", "refunded")]
    order = _order(status="refunded", refunded_amount=1000, history=history)
    payment = _payment(status="refunded", refunded_amount=1500)
    assert refunds.compensation_statuses(order, payment, 1000) == ("accepted", "partially_refunded")
    # part of it stays refunded: partially
    assert refunds.compensation_statuses(order, payment, 400) == ("partially_refunded", "partially_refunded")


# ---------------------------------------------------------------- status moves and cancel


@pytest.mark.parametrize(("role", "target", "error"), [
    ("store_owner", "cancelled", ValidationFailed),  # its own route
    ("store_owner", "paid", ValidationFailed),
    ("store_owner", "picked_up", Forbidden),
    ("courier", "accepted", Forbidden),
    ("customer", "accepted", Forbidden),
])  # fmt: skip
def test_who_may_set_which_status(role: str, target: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        fulfilment.check_target(role, target)


def test_roles_set_their_own_steps_one_at_a_time() -> None:
    fulfilment.check_target("store_owner", "ready")
    fulfilment.check_target("courier", "delivered")
    fulfilment.check_move("accepted", "preparing")
    with pytest.raises(InvalidState, match=r"An order that is paid cannot become ready\."):
        fulfilment.check_move("paid", "ready")


def test_who_may_move_an_order() -> None:
    order = _order(store_owner_id="owner", courier_id="c1")
    assert fulfilment.may_move(OWNER, order)
    assert not fulfilment.may_move(Principal(user_id="other", role="store_owner", session_id=None), order)
    assert fulfilment.may_move(Principal(user_id="c1", role="courier", session_id=None), order)
    assert not fulfilment.may_move(Principal(user_id="c2", role="courier", session_id=None), order)


@pytest.mark.parametrize(("status", "cancellable"), [
    ("paid", True), ("preparing", True), ("ready", False), ("delivered", False), ("pending_payment", False),
])  # fmt: skip
def test_a_paid_order_is_cancellable_until_ready(status: str, cancellable: bool) -> None:
    if cancellable:
        cancel.check_cancellable(_order(status=status))
    else:
        with pytest.raises(InvalidState):
            cancel.check_cancellable(_order(status=status))


def test_a_partially_refunded_order_moves_on_from_where_it_stood() -> None:
    history = [{"status": s} for s in ("paid", "accepted", "partially_refunded", "partially_refunded")]
    assert order_status.fulfilment_status("partially_refunded", history) == "accepted"
    assert order_status.can_move(order_status.fulfilment_status("partially_refunded", history), "preparing")
    # a partial refund of a paid order: it still ships
    assert order_status.fulfilment_status("partially_refunded", [{"status": "paid"}]) == "paid"
    # other statuses are where they stand; a full refund ends the chain
    assert order_status.fulfilment_status("ready", history) == "ready"
    assert not order_status.can_move(order_status.fulfilment_status("refunded", history), "preparing")
