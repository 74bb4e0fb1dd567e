"""Checkout (POST /api/v1/orders): the caller's cart becomes one order per store and one payment.

The whole checkout is one DynamoDB transaction (docs/commerce.md): a stock reservation
per line, an order per store, the payment, the coupon's use, the wallet debit, the cart
cleared and the audit record. If any of them fails, nothing is written. A card checkout
creates its PaymentIntent first (Stripe down → 502/503, nothing written, cart intact) and
cancels it when the transaction then fails.

:func:`checkout` is the route's service; :func:`plan_checkout` (reads, rules, the items
to write) and :func:`commit_checkout` (the transaction and its cancellation mapping) are
its two halves, usable apart by tests and tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.cart import coupons, pricing
from souk.cart.models import Cart, Coupon
from souk.catalog import inventory
from souk.catalog.models import Variant
from souk.db import expiry, keys
from souk.db.base import utc_now
from souk.db.idempotency import idempotent_call
from souk.db.transactions import CONTENTION, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict, InsufficientFunds, InsufficientStock, NotFound, UnprocessableEntity
from souk.identity.models import Address
from souk.ids import new_id
from souk.money import Money
from souk.orders import notifications
from souk.orders import status as order_status
from souk.orders.models import Order
from souk.orders.schemas import OrderOut, order_out
from souk.payments.models import Payment
from souk.schema import CamelModel
from souk.settings import get_settings
from souk.wallet import ledger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from souk.caller import Actor, Principal
    from souk.payments.gateway import Intent

IDEMPOTENCY_SCOPE = "ORDERS"
CART_LABEL = "cart"
ORDER_LABEL = "order"
PAYMENT_LABEL = "payment"
MAX_ATTEMPTS = 25  # transactions lost to a concurrent one on the same item (TransactionConflict), retried


# ---------------------------------------------------------------- schemas


class CheckoutRequest(CamelModel):
    address_id: str = Field(min_length=1, max_length=64, description="One of the caller's addresses.")
    payment_method: Literal["card", "wallet"]
    points_to_redeem: int | None = Field(
        None, ge=0, le=10**9, strict=True, description="Loyalty points; any above 0 is refused until loyalty ships."
    )


class CheckoutPayment(CamelModel):
    id: str
    method: Literal["card", "wallet"]
    status: str = Field(description="`pending` until the card is confirmed; `succeeded` for the wallet.")
    amount: Money
    client_secret: str | None = Field(None, description="Card only: confirm the PaymentIntent with Stripe.js.")
    intent_id: str | None = Field(None, description="Card only: the Stripe PaymentIntent's id (`pi_...`).")


class CheckoutOut(CamelModel):
    checkout_id: str
    orders: list[OrderOut] = Field(description="One per store, in the cart's store order.")
    payment: CheckoutPayment


# ---------------------------------------------------------------- planning: reads and rules


@dataclass(frozen=True)
class Reservation:
    line_id: str
    product_id: str
    sku: str
    quantity: int


@dataclass
class CheckoutPlan:
    """Everything one checkout writes, decided from the reads; :func:`commit_checkout` writes it."""

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

    @property
    def settled(self) -> bool:
        """Paid at checkout (wallet, or nothing to pay): orders start ``paid``, the payment ``succeeded``."""
        return self.method == "wallet" or self.total == 0


def _cart(user_id: str) -> Cart:
    try:
        cart = Cart.get(keys.cart(user_id), keys.CART, consistent_read=True)
    except DoesNotExist:
        raise UnprocessableEntity("Your cart is empty.") from None
    if not cart.lines:
        raise UnprocessableEntity("Your cart is empty.")
    return cart


def _address(user_id: str, address_id: str) -> dict[str, Any]:
    """A snapshot of one of the user's addresses (another user's or unknown: 404)."""
    try:
        item = Address.get(keys.user(user_id), keys.address(address_id), consistent_read=True)
    except DoesNotExist:
        raise NotFound("No such address.") from None
    return {"id": item.address_id, "label": item.label, "line1": item.line1, "line2": item.line2,
            "city": item.city, "postalCode": item.postal_code, "country": item.country,
            "lat": float(item.lat), "lng": float(item.lng)}  # fmt: skip


def _refuse_problems(priced: pricing.PricedCart) -> None:
    unavailable = [line for line in priced.lines if line.problem == "unavailable"]
    if unavailable:
        raise UnprocessableEntity("Some items in your cart are no longer available; remove them and retry.",
                                  details=[{"field": f"lines[{line.line['id']}]",
                                            "message": "This item is no longer available."}
                                           for line in unavailable])  # fmt: skip
    short = [line for line in priced.lines if line.problem == "insufficient_stock"]
    if short:
        raise InsufficientStock("Not enough stock for some items in your cart.", data={"lines": [
            {"lineId": line.line["id"], "productId": line.line["productId"], "variantSku": line.line["sku"],
             "requested": line.quantity, "available": line.available} for line in short]})  # fmt: skip
    if priced.coupon_problem:
        raise UnprocessableEntity(priced.coupon_problem)


def plan_checkout(principal: Principal, request: CheckoutRequest, cart: Cart | None = None,
                  *, now: datetime | None = None) -> CheckoutPlan:  # fmt: skip
    """Read the cart, catalog and address, apply the rules, and build the items to write.

    Reads: the cart (GetItem, unless given), the catalog view (one BatchGetItem) and the
    address (GetItem), all consistent. Nothing is written.

    Raises
    ------
    UnprocessableEntity
        Empty cart, unavailable lines, a coupon that no longer applies, several currencies,
        or a wallet payment in another currency than the wallet's.
    InsufficientStock
        A line wants more than is in stock (``data.lines`` names them).
    NotFound
        The address is not the caller's.
    """
    user_id = principal.user_id
    now = now or utc_now()
    cart = cart if cart is not None else _cart(user_id)
    if not cart.lines:
        raise UnprocessableEntity("Your cart is empty.")
    priced = pricing.price(cart, pricing.load(cart, user_id, consistent=True), now)
    address = _address(user_id, request.address_id)
    _refuse_problems(priced)
    currencies = {group.currency for group in priced.groups}
    if len(currencies) != 1:
        raise UnprocessableEntity("Your cart mixes currencies; check out one currency at a time.")
    currency = currencies.pop()
    method = request.payment_method
    if method == "wallet" and currency != ledger.wallet_currency():
        raise UnprocessableEntity(f"Your wallet holds {ledger.wallet_currency()}; pay this {currency} order by card.")
    checkout_id, payment_id = new_id(), new_id()
    total = sum(group.total for group in priced.groups)
    settled = method == "wallet" or total == 0
    stamp = expiry.stamp(now)
    actor = principal.actor
    history = [order_status.history_entry("pending_payment", actor)]
    if settled:
        history.append(order_status.history_entry("paid", actor))
    until = now + timedelta(minutes=get_settings().payment_window_minutes)
    coupon_code = priced.coupon.code if priced.coupon is not None and cart.coupon_code else None
    orders: list[Order] = []
    for group in priced.groups:
        order_id = new_id()
        lines = [{"productId": line.line["productId"], "sku": line.line["sku"],
                  "name": line.product.name if line.product else line.line["sku"],
                  "variantName": line.variant.name if line.variant else None, "quantity": line.quantity,
                  "unitPrice": line.unit_price, "lineTotal": line.line_total} for line in group.lines]  # fmt: skip
        owner_id = group.store.owner_id if group.store is not None else ""
        order = Order(pk=keys.order(order_id), sk=keys.order(order_id), order_id=order_id, checkout_id=checkout_id,
                      customer_id=user_id, store_id=group.store_id, store_owner_id=owner_id,
                      status="paid" if settled else "pending_payment", lines=lines, currency=currency,
                      subtotal=group.subtotal, discount=group.discount, delivery_fee=0, total=group.total,
                      coupon_code=coupon_code if group.discount else None, address=address, payment_method=method,
                      payment_id=payment_id, paid_amount=group.total if settled else 0, history=list(history),
                      gsi1pk=keys.customer_orders(user_id), gsi1sk=keys.timeline_sort(stamp, order_id),
                      gsi2pk=keys.seller_orders(owner_id), gsi2sk=keys.timeline_sort(stamp, order_id),
                      gsi3pk=keys.ORDERS_ALL, gsi3sk=keys.timeline_sort(stamp, order_id),
                      created_at=now, updated_at=now)  # fmt: skip
        if not settled:
            order.reserved_until = until
            index = expiry.index_keys(until, order.pk)
            order.gsi4pk, order.gsi4sk = index["gsi4pk"], index["gsi4sk"]
        orders.append(order)
    payment = Payment(pk=keys.payment(payment_id), sk=keys.payment(payment_id), payment_id=payment_id, user_id=user_id,
                      kind="order", method=method, order_ids=[o.order_id for o in orders],
                      store_ids=[o.store_id for o in orders],
                      store_owner_ids=list(dict.fromkeys(o.store_owner_id for o in orders)), amount=total,
                      currency=currency, status="succeeded" if settled else "pending",
                      gsi1pk=keys.user_payments(user_id), gsi1sk=keys.timeline_sort(stamp, payment_id),
                      gsi2pk=keys.PAYMENTS_ALL, gsi2sk=keys.timeline_sort(stamp, payment_id),
                      created_at=now, updated_at=now)  # fmt: skip
    reservations = [Reservation(line.line["id"], line.line["productId"], line.line["sku"], line.quantity)
                    for line in priced.lines]  # fmt: skip
    return CheckoutPlan(user_id=user_id, actor=actor, method=method, checkout_id=checkout_id, payment_id=payment_id,
                        currency=currency, total=total, cart=cart, coupon=priced.coupon if coupon_code else None,
                        reservations=reservations, orders=orders, payment=payment,
                        product_ids=list(dict.fromkeys(r.product_id for r in reservations)))  # fmt: skip


# ---------------------------------------------------------------- the transaction


def write_checkout(tx: WriteTransaction, plan: CheckoutPlan) -> None:
    """Add every item of the checkout to ``tx`` (at most 67: docs/commerce.md)."""
    # One update per variant: a transaction may not touch an item twice (the cart merges lines, this makes sure).
    wanted: dict[tuple[str, str], int] = {}
    for reservation in plan.reservations:
        variant = (reservation.product_id, reservation.sku)
        wanted[variant] = wanted.get(variant, 0) + reservation.quantity
    for (product_id, sku), quantity in wanted.items():
        inventory.reserve_stock(tx, product_id, sku, quantity)
    for order in plan.orders:
        tx.put(order, Order.pk.does_not_exist(), label=f"{ORDER_LABEL}:{order.order_id}")
    tx.put(plan.payment, Payment.pk.does_not_exist(), label=PAYMENT_LABEL)
    if plan.coupon is not None:
        coupons.use_coupon(tx, plan.coupon, plan.user_id)
    if plan.method == "wallet" and plan.total > 0:
        ledger.debit(tx, plan.user_id, plan.total, entry_type="debit",
                     reference=ledger.Reference("payment", plan.payment_id),
                     description=f"Checkout {plan.checkout_id}")  # fmt: skip
    # The cart as it was read: the version condition (added by PynamoDB) refuses a cart changed since.
    tx.update(plan.cart, [Cart.lines.set([]), Cart.coupon_code.remove(), Cart.updated_at.set(utc_now())],
              label=CART_LABEL)  # fmt: skip
    audit.record(plan.actor, "order.checkout", "payment", plan.payment_id, tx=tx,
                 after={"checkoutId": plan.checkout_id, "orderIds": [o.order_id for o in plan.orders],
                        "method": plan.method, "amount": plan.total, "currency": plan.currency})  # fmt: skip


def _stock_refusal(plan: CheckoutPlan, labels: set[str]) -> InsufficientStock:
    """409 naming the lines whose reservation failed, with the stock now (one BatchGetItem)."""
    short = [r for r in plan.reservations if inventory.stock_label(r.product_id, r.sku) in labels]
    wanted = list(dict.fromkeys((keys.product(r.product_id), keys.variant(r.sku)) for r in short))
    stock = {(v.product_id, v.sku): max(0, int(v.stock)) for v in Variant.batch_get(wanted, consistent_read=True)}
    return InsufficientStock("Not enough stock for some items in your cart.", data={"lines": [
        {"lineId": r.line_id, "productId": r.product_id, "variantSku": r.sku, "requested": r.quantity,
         "available": stock.get((r.product_id, r.sku), 0)} for r in short]})  # fmt: skip


def _refusal(plan: CheckoutPlan, cancelled: TransactionCancelled) -> Exception | None:
    """The client error for a cancelled checkout, or None when it lost a race worth retrying.

    A failure that is not a cancellation (``"*"``: validation, throttling past the SDK's
    retries) comes back as it is: a 500, logged, never mistaken for a client error.
    """
    if "*" in cancelled.reasons:
        return None if cancelled.reasons["*"] in CONTENTION else cancelled
    failed = set(cancelled.failed())
    stock_labels = {inventory.stock_label(r.product_id, r.sku) for r in plan.reservations}
    if failed & stock_labels:
        return _stock_refusal(plan, failed & stock_labels)
    if ledger.WALLET_LABEL in failed:
        return InsufficientFunds("Your wallet balance does not cover this order.")
    if failed & {coupons.COUPON_LABEL, coupons.COUPON_USE_LABEL}:
        return Conflict("This coupon was just used up.")
    if CART_LABEL in failed:
        return Conflict("Your cart changed; review it and retry.")
    if set(cancelled.reasons.values()) <= CONTENTION:
        return None
    return Conflict("Checkout could not be completed; retry.", headers={"Retry-After": "1"})


def commit_checkout(plan: CheckoutPlan) -> None:
    """Write ``plan`` in one transaction, retrying only races lost to a concurrent transaction.

    Raises
    ------
    InsufficientStock
        A reservation failed (``data.lines`` with what is available now).
    InsufficientFunds
        The wallet balance is below the total.
    Conflict
        The coupon was used up meanwhile, the cart changed since it was read, or the
        transaction kept conflicting with others (retryable).
    """

    def attempt() -> None:
        try:
            with WriteTransaction() as tx:
                write_checkout(tx, plan)
        except TransactionCancelled as cancelled:
            refusal = _refusal(plan, cancelled)
            if refusal is None or refusal is cancelled:
                raise  # a race lost to another transaction (retried), or not a cancellation at all
            raise refusal from cancelled

    retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("Checkout is busy right now; retry.", headers={"Retry-After": "1"}),
    )


# ---------------------------------------------------------------- the route's service


def _result(plan: CheckoutPlan) -> CheckoutOut:
    payment = plan.payment
    return CheckoutOut(checkout_id=plan.checkout_id, orders=[order_out(o) for o in plan.orders],
                       payment=CheckoutPayment(id=plan.payment_id, method=plan.method,  # type: ignore[arg-type]
                                               status=payment.status, amount=Money(amount=plan.total,
                                                                                   currency=plan.currency),
                                               client_secret=payment.client_secret,
                                               intent_id=payment.stripe_payment_intent_id))  # fmt: skip


def _attach_intent(plan: CheckoutPlan, intent: Intent) -> None:
    plan.payment.stripe_payment_intent_id = intent.id
    plan.payment.client_secret = intent.client_secret


def place_order(principal: Principal, request: CheckoutRequest) -> CheckoutOut:
    """Checkout without the Idempotency-Key wrapper: plan, PaymentIntent (card), transaction, flags."""
    # Deferred for cold start: the gateway brings the Stripe SDK and its Tracer (X-Ray SDK).
    from souk.payments import gateway

    plan = plan_checkout(principal, request)
    intent: Intent | None = None
    if not plan.settled:
        metadata = {"paymentId": plan.payment_id, "orderIds": ",".join(o.order_id for o in plan.orders),
                    "userId": plan.user_id, "kind": "order"}  # fmt: skip
        intent = gateway.create_payment_intent(plan.total, plan.currency, metadata=metadata,
                                               idempotency_key=f"pi-{plan.payment_id}")  # fmt: skip
        _attach_intent(plan, intent)
    try:
        commit_checkout(plan)
    except Exception:
        if intent is not None:
            gateway.cancel_payment_intent(intent.id)
        raise
    inventory.refresh_after_commit(plan.product_ids)
    if plan.settled:
        for order in plan.orders:
            notifications.order_paid(order)
    return _result(plan)


def checkout(principal: Principal, request: CheckoutRequest, *, idempotency_key: str | None = None,
             context: LambdaContext | None = None) -> CheckoutOut:  # fmt: skip
    """POST /api/v1/orders: the caller's cart as one order per store, paid by card or wallet.

    With an ``Idempotency-Key`` the first response is replayed for the same key and body
    (another body: 409 IDEMPOTENCY_CONFLICT; still running: 409 CONFLICT).

    Raises
    ------
    UnprocessableEntity
        Loyalty points asked for, or a business rule of :func:`plan_checkout`.
    UpstreamError, ServiceUnavailable
        Stripe refused or could not be reached; nothing was written.
    """
    if request.points_to_redeem:
        raise UnprocessableEntity("Loyalty points are not available yet.")
    return idempotent_call(IDEMPOTENCY_SCOPE, principal.user_id, idempotency_key, request,
                           lambda: place_order(principal, request), CheckoutOut, context=context)  # fmt: skip
