"""Coupon use counters under races, on DynamoDB Local: maxUses and perUserLimit hold under any concurrency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from souk.caller import Principal
from souk.cart import keys
from souk.cart.models import COUPON_LABEL, COUPON_USE_LABEL, Coupon, CouponUse
from souk.cart.schemas import CouponIn, CouponPatch
from souk.cart.service import coupons
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import DuplicateEntry

pytestmark = pytest.mark.integration


def _coupon(code: str, *, max_uses: int | None = None, per_user_limit: int | None = None) -> Coupon:
    now = datetime.now(UTC)
    coupon = Coupon(pk=keys.coupon(code), sk=keys.COUPON, code=code, owner_id="it-admin", type="percent", value=10,
                    max_uses=max_uses, per_user_limit=per_user_limit, created_at=now, updated_at=now)  # fmt: skip
    coupon.save()
    return coupon


def _use(coupon: Coupon, user_id: str) -> str | None:
    """One checkout-like transaction using the coupon: None when it went through, else the failed label(s)."""
    try:
        with WriteTransaction() as tx:
            coupons.use_coupon(tx, coupon, user_id)
    except TransactionCancelled as cancelled:
        return ",".join(sorted(cancelled.failed())) or ",".join(sorted(cancelled.reasons.values()))
    return None


def _release(code: str, user_id: str) -> str | None:
    try:
        with WriteTransaction() as tx:
            coupons.release_coupon(tx, code, user_id)
    except TransactionCancelled as cancelled:
        return ",".join(sorted(cancelled.failed())) or ",".join(sorted(cancelled.reasons.values()))
    return None


def _uses(code: str) -> int:
    return int(Coupon.get(keys.coupon(code), keys.COUPON, consistent_read=True).uses)


def _user_uses(code: str, user_id: str) -> int:
    return int(CouponUse.get(keys.coupon(code), keys.coupon_use(user_id), consistent_read=True).uses)


def _retrying(action, *args) -> str | None:  # type: ignore[no-untyped-def]
    """Transactions on one item may also be cancelled with TransactionConflict: retry those like a client would."""
    for _ in range(50):
        outcome = action(*args)
        if outcome is None or "TransactionConflict" not in outcome:
            return outcome
    return outcome


def test_max_uses_one_twenty_users_exactly_one_wins(table: str) -> None:
    # GIVEN a coupon that may be used once in all
    coupon = _coupon("ONCE", max_uses=1)
    # WHEN 20 different customers use it in parallel transactions
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda n: _retrying(_use, coupon, f"user-{n}"), range(20)))
    # THEN exactly one went through, every other one failed on the coupon's own condition
    assert outcomes.count(None) == 1
    assert sorted(o for o in outcomes if o is not None) == [COUPON_LABEL] * 19
    assert _uses("ONCE") == 1
    # AND only the winner has a use counted
    winner = outcomes.index(None)
    assert _user_uses("ONCE", f"user-{winner}") == 1
    assert CouponUse.count(keys.coupon("ONCE"), CouponUse.sk.startswith("USE#"), consistent_read=True) == 1


def test_per_user_limit_two_ten_parallel_uses_by_one_user_exactly_two(table: str) -> None:
    # GIVEN an unlimited coupon that one customer may use twice
    coupon = _coupon("TWICE", per_user_limit=2)
    # WHEN the same customer uses it 10 times in parallel
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _retrying(_use, coupon, "user-1"), range(10)))
    # THEN exactly two went through; the rest failed on the per-user counter
    assert outcomes.count(None) == 2
    assert sorted(o for o in outcomes if o is not None) == [COUPON_USE_LABEL] * 8
    assert _uses("TWICE") == 2
    assert _user_uses("TWICE", "user-1") == 2
    # AND the counter item is a proper CouponUse
    use = CouponUse.get(keys.coupon("TWICE"), keys.coupon_use("user-1"), consistent_read=True)
    assert (use.code, use.user_id) == ("TWICE", "user-1")


def test_unlimited_coupon_parallel_uses_never_conflict_with_each_other(table: str) -> None:
    # GIVEN a coupon without limits
    coupon = _coupon("OPEN")
    # WHEN 15 customers use it in parallel
    with ThreadPoolExecutor(max_workers=15) as pool:
        outcomes = list(pool.map(lambda n: _retrying(_use, coupon, f"user-{n}"), range(15)))
    # THEN all of them count (no version condition makes them fail each other)
    assert outcomes == [None] * 15
    assert _uses("OPEN") == 15


def test_release_brings_the_counts_back(table: str) -> None:
    # GIVEN a coupon with maxUses 3 and perUserLimit 2, used up: user-1 twice, user-2 once
    coupon = _coupon("BACK", max_uses=3, per_user_limit=2)
    for user_id in ("user-1", "user-1", "user-2"):
        assert _use(coupon, user_id) is None
    assert _use(coupon, "user-3") == COUPON_LABEL
    # WHEN user-1's orders are cancelled (two releases in parallel) and user-2's expires
    with ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = list(pool.map(lambda u: _retrying(_release, "BACK", u), ["user-1", "user-1", "user-2"]))
    # THEN every count is back to zero
    assert outcomes == [None, None, None]
    assert _uses("BACK") == 0
    assert _user_uses("BACK", "user-1") == 0 and _user_uses("BACK", "user-2") == 0
    # AND a release with nothing to give back fails rather than going below zero
    assert _release("BACK", "user-1") is not None
    assert _uses("BACK") == 0 and _user_uses("BACK", "user-1") == 0
    # AND the coupon can be used again up to its limits
    assert _use(coupon, "user-1") is None and _use(coupon, "user-1") is None
    assert _use(coupon, "user-1") == COUPON_USE_LABEL
    assert _uses("BACK") == 2


def test_a_use_bumps_the_version_so_a_stale_versioned_save_fails(table: str) -> None:
    # GIVEN a coupon read by an editor, then used by a customer
    _coupon("EDIT", max_uses=5)
    stale = Coupon.get(keys.coupon("EDIT"), keys.COUPON, consistent_read=True)
    fresh = Coupon.get(keys.coupon("EDIT"), keys.COUPON, consistent_read=True)
    assert _use(fresh, "user-1") is None
    # WHEN the editor saves the copy read before the use
    stale.value = 20
    with pytest.raises(Exception) as raised:
        stale.save()
    # THEN the save is refused and the use stays counted
    assert "ConditionalCheckFailed" in repr(raised.value) or "conditional" in repr(raised.value).lower()
    reread = Coupon.get(keys.coupon("EDIT"), keys.COUPON, consistent_read=True)
    assert int(reread.uses) == 1 and int(reread.value) == 10


def test_a_deleted_coupon_cannot_be_used(table: str) -> None:
    # GIVEN a coupon soft-deleted after the customer's cart read it
    coupon = _coupon("GONE")
    Coupon(pk=keys.coupon("GONE"), sk=keys.COUPON).update(actions=[Coupon.status.set("deleted")],
                                                           add_version_condition=False)  # fmt: skip
    # WHEN checkout uses it
    outcome = _use(coupon, "user-1")
    # THEN the transaction fails on the coupon and nothing is counted
    assert outcome == COUPON_LABEL
    assert _uses("GONE") == 0
    with pytest.raises(CouponUse.DoesNotExist):
        CouponUse.get(keys.coupon("GONE"), keys.coupon_use("user-1"), consistent_read=True)


ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)


def test_parallel_creates_of_one_code_exactly_one_wins(table: str) -> None:
    # GIVEN ten admins' requests for the same code in different cases
    bodies = [CouponIn(code=code, type="percent", value=n + 1)
              for n, code in enumerate(["race-1", "RACE-1", "Race-1", "rACE-1", "race-1"] * 2)]  # fmt: skip

    def create(body: CouponIn) -> str:
        try:
            coupons.create_coupon(ADMIN, body)
        except DuplicateEntry:
            return "duplicate"
        return "created"

    # WHEN they run in parallel
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(create, bodies))
    # THEN exactly one coupon exists, made by the one that won
    assert outcomes.count("created") == 1 and outcomes.count("duplicate") == 9
    winner = bodies[outcomes.index("created")]
    stored = Coupon.get(keys.coupon("RACE-1"), keys.COUPON, consistent_read=True)
    assert (stored.code, int(stored.value), int(stored.uses)) == ("RACE-1", winner.value, 0)


def test_an_update_racing_checkouts_never_loses_a_use(table: str) -> None:
    # GIVEN an unlimited coupon
    coupon = _coupon("BUSY")
    # WHEN 12 checkouts use it while its owner changes the value and the limit, all in parallel
    patches = [CouponPatch(value=20), CouponPatch(max_uses=1000), CouponPatch(value=30)]

    def run(n: int) -> str | None:
        if n % 5 == 0:
            coupons.update_coupon(ADMIN, "busy", patches[n // 5])
            return None
        return _retrying(_use, coupon, f"user-{n}")

    with ThreadPoolExecutor(max_workers=15) as pool:
        outcomes = list(pool.map(run, range(15)))
    # THEN every use counted and every change applied (the versioned saves re-read, never write stale uses)
    assert outcomes == [None] * 15
    stored = Coupon.get(keys.coupon("BUSY"), keys.COUPON, consistent_read=True)
    assert int(stored.uses) == 12
    assert int(stored.max_uses) == 1000 and int(stored.value) in (20, 30)
    assert stored.version == 1 + 12 + 3
