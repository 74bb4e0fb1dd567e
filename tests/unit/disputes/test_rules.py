"""Disputes' and returns' rules: plain functions over loaded values, no AWS."""

from __future__ import annotations

from typing import Any

import pytest

from souk.caller import Principal
from souk.disputes.models import Dispute, ProductReturn
from souk.disputes.schemas.disputes import ResolutionIn
from souk.disputes.schemas.returns import ReturnIn, ReturnItemIn
from souk.disputes.service import disputes, returns
from souk.disputes.service.returns import Bought
from souk.errors import InvalidState, UnprocessableEntity, ValidationFailed
from souk.orders.models import Order
from souk.orders.status import history_entry


def _order(status: str = "delivered", *, lines: list[dict[str, Any]] | None = None, paid: int = 5000,
           refunded: int = 0, discount: int = 0, history: list[str] | None = None) -> Order:  # fmt: skip
    lines = lines or [
        {"productId": "p1", "sku": "A", "quantity": 3, "unitPrice": 1000, "lineTotal": 3000},
        {"productId": "p2", "sku": "B", "quantity": 2, "unitPrice": 1000, "lineTotal": 2000},
    ]
    subtotal = sum(int(line["lineTotal"]) for line in lines)
    return Order(order_id="o1", customer_id="c1", store_id="s1", store_owner_id="u1", status=status, lines=lines,
                 currency="usd", subtotal=subtotal, discount=discount, total=subtotal - discount,
                 paid_amount=paid, refunded_amount=refunded,
                 history=[history_entry(s, None) for s in (history or ["paid", "delivered", status])])  # fmt: skip


def _items(*pairs: tuple[str, int], product_id: str | None = None) -> list[ReturnItemIn]:
    return [ReturnItemIn(variant_sku=sku, quantity=q, product_id=product_id) for sku, q in pairs]


# ---------------------------------------------------------------- returns: what may be returned


def test_only_a_delivered_order_not_refunded_in_full_is_returnable() -> None:
    returns.check_returnable(_order("delivered"))
    # a partial refund since delivery does not matter: it still stands as delivered
    returns.check_returnable(_order("partially_refunded", history=["paid", "delivered", "partially_refunded"]))
    for status, history in (("picked_up", ["paid", "picked_up"]), ("paid", ["paid"]),
                            ("partially_refunded", ["paid", "accepted", "partially_refunded"]),
                            ("refunded", ["paid", "delivered", "refunded"])):  # fmt: skip
        with pytest.raises(InvalidState):
            returns.check_returnable(_order(status, history=history))


def test_items_are_matched_to_their_lines_by_sku() -> None:
    bought = returns.bought_lines(_order())
    assert bought == {("p1", "A"): Bought(3, 3000), ("p2", "B"): Bought(2, 2000)}
    assert returns.match_items(bought, _items(("B", 1), ("A", 2))) == [(("p2", "B"), 1), (("p1", "A"), 2)]


def test_an_unknown_sku_or_an_ambiguous_one_is_a_400_on_the_item() -> None:
    bought = returns.bought_lines(_order(lines=[
        {"productId": "p1", "sku": "X", "quantity": 1, "lineTotal": 100},
        {"productId": "p2", "sku": "X", "quantity": 1, "lineTotal": 100},
    ]))  # fmt: skip
    with pytest.raises(ValidationFailed) as unknown:
        returns.match_items(bought, _items(("Y", 1)))
    assert unknown.value.details == [
        {"field": "items[0].variantSku", "message": "The order has no line with this SKU."}
    ]
    with pytest.raises(ValidationFailed) as ambiguous:
        returns.match_items(bought, _items(("X", 1)))
    assert ambiguous.value.details[0]["field"] == "items[0].productId"
    # naming the product settles it
    assert returns.match_items(bought, _items(("X", 1), product_id="p2")) == [(("p2", "X"), 1)]


def test_a_line_named_twice_is_a_400() -> None:
    bought = returns.bought_lines(_order())
    items = [ReturnItemIn(variant_sku="A", quantity=1), ReturnItemIn(variant_sku="A", quantity=1, product_id="p1")]
    with pytest.raises(ValidationFailed):
        returns.match_items(bought, items)
    with pytest.raises(ValueError, match="Name each line once"):
        ReturnIn.model_validate({"items": [{"variantSku": "A", "quantity": 1}] * 2, "reason": "broken"})


def test_never_more_than_bought_minus_what_returns_not_rejected_ask_already() -> None:
    bought = returns.bought_lines(_order())
    left = returns.returnable(bought, {("p1", "A"): 2})
    assert left == {("p1", "A"): 1, ("p2", "B"): 2}
    returns.check_quantities([(("p1", "A"), 1), (("p2", "B"), 2)], left)
    with pytest.raises(UnprocessableEntity) as over:
        returns.check_quantities([(("p1", "A"), 2)], left)
    assert "Only 1 of A" in over.value.message
    assert {"productId": "p1", "variantSku": "A", "quantity": 1} in over.value.data["returnable"]  # type: ignore[index]
    # asked more than ever bought: nothing left shows as 0, never negative
    assert returns.returnable(bought, {("p2", "B"): 5})[("p2", "B")] == 0


