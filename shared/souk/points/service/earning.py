"""Earning points when an order is delivered, and taking them back when it is refunded.

- :func:`delivered_writes` joins the transaction that moves an order to ``delivered``
  (:func:`souk.orders.service.fulfilment.move_order`): the order's lot (a put on
  ``attribute_not_exists``, keyed by the order: a retried move never earns twice), its
  ``earned`` entry, the balance, and the month's spend counter (what tiers read).
- :func:`after_refund` runs right after a refund stands (the wallet credited, or Stripe accepted
  it), in its own transactions with idempotent keys: the refund's reservation may still be
  compensated when Stripe refuses, and points follow only money that really went back. It takes
  back the points the order earned pro rata (a ``reversed`` entry ``reversed-<orderId>-<refundId>``;
  from the order's lot as far as it still holds them, the balance may go negative) and, when the
  order is now refunded in full, restores the points it redeemed (``restored-<orderId>``, put
  once: a cancelled order's were restored by its cancellation). A failure there is logged and
  the refund stands (an idempotent retry of :func:`after_refund` completes it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from souk.admin_settings import service as admin_settings
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict
from souk.observability import logger
from souk.points.models import EARNED, REVERSED, PointsLot
from souk.points.service import rules
from souk.points.service.redemption import restore_changes
from souk.points.store import points as store
from souk.points.store.points import Changes, entry_label

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

MAX_ATTEMPTS = 10


class EarningOrder(Protocol):
    """What earning reads of an order (souk.orders.models.Order)."""

    @property
    def order_id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def paid_amount(self) -> Any: ...
    @property
    def refunded_amount(self) -> Any: ...
    @property
    def points(self) -> Any: ...


def earning_changes(order: EarningOrder, delivered_at: datetime) -> Changes | None:
    """The lot, entry, balance and spend an order delivered at ``delivered_at`` earns (None: nothing paid)."""
    paid = int(order.paid_amount or 0) - int(order.refunded_amount or 0)
    if paid <= 0:
        return None
    settings = admin_settings.current().points
    month = rules.month_of(delivered_at)
    changes = Changes(order.customer_id, spend={(order.currency, month): paid})
    points = rules.earned_points(paid, order.currency, settings.earn_per_major_unit)
    if points > 0:
        expires = rules.lot_expiry(delivered_at, settings.expiry_days)
        changes.puts.append(store.new_lot(order.customer_id, order.order_id, points=points, currency=order.currency,
                                          basis=paid, month=month, expires_at=expires, at=delivered_at))  # fmt: skip
        changes.entries.append(store.new_entry(order.customer_id, f"{EARNED}-{order.order_id}", EARNED, points,
                                               order_id=order.order_id, lot_id=order.order_id, at=delivered_at,
                                               expires_at=expires))  # fmt: skip
        changes.balance = points
    return changes


def delivered_writes(order: EarningOrder, delivered_at: datetime) -> Callable[[WriteTransaction], None] | None:
    """For the transaction that moves ``order`` to delivered: what it earns (at most 5 items)."""
    changes = earning_changes(order, delivered_at)
    return changes.add_to if changes is not None else None


# ---------------------------------------------------------------- refunds


def reversal_changes(lot: PointsLot, order_id: str, refund_id: str, amount: int, now: datetime) -> Changes:
    """A refund of ``amount`` on the order that earned ``lot``: the points taken back (pro rata), the lot's
    refunded total and remaining (conditional on both as read), the month's spend less what was refunded."""
    refunded_before = int(lot.refunded or 0)
    basis = int(lot.basis)
    taken = rules.reversal_points(int(lot.points), basis, refunded_before, amount)
    counted = max(0, min(amount, basis - refunded_before))  # the part of the refund the spend counted
    remaining = int(lot.remaining)
    take = min(remaining, taken) if lot.expired_at is None else 0
    changes = Changes(lot.user_id, balance=-taken)
    if counted:
        changes.spend[(lot.currency, lot.month)] = -counted
    actions: list[Action] = [PointsLot.refunded.set(refunded_before + amount),
                             PointsLot.reversed.set(int(lot.reversed or 0) + taken),
                             PointsLot.remaining.set(remaining - take)]  # fmt: skip
    if remaining > 0 and remaining - take == 0:
        actions += store.close_actions()
    condition = (PointsLot.refunded == refunded_before) & (PointsLot.remaining == remaining)
    changes.lots[lot.lot_id] = (actions, condition)
    if taken:
        changes.entries.append(store.new_entry(lot.user_id, f"{REVERSED}-{order_id}-{refund_id}", REVERSED, -taken,
                                               order_id=order_id, lot_id=lot.lot_id, at=now,
                                               expires_at=lot.lot_expires_at))  # fmt: skip
    return changes


def _commit(changes: Changes, once_label: str | None) -> bool:
    """Write ``changes``; False when ``once_label`` (the entry that makes it count once) exists already."""
    try:
        with WriteTransaction() as tx:
            changes.add_to(tx)
    except TransactionCancelled as cancelled:
        failed = cancelled.failed()
        if once_label is not None and once_label in failed:
            return False
        if failed:
            raise Retry from cancelled  # a lot or the balance moved meanwhile: read again
        raise
    return True


def reverse_earned(order: EarningOrder, refund_id: str, amount: int) -> int:
    """Take back what a refund of ``amount`` undoes of the points ``order`` earned; returns the points."""

    def attempt() -> int:
        lot = store.read_lot(order.customer_id, order.order_id)
        if lot is None:
            return 0  # not delivered (or nothing earned): nothing to take back
        changes = reversal_changes(lot, order.order_id, refund_id, amount, utc_now())
        once: str | None = entry_label(f"{REVERSED}-{order.order_id}-{refund_id}")
        if not changes.entries:
            # Nothing to take back now, but the lot counts the refund (conditional on what was read).
            once = None
        return -changes.balance if _commit(changes, once) else 0

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS,
                               exhausted=lambda: Conflict("The points of this order are busy."))  # fmt: skip


def restore_redeemed(order: EarningOrder) -> int:
    """Give back the points ``order`` redeemed (once); returns the points restored now."""

    def attempt() -> int:
        restored = 0
        for changes in restore_changes([order]):
            once = entry_label(next(e.entry_id for e in changes.entries if e.type == "restored"))
            if _commit(changes, once):
                restored += changes.balance
        return restored

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS,
                               exhausted=lambda: Conflict("The points of this order are busy."))  # fmt: skip


def after_refund(order: EarningOrder, refund_id: str, amount: int, *, full: bool) -> None:
    """Right after a refund of ``amount`` stands: earned points taken back pro rata and, when the order is refunded
    in full, its redeemed points given back. Never raises: the refund stands whatever happens here."""
    try:
        reverse_earned(order, refund_id, amount)
        if full:
            restore_redeemed(order)
    except Exception:
        logger.exception("points not adjusted after a refund", extra={"order_id": order.order_id,
                                                                      "refund_id": refund_id})  # fmt: skip
