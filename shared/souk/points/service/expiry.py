"""The daily job: expire the lots past their date, and remind about those that expire soon.

It finds lots through the expiry index (gsi1 ``POINTS_EXPIRY#<yyyy-mm-dd>``: one partition per
UTC day, never a Scan): today's and :data:`~souk.points.service.rules.LOOKBACK_DAYS` days before
(so a missed run is caught up), up to now.

Expiring a lot (:func:`expire_lot`) is one transaction: the lot's ``remaining`` to 0 and its
``expiredAt`` set, conditional on ``remaining`` being what was read and ``expiredAt`` unset; the
``expired`` entry ``expired-<lotId>`` (put once) and the balance less what remained. A redemption
or a refund that changed the lot meanwhile fails the condition: the lot is read again
(consistently) and the job decides again, so points are never both spent and expired, and two
runs at once write one expiry entry per lot. An expired lot leaves both indexes.

Reminders (:func:`remind_lot`): the lots that expire ``reminderDays`` from today (and the day
before, for a missed run) that still hold points get ``remindedAt`` set on
``attribute_not_exists``, and only the run that set it emails the customer.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import UpdateError

from souk.admin_settings import service as admin_settings
from souk.db.base import utc_now
from souk.db.transactions import Retry, TransactionCancelled, WriteTransaction, retry_on_contention
from souk.errors import Conflict
from souk.observability import logger
from souk.points.models import EXPIRED, PointsLot
from souk.points.service import notifications, rules
from souk.points.store import points as store
from souk.points.store.points import Changes

MAX_ATTEMPTS = 10


def expiry_changes(lot: PointsLot, now: datetime) -> Changes:
    """What expiring ``lot`` (as read) writes."""
    remaining = int(lot.remaining)
    changes = Changes(lot.user_id, balance=-remaining)
    actions = [PointsLot.remaining.set(0), PointsLot.expired_at.set(now), PointsLot.gsi1pk.remove(),
               PointsLot.gsi1sk.remove(), *store.close_actions()]  # fmt: skip
    condition = (PointsLot.remaining == remaining) & PointsLot.expired_at.does_not_exist()
    changes.lots[lot.lot_id] = (actions, condition)
    if remaining:
        changes.entries.append(store.new_entry(lot.user_id, f"{EXPIRED}-{lot.lot_id}", EXPIRED, -remaining,
                                               order_id=lot.lot_id, lot_id=lot.lot_id, at=now,
                                               expires_at=lot.lot_expires_at))  # fmt: skip
    return changes


def expire_lot(lot: PointsLot, now: datetime) -> int | None:
    """Expire ``lot`` if it is due; the points expired (None: not due, or expired by someone else)."""
    current: PointsLot | None = lot

    def attempt() -> int | None:
        nonlocal current
        if current is None or not rules.is_due(current.lot_expires_at, current.expired_at, now):
            return None
        changes = expiry_changes(current, now)
        try:
            with WriteTransaction() as tx:
                changes.add_to(tx)
        except TransactionCancelled as cancelled:
            if cancelled.failed():  # the lot moved (spent, restored, reversed) or another run expired it
                current = store.read_lot(current.user_id, current.lot_id)
                raise Retry from cancelled
            raise
        return int(current.remaining)

    return retry_on_contention(attempt, attempts=MAX_ATTEMPTS,
                               exhausted=lambda: Conflict(f"lot {lot.lot_id} stayed busy"))  # fmt: skip


def remind_lot(lot: PointsLot, now: datetime) -> bool:
    """Flag ``lot`` reminded (once) and email its owner; False when it needs no reminder or another run did it."""
    if not rules.needs_reminder(int(lot.remaining), lot.lot_expires_at, lot.reminded_at, now):
        return False
    try:
        lot.update([PointsLot.reminded_at.set(now), PointsLot.updated_at.set(now)],
                   PointsLot.reminded_at.does_not_exist() & (PointsLot.remaining > 0)
                   & PointsLot.expired_at.does_not_exist())  # fmt: skip
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False  # reminded already (another run), or nothing left to remind about
        raise
    notifications.expiring(lot)
    return True


def run(exhausted: Callable[[], bool], now: datetime | None = None) -> dict[str, Any]:
    """One daily run: expire what is due, then remind; stops early when ``exhausted()`` (the next run goes on)."""
    now = now or utc_now()
    report: dict[str, Any] = {"expiredLots": 0, "expiredPoints": 0, "reminded": 0, "failed": 0, "stopped": False}
    for day in rules.expiry_days(now):
        for page in store.lots_expiring(day, upto=now):
            for lot in page:
                if exhausted():
                    report["stopped"] = True
                    return report
                try:
                    points = expire_lot(lot, now)
                except Exception:
                    logger.exception("points lot not expired", extra={"lot_id": lot.lot_id, "user_id": lot.user_id})
                    report["failed"] += 1
                    continue
                if points is not None:
                    report["expiredLots"] += 1
                    report["expiredPoints"] += points
    reminder = admin_settings.current().points.reminder_days
    for day in rules.reminder_days(now, reminder):
        for page in store.lots_expiring(day, upto=None):
            for lot in page:
                if exhausted():
                    report["stopped"] = True
                    return report
                report["reminded"] += int(remind_lot(lot, now))
    return report
