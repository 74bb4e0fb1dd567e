"""Wallet rules without AWS: whose ledger a caller reads, how balances and entries are shown, top-up amounts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from souk.caller import Principal
from souk.errors import NotFound, ValidationFailed
from souk.wallet import schemas, service
from souk.wallet.models import Wallet, WalletEntry

ALICE = Principal(user_id="alice", role="customer", session_id="s1")
ADMIN = Principal(user_id="root", role="admin", session_id="s2")


def test_a_caller_reads_their_own_ledger_by_default_or_by_name() -> None:
    # GIVEN / WHEN / THEN no userId or their own id is their ledger
    assert service.ledger_owner(ALICE, None) == "alice"
    assert service.ledger_owner(ALICE, "alice") == "alice"


def test_another_users_ledger_is_not_found_except_for_admins() -> None:
    # GIVEN a customer naming someone else THEN 404 (its existence is not revealed)
    with pytest.raises(NotFound):
        service.ledger_owner(ALICE, "bob")
    # AND an admin reads anyone's, and their own by default
    assert service.ledger_owner(ADMIN, "bob") == "bob"
    assert service.ledger_owner(ADMIN, None) == "root"


def test_a_missing_wallet_shows_zero_in_the_wallet_currency() -> None:
    # GIVEN no wallet item WHEN shaped THEN 0 usd and no update time
    out = schemas.wallet_out(None, currency="usd")
    assert (out.balance.amount, out.balance.currency, out.currency, out.updated_at) == (0, "usd", "usd", None)


def test_a_wallet_shows_its_balance_and_last_movement() -> None:
    # GIVEN a wallet with 1234 usd
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    wallet = Wallet(pk="WALLET#alice", sk="WALLET", user_id="alice", balance=1234, currency="usd", updated_at=moment)
    # WHEN shaped THEN the balance is Money and the time is the last update
    out = schemas.wallet_out(wallet, currency="usd")
    assert out.model_dump(mode="json") == {"balance": {"amount": 1234, "currency": "usd"}, "currency": "usd",
                                           "updatedAt": "2026-01-02T03:04:05Z"}  # fmt: skip


def test_a_debit_entry_is_shown_with_a_negative_amount() -> None:
    # GIVEN a debit entry of -700 for an order
    moment = datetime(2026, 1, 2, tzinfo=UTC)
    entry = WalletEntry(pk="WALLET#alice", sk="TX#e1", entry_id="e1", user_id="alice", type="debit", amount=-700,
                        currency="usd", reference_type="order", reference_id="o1", description=None,
                        created_at=moment)  # fmt: skip
    # WHEN shaped THEN the contract's fields, amount signed
    assert schemas.entry_out(entry).model_dump(mode="json") == {
        "id": "e1", "type": "debit", "amount": {"amount": -700, "currency": "usd"}, "referenceType": "order",
        "referenceId": "o1", "description": None, "createdAt": "2026-01-02T00:00:00Z"}  # fmt: skip


def _top_up(amount: object, currency: object = "usd") -> schemas.TopUpRequest:
    return schemas.TopUpRequest.model_validate({"amount": {"amount": amount, "currency": currency}})


@pytest.mark.parametrize("amount", [service.MIN_TOP_UP, 5000, service.MAX_TOP_UP])
def test_top_up_amounts_in_range_are_accepted(amount: int) -> None:
    # GIVEN / WHEN / THEN Money in the wallet's currency between 1.00 and 10,000.00 is a valid top-up
    assert service.checked_amount(_top_up(amount, "USD"), "usd") == amount


@pytest.mark.parametrize("amount", [service.MIN_TOP_UP - 1, service.MAX_TOP_UP + 1, 0])
def test_top_up_amounts_out_of_range_are_refused_on_amount_amount(amount: int) -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.checked_amount(_top_up(amount), "usd")
    assert [d["field"] for d in refused.value.details or []] == ["amount.amount"]


def test_a_top_up_in_another_currency_is_refused_on_amount_currency() -> None:
    with pytest.raises(ValidationFailed) as refused:
        service.checked_amount(_top_up(5000, "eur"), "usd")
    assert refused.value.details == [{"field": "amount.currency", "message": "Send this amount in usd."}]


@pytest.mark.parametrize(
    ("amount", "loc"),
    [({"amount": -100, "currency": "usd"}, ("amount", "amount")),
     ({"amount": "500", "currency": "usd"}, ("amount", "amount")),
     ({"amount": 500.0, "currency": "usd"}, ("amount", "amount")),
     ({"amount": True, "currency": "usd"}, ("amount", "amount")),
     ({"amount": 500}, ("amount", "currency")), (500, ("amount",)), (None, ("amount",))],
)  # fmt: skip
def test_top_up_amounts_that_are_not_money_in_minor_units_are_refused(amount: object, loc: tuple[str, ...]) -> None:
    # GIVEN / WHEN / THEN a bare number, a float, a string or a negative amount fails validation on that field
    with pytest.raises(ValidationError) as error:
        schemas.TopUpRequest.model_validate({"amount": amount})
    assert error.value.errors()[0]["loc"] == loc


def test_transactions_query_reads_camel_case_user_id_and_limits() -> None:
    # GIVEN the query string as API Gateway passes it WHEN parsed THEN userId and type land, limit defaults to 20
    query = schemas.TransactionsQuery.model_validate({"userId": "bob", "type": "topup"})
    assert (query.user_id, query.type, query.limit, query.cursor) == ("bob", "topup", 20, None)
    with pytest.raises(ValidationError):
        schemas.TransactionsQuery.model_validate({"type": "bonus"})
