"""GET /api/v1/stores/{storeId}/balance: the store's buckets, always the sum of its ledger entries."""

from __future__ import annotations

from typing import Any

import pytest

from souk.db.transactions import WriteTransaction
from souk.finance import ledger
from souk.finance.service.balance import reconcile
from souk.finance.store.ledger import post
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import admin_token, make_category, make_store
from tests.support import ApiClient, assert_error, record_dynamodb_calls


@pytest.fixture
def shop(api: ApiClient) -> dict[str, Any]:
    admin = admin_token()
    category = make_category(api, admin, "Food")
    owner = create_user("store_owner")
    token = token_for(owner)
    store = make_store(api, token, [category["id"]])
    return {"id": store["id"], "owner": token, "admin": admin}


def _url(store_id: str) -> str:
    return f"/api/v1/stores/{store_id}/balance"


def _post(*entries: ledger.Entry) -> None:
    for entry in entries:
        with WriteTransaction() as tx:
            post(tx, entry)


def test_a_new_store_has_nothing_and_no_payout_account(api: ApiClient, shop: dict[str, Any]) -> None:
    response = api.get(_url(shop["id"]), token=shop["owner"])
    assert response.status == 200
    zero = {"amount": 0, "currency": "usd"}
    assert response.json["data"] == {"available": zero, "pending": zero, "held": zero, "inPayout": zero,
                                     "paidOut": zero, "payoutAccount": {"status": "none"}}  # fmt: skip


def test_the_balance_follows_the_entries_and_may_go_negative(
    api: ApiClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    store_id = shop["id"]
    # GIVEN a sale, another one released, a payout paid, then a claw-back of the first after release
    _post(
        ledger.sale(store_id, "o1", "usd", gross=10_000, commission=1_000),
        ledger.sale(store_id, "o2", "usd", gross=5_000, commission=500),
        ledger.release(store_id, "o2", "usd", net=4_500),
        ledger.move(store_id, "PAYOUT#p1#REQUEST", "payout", "usd", amount=4_500, source="available",
                    target="in_payout"),
        ledger.move(store_id, "PAYOUT#p1#PAID", "payout_paid", "usd", amount=4_500, source="in_payout",
                    target="paid_out"),
        ledger.release(store_id, "o1", "usd", net=9_000),
        ledger.move(store_id, "PAYOUT#p2#REQUEST", "payout", "usd", amount=9_000, source="available",
                    target="in_payout"),
        ledger.reversal(store_id, "REVERSAL#r1", "usd", gross=10_000, commission=1_000, from_bucket="available"),
    )  # fmt: skip
    calls = record_dynamodb_calls(monkeypatch)
    # WHEN the owner reads the balance
    data = api.get(_url(store_id), token=shop["owner"]).json["data"]
    # THEN available is negative by the clawed-back net, the rest where the entries put it
    assert data["available"] == {"amount": -9_000, "currency": "usd"}
    assert data["pending"]["amount"] == 0
    assert data["inPayout"]["amount"] == 9_000
    assert data["paidOut"]["amount"] == 4_500
    # AND a constant number of reads: the caller's session, the store, the balance, the payout account
    assert calls == ["GetItem"] * 4, calls
    # AND the stored balance is the sum of the entries
    check = reconcile(store_id)
    assert check.matches and check.entries == 8


def test_an_entry_posted_twice_counts_once(shop: dict[str, Any]) -> None:
    from souk.db.transactions import TransactionCancelled

    sale = ledger.sale(shop["id"], "o1", "usd", gross=1_000, commission=100)
    _post(sale)
    with pytest.raises(TransactionCancelled) as cancelled:
        _post(sale)
    assert cancelled.value.failed() == ["entry:COMMISSION#o1"]
    check = reconcile(shop["id"])
    assert check.matches and check.stored["pending"] == 900 and check.entries == 1


def test_admins_read_any_store(api: ApiClient, shop: dict[str, Any]) -> None:
    assert api.get(_url(shop["id"]), token=shop["admin"]).status == 200


def test_another_owners_store_and_a_missing_store_are_404(api: ApiClient, shop: dict[str, Any]) -> None:
    stranger = token_for(create_user("store_owner"))
    assert_error(api.get(_url(shop["id"]), token=stranger), 404, "NOT_FOUND")
    assert_error(api.get(_url("01NOSUCHSTORE"), token=shop["owner"]), 404, "NOT_FOUND")


def test_no_token_and_wrong_roles(api: ApiClient, shop: dict[str, Any]) -> None:
    assert_error(api.get(_url(shop["id"])), 401, "UNAUTHORIZED")
    for role in ("customer", "courier"):
        assert_error(api.get(_url(shop["id"]), token=token_for(create_user(role))), 403, "FORBIDDEN")


def test_an_overlong_store_id_is_a_400(api: ApiClient, shop: dict[str, Any]) -> None:
    assert_error(api.get(_url("x" * 65), token=shop["owner"]), 400, "VALIDATION_ERROR")
