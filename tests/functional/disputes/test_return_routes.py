"""Return routes: request (never more than bought minus asked already), list, and the store's moves
(received restocks, refunded refunds the lines' value through the refund path once, rejected releases)."""

from __future__ import annotations

from typing import Any

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.finance.store import ledger as ledger_store
from tests.commerce_factories import stored_order, stored_refunds
from tests.dispute_factories import PRICE, SKU, Sale, admin, make_sale, stock_of
from tests.factories import create_user, queued_jobs, token_for
from tests.finance_support import reconciled
from tests.support import ApiClient, assert_error


def _request(api: ApiClient, sale: Sale, *items: tuple[str, int], token: str | None = None,
             reason: str = "Too small") -> Any:  # fmt: skip
    body = {"items": [{"variantSku": sku, "quantity": q} for sku, q in items], "reason": reason}
    return api.post(f"/api/v1/orders/{sale.order_id}/returns", token=sale.customer_token if token is None else token,
                    json_body=body)  # fmt: skip


def _requested(api: ApiClient, sale: Sale, quantity: int) -> dict[str, Any]:
    response = _request(api, sale, (SKU, quantity))
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def _move(api: ApiClient, return_id: str, token: str | None, status: str, **body: Any) -> Any:
    return api.patch(f"/api/v1/returns/{return_id}", token=token, json_body={"status": status, **body})


# ---------------------------------------------------------------- request


def test_returns_ask_back_at_most_what_was_bought_across_several_requests(api: ApiClient) -> None:
    # GIVEN a delivered order of 3 units
    sale = make_sale(api, quantity=3)
    # WHEN the customer asks 2 back, then 1
    first = _request(api, sale, (SKU, 2))
    assert first.status == 201, first.body
    data = first.json["data"]
    assert (data["orderId"], data["status"], data["reason"], data["storeId"]) == (
        sale.order_id, "requested", "Too small", sale.seller.store.store_id)  # fmt: skip
    assert data["items"] == [{"variantSku": SKU, "productId": sale.product_id, "quantity": 2,
                              "value": {"amount": 2 * PRICE, "currency": "usd"}}]  # fmt: skip
    assert _request(api, sale, (SKU, 1)).status == 201
    # THEN a third unit is more than was bought: 422 with what is left (none)
    over = assert_error(_request(api, sale, (SKU, 1)), 422, "UNPROCESSABLE_ENTITY")
    assert over["data"]["returnable"] == [{"productId": sale.product_id, "variantSku": SKU, "quantity": 0}]
    # AND each request is audited
    audits = list(AuditRecord.gsi2.query(audit_keys.audit_resource("return", data["id"])))
    assert [a.action for a in audits] == ["return.request"]


def test_a_rejected_return_gives_its_units_back_to_ask_again(api: ApiClient) -> None:
    sale = make_sale(api, quantity=2)
    first = _requested(api, sale, 2)
    assert_error(_request(api, sale, (SKU, 1)), 422, "UNPROCESSABLE_ENTITY")
    # WHEN the store rejects it
    response = _move(api, first["id"], sale.seller.token, "rejected", reason="Worn")
    assert response.status == 200, response.body
    assert (response.json["data"]["status"], response.json["data"]["statusReason"]) == ("rejected", "Worn")
    # THEN the 2 units may be asked back again
    assert _request(api, sale, (SKU, 2)).status == 201


def test_requesting_validates_and_guards(api: ApiClient) -> None:
    sale = make_sale(api, quantity=1)
    # 400: unknown SKU, quantity 0, no items, no reason
    error = assert_error(_request(api, sale, ("NOPE", 1)), 400, "VALIDATION_ERROR")
    assert error["error"]["details"][0]["field"] == "items[0].variantSku"
    assert_error(_request(api, sale, (SKU, 0)), 400, "VALIDATION_ERROR")
    assert_error(_request(api, sale), 400, "VALIDATION_ERROR")
    response = api.post(f"/api/v1/orders/{sale.order_id}/returns", token=sale.customer_token,
                        json_body={"items": [{"variantSku": SKU, "quantity": 1}]})  # fmt: skip
    assert_error(response, 400, "VALIDATION_ERROR")
    # 401, 403 for a store owner, 404 for another customer's order
    body = {"items": [{"variantSku": SKU, "quantity": 1}], "reason": "Too small"}
    assert_error(api.post(f"/api/v1/orders/{sale.order_id}/returns", json_body=body), 401, "UNAUTHORIZED")
    assert_error(_request(api, sale, (SKU, 1), token=sale.seller.token), 403, "FORBIDDEN")
    assert_error(_request(api, sale, (SKU, 1), token=token_for(create_user("customer"))), 404, "NOT_FOUND")
    # 409 for an order not delivered yet
    shipping = make_sale(api, quantity=1, upto="picked_up")
    assert_error(_request(api, shipping, (SKU, 1)), 409, "INVALID_STATE")


# ---------------------------------------------------------------- moves


