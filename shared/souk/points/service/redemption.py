"""Spending points at checkout, and giving them back when the order is cancelled.

Orders calls :func:`plan_redemption` while it plans a checkout and adds :meth:`Redemption.add_to`
to the checkout's one transaction: each lot drawn is updated on the condition that it still
holds what was read (and has not expired), the balance on ``balance >= points``, and one
``redeemed`` entry per order records the lots its points came from (``draws``, with their
expiry), as does the order itself (``Order.points``). Of two checkouts spending the same
points at once, one commits and the other fails on a ``points:`` label (409 CONFLICT).

:func:`restore_writes` gives an order's redeemed points back to the lots they came from with
their original expiry (a ``restored`` entry per order, put once). A lot already past its
expiry takes nothing back: its share is restored and expired at once (an ``expired`` entry
``expired-<lotId>-<orderId>``), so a cancellation never revives an expired point. The lot's
update is conditional on the daily job not having expired it meanwhile; that race fails on a
``points:`` label and the caller's retry decides again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from souk.admin_settings import service as admin_settings
from souk.db.base import utc_now
from souk.errors import Conflict, UnprocessableEntity
from souk.money import largest_remainder
from souk.points.models import EXPIRED, REDEEMED, RESTORED, PointsLot
from souk.points.service import rules
from souk.points.service.rules import Draw, OpenLot, RedemptionRefused
from souk.points.store import points as store
from souk.points.store.points import Changes, is_points_label

if TYPE_CHECKING:
    from souk.db.transactions import WriteTransaction

Writes = Callable[["WriteTransaction"], None]


class RedeemingOrder(Protocol):
    """What restoring reads of an order (souk.orders.models.Order: orders calls points, never the reverse)."""

    @property
    def order_id(self) -> str: ...
    @property
    def customer_id(self) -> str: ...
    @property
    def points(self) -> Any: ...


@dataclass(frozen=True)
class Redemption:
    """A checkout's redemption: the value and points per order (checkout order) and the lots drawn."""

    user_id: str
    points: int
    value: int
    currency: str
    values: list[int]
    per_order: list[int]
    draws: list[list[Draw]]
    now: datetime

    def order_points(self, index: int) -> dict[str, Any] | None:
        """What order ``index`` keeps of it (``Order.points``): None when it got no points."""
        if not self.per_order[index]:
            return None
        return {"redeemed": self.per_order[index], "value": self.values[index],
                "draws": [d.as_dict() for d in self.draws[index]]}  # fmt: skip

    def changes(self, order_ids: Sequence[str]) -> Changes:
        changes = Changes(self.user_id, balance=-self.points, at_least=self.points)
        taken: dict[str, tuple[int, Draw]] = {}
        for draws in self.draws:
            for draw in draws:
                before = taken.get(draw.lot_id, (0, draw))[0]
                taken[draw.lot_id] = (before + draw.points, draw)
        for lot_id, (points, draw) in taken.items():
            left = draw.remaining_before - points
            actions = [PointsLot.remaining.set(left), *(store.close_actions() if left == 0 else [])]
            condition = ((PointsLot.remaining == draw.remaining_before) & PointsLot.expired_at.does_not_exist()
                         & (PointsLot.lot_expires_at > self.now))  # fmt: skip
            changes.lots[lot_id] = (actions, condition)
        for order_id, points, draws in zip(order_ids, self.per_order, self.draws, strict=True):
            if points:
                changes.entries.append(store.new_entry(
                    self.user_id, f"{REDEEMED}-{order_id}", REDEEMED, -points, order_id=order_id, at=self.now,
                    expires_at=min(d.expires_at for d in draws), draws=[d.as_dict() for d in draws]))  # fmt: skip
        return changes

    @property
    def items(self) -> int:
        """The items :meth:`add_to` adds to a transaction."""
        lots = {d.lot_id for draws in self.draws for d in draws}
        return 1 + len(lots) + sum(1 for p in self.per_order if p)

    def add_to(self, tx: WriteTransaction, order_ids: Sequence[str]) -> None:
        self.changes(order_ids).add_to(tx)


