"""Commerce test data written straight to the table: orders, payments, wallets, carts.

For tests of one route that need the others' results without running them (an order to
cancel, a payment to refund). Checkout's own tests go through POST /orders instead.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from souk.cart import keys as cart_keys
from souk.cart.models import Cart
from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.delivery import keys as delivery_keys
from souk.delivery.models import DeliveryZone
from souk.ids import new_id
from souk.orders import keys as orders_keys
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.payments import keys as payments_keys
from souk.payments.models import Payment, Refund
from souk.wallet import service as ledger

# The whole map as a GeoJSON ring ([lng, lat]): the suites' generic zone serves every address.
EVERYWHERE = [[-180.0, -90.0], [180.0, -90.0], [180.0, 90.0], [-180.0, 90.0], [-180.0, -90.0]]
EVERYWHERE_ZONE_ID = "0-everywhere"  # sorts first: the oldest id


def deliver_everywhere(*, fee: int = 0, currency: str = "usd") -> DeliveryZone:
    """A zone serving every address at a flat ``fee`` (priority 0, the largest area: any other zone
    a test adds wins where it overlaps). Seeded with each test table (tests/functional/conftest.py,
    tests/integration/conftest.py) so every checkout has a delivery zone; a zero fee keeps the
    suites' expected totals what they were."""
    flat = {"amount": fee, "currency": currency}
    zone_id = EVERYWHERE_ZONE_ID
    zone = DeliveryZone(pk=delivery_keys.ZONES, sk=delivery_keys.zone_sort(zone_id), zone_id=zone_id,
                        name="Everywhere (tests)", kind="polygon", polygon=EVERYWHERE,
                        fee={"base": flat, "perKm": {"amount": 0, "currency": currency}, "minimum": flat},
                        priority=0, active=True)  # fmt: skip
    zone.save()
    return zone


def fund_wallet(user_id: str, amount: int) -> None:
    with WriteTransaction() as tx:
        ledger.credit(tx, user_id, amount, entry_type="credit", description="test funds")


def make_payment(user_id: str, amount: int, *, kind: str = "order", method: str = "card", status: str = "succeeded",
                 order_ids: list[str] | None = None, store_ids: list[str] | None = None,
                 store_owner_ids: list[str] | None = None, intent_id: str | None = None,
                 currency: str = "usd") -> Payment:  # fmt: skip
    payment_id = new_id()
    now = utc_now()
    payment = Payment(
        pk=payments_keys.payment(payment_id),
        sk=payments_keys.payment(payment_id),
        payment_id=payment_id,
        user_id=user_id,
        kind=kind,
        method=method,
        order_ids=order_ids or [],
        store_ids=store_ids or [],
        store_owner_ids=store_owner_ids or [],
        amount=amount,
        currency=currency,
        status=status,
        stripe_payment_intent_id=intent_id,
        client_secret=f"{intent_id}_secret_x" if intent_id else None,
        gsi1pk=payments_keys.user_payments(user_id),
        gsi1sk=db_keys.timeline_sort(expiry.stamp(now), payment_id),
        gsi2pk=payments_keys.PAYMENTS_ALL,
        gsi2sk=db_keys.timeline_sort(expiry.stamp(now), payment_id),
        created_at=now,
        updated_at=now,
    )
    payment.save()
    return payment


def make_order(customer_id: str, store_id: str, store_owner_id: str, *, status: str = "paid",
               lines: list[dict[str, Any]] | None = None, method: str = "card", payment_id: str | None = None,
               currency: str = "usd", minutes_left: int = 30) -> Order:  # fmt: skip
    """An order as checkout leaves it (``lines`` default: one line of 2 x 1000)."""
    order_id = new_id()
    now = utc_now()
    lines = lines or [{"productId": "p-test", "sku": "SKU-1", "name": "Test product", "variantName": "One",
                       "quantity": 2, "unitPrice": 1000, "lineTotal": 2000}]  # fmt: skip
    subtotal = sum(int(line["lineTotal"]) for line in lines)
    paid = subtotal if status not in ("pending_payment", "cancelled") else 0
    history = [order_status.history_entry("pending_payment", None)]
    if status != "pending_payment":
        history.append(order_status.history_entry(status, None))
    order = Order(
        pk=orders_keys.order(order_id),
        sk=orders_keys.order(order_id),
        order_id=order_id,
        checkout_id=new_id(),
        customer_id=customer_id,
        store_id=store_id,
        store_owner_id=store_owner_id,
        status=status,
        lines=lines,
        currency=currency,
        subtotal=subtotal,
        total=subtotal,
        payment_method=method,
        payment_id=payment_id or new_id(),
        paid_amount=paid,
        history=history,
        gsi1pk=orders_keys.customer_orders(customer_id),
        gsi1sk=db_keys.timeline_sort(expiry.stamp(now), order_id),
        gsi2pk=orders_keys.seller_orders(store_owner_id),
        gsi2sk=db_keys.timeline_sort(expiry.stamp(now), order_id),
        gsi3pk=orders_keys.ORDERS_ALL,
        gsi3sk=db_keys.timeline_sort(expiry.stamp(now), order_id),
        created_at=now,
        updated_at=now,
    )
    if status == "pending_payment":
        until = now + timedelta(minutes=minutes_left)
        order.reserved_until = until
        index = expiry.index_keys(until, order.pk)
        order.gsi4pk, order.gsi4sk = index["gsi4pk"], index["gsi4sk"]
    order.save()
    return order


def make_cart(user_id: str | None, lines: list[dict[str, Any]], *, cart_id: str | None = None) -> Cart:
    """A cart with ``lines`` in the stored shape (``id``, ``productId``, ``storeId``, ``sku``, ``quantity``...)."""
    cart_id = cart_id or user_id or new_id()
    now = utc_now().isoformat()
    stored = [{"id": line.get("id") or new_id(), "addedAt": now, **line} for line in lines]
    cart = Cart(pk=cart_keys.cart(cart_id), sk=cart_keys.CART, cart_id=cart_id, user_id=user_id, lines=stored)
    cart.save()
    return cart


# Reads for assertions: consistent, so a test sees what the code under test just wrote.
def stored_order(order_id: str) -> Order:
    return Order.get(orders_keys.order(order_id), orders_keys.order(order_id), consistent_read=True)


def stored_payment(payment_id: str) -> Payment:
    return Payment.get(payments_keys.payment(payment_id), payments_keys.payment(payment_id), consistent_read=True)


def stored_refunds(payment_id: str) -> list[Refund]:
    found = Refund.query(
        payments_keys.payment(payment_id), Refund.sk.startswith(payments_keys.REFUND_PREFIX), consistent_read=True
    )
    return [r for r in found if isinstance(r, Refund)]