def test_the_value_of_returned_units_is_their_share_of_the_line_less_the_discount_rounded_down() -> None:
    order = _order()
    assert returns.value_of(order, Bought(3, 3000), 2) == 2000
    # a 10% coupon on the order (500 of 5000): each unit is worth 900
    discounted = _order(discount=500)
    assert returns.value_of(discounted, Bought(3, 3000), 1) == 900
    # uneven line totals round down: never more than was paid
    assert returns.value_of(_order(), Bought(3, 1000), 1) == 333


def test_a_refund_is_the_lines_value_capped_by_what_is_left() -> None:
    item = ProductReturn(items=[{"productId": "p1", "variantSku": "A", "quantity": 2, "value": 2000}])
    assert returns.refund_value(item, _order(paid=5000, refunded=0)) == 2000
    assert returns.refund_value(item, _order(paid=5000, refunded=4000)) == 1000
    with pytest.raises(UnprocessableEntity):
        returns.refund_value(item, _order(paid=5000, refunded=5000))


# ---------------------------------------------------------------- returns: moves


@pytest.mark.parametrize(("current", "target"), [
    ("requested", "approved"), ("requested", "rejected"), ("approved", "received"), ("approved", "rejected"),
    ("received", "refunded"),
])  # fmt: skip
def test_the_moves_a_return_may_make(current: str, target: str) -> None:
    returns.check_move(current, target)


@pytest.mark.parametrize(("current", "target"), [
    ("requested", "received"), ("requested", "refunded"), ("approved", "refunded"), ("approved", "approved"),
    ("received", "rejected"), ("received", "received"), ("refunded", "rejected"), ("rejected", "approved"),
    ("refunded", "refunded"),
])  # fmt: skip
def test_every_other_move_is_409(current: str, target: str) -> None:
    with pytest.raises(InvalidState):
        returns.check_move(current, target)


def test_the_stores_owner_and_admins_move_a_return_its_customer_only_sees_it() -> None:
    item = ProductReturn(customer_id="c1", store_owner_id="u1")
    owner, customer = Principal("u1", "store_owner", None), Principal("c1", "customer", None)
    other, admin = Principal("u2", "store_owner", None), Principal("a1", "admin", None)
    assert [returns.may_move(p, item) for p in (owner, customer, other, admin)] == [True, False, False, True]
    assert [returns.may_see(p, item) for p in (owner, customer, other, admin)] == [True, True, False, True]


# ---------------------------------------------------------------- disputes


def test_who_sees_a_dispute() -> None:
    dispute = Dispute(customer_id="c1", store_owner_id="u1")
    seen = [disputes.may_see(Principal(u, r, None), dispute)
            for u, r in (("c1", "customer"), ("u1", "store_owner"), ("c2", "customer"), ("u2", "store_owner"),
                         ("a1", "admin"))]  # fmt: skip
    assert seen == [True, True, False, False, True]


def test_an_unpaid_order_cannot_be_disputed() -> None:
    with pytest.raises(InvalidState):
        disputes.check_disputable(_order("pending_payment"))
    for status in ("paid", "delivered", "cancelled", "refunded"):
        disputes.check_disputable(_order(status))


def test_a_closed_dispute_takes_no_message_nor_resolution() -> None:
    disputes.check_open(Dispute(status="open"))
    for status in ("resolved", "rejected"):
        with pytest.raises(InvalidState):
            disputes.check_open(Dispute(status=status))


def test_resolutions_close_a_dispute_as_resolved_or_rejected_and_refund_to_their_place() -> None:
    assert [disputes.closed_status(r) for r in ("refund_wallet", "refund_original", "rejected")] == [
        "resolved", "resolved", "rejected"]  # fmt: skip
    assert disputes.REFUND_TO == {"refund_wallet": "wallet", "refund_original": "original"}


def test_a_refund_resolution_is_capped_by_what_is_left_of_what_was_paid() -> None:
    assert disputes.refund_amount(_order(paid=5000, refunded=1500), None) == 3500
    assert disputes.refund_amount(_order(paid=5000, refunded=1500), 3500) == 3500
    with pytest.raises(UnprocessableEntity) as over:
        disputes.refund_amount(_order(paid=5000, refunded=1500), 3501)
    assert over.value.data == {"refundable": 3500}
    with pytest.raises(UnprocessableEntity):
        disputes.refund_amount(_order(paid=5000, refunded=5000), None)


def test_a_rejection_carries_no_amount() -> None:
    with pytest.raises(ValueError, match="refunds nothing"):
        ResolutionIn.model_validate({"resolution": "rejected", "amount": {"amount": 100, "currency": "usd"}})
    assert ResolutionIn.model_validate({"resolution": "refund_wallet"}).amount is None
    with pytest.raises(ValueError):
        ResolutionIn.model_validate({"resolution": "refund_wallet", "amount": 100})  # a bare number
