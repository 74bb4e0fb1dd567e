"""Counting on write: the hooks the order and payment paths call (analytics imports nothing of theirs).

``count_paid_order(tx, ...)`` counts the order, its revenue and its units keyed by
``order-paid#<orderId>`` (a marker put with ``attribute_not_exists`` beside the increments):

- with ``tx`` (the Stripe webhook's ``payment_intent.succeeded`` when the transaction has room for three
  more items per order): in the same commit as the status change, so a replay or a race counts nothing
  more and a crash counts nothing at all;
- with ``tx=None`` (a wallet-settled checkout, whose transaction may already be near DynamoDB's 100
  items; a webhook transaction without room): its own transaction right after the commit. A second
  call for the same order fails the marker's condition and changes nothing (retry-safe); a crash
  between the order's commit and this one leaves that order uncounted (counters low, never high).

``count_customer(...)`` runs after that commit (a distinct customer cannot share the transaction: its
marker may already exist, which would cancel the payment). It is idempotent (a marker per day, scope
and customer), so it can be retried; a crash between the commit and it leaves that customer uncounted
on that day (``customers`` may be low by the crashed ones, never high).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from souk.analytics import keys
from souk.analytics.rules import utc_day
from souk.analytics.store import counters as store
from souk.db.base import utc_now
from souk.db.transactions import MAX_ITEMS, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict

ITEMS_PER_ORDER = 3  # what count_paid_order adds to the caller's transaction
MAX_ATTEMPTS = 5  # a transaction conflict with a concurrent count is tried again


def paid_source(order_id: str) -> str:
    return f"order-paid#{order_id}"


def count_paid_order(tx: WriteTransaction | None, *, order_id: str, store_id: str, currency: str, total: int,
                     items: Sequence[tuple[str, int]], paid_at: datetime) -> bool:  # fmt: skip
    """Count the order (orders, revenue in its currency, units per product) in ``tx``, or in its own
    transaction (``tx=None``: True if counted now, False if it was counted before)."""
    entry = store.PaidEntry(paid_source(order_id), store_id, utc_day(paid_at), currency, int(total), items)
    if tx is not None:
        store.add_paid_orders(tx, [entry])
        return True

    def attempt() -> bool:
        try:
            with WriteTransaction() as own:
                store.add_paid_orders(own, [entry])
        except TransactionCancelled as cancelled:
            if store.marker_label(entry.source) in cancelled.failed():
                return False  # counted before (or by the racer that just won)
            raise  # a transaction conflict is tried again; anything else propagates
        return True

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS, exhausted=lambda: Conflict("Counting is busy; retry."))


def count_customer(*, store_id: str, user_id: str, paid_at: datetime) -> None:
    """After the commit: the customer counted once per UTC day in the store and on the platform."""
    day = utc_day(paid_at)
    for scope_name in (keys.store_scope(store_id), keys.PLATFORM):
        store.add_customer(scope_name, day, user_id)


class PaidOrder(Protocol):
    """What analytics reads of an order (``souk.orders.models.Order`` has it; analytics does not import it)."""

    order_id: Any
    store_id: Any
    customer_id: Any
    currency: Any
    total: Any
    lines: Any


def count_paid_orders(tx: WriteTransaction | None, orders: Sequence[PaidOrder],
                      *, reserve: int = 1) -> list[Callable[[], None]]:  # fmt: skip
    """Count ``orders``, just made paid: in ``tx`` if it has room for them (``reserve`` items kept for
    what the caller adds after), else after the commit. Returns what to run after the commit (the
    customers, and the orders themselves when they did not fit or ``tx`` is None)."""
    at = utc_now()
    room = tx is not None and tx.size + ITEMS_PER_ORDER * len(orders) + reserve <= MAX_ITEMS
    after: list[Callable[[], None]] = []
    entries = []
    for order in orders:
        items = [(str(line["productId"]), int(line["quantity"])) for line in order.lines or []]
        entries.append(store.PaidEntry(paid_source(str(order.order_id)), str(order.store_id), utc_day(at),
                                       str(order.currency), int(order.total), items))  # fmt: skip
        if not room:
            count = partial(count_paid_order, order_id=str(order.order_id), store_id=str(order.store_id),
                            currency=str(order.currency), total=int(order.total), paid_at=at, items=items)  # fmt: skip
            after.append(partial(_discard, count, None))
        after.append(partial(count_customer, store_id=str(order.store_id), user_id=str(order.customer_id), paid_at=at))
    if room and tx is not None and entries:
        store.add_paid_orders(tx, entries)
    return after


def _discard(call: Callable[[WriteTransaction | None], bool], tx: WriteTransaction | None) -> None:
    call(tx)
