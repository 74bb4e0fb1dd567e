"""Loyalty points' reads and the items its writes add to a caller's transaction.

Every change of the balance goes with the entry that explains it, in the same transaction
(:class:`Changes`), so the balance is always the sum of the entries. Labels start with
``points:`` (:func:`is_points_label`): a transaction that fails on one of them lost a race
on the customer's points.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import DoesNotExist

from souk.db.base import utc_now
from souk.db.paging import decode_cursor_for, encode_cursor, one_page
from souk.points import keys
from souk.points.models import PointsAccount, PointsEntry, PointsLot, PointsSpend

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.db.transactions import WriteTransaction

ACCOUNT_LABEL = "points:account"
SPEND_LABEL = "points:spend"
OPEN_LOTS_PAGE = 25  # open lots a redemption reads (one Query): more than it may draw from


def lot_label(lot_id: str) -> str:
    return f"points:lot:{lot_id}"


def entry_label(entry_id: str) -> str:
    return f"points:entry:{entry_id}"


def is_points_label(label: str) -> bool:
    return label.startswith("points:")


# ---------------------------------------------------------------- reads


def read_account(user_id: str) -> PointsAccount | None:
    try:
        return PointsAccount.get(keys.points(user_id), keys.ACCOUNT, consistent_read=True)
    except DoesNotExist:
        return None


def read_lot(user_id: str, lot_id: str) -> PointsLot | None:
    try:
        return PointsLot.get(keys.points(user_id), keys.lot(lot_id), consistent_read=True)
    except DoesNotExist:
        return None


def open_lots(user_id: str, now: datetime, limit: int = OPEN_LOTS_PAGE) -> list[PointsLot]:
    """The customer's lots holding points and not past ``now``, those expiring first first (one Query)."""
    result = PointsLot.gsi2.query(keys.open_lots(user_id), PointsLot.gsi2sk > keys.until(now), page_size=limit)
    found, _ = one_page(PointsLot, result)
    return [lot for lot in found if isinstance(lot, PointsLot)]


def spend_items(user_id: str, currency: str, months: list[str]) -> list[PointsSpend]:
    """The monthly spend counters of ``months`` (one Query, at most 12 items)."""
    between = PointsSpend.sk.between(keys.spend(currency, months[0]), keys.spend(currency, months[-1]))
    result = PointsSpend.query(keys.points(user_id), between, page_size=len(months))
    found, _ = one_page(PointsSpend, result)
    return [item for item in found if isinstance(item, PointsSpend)]


def entries_page(user_id: str, cursor: str | None, limit: int) -> tuple[list[PointsEntry], str | None]:
    """A page of the customer's entries, newest first (one Query on gsi1)."""
    partition = keys.entries(user_id)
    start = decode_cursor_for(cursor, "gsi1pk", partition)
    result = PointsEntry.gsi1.query(partition, scan_index_forward=False, page_size=limit, last_evaluated_key=start)
    found, last_key = one_page(PointsEntry, result)
    return [e for e in found if isinstance(e, PointsEntry)], encode_cursor(last_key)


def lots_expiring(day: date, upto: datetime | None) -> Iterator[list[PointsLot]]:
    """Pages of the lots in the expiry index on the UTC ``day``, up to ``upto`` when given (the job)."""
    condition = PointsLot.gsi1sk <= keys.until(upto) if upto is not None else None
    result = PointsLot.gsi1.query(keys.expiry_day(day), condition, page_size=100)
    for raw in result.page_iter:
        yield [lot for item in raw.get("Items", []) if isinstance(lot := PointsLot.from_raw_data(item), PointsLot)]


# ---------------------------------------------------------------- items


def new_entry(user_id: str, entry_id: str, entry_type: str, points: int, *, order_id: str | None, at: datetime,
              lot_id: str | None = None, expires_at: datetime | None = None,
              draws: list[dict[str, Any]] | None = None) -> PointsEntry:  # fmt: skip
    return PointsEntry(pk=keys.points(user_id), sk=keys.entry(entry_id), entry_id=entry_id, user_id=user_id,
                       type=entry_type, points=points, order_id=order_id, lot_id=lot_id, entry_expires_at=expires_at,
                       draws=draws, gsi1pk=keys.entries(user_id), gsi1sk=keys.entry_sort(at, entry_id),
                       created_at=at, updated_at=at)  # fmt: skip


