"""Checkout's reads and its one transaction (docs/commerce.md).

The transaction: a stock reservation per variant, an order per store, the payment, the
coupon's use, the wallet debit, the cart cleared, the audit record and, for each order paid
at checkout, its commission, ledger entry and store balance (at most 97 items); with loyalty points,
the lots drawn, the points balance and a ``redeemed`` entry per order (at most 10 stores then: 96 items).
If any of them fails, nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.cart import keys as cart_keys
from souk.cart.models import Cart, Coupon
from souk.cart.service.coupons import use_coupon
from souk.catalog import keys as catalog_keys
from souk.catalog.models import Variant
from souk.catalog.service import inventory
from souk.db import expiry
from souk.db import keys as db_keys
from souk.db.base import utc_now
from souk.db.transactions import WriteTransaction
from souk.finance.service import commissions
from souk.identity import keys as identity_keys
from souk.identity.models import Address
from souk.orders import keys
from souk.orders.models import Order
from souk.orders.store.orders import put_audit
from souk.payments import models as payment_models
from souk.payments.models import Payment
from souk.points.service.redemption import Redemption
from souk.wallet import service as ledger

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord
    from souk.caller import Actor

CART_LABEL = "cart"
ORDER_LABEL = "order"
PAYMENT_LABEL = "payment"


@dataclass(frozen=True)
class Reservation:
    line_id: str
    product_id: str
    sku: str
    quantity: int


@dataclass
class CheckoutPlan:
    """Everything one checkout writes, decided from the reads; :func:`transact` writes it."""

    user_id: str
    actor: Actor
    method: str
    checkout_id: str
    payment_id: str
    currency: str
    total: int
    cart: Cart
    coupon: Coupon | None
    reservations: list[Reservation]
    orders: list[Order]
    payment: Payment
    product_ids: list[str] = field(default_factory=list)
    redemption: Redemption | None = None  # loyalty points spent (their value is in the orders' discount)

    @property
    def settled(self) -> bool:
        """Paid at checkout (wallet, or nothing to pay): orders start ``paid``, the payment ``succeeded``."""
        return self.method == "wallet" or self.total == 0


def read_cart(user_id: str) -> Cart | None:
    try:
        return Cart.get(cart_keys.cart(user_id), cart_keys.CART, consistent_read=True)
    except DoesNotExist:
        return None


def read_address(user_id: str, address_id: str) -> dict[str, Any] | None:
    """A snapshot of one of the user's addresses (None: another user's or unknown)."""
    try:
        item = Address.get(identity_keys.user(user_id), identity_keys.address(address_id), consistent_read=True)
    except DoesNotExist:
        return None
    return {"id": item.address_id, "label": item.label, "line1": item.line1, "line2": item.line2,
            "city": item.city, "postalCode": item.postal_code, "country": item.country,
            "lat": float(item.lat), "lng": float(item.lng)}  # fmt: skip


def new_order(*, order_id: str, checkout_id: str, payment_id: str, user_id: str, store_id: str, owner_id: str,
              status: str, lines: list[dict[str, Any]], currency: str, subtotal: int, discount: int,
              delivery_fee: int, total: int,
              coupon_code: str | None, address: dict[str, Any], method: str, paid: int,
              history: list[dict[str, Any]], now: datetime, reserved_until: datetime | None,
              points: dict[str, Any] | None = None) -> Order:  # fmt: skip
    """An unsaved order on its customer's, its seller's and the admins' timelines (and the expiry index while
    its stock is held until ``reserved_until``)."""
    stamp = expiry.stamp(now)
    order = Order(pk=keys.order(order_id), sk=keys.order(order_id), order_id=order_id, checkout_id=checkout_id,
                  customer_id=user_id, store_id=store_id, store_owner_id=owner_id, status=status, lines=lines,
                  currency=currency, subtotal=subtotal, discount=discount, delivery_fee=delivery_fee, total=total,
                  coupon_code=coupon_code, address=address, payment_method=method, payment_id=payment_id,
                  paid_amount=paid, history=history, points=points,
                  gsi1pk=keys.customer_orders(user_id), gsi1sk=db_keys.timeline_sort(stamp, order_id),
                  gsi2pk=keys.seller_orders(owner_id), gsi2sk=db_keys.timeline_sort(stamp, order_id),
                  gsi3pk=keys.ORDERS_ALL, gsi3sk=db_keys.timeline_sort(stamp, order_id),
                  created_at=now, updated_at=now)  # fmt: skip
    if reserved_until is not None:
        order.reserved_until = reserved_until
        index = expiry.index_keys(reserved_until, order.pk)
        order.gsi4pk, order.gsi4sk = index["gsi4pk"], index["gsi4sk"]
    return order


def new_payment(*, payment_id: str, user_id: str, method: str, orders: list[Order], amount: int, currency: str,
                status: str, now: datetime) -> Payment:  # fmt: skip
    """An unsaved order payment on its payer's and the admins' timelines."""
    return payment_models.new_payment(
        payment_id,
        user_id,
        now=now,
        kind="order",
        method=method,
        order_ids=[o.order_id for o in orders],
        store_ids=[o.store_id for o in orders],
        store_owner_ids=list(dict.fromkeys(o.store_owner_id for o in orders)),
        amount=amount,
        currency=currency,
        status=status,
    )


def write_checkout(tx: WriteTransaction, plan: CheckoutPlan, record: AuditRecord) -> None:
    """Add every item of the checkout to ``tx`` (at most 97: docs/commerce.md)."""
    # One update per variant: a transaction may not touch an item twice (the cart merges lines, this makes sure).
    wanted: dict[tuple[str, str], int] = {}
    for reservation in plan.reservations:
        variant = (reservation.product_id, reservation.sku)
        wanted[variant] = wanted.get(variant, 0) + reservation.quantity
    for (product_id, sku), quantity in wanted.items():
        inventory.reserve_stock(tx, product_id, sku, quantity)
    for order in plan.orders:
        tx.put(order, Order.pk.does_not_exist(), label=f"{ORDER_LABEL}:{order.order_id}")
        if order.status == "paid":  # paid at checkout (wallet): the commission and the store's pending net
            commissions.add_sale(tx, order)
    tx.put(plan.payment, Payment.pk.does_not_exist(), label=PAYMENT_LABEL)
    if plan.coupon is not None:
        use_coupon(tx, plan.coupon, plan.user_id)
    if plan.redemption is not None:  # each lot drawn (conditional on what it held), the balance, the entries
        plan.redemption.add_to(tx, [o.order_id for o in plan.orders])
    if plan.method == "wallet" and plan.total > 0:
        ledger.debit(tx, plan.user_id, plan.total, entry_type="debit",
                     reference=ledger.Reference("payment", plan.payment_id),
                     description=f"Checkout {plan.checkout_id}")  # fmt: skip
    # The cart as it was read: the version condition (added by PynamoDB) refuses a cart changed since.
    tx.update(plan.cart, [Cart.lines.set([]), Cart.coupon_code.remove(), Cart.updated_at.set(utc_now())],
              label=CART_LABEL)  # fmt: skip
    put_audit(tx, record)


def transact(plan: CheckoutPlan, record: AuditRecord) -> None:
    """The checkout's one transaction (raises TransactionCancelled when a condition or a race fails it)."""
    with WriteTransaction() as tx:
        write_checkout(tx, plan, record)


def stock_now(variants: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    """Units in stock now per (product, sku), one consistent BatchGetItem (a variant gone: absent)."""
    wanted = list(dict.fromkeys((catalog_keys.product(p), catalog_keys.variant(s)) for p, s in variants))
    return {(v.product_id, v.sku): max(0, int(v.stock)) for v in Variant.batch_get(wanted, consistent_read=True)}