def plan_redemption(user_id: str, redeemed: int, goods: Sequence[int], currency: str, *,
                    now: datetime | None = None) -> Redemption | None:  # fmt: skip
    """``redeemed`` points over orders whose goods (subtotal less coupon) are ``goods``, in ``currency``.

    Reads the account (GetItem) and the open lots (one Query). None when nothing is redeemed.

    Raises
    ------
    UnprocessableEntity
        Another currency than the points', not a multiple of the step, more than the goods or the
        balance, or more than the open lots (at most :data:`rules.MAX_LOTS_PER_REDEMPTION`) hold.
    """
    if not redeemed:
        return None
    now = now or utc_now()
    settings = admin_settings.current().points
    rate = settings.redeem_value
    if currency != rate.amount.currency:
        raise _refused(f"Points pay only for orders in {rate.amount.currency}.")
    account = store.read_account(user_id)
    balance = int(account.balance) if account is not None else 0
    try:
        value = rules.check_redeemable(redeemed, points=rate.points, amount=rate.amount.amount,
                                       cap_value=sum(goods), balance=balance)  # fmt: skip
        lots = [OpenLot(lot.lot_id, int(lot.remaining), lot.lot_expires_at) for lot in store.open_lots(user_id, now)]
        drawn = rules.draw_lots(lots, redeemed, now)
    except RedemptionRefused as refused:
        raise _refused(str(refused)) from None
    values = largest_remainder(value, goods)
    per_order = largest_remainder(redeemed, values)
    return Redemption(user_id=user_id, points=redeemed, value=value, currency=currency, values=values,
                      per_order=per_order, draws=rules.allocate(drawn, per_order), now=now)  # fmt: skip


def _refused(message: str) -> UnprocessableEntity:
    return UnprocessableEntity(message, details=[{"field": "pointsToRedeem", "message": message}])


def refusal(failed: Sequence[str]) -> Conflict | None:
    """The client error when a checkout failed on its points (spent or expired meanwhile), else None."""
    if any(is_points_label(label) for label in failed):
        return Conflict("Your points changed meanwhile (spent or expired); review your balance and retry.")
    return None


def lost_race(failed: Sequence[str]) -> bool:
    """A transaction that failed on the points' items: re-read and decide again."""
    return any(is_points_label(label) for label in failed)


# ---------------------------------------------------------------- giving back


def _expires(draw: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(draw["expiresAt"])).astimezone(UTC)


def restore_changes(orders: Sequence[RedeemingOrder], now: datetime | None = None) -> list[Changes]:
    """What giving back the points ``orders`` redeemed writes: one :class:`Changes` per customer."""
    now = now or utc_now()
    by_user: dict[str, Changes] = {}
    back: dict[tuple[str, str], tuple[int, datetime]] = {}
    for order in orders:
        record = order.points or {}
        redeemed = int(record.get("redeemed") or 0)
        if redeemed <= 0:
            continue
        user = order.customer_id
        changes = by_user.setdefault(user, Changes(user))
        draws = list(record.get("draws") or [])
        changes.entries.append(store.new_entry(
            user, f"{RESTORED}-{order.order_id}", RESTORED, redeemed, order_id=order.order_id, at=now,
            expires_at=min((_expires(d) for d in draws), default=None), draws=draws))  # fmt: skip
        changes.balance += redeemed
        for draw in draws:
            points, expires = int(draw["points"]), _expires(draw)
            if expires > now:
                before = back.get((user, str(draw["lot"])), (0, expires))[0]
                back[(user, str(draw["lot"]))] = (before + points, expires)
            else:  # the lot expired since: these points are restored and expire at once
                changes.entries.append(store.new_entry(
                    user, f"{EXPIRED}-{draw['lot']}-{order.order_id}", EXPIRED, -points, order_id=order.order_id,
                    lot_id=str(draw["lot"]), at=now, expires_at=expires))  # fmt: skip
                changes.balance -= points
    for (user, lot_id), (points, expires) in back.items():
        actions = [PointsLot.remaining.add(points), *store.reopen_actions(user, lot_id, expires)]
        by_user[user].lots[lot_id] = (actions, PointsLot.pk.exists() & PointsLot.expired_at.does_not_exist())
    return list(by_user.values())


def restore_writes(orders: Sequence[RedeemingOrder], now: datetime | None = None) -> Writes | None:
    """For the transaction that cancels ``orders``: their redeemed points back (None: none redeemed)."""
    changes = restore_changes(orders, now)
    if not changes:
        return None

    def writes(tx: WriteTransaction) -> None:
        for change in changes:
            change.add_to(tx)

    return writes
