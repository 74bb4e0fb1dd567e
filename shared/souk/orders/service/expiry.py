"""Unpaid card orders: cancelled together when their payment window passes or their payment is abandoned.

A card checkout's orders share one Payment (one PaymentIntent) and hold their stock until
``reservedUntil`` (checkout + 30 minutes). :func:`expire_unpaid` runs from the hourly
cleanup job (:mod:`souk.orders.expiring`) and on read (GET order) once that instant has
passed; :func:`cancel_unpaid_checkout` is the same cancellation without the time check
(the ``payment_intent.canceled`` webhook, a customer cancelling an unpaid order).

One transaction per checkout (:func:`souk.orders.store.unpaid.write_cancel_unpaid`): every
still ``pending_payment`` order → ``cancelled`` (conditional on that status, out of the
expiry index), each line's stock released, the payment ``pending|failed → canceled``, the
coupon's use given back, the loyalty points redeemed given back to their lots
(:func:`souk.points.service.redemption.restore_writes`), one audit record. The webhook marking the
payment paid updates the same payment and orders conditionally, so of the two exactly one
applies: the loser changes nothing. After the commit the intent is cancelled at Stripe and the products' stock flags
refreshed, both best effort.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.cart.models import COUPON_LABEL, COUPON_USE_LABEL
from souk.catalog.service import inventory
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, retry_on_contention
from souk.errors import Conflict
from souk.observability import logger
from souk.orders.models import Order
from souk.orders.store import orders as store
from souk.orders.store.unpaid import PAYMENT_LABEL, order_label, write_cancel_unpaid
from souk.payments.models import Payment
from souk.points.service import redemption as points

if TYPE_CHECKING:
    from souk.audit.models import AuditRecord
    from souk.caller import Actor

WINDOW_REASON = "payment window passed"
# Payment statuses an unpaid checkout may be cancelled from (``canceled``: the payment went first).
CANCELS_FROM = frozenset({"pending", "failed", "canceled"})
MAX_ATTEMPTS = 12  # transactions lost to a concurrent one on the same items (TransactionConflict), retried
# What a lost coupon condition fails on: the use is gone already (then cancel without giving it back).
COUPON_LABELS = frozenset({COUPON_LABEL, COUPON_USE_LABEL})

Reload = Callable[[], tuple[Payment | None, list[Order]]]


# ---------------------------------------------------------------- rules: plain functions over loaded values


def releases(orders: list[Order]) -> dict[tuple[str, str], int]:
    """Units per (product, sku) over all the orders: one update per variant in the transaction."""
    units: Counter[tuple[str, str]] = Counter()
    for order in orders:
        for line in order.lines or []:
            units[(str(line["productId"]), str(line["sku"]))] += int(line["quantity"])
    return dict(units)


def coupon_codes(orders: list[Order]) -> list[str]:
    """The coupon codes the checkout used (one use per checkout, whatever its orders)."""
    return list(dict.fromkeys(o.coupon_code for o in orders if o.coupon_code))


def is_due(order: Order, now: datetime) -> bool:
    """Still unpaid and past its ``reservedUntil``."""
    return order.status == "pending_payment" and order.reserved_until is not None and order.reserved_until <= now


# ---------------------------------------------------------------- the cancellation


def _record(payment: Payment | None, orders: list[Order], reason: str, actor: Actor | None,
            units: dict[tuple[str, str], int], gone: set[str], codes: list[str]) -> AuditRecord:  # fmt: skip
    return audit.build_record(
        actor or audit.SYSTEM, "order.cancel_unpaid", "payment",
        payment.payment_id if payment is not None else orders[0].payment_id,
        before={"paymentStatus": payment.status if payment is not None else None,
                "orders": {o.order_id: o.status for o in orders}},
        after={"paymentStatus": "canceled", "orders": {o.order_id: "cancelled" for o in orders},
               "reason": reason, "couponsReleased": codes,
               "released": [{"productId": p, "sku": s, "quantity": q} for (p, s), q in units.items()
                            if inventory.stock_label(p, s) not in gone]},
    )  # fmt: skip


def _after_commit(payment: Payment | None, orders: list[Order]) -> None:
    """Best effort: the intent cancelled at Stripe, the listings caught up with the stock released."""
    if payment is not None and payment.stripe_payment_intent_id and payment.status != "canceled":
        # Deferred for cold start: the gateway brings the Stripe SDK and its Tracer (X-Ray SDK).
        from souk.payments import gateway

        try:
            gateway.cancel_payment_intent(payment.stripe_payment_intent_id)
        except Exception:
            logger.exception("payment intent not cancelled", extra={"payment_id": payment.payment_id})
    inventory.refresh_after_commit([p for p, _ in releases(orders)])


def _cancel(payment: Payment | None, orders: list[Order], reason: str, actor: Actor | None,
            reload: Reload) -> list[Order]:  # fmt: skip
    """Cancel the pending ones of ``orders``; ``reload()`` re-reads (payment, orders) after a lost condition."""
    gone: set[str] = set()
    with_coupons = True

    def attempt() -> list[Order]:
        nonlocal payment, orders, gone, with_coupons
        if payment is not None and payment.status not in CANCELS_FROM:
            return []  # paid (or refunded) meanwhile: nothing to cancel
        pending = [o for o in orders if o.status == "pending_payment"]
        if not pending:
            return []
        units = releases(pending)
        codes = coupon_codes(pending) if with_coupons else []
        record = _record(payment, pending, reason, actor, units, gone, codes)
        restore = points.restore_writes(pending)
        try:
            write_cancel_unpaid(payment, pending, reason, actor, releases=units, gone=gone, coupon_codes=codes,
                                record=record, extras=[restore] if restore is not None else [])  # fmt: skip
        except TransactionCancelled as cancelled:
            failed = set(cancelled.failed())
            if failed & ({PAYMENT_LABEL} | {order_label(o.order_id) for o in pending}):
                payment, orders = reload()  # a webhook or another cancel got there first: decide again
                raise Retry from cancelled
            if points.lost_race(sorted(failed)):
                raise Retry from cancelled  # a lot expired meanwhile: decide the points again
            if failed & COUPON_LABELS:
                with_coupons = False  # no use left to give back: cancel without it
                logger.warning("unpaid checkout: coupon use not given back", extra={"labels": sorted(failed)})
            if failed - COUPON_LABELS:  # stock labels: those variants no longer exist
                gone |= failed - COUPON_LABELS
                logger.warning("unpaid checkout: variants gone, stock not released", extra={"labels": sorted(failed)})
            if failed:
                raise Retry from cancelled
            raise  # a race lost to another transaction is retried; anything else is raised
        _after_commit(payment, pending)
        return store.read_orders([o.order_id for o in pending])

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        exhausted=lambda: Conflict("The order is busy right now; retry.", headers={"Retry-After": "1"}),
    )


def cancel_unpaid_checkout(payment: Payment, reason: str, actor: Actor | None = None) -> list[Order]:
    """Cancel every still ``pending_payment`` order of ``payment`` and the payment itself, in one transaction.

    Parameters
    ----------
    payment
        The checkout's payment as read (``pending``, ``failed`` or ``canceled``; any other
        status means it was paid: nothing happens).
    reason
        Kept in each order's history and the audit record.
    actor
        Who cancels (None: the system, e.g. expiry or Stripe's webhook).

    Returns
    -------
    list[Order]
        The orders this call cancelled, as stored afterwards; empty when none was left
        pending or the payment succeeded first (then nothing was changed).

    Reads: one BatchGetItem (the orders), one more after the commit; a lost race re-reads
    the payment (GetItem) and its orders.
    """

    return _cancel_checkout(payment, [], reason, actor)


def _order_ids(payment: Payment, extra: list[str]) -> list[str]:
    return list(dict.fromkeys([str(i) for i in payment.order_ids or []] + extra))


def _cancel_checkout(payment: Payment, extra: list[str], reason: str, actor: Actor | None) -> list[Order]:
    """The payment's orders (and ``extra`` ones naming it) cancelled; a lost race re-reads the payment and them."""

    def reload() -> tuple[Payment | None, list[Order]]:
        fresh = store.read_payment(payment.payment_id)
        return fresh, store.read_orders(_order_ids(fresh, extra) if fresh is not None else extra)

    return _cancel(payment, store.read_orders(_order_ids(payment, extra)), reason, actor, reload)


def expire_unpaid(order: Order, *, now: datetime | None = None) -> list[Order]:
    """Cancel ``order``'s checkout if it is still unpaid and its ``reservedUntil`` has passed.

    Returns the orders cancelled (``order`` among them), or [] when it was not due, already
    moved on, or paid meanwhile (the webhook won the race: nothing changed).
    """
    if not is_due(order, now or datetime.now(UTC)):
        return []
    payment = store.read_payment(order.payment_id)
    if payment is None:  # an order without its payment (data repair): cancel it alone
        logger.warning("unpaid order without its payment", extra={"order_id": order.order_id})

        def reload_alone() -> tuple[Payment | None, list[Order]]:
            return None, store.read_orders([order.order_id])

        return _cancel(None, [order], WINDOW_REASON, None, reload_alone)
    return _cancel_checkout(payment, [order.order_id], WINDOW_REASON, None)


def expire_raw(raw: dict[str, Any]) -> bool:
    """The cleanup job's handler for an Order in the expiry index: True when it cancelled it.

    The job hands over only entries that expired before its run's clock (``gsi4sk < now``),
    so the entry itself says the window has passed: a run given a later ``now`` (tests, a
    catch-up) expires what it found.
    """
    order = Order.from_raw_data(raw)
    due = max(utc_now(), order.reserved_until) if order.reserved_until is not None else None
    return any(o.order_id == order.order_id for o in expire_unpaid(order, now=due))