def test_approved_received_refunded_restocks_and_refunds_the_lines_value_once(
    api: ApiClient, aws_resources: dict[str, str]
) -> None:
    # GIVEN a delivered order of 3 (stock 10 -> 7) and a return of 2
    sale = make_sale(api, quantity=3)
    store_id = sale.seller.store.store_id
    assert stock_of(sale.product_id) == 7
    item = _requested(api, sale, 2)
    queued_jobs(aws_resources["EmailQueue"])
    # WHEN the store owner approves it and receives the items
    assert _move(api, item["id"], sale.seller.token, "approved").status == 200
    received = _move(api, item["id"], sale.seller.token, "received")
    assert received.status == 200, received.body
    # THEN the units are back in stock
    assert stock_of(sale.product_id) == 9
    # AND receiving again is 409 and restocks nothing more
    assert_error(_move(api, item["id"], sale.seller.token, "received"), 409, "INVALID_STATE")
    assert stock_of(sale.product_id) == 9
    # WHEN it is refunded
    net_before = reconciled(store_id)["pending"]
    refunded = _move(api, item["id"], sale.seller.token, "refunded")
    assert refunded.status == 200, refunded.body
    data = refunded.json["data"]
    assert (data["status"], data["refunded"]) == ("refunded", {"amount": 2 * PRICE, "currency": "usd"})
    assert [h["status"] for h in data["history"]] == ["requested", "approved", "received", "refunded"]
    # THEN one refund of the two units' value through the refund path; the store's share is reversed
    order = stored_order(sale.order_id)
    [refund] = stored_refunds(order.payment_id)
    assert (refund.refund_id, int(refund.amount)) == (data["refundId"], 2 * PRICE)
    assert (order.status, int(order.refunded_amount)) == ("partially_refunded", 2 * PRICE)
    assert f"REVERSAL#{refund.refund_id}" in {e.business_key for e in ledger_store.entries(store_id)}
    assert reconciled(store_id)["pending"] == net_before - (2 * PRICE - 1200)  # 10% of 11998 stays with Souk
    # AND refunding again is 409 with no second refund
    assert_error(_move(api, item["id"], sale.seller.token, "refunded"), 409, "INVALID_STATE")
    assert len(stored_refunds(order.payment_id)) == 1
    # AND the customer was told of each move; each move is audited
    told = [j["variables"]["status"] for j in queued_jobs(aws_resources["EmailQueue"])
            if j["template"] == "return_status_changed" and j["channel"] == "email"]  # fmt: skip
    assert told == ["approved", "received", "refunded"]
    audits = [a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("return", item["id"]))]
    assert audits.count("return.status") == 3
    # AND the rest of the order may still be returned (it stays delivered under its partial refund)
    assert _request(api, sale, (SKU, 1)).status == 201


def test_moves_follow_the_chain_and_are_for_the_stores_owner_or_admins(api: ApiClient) -> None:
    sale = make_sale(api, quantity=1)
    item = _requested(api, sale, 1)
    # 409: not the next step
    for status in ("received", "refunded"):
        assert_error(_move(api, item["id"], sale.seller.token, status), 409, "INVALID_STATE")
    # 400: unknown status, a status the route does not set
    assert_error(_move(api, item["id"], sale.seller.token, "lost"), 400, "VALIDATION_ERROR")
    assert_error(_move(api, item["id"], sale.seller.token, "requested"), 400, "VALIDATION_ERROR")
    # 401, 403 for the customer, 404 for another store's owner and an unknown return
    assert_error(_move(api, item["id"], None, "approved"), 401, "UNAUTHORIZED")
    assert_error(_move(api, item["id"], sale.customer_token, "approved"), 403, "FORBIDDEN")
    assert_error(_move(api, item["id"], token_for(create_user("store_owner")), "approved"), 404, "NOT_FOUND")
    _, admin_token = admin()
    assert_error(_move(api, "nope", admin_token, "approved"), 404, "NOT_FOUND")
    # an admin may move any store's return
    assert _move(api, item["id"], admin_token, "approved").status == 200


def test_each_party_lists_its_own_returns(api: ApiClient) -> None:
    sale, other = make_sale(api, quantity=2), make_sale(api, quantity=1)
    a, b = _requested(api, sale, 1), _requested(api, sale, 1)
    c = _requested(api, other, 1)
    _move(api, a["id"], sale.seller.token, "approved")
    _, admin_token = admin()

    def ids(token: str, query: str = "") -> list[str]:
        response = api.get(f"/api/v1/returns{query}", token=token)
        assert response.status == 200, response.body
        return [r["id"] for r in response.json["data"]]

    assert ids(sale.customer_token) == [b["id"], a["id"]]
    assert ids(other.seller.token) == [c["id"]]
    assert ids(admin_token) == [c["id"], b["id"], a["id"]]
    assert ids(sale.seller.token, "?status=approved") == [a["id"]]
    assert ids(sale.customer_token, "?limit=1") == [b["id"]]
    assert_error(api.get("/api/v1/returns?status=gone", token=admin_token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/returns"), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/returns", token=token_for(create_user("courier"))), 403, "FORBIDDEN")
