"""The wallet under races, on DynamoDB Local: never below zero, no lost credit, a derived credit once."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest

from souk.caller import Principal
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict
from souk.ids import new_id
from souk.money import Money
from souk.payments import keys as payments_keys
from souk.payments.models import Payment
from souk.wallet import keys as wallet_keys
from souk.wallet import service as wallet
from souk.wallet.models import Wallet, WalletEntry
from souk.wallet.schemas import TopUpRequest, TransactionsQuery

pytestmark = pytest.mark.integration

Outcome = str | None  # None: committed; else the failed label(s) or reason codes


def _user() -> str:
    return f"it-{new_id()}"


def _outcome(write: Callable[[WriteTransaction], None]) -> Outcome:
    try:
        with WriteTransaction() as tx:
            write(tx)
    except TransactionCancelled as cancelled:
        return ",".join(sorted(cancelled.failed())) or ",".join(sorted(set(cancelled.reasons.values())))
    return None


def _retrying(write: Callable[[WriteTransaction], None]) -> Outcome:
    """Transactions on one item may be cancelled with TransactionConflict: retry those like a client would."""
    outcome: Outcome = None
    for _ in range(100):
        outcome = _outcome(write)
        if outcome is None or "TransactionConflict" not in outcome:
            return outcome
        time.sleep(random.uniform(0.005, 0.03))
    return outcome


def _pay_by_wallet(user_id: str, amount: int) -> Outcome:
    """A checkout-like wallet payment: the debit and the payment it explains, in one transaction."""
    payment_id = new_id()

    def write(tx: WriteTransaction) -> None:
        now = utc_now()
        wallet.debit(tx, user_id, amount, entry_type="debit", reference=wallet.Reference("payment", payment_id))
        tx.put(
            Payment(
                pk=payments_keys.payment(payment_id),
                sk=payments_keys.payment(payment_id),
                payment_id=payment_id,
                user_id=user_id,
                kind="order",
                method="wallet",
                amount=amount,
                currency="usd",
                status="succeeded",
                created_at=now,
                updated_at=now,
            ),
            Payment.pk.does_not_exist(),
            label="payment",
        )

    return _retrying(write)


def _credit(user_id: str, amount: int, entry_id: str | None = None) -> Outcome:
    return _retrying(lambda tx: wallet.credit(tx, user_id, amount, entry_type="topup" if entry_id else "credit",
                                              entry_id=entry_id))  # fmt: skip


def _balance(user_id: str) -> int:
    return int(Wallet.get(wallet_keys.wallet(user_id), wallet_keys.WALLET, consistent_read=True).balance)


def _entries(user_id: str) -> list[WalletEntry]:
    found = WalletEntry.query(wallet_keys.wallet(user_id), WalletEntry.sk.startswith(wallet_keys.WALLET_ENTRY_PREFIX),
                              consistent_read=True)  # fmt: skip
    return [e for e in found if isinstance(e, WalletEntry)]


def _payments(user_id: str, ids: list[str]) -> int:
    return sum(1 for _ in Payment.batch_get([(payments_keys.payment(i), payments_keys.payment(i)) for i in ids]))


def test_fifty_parallel_wallet_payments_never_overdraw(table: str) -> None:
    # GIVEN a wallet holding 1000
    user = _user()
    assert _credit(user, 1000) is None
    # WHEN 50 payments of 100 race each other
    with ThreadPoolExecutor(max_workers=25) as pool:
        outcomes = list(pool.map(lambda _: _pay_by_wallet(user, 100), range(50)))
    # THEN exactly 10 go through, the other 40 fail on the wallet (insufficient funds), the balance is 0
    assert outcomes.count(None) == 10, outcomes
    assert outcomes.count(wallet.WALLET_LABEL) == 40, outcomes
    assert _balance(user) == 0
    # AND exactly 10 debit entries of -100 next to the one credit, each with its payment
    entries = _entries(user)
    debits = [e for e in entries if e.type == "debit"]
    assert len(debits) == 10 and {int(e.amount) for e in debits} == {-100}
    assert sum(int(e.amount) for e in entries) == 0
    assert _payments(user, [str(e.reference_id) for e in debits]) == 10


def test_twenty_parallel_credits_add_up_exactly(table: str) -> None:
    # GIVEN a wallet that does not exist yet, and 20 credits of different amounts
    user = _user()
    amounts = [100 + 7 * i for i in range(20)]
    # WHEN they all land at once (the first creates the wallet)
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(lambda amount: _credit(user, amount), amounts))
    # THEN every one is applied: the balance is the exact sum, one entry each
    assert outcomes == [None] * 20
    assert _balance(user) == sum(amounts)
    assert sorted(int(e.amount) for e in _entries(user)) == sorted(amounts)
    # AND the route reads the same balance, and lists all 20 entries
    caller = Principal(user_id=user, role="customer", session_id=None)
    assert wallet.get_wallet(caller).balance.amount == sum(amounts)
    listed, _ = wallet.list_entries(caller, TransactionsQuery(limit=100))
    assert len(listed) == 20


def test_the_same_derived_credit_in_parallel_counts_once(table: str) -> None:
    # GIVEN a wallet with 500 and a top-up credit delivered ten times at once (webhook retries)
    user = _user()
    assert _credit(user, 500) is None
    entry_id = f"topup-{new_id()}"
    # WHEN all ten try to credit 2000 with the same entry id
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(lambda _: _credit(user, 2000, entry_id), range(10)))
    # THEN exactly one is applied; the others fail on the entry (already applied)
    assert outcomes.count(None) == 1, outcomes
    assert outcomes.count(wallet.ENTRY_LABEL) == 9, outcomes
    assert _balance(user) == 2500
    assert [int(e.amount) for e in _entries(user) if e.entry_id == entry_id] == [2000]


def test_parallel_top_ups_with_one_key_make_one_payment(table: str, stripe_fake) -> None:
    # GIVEN a customer sending the same top-up with one Idempotency-Key from several devices at once
    user = _user()
    caller = Principal(user_id=user, role="customer", session_id=None)
    request = TopUpRequest(amount=Money(amount=1500, currency="usd"))

    def attempt(_: int) -> str:
        try:
            result, _state = wallet.top_up(caller, request, idempotency_key="same-key")
        except Conflict as error:
            return error.code
        return result.payment_id

    # WHEN five race
    with ThreadPoolExecutor(max_workers=5) as pool:
        outcomes = list(pool.map(attempt, range(5)))
    # THEN every success is the same payment (others: 409 CONFLICT while the first ran), and one Payment exists
    payment_ids = {o for o in outcomes if o != "CONFLICT"}
    assert len(payment_ids) == 1, outcomes
    payments = [p for p in Payment.gsi1.query(payments_keys.user_payments(user)) if isinstance(p, Payment)]
    assert [p.payment_id for p in payments] == list(payment_ids)
    assert (payments[0].status, payments[0].amount, payments[0].kind) == ("pending", 1500, "topup")
