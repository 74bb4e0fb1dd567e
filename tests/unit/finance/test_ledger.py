"""The ledger's rules without AWS: every entry balances, and a balance is the sum of the entries."""

from __future__ import annotations

import pytest

from souk.finance import ledger
from souk.finance.ledger import Entry, UnbalancedEntry


def test_a_sale_splits_the_gross_into_commission_and_pending_net() -> None:
    entry = ledger.sale("s1", "o1", "usd", gross=1000, commission=100)
    assert entry.business_key == "COMMISSION#o1"
    assert entry.postings == {ledger.SALES: -1000, ledger.PLATFORM_COMMISSION: 100, "store:pending": 900}
    assert entry.store_deltas() == {"pending": 900}


def test_entries_that_do_not_balance_or_name_unknown_accounts_are_refused() -> None:
    with pytest.raises(UnbalancedEntry):
        Entry("s1", "K", "x", "usd", {"store:available": 10})
    with pytest.raises(UnbalancedEntry):
        Entry("s1", "K", "x", "usd", {"store:wallet": 10, ledger.SALES: -10})
    with pytest.raises(UnbalancedEntry):
        Entry("s1", "K", "x", "usd", {"store:available": 1.5, ledger.SALES: -1.5})  # type: ignore[dict-item]
    with pytest.raises(UnbalancedEntry):
        ledger.reversal("s1", "R", "usd", gross=10, commission=1, from_bucket="paid_out")


def test_the_balance_is_the_sum_of_the_store_postings() -> None:
    # sale 1000 at 10%, released, 500 requested and paid out, then a refund of 200 gross
    # at the frozen 10% after release: the store gives back 180 from available
    entries = [
        ledger.sale("s1", "o1", "usd", gross=1000, commission=100),
        ledger.release("s1", "o1", "usd", net=900),
        ledger.move("s1", "PAYOUT#p1#REQUEST", "payout", "usd", amount=500, source="available", target="in_payout"),
        ledger.move("s1", "PAYOUT#p1#PAID", "payout_paid", "usd", amount=500, source="in_payout", target="paid_out"),
        ledger.reversal("s1", "REVERSAL#r1", "usd", gross=200, commission=20, from_bucket="available"),
    ]
    totals = ledger.balance_of(e.postings for e in entries)
    assert totals == {"pending": 0, "available": 220, "held": 0, "in_payout": 0, "paid_out": 500}
    # AND the platform kept 80 of commission, customers paid 800 net of the refund
    platform = sum(e.postings.get(ledger.PLATFORM_COMMISSION, 0) for e in entries)
    sales = sum(e.postings.get(ledger.SALES, 0) for e in entries)
    assert (platform, sales) == (80, -800)


def test_a_claw_back_after_payout_leaves_available_negative() -> None:
    entries = [
        ledger.sale("s1", "o1", "usd", gross=1000, commission=100),
        ledger.release("s1", "o1", "usd", net=900),
        ledger.move("s1", "PAYOUT#p1#REQUEST", "payout", "usd", amount=900, source="available", target="in_payout"),
        ledger.move("s1", "PAYOUT#p1#PAID", "payout_paid", "usd", amount=900, source="in_payout", target="paid_out"),
        ledger.reversal("s1", "REVERSAL#r1", "usd", gross=1000, commission=100, from_bucket="available"),
    ]
    assert ledger.balance_of(e.postings for e in entries)["available"] == -900


def test_the_dispute_fee_is_the_platforms_unless_the_store_bears_it() -> None:
    assert ledger.dispute_fee("s1", "F", "usd", fee=1500, payer="platform").store_deltas() == {}
    assert ledger.dispute_fee("s1", "F", "usd", fee=1500, payer="store").store_deltas() == {"available": -1500}
