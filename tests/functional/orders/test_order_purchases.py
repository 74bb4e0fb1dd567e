"""A delivered order records what its customer received: one Purchase per product and one for the store."""

from __future__ import annotations

from souk.cart.models import MAX_LINES
from souk.orders import keys
from souk.orders.models import Purchase
from souk.orders.schemas import StatusRequest
from souk.orders.service import fulfilment, purchases
from tests.commerce_factories import make_order
from tests.review_factories import ADMIN


def _line(i: int, product: str) -> dict[str, object]:
    return {"productId": product, "sku": f"SKU-{i}", "name": "Thing", "quantity": 1, "unitPrice": 100, "lineTotal": 100}


def test_the_move_to_delivered_writes_the_purchases_of_a_full_order(aws_resources: dict[str, str]) -> None:
    # GIVEN a picked-up order of the most lines a cart holds (two lines share a product)
    lines = [_line(i, f"p-{i}") for i in range(MAX_LINES - 1)] + [_line(MAX_LINES, "p-0")]
    order = make_order("cust-1", "store-1", "owner-1", status="picked_up", lines=lines)
    assert not purchases.oldest_purchases("cust-1", "store", "store-1")[0]
    # WHEN it is delivered
    fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status="delivered"))
    # THEN one purchase per distinct product and one for the store, in the same move
    stored = list(Purchase.query(keys.purchases("cust-1")))
    assert len(stored) == (MAX_LINES - 1) + 1
    assert {p.target_id for p in stored if p.target_type == "product"} == {f"p-{i}" for i in range(MAX_LINES - 1)}
    found = purchases.find_purchase("cust-1", "product", "p-3", order.order_id)
    assert found is not None and found.store_id == "store-1"
    assert purchases.find_purchase("cust-1", "product", "p-3", "another-order") is None
    assert [p.order_id for p in purchases.oldest_purchases("cust-1", "store", "store-1")[0]] == [order.order_id]


def test_no_purchase_before_delivery(aws_resources: dict[str, str]) -> None:
    order = make_order("cust-2", "store-2", "owner-2", status="ready", lines=[_line(1, "p-1")])
    fulfilment.move_order(ADMIN, order.order_id, StatusRequest(status="picked_up"))
    assert list(Purchase.query(keys.purchases("cust-2"))) == []
