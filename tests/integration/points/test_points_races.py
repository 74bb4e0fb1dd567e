"""Points races on DynamoDB Local: the engine's conditions and transactions decide, never a lucky schedule.

- two checkouts' redemptions of the same points at once: one commits, the other fails on the points
  (checkout answers 409), the balance never goes below zero;
- the daily job expiring a lot while a redemption draws from it: no point is both spent and expired;
- two runs of the job at once: one expiry entry per lot.

After each, the balance is the sum of the entries. (The redemption is the very set of writes checkout
adds to its transaction, :meth:`souk.points.service.redemption.Redemption.add_to`; one customer has one
cart, so two real checkouts of one customer would also race on the cart.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from souk.admin_settings import service as admin_settings
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, UnprocessableEntity
from souk.ids import new_id
from souk.points import keys
from souk.points.models import PointsAccount, PointsEntry, PointsLot
from souk.points.service import earning, expiry, redemption
from tests.races import at_once

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    admin_settings.forget()
    yield
    admin_settings.forget()


@dataclass
class FakeOrder:
    """What earning reads of a delivered order."""

    customer_id: str
    paid_amount: int
    order_id: str = field(default_factory=new_id)
    currency: str = "usd"
    refunded_amount: int = 0
    points: Any = None


def _earn(user_id: str, paid: int, delivered_at: datetime) -> str:
    order = FakeOrder(user_id, paid)
    writes = earning.delivered_writes(order, delivered_at)
    assert writes is not None
    with WriteTransaction() as tx:
        writes(tx)
    return order.order_id


def _entries(user_id: str) -> list[PointsEntry]:
    found = PointsEntry.query(keys.points(user_id), PointsEntry.sk.startswith("ENTRY#"), consistent_read=True)
    return [e for e in found if isinstance(e, PointsEntry)]


def _balance(user_id: str) -> int:
    return int(PointsAccount.get(keys.points(user_id), keys.ACCOUNT, consistent_read=True).balance)


def _lot(user_id: str, lot_id: str) -> PointsLot:
    return PointsLot.get(keys.points(user_id), keys.lot(lot_id), consistent_read=True)


def _assert_balance_is_the_sum_of_entries(user_id: str) -> int:
    balance = _balance(user_id)
    assert balance == sum(int(e.points) for e in _entries(user_id))
    return balance


def _redeem(user_id: str, points: int, order_id: str, now: datetime | None = None) -> Conflict | None:
    """Plan and commit a redemption as checkout does; the Conflict checkout would answer when it loses."""
    plan = redemption.plan_redemption(user_id, points, [100_000], "usd", now=now)
    assert plan is not None
    try:
        with WriteTransaction() as tx:
            plan.add_to(tx, [order_id])
    except TransactionCancelled as cancelled:
        refused = redemption.refusal(cancelled.failed())
        if refused is None:
            raise
        return refused
    return None


def test_two_checkouts_spending_the_same_points_at_once_one_wins(table: str) -> None:
    for _ in range(4):
        # GIVEN a customer with 300 points in two lots
        user = f"cust-{new_id()}"
        _earn(user, 10_000, utc_now() - timedelta(days=3))
        _earn(user, 20_000, utc_now())
        # WHEN two checkouts spend 250 of them at the same moment
        results = at_once(
            [lambda n=n, user=user: _redeem(user, 250, f"order-{n}") for n in range(2)], catching=(Exception,)
        )
        # THEN exactly one spent them; the other is a 409 (or lost before reading: the rules refuse it)
        won = [r for r in results if r is None]
        assert len(won) == 1, results
        # the loser read before the winner committed (409 on the lots or balance) or after (422: 50 points left)
        assert all(r is None or isinstance(r, Conflict | UnprocessableEntity) for r in results), results
        assert [e.points for e in _entries(user) if e.type == "redeemed"] == [-250]
        assert _assert_balance_is_the_sum_of_entries(user) == 50
        lots = list(PointsLot.query(keys.points(user), PointsLot.sk.startswith("LOT#"), consistent_read=True))
        assert sum(int(lot.remaining) for lot in lots) == 50 and all(int(lot.remaining) >= 0 for lot in lots)


def test_the_expiry_job_racing_a_redemption_of_the_same_lot_never_counts_a_point_twice(table: str) -> None:
    for _ in range(6):
        # GIVEN a lot of 100 points that expires now, and a checkout that read it a moment before
        user = f"cust-{new_id()}"
        now = utc_now()
        expiry_days = admin_settings.current().points.expiry_days
        lot_id = _earn(user, 10_000, now - timedelta(days=expiry_days))
        before, after = now - timedelta(seconds=1), now + timedelta(seconds=1)
        plan = redemption.plan_redemption(user, 60, [100_000], "usd", now=before)
        assert plan is not None

        def spend(plan: Any = plan) -> str:
            try:
                with WriteTransaction() as tx:
                    plan.add_to(tx, ["order-x"])
            except TransactionCancelled as cancelled:
                assert redemption.refusal(cancelled.failed()) is not None, cancelled.reasons
                return "refused"
            return "spent"

        lot = _lot(user, lot_id)
        # WHEN the job expires the lot at the same moment
        spent, expired = at_once(
            [spend, lambda lot=lot, after=after: expiry.expire_lot(lot, after)], catching=(Exception,)
        )
        # THEN either the redemption went first and the job expired the 40 left, or the job expired all 100
        # and the redemption was refused: never both on the same points
        assert not isinstance(expired, Exception), expired
        redeemed = -sum(int(e.points) for e in _entries(user) if e.type == "redeemed")
        gone = -sum(int(e.points) for e in _entries(user) if e.type == "expired")
        assert len([e for e in _entries(user) if e.type == "expired"]) == 1
        assert redeemed + gone == 100 and (spent, redeemed, gone) in {("spent", 60, 40), ("refused", 0, 100)}
        assert int(_lot(user, lot_id).remaining) == 0
        assert _assert_balance_is_the_sum_of_entries(user) == 0


def test_two_runs_of_the_job_at_once_write_one_expiry_entry_per_lot(table: str) -> None:
    # GIVEN three customers' lots that expired an hour ago, and one that has not
    now = utc_now()
    days = admin_settings.current().points.expiry_days
    users = [f"cust-{new_id()}" for _ in range(3)]
    lots = {user: _earn(user, 5_000, now - timedelta(days=days, hours=1)) for user in users}
    keeper = f"cust-{new_id()}"
    _earn(keeper, 7_000, now)
    # WHEN two runs go at once
    reports = at_once(
        [lambda: expiry.run(lambda: False, now), lambda: expiry.run(lambda: False, now)], catching=(Exception,)
    )
    # THEN each lot expired once, by one of the runs
    assert all(isinstance(r, dict) for r in reports), reports
    assert sum(r["expiredLots"] for r in reports) == 3 and sum(r["expiredPoints"] for r in reports) == 150
    for user, lot_id in lots.items():
        assert [(e.points, e.lot_id) for e in _entries(user) if e.type == "expired"] == [(-50, lot_id)]
        assert _assert_balance_is_the_sum_of_entries(user) == 0
    assert _assert_balance_is_the_sum_of_entries(keeper) == 70
