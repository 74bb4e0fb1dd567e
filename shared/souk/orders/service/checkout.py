"""Checkout (POST /api/v1/orders): the caller's cart becomes one order per store and one payment.

The whole checkout is one DynamoDB transaction (docs/commerce.md): a stock reservation
per line, an order per store, the payment, the coupon's use, the wallet debit, the cart
cleared and the audit record. If any of them fails, nothing is written. A card checkout
creates its PaymentIntent first (Stripe down → 502/503, nothing written, cart intact) and
cancels it when the transaction then fails.

:func:`checkout` is the route's service; :func:`plan_checkout` (reads, rules, the items
to write) and :func:`commit_checkout` (the transaction and its cancellation mapping) are
its two halves, usable apart by tests and tools. The rules (:func:`refuse_problems`,
:func:`checkout_terms`, :func:`reservations`, :func:`refusal`) are plain functions over
loaded values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from souk.analytics.service import counters as analytics
from souk.audit import service as audit
from souk.cart.models import COUPON_LABEL, COUPON_USE_LABEL, Cart
from souk.cart.pricing import QUOTED
from souk.cart.service import carts
from souk.cart.service.carts import priced as priced_cart
from souk.catalog.service import inventory
from souk.db.base import utc_now
from souk.db.idempotency import idempotent_call
from souk.db.transactions import CONTENTION, TransactionCancelled, retry_on_contention
from souk.errors import Conflict, InsufficientFunds, InsufficientStock, NotFound, UnprocessableEntity
from souk.ids import new_id
from souk.money import Money
from souk.orders import status as order_status
from souk.orders.schemas import CheckoutOut, CheckoutPayment, CheckoutRequest, order_out
from souk.orders.service import notifications
from souk.orders.store import checkout as store
from souk.orders.store.checkout import CheckoutPlan, Reservation
from souk.points.service import redemption as points
from souk.settings import get_settings
from souk.wallet import service as ledger

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from souk.audit.models import AuditRecord
    from souk.caller import Principal
    from souk.cart.pricing import PricedCart, StoreGroup
    from souk.payments.gateway import Intent

IDEMPOTENCY_SCOPE = "ORDERS"
MAX_ATTEMPTS = 25  # transactions lost to a concurrent one on the same item (TransactionConflict), retried
# A paid order adds 3 items (commission, ledger entry, store balance): 30 reservations + 15 x 4 + 7 = 97 <= 100
# for a wallet checkout, and 15 x 4 + 3 for the card payment's webhook (docs/commerce.md).
MAX_STORES = 15
# Redeeming points adds 1 + up to 8 lots + one entry per store: 30 + 10 x 4 + 7 + 19 = 96 <= 100.
MAX_STORES_WITH_POINTS = 10


# ---------------------------------------------------------------- rules: plain functions over loaded values


@dataclass(frozen=True)
class Terms:
    """What a priced cart checks out as: one currency, the total, and whether it is paid at checkout."""

    currency: str
    total: int
    settled: bool


def refuse_problems(priced: PricedCart) -> None:
    """Refuse a cart with unavailable lines (422), lines short of stock (409) or a coupon that no longer applies."""
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


def refuse_undeliverable(priced: PricedCart) -> None:
    """422 naming each store that cannot deliver to the address (outside every zone, no store location, ...)."""
    refused = [group for group in priced.groups if group.delivery_status != QUOTED]
    if not refused:
        return
    names = ", ".join(_store_name(group) for group in refused)
    raise UnprocessableEntity(f"Not deliverable to this address from {names}.",
                              details=[{"field": f"stores[{group.store_id}]",
                                        "message": f"{_store_name(group)}: {group.delivery_problem}"}
                                       for group in refused])  # fmt: skip


def _store_name(group: StoreGroup) -> str:
    return group.store.name if group.store is not None else group.store_id


def checkout_terms(priced: PricedCart, method: str, wallet_currency: str, *, redeeming: bool = False) -> Terms:
    """One currency (422 for a mixed cart, or a wallet payment in another currency than the wallet's), at most
    :data:`MAX_STORES` stores (:data:`MAX_STORES_WITH_POINTS` when redeeming points) (422), the total."""
    most = MAX_STORES_WITH_POINTS if redeeming else MAX_STORES
    if len(priced.groups) > most:
        raise UnprocessableEntity(f"A checkout {'redeeming points ' if redeeming else ''}covers at most {most} "
                                  "stores; check out the rest separately.")  # fmt: skip
    currencies = {group.currency for group in priced.groups}
    if len(currencies) != 1:
        raise UnprocessableEntity("Your cart mixes currencies; check out one currency at a time.")
    currency = currencies.pop()
    if method == "wallet" and currency != wallet_currency:
        raise UnprocessableEntity(f"Your wallet holds {wallet_currency}; pay this {currency} order by card.")
    total = sum(group.total for group in priced.groups)
    return Terms(currency=currency, total=total, settled=method == "wallet" or total == 0)


def less_points(terms: Terms, method: str, value: int) -> Terms:
    """The terms once redeemed points pay ``value`` of the total (all of it: settled at checkout)."""
    total = terms.total - value
    return Terms(currency=terms.currency, total=total, settled=method == "wallet" or total == 0)


def reservations(priced: PricedCart) -> list[Reservation]:
    """One stock reservation per cart line."""
    return [Reservation(line.line["id"], line.line["productId"], line.line["sku"], line.quantity)
            for line in priced.lines]  # fmt: skip


def refusal(plan: CheckoutPlan, cancelled: TransactionCancelled) -> Exception | None:
    """The client error for a cancelled checkout, or None when it lost a race worth retrying.

    A failure that is not a cancellation (``"*"``: validation, throttling past the SDK's
    retries) comes back as it is: a 500, logged, never mistaken for a client error.
    Short stock comes back as the :class:`InsufficientStock` to complete with the stock now.
    """
    if "*" in cancelled.reasons:
        return None if cancelled.reasons["*"] in CONTENTION else cancelled
    failed = set(cancelled.failed())
    stock_labels = {inventory.stock_label(r.product_id, r.sku) for r in plan.reservations}
    if failed & stock_labels:
        return InsufficientStock("Not enough stock for some items in your cart.")
    if ledger.WALLET_LABEL in failed:
        return InsufficientFunds("Your wallet balance does not cover this order.")
    if failed & {COUPON_LABEL, COUPON_USE_LABEL}:
        return Conflict("This coupon was just used up.")
    spent = points.refusal(sorted(failed))
    if spent is not None:
        return spent
    if store.CART_LABEL in failed:
        return Conflict("Your cart changed; review it and retry.")
    if set(cancelled.reasons.values()) <= CONTENTION:
        return None
    return Conflict("Checkout could not be completed; retry.", headers={"Retry-After": "1"})


# ---------------------------------------------------------------- planning: reads, rules, items


def plan_checkout(principal: Principal, request: CheckoutRequest, cart: Cart | None = None,
                  *, now: datetime | None = None) -> CheckoutPlan:  # fmt: skip
    """Read the cart, catalog and address, apply the rules, and build the items to write.

    Reads: the cart (GetItem, unless given), the address (GetItem), the catalog view (one
    BatchGetItem), all consistent, and the delivery zones (one Query); with ``pointsToRedeem``, the points
    account (GetItem) and the open lots (one Query). Each store's order is
    charged the delivery fee from the store to the address (:func:`souk.delivery.terms.delivery_terms`,
    the rule of the quote and the cart's estimate). Nothing is written.

    Raises
    ------
    UnprocessableEntity
        Empty cart, unavailable lines, a coupon that no longer applies, a store that cannot
        deliver to the address (outside every zone, no store location), several currencies,
        or a wallet payment in another currency than the wallet's.
    InsufficientStock
        A line wants more than is in stock (``data.lines`` names them).
    NotFound
        The address is not the caller's.
    """
    user_id = principal.user_id
    now = now or utc_now()
    cart = cart if cart is not None else store.read_cart(user_id)
    if cart is None or not cart.lines:
        raise UnprocessableEntity("Your cart is empty.")
    address = store.read_address(user_id, request.address_id)
    if address is None:
        raise NotFound("No such address.")
    priced = priced_cart(cart, user_id, now=now, consistent=True,
                         deliver_to=carts.destination((address["lat"], address["lng"])))  # fmt: skip
    refuse_problems(priced)
    refuse_undeliverable(priced)
    method = request.payment_method
    terms = checkout_terms(priced, method, ledger.wallet_currency(), redeeming=bool(request.points_to_redeem))
    # Loyalty points pay for goods (subtotal less coupon), split over the orders pro rata (souk.points).
    redemption = points.plan_redemption(user_id, request.points_to_redeem or 0,
                                        [group.subtotal - group.discount for group in priced.groups],
                                        terms.currency, now=now)  # fmt: skip
    values = redemption.values if redemption is not None else [0] * len(priced.groups)
    terms = less_points(terms, method, sum(values))
    checkout_id, payment_id = new_id(), new_id()
    actor = principal.actor
    history = [order_status.history_entry("pending_payment", actor)]
    if terms.settled:
        history.append(order_status.history_entry("paid", actor))
    until = now + timedelta(minutes=get_settings().payment_window_minutes)
    coupon_code = priced.coupon.code if priced.coupon is not None and cart.coupon_code else None
    orders = []
    for index, group in enumerate(priced.groups):
        # categoryId: the product's primary category, so the commission rate needs no read when it is paid.
        lines = [{"productId": line.line["productId"], "sku": line.line["sku"],
                  "name": line.product.name if line.product else line.line["sku"],
                  "variantName": line.variant.name if line.variant else None, "quantity": line.quantity,
                  "unitPrice": line.unit_price, "lineTotal": line.line_total,
                  "categoryId": line.product.category_id if line.product else None}
                 for line in group.lines]  # fmt: skip
        orders.append(store.new_order(
            order_id=new_id(), checkout_id=checkout_id, payment_id=payment_id, user_id=user_id,
            store_id=group.store_id, owner_id=group.store.owner_id if group.store is not None else "",
            status="paid" if terms.settled else "pending_payment", lines=lines, currency=terms.currency,
            subtotal=group.subtotal, discount=group.discount + values[index], delivery_fee=group.delivery_fee,
            total=group.total - values[index], coupon_code=coupon_code if group.discount else None, address=address,
            method=method, paid=group.total - values[index] if terms.settled else 0, history=list(history), now=now,
            reserved_until=None if terms.settled else until,
            points=redemption.order_points(index) if redemption is not None else None))  # fmt: skip
    payment = store.new_payment(payment_id=payment_id, user_id=user_id, method=method, orders=orders,
                                amount=terms.total, currency=terms.currency,
                                status="succeeded" if terms.settled else "pending", now=now)  # fmt: skip
    held = reservations(priced)
    return CheckoutPlan(user_id=user_id, actor=actor, method=method, checkout_id=checkout_id, payment_id=payment_id,
                        currency=terms.currency, total=terms.total, cart=cart,
                        coupon=priced.coupon if coupon_code else None, reservations=held, orders=orders,
                        payment=payment, product_ids=list(dict.fromkeys(r.product_id for r in held)),
                        redemption=redemption)  # fmt: skip


# ---------------------------------------------------------------- the transaction


def _stock_refusal(plan: CheckoutPlan, labels: set[str]) -> InsufficientStock:
    """409 naming the lines whose reservation failed, with the stock now (one BatchGetItem)."""
    short = [r for r in plan.reservations if inventory.stock_label(r.product_id, r.sku) in labels]
    stock = store.stock_now([(r.product_id, r.sku) for r in short])
    return InsufficientStock("Not enough stock for some items in your cart.", data={"lines": [
        {"lineId": r.line_id, "productId": r.product_id, "variantSku": r.sku, "requested": r.quantity,
         "available": stock.get((r.product_id, r.sku), 0)} for r in short]})  # fmt: skip


def _record(plan: CheckoutPlan) -> AuditRecord:
    return audit.build_record(plan.actor, "order.checkout", "payment", plan.payment_id,
                              after={"checkoutId": plan.checkout_id, "orderIds": [o.order_id for o in plan.orders],
                                     "method": plan.method, "amount": plan.total,
                                     "currency": plan.currency})  # fmt: skip


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
            store.transact(plan, _record(plan))
        except TransactionCancelled as cancelled:
            refused = refusal(plan, cancelled)
            if refused is None or refused is cancelled:
                raise  # a race lost to another transaction (retried), or not a cancellation at all
            if isinstance(refused, InsufficientStock):
                raise _stock_refusal(plan, set(cancelled.failed())) from cancelled
            raise refused from cancelled

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
        # Paid by wallet: counted right after the commit (the checkout's transaction may be near 100 items).
        for count in analytics.count_paid_orders(None, plan.orders):
            count()
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
        A business rule of :func:`plan_checkout` (loyalty points included: :mod:`souk.points.service.redemption`).
    Conflict
        The points redeemed were spent or expired meanwhile (another checkout, the daily expiry).
    UpstreamError, ServiceUnavailable
        Stripe refused or could not be reached; nothing was written.
    """
    return idempotent_call(IDEMPOTENCY_SCOPE, principal.user_id, idempotency_key, request,
                           lambda: place_order(principal, request), CheckoutOut, context=context)  # fmt: skip
