"""Dispute routes: open (one open per order), list, detail with messages, messages, admin resolution through the
refund path (the store's share reversed; every test's teardown reconciles every store's balance)."""

from __future__ import annotations

from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from souk.caller import Principal
from souk.disputes.schemas.disputes import ResolutionIn
from souk.disputes.service import disputes as service
from souk.finance.store import ledger as ledger_store
from souk.wallet import keys as wallet_keys
from souk.wallet.models import Wallet
from tests.commerce_factories import stored_order, stored_refunds
from tests.dispute_factories import Sale, admin, make_sale
from tests.factories import create_user, queued_jobs, ready_upload, token_for
from tests.finance_support import reconciled, stored_commission
from tests.support import ApiClient, assert_error, record_dynamodb_calls

BODY = {"reason": "Item not as described", "description": "The shoes are the wrong colour."}


def _open(api: ApiClient, sale: Sale, token: str | None = None, **body: Any) -> Any:
    return api.post(f"/api/v1/orders/{sale.order_id}/disputes", token=sale.customer_token if token is None else token,
                    json_body={**BODY, **body})  # fmt: skip


def _opened(api: ApiClient, sale: Sale) -> dict[str, Any]:
    response = _open(api, sale)
    assert response.status == 201, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def _resolve(api: ApiClient, dispute_id: str, token: str | None, **body: Any) -> Any:
    return api.patch(f"/api/v1/disputes/{dispute_id}", token=token, json_body=body)


def _wallet(user_id: str) -> int:
    return int(Wallet.get(wallet_keys.wallet(user_id), wallet_keys.WALLET, consistent_read=True).balance)


def _audits(dispute_id: str) -> list[str]:
    return [a.action for a in AuditRecord.gsi2.query(audit_keys.audit_resource("dispute", dispute_id))]


# ---------------------------------------------------------------- open


def test_the_customer_opens_a_dispute_with_their_own_attachment(api: ApiClient) -> None:
    # GIVEN a delivered order and a finished upload of its customer
    sale = make_sale(api)
    upload = ready_upload(sale.customer, purpose="attachment", content_type="image/jpeg")
    # WHEN they open a dispute about it
    response = _open(api, sale, attachmentUploadIds=[upload])
    # THEN 201: an open dispute of that order and store, with its attachment
    assert response.status == 201, response.body
    data = response.json["data"]
    assert (data["orderId"], data["storeId"], data["customerId"], data["status"], data["resolution"]) == (
        sale.order_id, sale.seller.store.store_id, sale.customer.user_id, "open", None)  # fmt: skip
    assert (data["reason"], data["attachments"], data["messages"], data["messageCount"]) == (
        BODY["reason"], [{"uploadId": upload}], [], 0)  # fmt: skip
    # AND it is audited
    assert _audits(data["id"]) == ["dispute.open"]


def test_one_open_dispute_per_order_and_another_once_it_is_closed(api: ApiClient) -> None:
    # GIVEN an open dispute
    sale = make_sale(api, upto="paid")
    first = _opened(api, sale)
    # WHEN the customer opens a second one: 409
    assert_error(_open(api, sale), 409, "CONFLICT")
    # WHEN an admin rejects the first, a new one may be opened
    _, admin_token = admin()
    assert _resolve(api, first["id"], admin_token, resolution="rejected").status == 200
    again = _open(api, sale)
    assert again.status == 201 and again.json["data"]["id"] != first["id"]


def test_opening_a_dispute_validates_and_guards(api: ApiClient) -> None:
    sale = make_sale(api, upto="paid")
    # 400: blank description, missing reason, another user's upload
    assert_error(_open(api, sale, description="  "), 400, "VALIDATION_ERROR")
    response = api.post(f"/api/v1/orders/{sale.order_id}/disputes", token=sale.customer_token,
                        json_body={"description": "x"})  # fmt: skip
    assert_error(response, 400, "VALIDATION_ERROR")
    stranger = create_user("customer")
    foreign = ready_upload(stranger, purpose="attachment")
    error = assert_error(_open(api, sale, attachmentUploadIds=[foreign]), 400, "VALIDATION_ERROR")
    assert error["error"]["details"][0]["field"] == "attachmentUploadIds"
    # 401 without a token, 403 for a store owner (even the order's)
    assert_error(api.post(f"/api/v1/orders/{sale.order_id}/disputes", json_body=BODY), 401, "UNAUTHORIZED")
    assert_error(_open(api, sale, token=sale.seller.token), 403, "FORBIDDEN")
    # 404: another customer's order, an unknown one
    assert_error(_open(api, sale, token=token_for(stranger)), 404, "NOT_FOUND")
    response = api.post("/api/v1/orders/nope/disputes", token=sale.customer_token, json_body=BODY)
    assert_error(response, 404, "NOT_FOUND")


