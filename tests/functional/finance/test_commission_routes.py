"""GET /api/v1/stores/{storeId}/commissions: the store's commissions, newest order first, paged and filtered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from souk.db.transactions import WriteTransaction
from souk.finance import ledger
from souk.finance.service import commissions
from souk.finance.store import commissions as store
from souk.finance.store.ledger import post
from souk.ids import new_id
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import admin_token, make_category, make_store
from tests.support import ApiClient, assert_error, record_dynamodb_calls


@pytest.fixture
def shop(api: ApiClient) -> dict[str, Any]:
    admin = admin_token()
    category = make_category(api, admin, "Food")
    token = token_for(create_user("store_owner"))
    made = make_store(api, token, [category["id"]])
    return {"id": made["id"], "owner": token, "admin": admin}


def _url(store_id: str, query: str = "") -> str:
    return f"/api/v1/stores/{store_id}/commissions{query}"


def _commission(store_id: str, *, gross: int = 1000, rate: int = 1000, status: str = "pending", fee: int = 0) -> str:
    """A commission as a paid order leaves it (one line, the delivery ``fee`` beside it), with its sale entry;
    returns the order id."""
    order_id = new_id()
    frozen = commissions.Frozen([{"line": 0, "kind": "product", "productId": "p1", "sku": "s1", "quantity": 1,
                                  "categoryId": None, "gross": gross, "rateBps": rate,
                                  "commission": commissions.commission_of(gross, rate),
                                  "net": gross - commissions.commission_of(gross, rate), "reversedGross": 0,
                                  "reversedCommission": 0, "reversedNet": 0}], fee)  # fmt: skip
    item = store.new_commission(store_id, order_id, "usd", frozen.lines, gross=frozen.gross,
                                commission=frozen.commission, net=frozen.net, delivery_fee=frozen.delivery_fee,
                                paid_at=datetime.now(UTC))  # fmt: skip
    item.status = status
    with WriteTransaction() as tx:
        store.put_new(tx, item)
        post(tx, ledger.sale(store_id, order_id, "usd", gross=frozen.gross, commission=frozen.commission,
                             delivery_fee=frozen.delivery_fee))  # fmt: skip
    return order_id


def test_the_owner_pages_through_their_commissions_newest_first(
    api: ApiClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN three commissions, the last at 5%
    ids = [_commission(shop["id"]), _commission(shop["id"]), _commission(shop["id"], gross=2001, rate=500, fee=350)]
    calls = record_dynamodb_calls(monkeypatch)
    # WHEN the owner reads two at a time
    first = api.get(_url(shop["id"], "?limit=2"), token=shop["owner"])
    # THEN newest first, with a cursor, in a constant number of calls (session, store, one Query)
    assert first.status == 200, first.body
    assert [c["orderId"] for c in first.json["data"]] == [ids[2], ids[1]]
    assert calls == ["GetItem", "GetItem", "Query"]
    newest = first.json["data"][0]
    assert newest["gross"] == {"amount": 2001, "currency": "usd"}
    assert (newest["commission"]["amount"], newest["net"]["amount"], newest["rateBps"]) == (100, 1901, 500)
    # the delivery fee beside the goods: the platform's, in neither gross nor net
    assert (newest["deliveryFee"]["amount"], newest["reversedDeliveryFee"]["amount"]) == (350, 0)
    assert [c["deliveryFee"]["amount"] for c in first.json["data"][1:]] == [0]
    assert newest["status"] == "pending" and newest["availableAt"] is None
    assert newest["lines"][0]["rateBps"] == 500 and newest["lines"][0]["kind"] == "product"
    pagination = first.json["pagination"]
    assert pagination["hasNext"] is True
    # AND the cursor gives the rest
    rest = api.get(_url(shop["id"], f"?limit=2&cursor={pagination['nextCursor']}"), token=shop["owner"])
    assert [c["orderId"] for c in rest.json["data"]] == [ids[0]]
    assert rest.json["pagination"]["hasNext"] is False


def test_status_filters_and_admins_read_any_store(api: ApiClient, shop: dict[str, Any]) -> None:
    pending = _commission(shop["id"])
    done = _commission(shop["id"], status="available")
    response = api.get(_url(shop["id"], "?status=available"), token=shop["admin"])
    assert response.status == 200
    assert [c["orderId"] for c in response.json["data"]] == [done]
    response = api.get(_url(shop["id"], "?status=pending"), token=shop["owner"])
    assert [c["orderId"] for c in response.json["data"]] == [pending]


def test_another_owners_store_and_a_missing_store_are_404(api: ApiClient, shop: dict[str, Any]) -> None:
    _commission(shop["id"])
    stranger = token_for(create_user("store_owner"))
    assert_error(api.get(_url(shop["id"]), token=stranger), 404, "NOT_FOUND")
    assert_error(api.get(_url("01NOSUCHSTORE"), token=shop["owner"]), 404, "NOT_FOUND")


def test_no_token_and_wrong_roles(api: ApiClient, shop: dict[str, Any]) -> None:
    assert_error(api.get(_url(shop["id"])), 401, "UNAUTHORIZED")
    for role in ("customer", "courier"):
        assert_error(api.get(_url(shop["id"]), token=token_for(create_user(role))), 403, "FORBIDDEN")


@pytest.mark.parametrize("query", ["?status=paid", "?limit=0", "?limit=101", "?limit=ten", "?cursor=garbage"])
def test_bad_queries_are_400(api: ApiClient, shop: dict[str, Any], query: str) -> None:
    assert_error(api.get(_url(shop["id"], query), token=shop["owner"]), 400, "VALIDATION_ERROR")


def test_another_lists_cursor_is_400(api: ApiClient, shop: dict[str, Any]) -> None:
    # GIVEN a cursor from another store's list (an admin reading both)
    other = make_store(api, token_for(create_user("store_owner")), [make_category(api, shop["admin"], "Toys")["id"]])
    _commission(other["id"]), _commission(other["id"])
    cursor = api.get(_url(other["id"], "?limit=1"), token=shop["admin"]).json["pagination"]["nextCursor"]
    assert cursor
    # WHEN used on this store's list: 400, never a page of the other store
    assert_error(api.get(_url(shop["id"], f"?cursor={cursor}"), token=shop["admin"]), 400, "VALIDATION_ERROR")


def test_an_overlong_store_id_is_a_400(api: ApiClient, shop: dict[str, Any]) -> None:
    assert_error(api.get(_url("x" * 65), token=shop["owner"]), 400, "VALIDATION_ERROR")
