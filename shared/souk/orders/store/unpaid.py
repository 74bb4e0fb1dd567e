"""The cancellation of an unpaid checkout as one transaction (see :mod:`souk.orders.service.expiry`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.cart.service.coupons import release_coupon
from souk.catalog.service import inventory
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.orders.models import Order, move_actions
from souk.orders.store.orders import put_audit
from souk.payments.models import Payment

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from souk.audit.models import AuditRecord
    from souk.caller import Actor

PAYMENT_LABEL = "payment"


def order_label(order_id: str) -> str:
    return f"order:{order_id}"


def write_cancel_unpaid(payment: Payment | None, orders: list[Order], reason: str, actor: Actor | None, *,
                        releases: dict[tuple[str, str], int], gone: set[str], coupon_codes: list[str],
                        record: AuditRecord, extras: Sequence[Callable[[WriteTransaction], None]] = ()
                        ) -> None:  # fmt: skip
    """Every order → ``cancelled`` (conditional on its status read), the stock released (but the ``gone``
    variants'), the payment → ``canceled`` (or checked so), the coupons' uses given back, the ``extras``' items
    (the loyalty points the orders redeemed, given back), the audit record.

    Raises TransactionCancelled when a condition fails.
    """
    with WriteTransaction() as tx:
        for order in orders:
            actions, condition = move_actions(order, "cancelled", actor, reason)
            tx.update(order, actions, condition, label=order_label(order.order_id))
        for (product_id, sku), quantity in releases.items():
            if inventory.stock_label(product_id, sku) not in gone:
                inventory.release_stock(tx, product_id, sku, quantity)
        if payment is not None:
            if payment.status == "canceled":
                tx.check(Payment, payment.pk, payment.sk, Payment.status == "canceled", label=PAYMENT_LABEL)
            else:
                tx.update(payment, [Payment.status.set("canceled"), Payment.updated_at.set(utc_now())],
                          Payment.status == payment.status, label=PAYMENT_LABEL)  # fmt: skip
        for code in coupon_codes:
            release_coupon(tx, code, orders[0].customer_id)
        for extra in extras:
            extra(tx)
        put_audit(tx, record)
