"""Unpaid card orders on moto: expired by the cleanup job or on read, cancelled with their checkout.

A checkout is simulated as it leaves the table: stock reserved with the real
``inventory.reserve_stock``, pending orders and a pending payment from the commerce
factories (the checkout route is tested on its own).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.cart import keys as cart_keys
from souk.cart.models import Coupon, CouponUse
from souk.cart.schemas import CouponIn
from souk.cart.service import coupons
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.catalog.service import inventory
from souk.db.transactions import WriteTransaction
from souk.jobs import service as cleanup
from souk.orders.models import Order
from souk.orders.service import expiry
from souk.payments.models import Payment
from tests.commerce_factories import make_order, make_payment, stored_order, stored_payment
from tests.factories import create_user
from tests.functional.product_support import ADMIN, Seller, make_seller
from tests.support import ApiClient


def _stock(product_id: str, sku: str) -> int:
    return int(Variant.get(catalog_keys.product(product_id), catalog_keys.variant(sku), consistent_read=True).stock)


def _line(product: dict[str, Any], sku: str, quantity: int) -> dict[str, Any]:
    return {"productId": product["id"], "sku": sku, "name": product["name"], "variantName": sku, "quantity": quantity,
            "unitPrice": 5999, "lineTotal": 5999 * quantity}  # fmt: skip


def _unpaid_checkout(api: ApiClient, *, minutes_left: int = -1, orders: int = 1, intent_id: str | None = None,
                     coupon: str | None = None) -> tuple[Seller, dict[str, Any], list[Order], Payment]:  # fmt: skip
    """A card checkout waiting for its payment: TRS-42 x2 per order reserved (stock 10 before)."""
    seller = make_seller()
    product = seller.create(api)
    customer = create_user()
    with WriteTransaction() as tx:
        inventory.reserve_stock(tx, product["id"], "TRS-42", 2 * orders)
    made = [make_order(customer.user_id, seller.store.store_id, seller.user.user_id, status="pending_payment",
                       lines=[_line(product, "TRS-42", 2)], minutes_left=minutes_left)
            for _ in range(orders)]  # fmt: skip
    payment = make_payment(customer.user_id, sum(int(o.total) for o in made), status="pending",
                           order_ids=[o.order_id for o in made], intent_id=intent_id)  # fmt: skip
    for order in made:
        order.update([Order.payment_id.set(payment.payment_id)] + ([Order.coupon_code.set(coupon)] if coupon else []))
    return seller, product, [stored_order(o.order_id) for o in made], stored_payment(payment.payment_id)


def test_a_due_unpaid_checkout_is_cancelled_whole_and_its_stock_released(api: ApiClient) -> None:
    # GIVEN a checkout of two orders (4 units reserved) whose window passed a minute ago
    _, product, orders, payment = _unpaid_checkout(api, orders=2)
    assert _stock(product["id"], "TRS-42") == 6
    # WHEN one of its orders is expired
    cancelled = expiry.expire_unpaid(orders[0])
    # THEN both orders are cancelled by the system with the reason, out of the expiry index
    assert sorted(o.order_id for o in cancelled) == sorted(o.order_id for o in orders)
    for order in orders:
        stored = stored_order(order.order_id)
        assert stored.status == "cancelled" and stored.gsi4pk is None and stored.gsi4sk is None
        assert stored.history[-1]["status"] == "cancelled" and stored.history[-1]["role"] == "system"
        assert stored.history[-1]["reason"] == expiry.WINDOW_REASON
    # AND the stock is back, the payment canceled, and one audit record says what happened
    assert _stock(product["id"], "TRS-42") == 10
    assert stored_payment(payment.payment_id).status == "canceled"
    records = list(AuditRecord.gsi2.query(audit_keys.audit_resource("payment", payment.payment_id)))
    assert [r.action for r in records] == ["order.cancel_unpaid"]
    assert records[0].actor_id == "system" and records[0].after["released"] == [
        {"productId": product["id"], "sku": "TRS-42", "quantity": 4}]  # fmt: skip


def test_an_order_still_in_its_window_is_left_alone(api: ApiClient) -> None:
    # GIVEN an unpaid checkout with 20 minutes left
    _, product, orders, payment = _unpaid_checkout(api, minutes_left=20)
    # WHEN expiry looks at it now
    cancelled = expiry.expire_unpaid(orders[0])
    # THEN nothing changes
    assert cancelled == []
    assert stored_order(orders[0].order_id).status == "pending_payment"
    assert _stock(product["id"], "TRS-42") == 8 and stored_payment(payment.payment_id).status == "pending"
    # AND given a clock past the window, it is expired
    later = datetime.now(UTC) + timedelta(minutes=21)
    assert [o.order_id for o in expiry.expire_unpaid(orders[0], now=later)] == [orders[0].order_id]
    assert _stock(product["id"], "TRS-42") == 10


def test_a_payment_that_succeeded_first_wins_and_nothing_is_cancelled(api: ApiClient) -> None:
    # GIVEN an expired order read as pending, then the webhook marks its payment and order paid
    _, product, orders, payment = _unpaid_checkout(api)
    stale = orders[0]
    stored_order(stale.order_id).update([Order.status.set("paid"), Order.paid_amount.set(int(stale.total))])
    stored_payment(payment.payment_id).update([Payment.status.set("succeeded")])
    # WHEN expiry runs on the stale read
    cancelled = expiry.expire_unpaid(stale)
    # THEN nothing is cancelled and the reservation stands
    assert cancelled == []
    assert stored_order(stale.order_id).status == "paid" and stored_payment(payment.payment_id).status == "succeeded"
    assert _stock(product["id"], "TRS-42") == 8
    assert list(AuditRecord.gsi2.query(audit_keys.audit_resource("payment", payment.payment_id))) == []


def test_an_order_paid_after_the_payment_was_read_is_not_cancelled(api: ApiClient) -> None:
    # GIVEN the payment read pending, then the webhook's transaction pays it and its order
    _, product, orders, payment = _unpaid_checkout(api)
    stored_order(orders[0].order_id).update([Order.status.set("paid")])
    stored_payment(payment.payment_id).update([Payment.status.set("succeeded")])
    # WHEN the cancellation runs on the stale payment
    cancelled = expiry.cancel_unpaid_checkout(payment, "payment window passed", None)
    # THEN its conditions fail, it re-reads, and gives up without changing anything
    assert cancelled == []
    assert stored_order(orders[0].order_id).status == "paid" and _stock(product["id"], "TRS-42") == 8


def test_the_cleanup_job_expires_unpaid_orders(api: ApiClient) -> None:
    # GIVEN an unpaid checkout with 10 minutes left
    _, product, orders, payment = _unpaid_checkout(api, minutes_left=10)
    # WHEN the hourly job runs an hour later
    report = cleanup.run(now=datetime.now(UTC) + timedelta(hours=1))
    # THEN it cancelled the order through expiry
    assert report.deleted == {"Order": 1}
    assert (
        stored_order(orders[0].order_id).status == "cancelled"
        and stored_payment(payment.payment_id).status == "canceled"
    )
    assert _stock(product["id"], "TRS-42") == 10
    # AND a second run finds nothing left in the index
    again = cleanup.run(now=datetime.now(UTC) + timedelta(hours=1))
    assert again.total == 0 and _stock(product["id"], "TRS-42") == 10


def test_the_cleanup_job_leaves_orders_in_their_window(api: ApiClient) -> None:
    # GIVEN an unpaid checkout with 10 minutes left
    _, product, orders, _ = _unpaid_checkout(api, minutes_left=10)
    # WHEN the job runs now
    report = cleanup.run()
    # THEN the order still waits for its payment
    assert "Order" not in report.deleted
    assert stored_order(orders[0].order_id).status == "pending_payment" and _stock(product["id"], "TRS-42") == 8


def test_the_coupon_use_is_given_back(api: ApiClient) -> None:
    # GIVEN a coupon used once by the checkout
    customer_code = "EXPIRE-10"
    coupon = coupons.create_coupon(ADMIN, CouponIn(code=customer_code, type="percent", value=10))
    _, _, orders, _ = _unpaid_checkout(api, coupon=customer_code)
    stored = Coupon.get(cart_keys.coupon(customer_code), cart_keys.COUPON, consistent_read=True)
    with WriteTransaction() as tx:
        coupons.use_coupon(tx, stored, orders[0].customer_id)
    assert Coupon.get(cart_keys.coupon(coupon.code), cart_keys.COUPON, consistent_read=True).uses == 1
    # WHEN the checkout expires
    cancelled = expiry.expire_unpaid(orders[0])
    # THEN the use is given back on the coupon and the customer's counter
    assert len(cancelled) == 1
    assert Coupon.get(cart_keys.coupon(customer_code), cart_keys.COUPON, consistent_read=True).uses == 0
    use = CouponUse.get(
        cart_keys.coupon(customer_code), cart_keys.coupon_use(orders[0].customer_id), consistent_read=True
    )
    assert use.uses == 0


def test_a_coupon_without_a_use_to_give_back_does_not_block_the_cancel(api: ApiClient) -> None:
    # GIVEN an order naming a coupon that was never counted
    coupons.create_coupon(ADMIN, CouponIn(code="NEVER-USED", type="percent", value=10))
    _, product, orders, _ = _unpaid_checkout(api, coupon="NEVER-USED")
    # WHEN it expires
    cancelled = expiry.expire_unpaid(orders[0])
    # THEN it is cancelled, its stock back, the counter untouched
    assert [o.status for o in cancelled] == ["cancelled"] and _stock(product["id"], "TRS-42") == 10
    assert Coupon.get(cart_keys.coupon("NEVER-USED"), cart_keys.COUPON, consistent_read=True).uses == 0


def test_lines_of_deleted_variants_do_not_block_the_cancel(aws_resources: dict[str, str]) -> None:
    # GIVEN an expired order whose product no longer exists
    customer = create_user()
    order = make_order(customer.user_id, "s-gone", "o-gone", status="pending_payment", minutes_left=-5)
    payment = make_payment(customer.user_id, int(order.total), status="failed", order_ids=[order.order_id])
    order.update([Order.payment_id.set(payment.payment_id)])
    # WHEN it expires
    cancelled = expiry.expire_unpaid(stored_order(order.order_id))
    # THEN it is cancelled and the (failed) payment canceled
    assert [o.order_id for o in cancelled] == [order.order_id]
    assert (
        stored_order(order.order_id).status == "cancelled" and stored_payment(payment.payment_id).status == "canceled"
    )


def test_the_payment_intent_is_cancelled_at_stripe(api: ApiClient, stripe_fake: Any) -> None:
    # GIVEN an unpaid checkout with a real PaymentIntent
    from souk.payments import gateway

    intent = gateway.create_payment_intent(11998, "usd", metadata={"kind": "order"}, idempotency_key="pi-expiry-test")
    _, _, orders, _ = _unpaid_checkout(api, intent_id=intent.id)
    # WHEN the order expires
    expiry.expire_unpaid(orders[0])
    # THEN Stripe has the intent canceled
    assert gateway.client().v1.payment_intents.retrieve(intent.id).status == "canceled"