# ---------------------------------------------------------------- read


def test_each_party_lists_its_own_disputes_newest_first_with_a_status_filter_and_cursor(api: ApiClient) -> None:
    # GIVEN two disputes of one store's orders (one rejected) and one of another store
    first = make_sale(api, upto="paid")
    second = make_sale(api, upto="paid", seller=first.seller)
    other = make_sale(api, upto="paid")
    a, b, c = _opened(api, first), _opened(api, second), _opened(api, other)
    _, admin_token = admin()
    _resolve(api, a["id"], admin_token, resolution="rejected")

    def ids(token: str, query: str = "") -> list[str]:
        response = api.get(f"/api/v1/disputes{query}", token=token)
        assert response.status == 200, response.body
        return [d["id"] for d in response.json["data"]]

    # THEN the customer sees theirs, the store owner their store's, an admin all, newest first
    assert ids(first.customer_token) == [a["id"]]
    assert ids(first.seller.token) == [b["id"], a["id"]]
    assert ids(other.seller.token) == [c["id"]]
    assert ids(admin_token) == [c["id"], b["id"], a["id"]]
    # AND status filters; a page of one has a cursor to the next
    assert ids(first.seller.token, "?status=rejected") == [a["id"]]
    page = api.get("/api/v1/disputes?limit=1", token=admin_token).json
    assert page["pagination"]["hasNext"] is True
    nxt = api.get(f"/api/v1/disputes?limit=1&cursor={page['pagination']['nextCursor']}", token=admin_token)
    assert [d["id"] for d in nxt.json["data"]] == [b["id"]]
    # AND another list's cursor, a bad status: 400; no token 401; a courier 403
    cursor = page["pagination"]["nextCursor"]
    assert_error(api.get(f"/api/v1/disputes?cursor={cursor}", token=first.seller.token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/disputes?status=won", token=admin_token), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/disputes"), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/disputes", token=token_for(create_user("courier"))), 403, "FORBIDDEN")


def test_the_detail_is_for_its_parties_only_and_one_query(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    sale = make_sale(api, upto="paid")
    dispute = _opened(api, sale)
    _, admin_token = admin()
    path = f"/api/v1/disputes/{dispute['id']}"
    api.post(f"{path}/messages", token=sale.seller.token, json_body={"body": "We are looking into it."})
    # THEN its customer, its store's owner and admins read it with its messages
    for token in (sale.customer_token, sale.seller.token, admin_token):
        response = api.get(path, token=token)
        assert response.status == 200, response.body
        assert [m["body"] for m in response.json["data"]["messages"]] == ["We are looking into it."]
    # AND the read is one Query
    calls = record_dynamodb_calls(monkeypatch)
    api.get(path, token=sale.customer_token)
    assert [c for c in calls if c != "GetItem"] == ["Query"]
    # AND another customer, another store owner: 404; a courier 403; no token 401; unknown 404
    for role in ("customer", "store_owner"):
        assert_error(api.get(path, token=token_for(create_user(role))), 404, "NOT_FOUND")
    assert_error(api.get(path, token=token_for(create_user("courier"))), 403, "FORBIDDEN")
    assert_error(api.get(path), 401, "UNAUTHORIZED")
    assert_error(api.get("/api/v1/disputes/nope", token=admin_token), 404, "NOT_FOUND")


# ---------------------------------------------------------------- messages


def test_the_thread_writes_and_everyone_else_in_it_is_emailed(api: ApiClient, aws_resources: dict[str, str]) -> None:
    sale = make_sale(api, upto="paid")
    dispute = _opened(api, sale)
    admin_user, admin_token = admin()
    path = f"/api/v1/disputes/{dispute['id']}/messages"
    queued_jobs(aws_resources["EmailQueue"])  # earlier emails (the order's)
    # WHEN the customer writes (with an attachment), then the store, then an admin
    upload = ready_upload(sale.customer, purpose="attachment")
    first = api.post(path, token=sale.customer_token, json_body={"body": "Photo attached.",
                                                                 "attachmentUploadIds": [upload]})  # fmt: skip
    assert first.status == 201, first.body
    assert (first.json["data"]["role"], first.json["data"]["attachments"]) == ("customer", [{"uploadId": upload}])
    mails = [(j["to"], j["template"]) for j in queued_jobs(aws_resources["EmailQueue"]) if j["channel"] == "email"]
    assert mails == [(sale.seller.user.email, "dispute_message")]  # the store owner, not the author
    assert api.post(path, token=sale.seller.token, json_body={"body": "Sorry!"}).status == 201
    assert api.post(path, token=admin_token, json_body={"body": "Support here."}).status == 201
    mails = [(j["to"], j["template"]) for j in queued_jobs(aws_resources["EmailQueue"]) if j["channel"] == "email"]
    assert sorted(mails) == sorted([(sale.customer.email, "dispute_message"), (sale.customer.email, "dispute_message"),
                                    (sale.seller.user.email, "dispute_message")])  # fmt: skip
    # THEN the detail has them oldest first, with who wrote them
    detail = api.get(f"/api/v1/disputes/{dispute['id']}", token=sale.customer_token).json["data"]
    assert [(m["role"], m["body"]) for m in detail["messages"]] == [
        ("customer", "Photo attached."), ("store_owner", "Sorry!"), ("admin", "Support here.")]  # fmt: skip
    assert detail["messageCount"] == 3
    assert _audits(dispute["id"]).count("dispute.message") == 3
    # AND once closed, the admin who wrote is emailed the outcome too, and no one may write: 409
    assert _resolve(api, dispute["id"], admin_token, resolution="rejected", note="Colour as pictured.").status == 200
    told = {j["to"] for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "dispute_resolved"}
    assert told == {sale.customer.email, sale.seller.user.email, admin_user.email}
    assert_error(api.post(path, token=sale.customer_token, json_body={"body": "But!"}), 409, "INVALID_STATE")


def test_writing_validates_and_guards(api: ApiClient) -> None:
    sale = make_sale(api, upto="paid")
    path = f"/api/v1/disputes/{_opened(api, sale)['id']}/messages"
    assert_error(api.post(path, token=sale.customer_token, json_body={"body": " "}), 400, "VALIDATION_ERROR")
    assert_error(api.post(path, token=sale.customer_token, json_body={}), 400, "VALIDATION_ERROR")
    assert_error(api.post(path, json_body={"body": "hi"}), 401, "UNAUTHORIZED")
    assert_error(api.post(path, token=token_for(create_user("courier")), json_body={"body": "hi"}), 403, "FORBIDDEN")
    for role in ("customer", "store_owner"):
        response = api.post(path, token=token_for(create_user(role)), json_body={"body": "hi"})
        assert_error(response, 404, "NOT_FOUND")


# ---------------------------------------------------------------- resolution


def test_a_wallet_refund_resolution_refunds_through_the_refund_path_and_reverses_the_stores_share(
    api: ApiClient,
) -> None:
    # GIVEN a delivered order of 3 x 5999 paid from the wallet, 10% commission, and an open dispute
    sale = make_sale(api)
    store_id = sale.seller.store.store_id
    net_before = reconciled(store_id)["pending"]
    assert net_before == sale.paid - 1800  # 17997 less 10% (1799.7 -> 1800)
    dispute = _opened(api, sale)
    _, admin_token = admin()
    # WHEN an admin resolves it with a 5999 refund to the wallet
    response = _resolve(api, dispute["id"], admin_token, resolution="refund_wallet",
                        amount={"amount": 5999, "currency": "usd"}, note="One pair refunded.")  # fmt: skip
    # THEN 200: resolved, with the amount and the refund
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["status"], data["resolution"], data["amount"], data["note"]) == (
        "resolved", "refund_wallet", {"amount": 5999, "currency": "usd"}, "One pair refunded.")  # fmt: skip
    # AND the refund went through the refund path: one refund, the order partially refunded, the wallet credited
    order = stored_order(sale.order_id)
    [refund] = stored_refunds(order.payment_id)
    assert (refund.refund_id, int(refund.amount), refund.status, refund.to) == (data["refundId"], 5999, "succeeded",
                                                                                "wallet")  # fmt: skip
    assert (order.status, int(order.refunded_amount)) == ("partially_refunded", 5999)
    assert _wallet(sale.customer.user_id) == 5999
    # AND the store's share of it is reversed through the finance ledger (600 of commission stays with Souk)
    keys = {e.business_key for e in ledger_store.entries(store_id)}
    assert f"REVERSAL#{refund.refund_id}" in keys
    assert reconciled(store_id)["pending"] == net_before - (5999 - 600)
    assert stored_commission(store_id, sale.order_id).status == "partially_reversed"
    # AND it is audited once; a second resolution is 409 and refunds nothing more
    assert _audits(dispute["id"]).count("dispute.resolve") == 1
    again = _resolve(api, dispute["id"], admin_token, resolution="refund_wallet")
    assert_error(again, 409, "INVALID_STATE")
    assert len(stored_refunds(order.payment_id)) == 1


def test_refund_original_without_an_amount_refunds_all_that_is_left(api: ApiClient) -> None:
    sale = make_sale(api, quantity=1)
    dispute = _opened(api, sale)
    _, admin_token = admin()
    response = _resolve(api, dispute["id"], admin_token, resolution="refund_original")
    assert response.status == 200, response.body
    assert response.json["data"]["amount"] == {"amount": sale.paid, "currency": "usd"}
    order = stored_order(sale.order_id)
    assert (order.status, int(order.refunded_amount)) == ("refunded", sale.paid)
    # a wallet payment's original place is the wallet
    assert _wallet(sale.customer.user_id) == sale.paid
    assert stored_commission(sale.seller.store.store_id, sale.order_id).status == "reversed"


def test_a_resolution_is_capped_by_what_is_left_and_validated(api: ApiClient) -> None:
    sale = make_sale(api, quantity=1)
    dispute = _opened(api, sale)
    _, admin_token = admin()
    # above what was paid: 422 with what is refundable, and the dispute stays open
    over = _resolve(api, dispute["id"], admin_token, resolution="refund_wallet",
                    amount={"amount": sale.paid + 1, "currency": "usd"})  # fmt: skip
    assert assert_error(over, 422, "UNPROCESSABLE_ENTITY")["data"] == {"refundable": sale.paid}
    assert api.get(f"/api/v1/disputes/{dispute['id']}", token=admin_token).json["data"]["status"] == "open"
    # 400: another currency, a bare number, an amount on a rejection, an unknown resolution
    for body in ({"resolution": "refund_wallet", "amount": {"amount": 100, "currency": "eur"}},
                 {"resolution": "refund_wallet", "amount": 100},
                 {"resolution": "rejected", "amount": {"amount": 100, "currency": "usd"}},
                 {"resolution": "refund_card"}):  # fmt: skip
        assert_error(_resolve(api, dispute["id"], admin_token, **body), 400, "VALIDATION_ERROR")
    # 401, 403 for the customer and the store owner, 404 unknown
    assert_error(_resolve(api, dispute["id"], None, resolution="rejected"), 401, "UNAUTHORIZED")
    for token in (sale.customer_token, sale.seller.token):
        assert_error(_resolve(api, dispute["id"], token, resolution="rejected"), 403, "FORBIDDEN")
    assert_error(_resolve(api, "nope", admin_token, resolution="rejected"), 404, "NOT_FOUND")
    # nothing was refunded
    assert stored_refunds(stored_order(sale.order_id).payment_id) == []


def test_a_rejection_closes_it_without_money(api: ApiClient) -> None:
    sale = make_sale(api, quantity=1)
    dispute = _opened(api, sale)
    _, admin_token = admin()
    response = _resolve(api, dispute["id"], admin_token, resolution="rejected", note="As described.")
    assert response.status == 200, response.body
    assert (response.json["data"]["status"], response.json["data"]["amount"]) == ("rejected", None)
    assert stored_order(sale.order_id).status == "delivered"
    assert_error(_resolve(api, dispute["id"], admin_token, resolution="rejected"), 409, "INVALID_STATE")


def test_an_admin_who_reads_the_order_after_another_admins_full_refund_gets_409(
    api: ApiClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an open dispute, and a second admin whose full refund commits just after the first read it open
    sale = make_sale(api, quantity=1)
    dispute = _opened(api, sale)
    (_, first), (second, _) = admin(), admin()
    real_load = service.load_order

    def load_after_the_other_admin(order_id: str) -> Any:
        monkeypatch.setattr(service, "load_order", real_load)
        other = Principal(second.user_id, "admin", None)
        assert service.resolve(other, dispute["id"], ResolutionIn(resolution="refund_wallet")).status == "resolved"
        return real_load(order_id)

    monkeypatch.setattr(service, "load_order", load_after_the_other_admin)
    # WHEN the first admin's resolution goes on with the order as it is now (nothing left to refund)
    response = _resolve(api, dispute["id"], first, resolution="refund_original")
    # THEN it is told the dispute is closed (409), not that nothing is left (422); one refund was made
    assert_error(response, 409, "INVALID_STATE")
    assert len(stored_refunds(stored_order(sale.order_id).payment_id)) == 1