def new_lot(user_id: str, lot_id: str, *, points: int, currency: str, basis: int, month: str, expires_at: datetime,
            at: datetime) -> PointsLot:  # fmt: skip
    return PointsLot(pk=keys.points(user_id), sk=keys.lot(lot_id), lot_id=lot_id, user_id=user_id, points=points,
                     remaining=points, currency=currency, basis=basis, refunded=0, reversed=0, month=month,
                     lot_expires_at=expires_at,
                     gsi1pk=keys.expiry_day(expires_at), gsi1sk=keys.expiry_sort(expires_at, user_id, lot_id),
                     gsi2pk=keys.open_lots(user_id), gsi2sk=keys.lot_sort(expires_at, lot_id),
                     created_at=at, updated_at=at)  # fmt: skip


def lot_ref(user_id: str, lot_id: str) -> PointsLot:
    """A lot to update (its keys only)."""
    return PointsLot(pk=keys.points(user_id), sk=keys.lot(lot_id))


def reopen_actions(user_id: str, lot_id: str, expires_at: datetime) -> list[Action]:
    """The lot back in the customer's open lots and the expiry index (same keys as when it was earned)."""
    return [PointsLot.gsi2pk.set(keys.open_lots(user_id)), PointsLot.gsi2sk.set(keys.lot_sort(expires_at, lot_id)),
            PointsLot.gsi1pk.set(keys.expiry_day(expires_at)),
            PointsLot.gsi1sk.set(keys.expiry_sort(expires_at, user_id, lot_id))]  # fmt: skip


def close_actions() -> list[Action]:
    """The lot out of the open lots (it holds nothing now)."""
    return [PointsLot.gsi2pk.remove(), PointsLot.gsi2sk.remove()]


@dataclass
class Changes:
    """One customer's points changes for one transaction: the balance once, each lot once, the entries."""

    user_id: str
    balance: int = 0
    at_least: int | None = None  # the balance must hold this much (a redemption)
    entries: list[PointsEntry] = field(default_factory=list)
    lots: dict[str, tuple[list[Action], Condition | None]] = field(default_factory=dict)
    puts: list[PointsLot] = field(default_factory=list)
    spend: dict[tuple[str, str], int] = field(default_factory=dict)

    @property
    def size(self) -> int:
        touches_balance = self.balance != 0 or self.at_least is not None
        return int(touches_balance) + len(self.entries) + len(self.lots) + len(self.puts) + len(self.spend)

    def add_to(self, tx: WriteTransaction) -> None:
        now = utc_now()
        for lot in self.puts:
            tx.put(lot, PointsLot.pk.does_not_exist(), label=lot_label(lot.lot_id))
        for lot_id, (actions, condition) in self.lots.items():
            tx.update(lot_ref(self.user_id, lot_id), [*actions, PointsLot.updated_at.set(now)], condition,
                      label=lot_label(lot_id))  # fmt: skip
        for entry in self.entries:
            tx.put(entry, PointsEntry.pk.does_not_exist(), label=entry_label(entry.entry_id))
        if self.balance != 0 or self.at_least is not None:
            account = PointsAccount(pk=keys.points(self.user_id), sk=keys.ACCOUNT)
            actions = [PointsAccount.balance.add(self.balance), PointsAccount.entity.set(PointsAccount),  # type: ignore[arg-type]
                       PointsAccount.user_id.set(self.user_id),
                       PointsAccount.created_at.set(PointsAccount.created_at | now),
                       PointsAccount.updated_at.set(now)]  # fmt: skip
            condition = PointsAccount.balance >= self.at_least if self.at_least is not None else None
            tx.update(account, actions, condition, label=ACCOUNT_LABEL)
        for (currency, month), amount in self.spend.items():
            item = PointsSpend(pk=keys.points(self.user_id), sk=keys.spend(currency, month))
            tx.update(item, [PointsSpend.amount.add(amount), PointsSpend.entity.set(PointsSpend),  # type: ignore[arg-type]
                             PointsSpend.user_id.set(self.user_id), PointsSpend.currency.set(currency),
                             PointsSpend.month.set(month), PointsSpend.created_at.set(PointsSpend.created_at | now),
                             PointsSpend.updated_at.set(now)], label=f"{SPEND_LABEL}:{currency}:{month}")  # fmt: skip
