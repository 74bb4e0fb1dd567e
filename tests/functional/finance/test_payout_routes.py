"""Payouts through the routes (moto), the payouts worker (moto SQS) and Stripe Connect (localstripe).

POST /stores/{storeId}/payouts, GET /payouts, PATCH /admin/payouts/{payoutId}, the worker
and ``transfer.reversed``. Balances are credited through the ledger (a sale, then its release).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from stripe import StripeClient

from infra import handlers, template
from infra.local.events import LambdaContext, sqs_event
from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.db.transactions import WriteTransaction
from souk.finance import ledger
from souk.finance.keys import entry_sort, store_finance
from souk.finance.models import LedgerEntry, Payout
from souk.finance.service.balance import reconcile
from souk.finance.store import accounts as account_store
from souk.finance.store.ledger import post
from souk.finance.store.payouts import load_payout
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import admin_token, make_category, make_store
from tests.stripe_support import WEBHOOK_PATH, event, signed_request
from tests.support import ApiClient, HttpResponse, assert_error, record_dynamodb_calls

Worker = Callable[[dict[str, Any]], dict[str, Any]]


# ---------------------------------------------------------------- helpers (the account tests use them too)


@pytest.fixture
def shop(api: ApiClient) -> dict[str, Any]:
    admin = admin_token()
    category = make_category(api, admin, "Food")
    owner = create_user("store_owner")
    token = token_for(owner)
    store = make_store(api, token, [category["id"]])
    return {"id": store["id"], "owner": token, "owner_id": owner.user_id, "admin": admin, "category": category["id"]}


def credit(store_id: str, amount: int, currency: str = "usd") -> None:
    """``amount`` of net made available: a sale (no commission) then its release, through the ledger."""
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    for entry in (ledger.sale(store_id, order_id, currency, gross=amount, commission=0),
                  ledger.release(store_id, order_id, currency, net=amount)):  # fmt: skip
        with WriteTransaction() as tx:
            post(tx, entry)


def set_account(store_id: str, status: str = "active", stripe_account_id: str | None = None) -> None:
    """The store's payout account item, as account.updated would have left it (no Stripe call)."""
    item = account_store.new_account(store_id, stripe_account_id or f"acct_1{uuid.uuid4().hex[:15]}")
    item.status = status
    item.save()


def stripe_client(server: LocalStripe) -> StripeClient:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}, max_network_retries=0)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def visit(url: str) -> tuple[int, str]:
    """A browser opening an onboarding link, stopping at the redirect: (status, Location)."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def onboarded_account(server: LocalStripe) -> str:
    """An Express account at localstripe whose owner finished onboarding (transfers active)."""
    client = stripe_client(server)
    account = client.v1.accounts.create(params={"type": "express", "capabilities": {"transfers": {"requested": True}}})
    link = client.v1.account_links.create(params={"account": account.id, "refresh_url": "http://localhost:3000/r",
                                                  "return_url": "http://localhost:3000/d",
                                                  "type": "account_onboarding"})  # fmt: skip
    assert visit(link.url)[0] == 302
    return str(account.id)


def dev_hook(server: LocalStripe, path: str) -> Any:
    request = urllib.request.Request(server.url + path, data=b"", method="POST")
    request.add_header("Authorization", f"Bearer {TEST_SECRET_KEY}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def deliver(api: ApiClient, event_type: str, obj: dict[str, Any], *, created: int | None = None) -> HttpResponse:
    body, headers = signed_request(event(event_type, obj, created=created))
    return api.post(WEBHOOK_PATH, body=body, headers=headers)


def _url(store_id: str) -> str:
    return f"/api/v1/stores/{store_id}/payouts"


def request_payout(api: ApiClient, shop: dict[str, Any], amount: int, *, key: str | None = None,
                   currency: str = "usd") -> HttpResponse:  # fmt: skip
    headers = {"Idempotency-Key": key} if key else None
    return api.post(_url(shop["id"]), json_body={"amount": {"amount": amount, "currency": currency}},
                    token=shop["owner"], headers=headers)  # fmt: skip


def decide(api: ApiClient, token: str, payout_id: str, **body: Any) -> HttpResponse:
    return api.patch(f"/api/v1/admin/payouts/{payout_id}", json_body=body, token=token)


def balance(api: ApiClient, shop: dict[str, Any]) -> dict[str, int]:
    data = api.get(f"/api/v1/stores/{shop['id']}/balance", token=shop["owner"]).json["data"]
    return {key: data[key]["amount"] for key in ("available", "pending", "inPayout", "paidOut")}


def entry_keys(store_id: str) -> list[str]:
    found = LedgerEntry.query(store_finance(store_id), LedgerEntry.sk.startswith("ENTRY#PAYOUT#"), consistent_read=True)
    return sorted(item.business_key for item in found)


def _queued(refs: dict[str, str]) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="us-east-1")
    return sqs.receive_message(QueueUrl=refs["PayoutsQueue"], MaxNumberOfMessages=10,
                               AttributeNames=["All"]).get("Messages", [])  # fmt: skip


def _queue_arn(refs: dict[str, str]) -> str:
    sqs = boto3.client("sqs", region_name="us-east-1")
    found = sqs.get_queue_attributes(QueueUrl=refs["PayoutsQueue"], AttributeNames=["QueueArn"])
    return str(found["Attributes"]["QueueArn"])


@pytest.fixture
def worker(aws_resources: dict[str, str]) -> Iterator[Worker]:
    """The template's PayoutsWorkerFunction, imported by path."""
    function = next(f for f in template.functions() if f.logical_id == "PayoutsWorkerFunction")
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda sent: handler(sent, LambdaContext("souk-test-payouts-worker", timeout_seconds=25))
    handlers.unload(function)


def payout_message(refs: dict[str, str], payout_id: str) -> dict[str, Any]:
    """An SQS event of one payouts-queue message, as Lambda delivers it."""
    message = {"MessageId": str(uuid.uuid4()), "ReceiptHandle": uuid.uuid4().hex,
               "Body": json.dumps({"payoutId": payout_id}), "Attributes": {"ApproximateReceiveCount": "1"}}  # fmt: skip
    return sqs_event(_queue_arn(refs), [message])


def approved_payout(api: ApiClient, shop: dict[str, Any], amount: int = 2_000) -> str:
    response = request_payout(api, shop, amount)
    assert response.status == 201, response.body
    payout_id = response.json["data"]["id"]
    assert decide(api, shop["admin"], payout_id, status="approved").status == 200
    return str(payout_id)


# ---------------------------------------------------------------- requesting a payout


def test_a_payout_request_takes_the_amount_out_of_available_at_once(api: ApiClient, shop: dict[str, Any]) -> None:
    # GIVEN 5000 available and an active payout account
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    # WHEN the owner asks for 2000
    response = request_payout(api, shop, 2_000)
    # THEN it is requested, and the amount moved from available to in payout
    assert response.status == 201, response.body
    data = response.json["data"]
    assert (data["storeId"], data["amount"], data["status"]) == (shop["id"], {"amount": 2_000, "currency": "usd"},
                                                                 "requested")  # fmt: skip
    assert data["transferId"] is None and data["paidAt"] is None and data["requestedAt"]
    assert balance(api, shop) == {"available": 3_000, "pending": 0, "inPayout": 2_000, "paidOut": 0}
    assert entry_keys(shop["id"]) == [f"PAYOUT#{data['id']}#REQUEST"]
    assert reconcile(shop["id"]).matches


def test_an_idempotency_key_replays_the_first_request(api: ApiClient, shop: dict[str, Any]) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    first = request_payout(api, shop, 1_500, key="payout-1")
    again = request_payout(api, shop, 1_500, key="payout-1")
    assert (first.status, again.status) == (201, 201)
    assert again.json["data"]["id"] == first.json["data"]["id"]
    assert balance(api, shop)["available"] == 3_500
    # AND the key with another body is 409 IDEMPOTENCY_CONFLICT, with nothing moved
    assert_error(request_payout(api, shop, 1_600, key="payout-1"), 409, "IDEMPOTENCY_CONFLICT")
    assert balance(api, shop)["available"] == 3_500


def test_more_than_available_is_409_insufficient_funds(api: ApiClient, shop: dict[str, Any]) -> None:
    credit(shop["id"], 1_500)
    set_account(shop["id"])
    assert_error(request_payout(api, shop, 1_501), 409, "INSUFFICIENT_FUNDS")
    assert balance(api, shop) == {"available": 1_500, "pending": 0, "inPayout": 0, "paidOut": 0}
    assert reconcile(shop["id"]).matches


def test_below_the_minimum_or_without_an_active_account_is_422(api: ApiClient, shop: dict[str, Any]) -> None:
    credit(shop["id"], 5_000)
    # no payout account at all, then a pending and a restricted one
    error = assert_error(request_payout(api, shop, 2_000), 422, "UNPROCESSABLE_ENTITY")
    assert "active payout account" in error["error"]["message"]
    for status in ("pending", "restricted"):
        set_account(shop["id"], status)
        assert_error(request_payout(api, shop, 2_000), 422, "UNPROCESSABLE_ENTITY")
    # an active account, but under the default minimum of 10.00 USD
    set_account(shop["id"])
    error = assert_error(request_payout(api, shop, 999), 422, "UNPROCESSABLE_ENTITY")
    assert "10.00 USD" in error["error"]["message"]
    assert balance(api, shop)["available"] == 5_000


@pytest.mark.parametrize(("body", "field"), [
    ({"amount": 2000}, "amount"),
    ({"amount": {"amount": 2000, "currency": "usd"}, "note": "x"}, "note"),
    ({"amount": {"amount": 20.5, "currency": "usd"}}, "amount.amount"),
    ({"amount": {"amount": 2000, "currency": "eur"}}, "amount.currency"),
    ({}, "amount"),
])  # fmt: skip
def test_bad_bodies_are_400(api: ApiClient, shop: dict[str, Any], body: dict[str, Any], field: str) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    error = assert_error(api.post(_url(shop["id"]), json_body=body, token=shop["owner"]), 400, "VALIDATION_ERROR")
    assert field in [detail["field"] for detail in error["error"]["details"]], error
    assert balance(api, shop)["available"] == 5_000


def test_payout_request_auth(api: ApiClient, shop: dict[str, Any]) -> None:
    body = {"amount": {"amount": 2_000, "currency": "usd"}}
    assert_error(api.post(_url(shop["id"]), json_body=body), 401, "UNAUTHORIZED")
    for token in (token_for(create_user("customer")), token_for(create_user("courier")), shop["admin"]):
        assert_error(api.post(_url(shop["id"]), json_body=body, token=token), 403, "FORBIDDEN")
    # another owner's store, and a store that does not exist, are 404
    stranger = token_for(create_user("store_owner"))
    assert_error(api.post(_url(shop["id"]), json_body=body, token=stranger), 404, "NOT_FOUND")
    assert_error(api.post(_url("01NOSUCHSTORE"), json_body=body, token=shop["owner"]), 404, "NOT_FOUND")


# ---------------------------------------------------------------- GET /payouts


def test_owners_list_their_payouts_newest_first_and_admins_everyones(
    api: ApiClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN three payouts of one owner, one of them rejected, and one of another owner
    credit(shop["id"], 10_000)
    set_account(shop["id"])
    ids = [request_payout(api, shop, amount).json["data"]["id"] for amount in (1_000, 1_100, 1_200)]
    assert decide(api, shop["admin"], ids[0], status="rejected", reason="Wrong bank").status == 200
    other_owner = create_user("store_owner")
    other = {"id": make_store(api, token_for(other_owner), [shop["category"]])["id"], "owner": token_for(other_owner)}
    credit(other["id"], 5_000)
    set_account(other["id"])
    other_id = request_payout(api, other, 1_000).json["data"]["id"]
    # WHEN the owner lists (a constant number of reads)
    calls = record_dynamodb_calls(monkeypatch)
    mine = api.get("/api/v1/payouts", token=shop["owner"])
    assert calls == ["GetItem", "Query"], calls  # the caller's session, one page
    # THEN theirs only, newest first
    assert [p["id"] for p in mine.json["data"]] == ids[::-1]
    assert mine.json["pagination"]["hasNext"] is False
    # AND filters by status and by their store
    requested = api.get("/api/v1/payouts?status=requested", token=shop["owner"]).json["data"]
    assert [p["id"] for p in requested] == ids[:0:-1]
    calls.clear()
    by_store = api.get(f"/api/v1/payouts?storeId={shop['id']}&status=rejected", token=shop["owner"])
    assert [p["id"] for p in by_store.json["data"]] == [ids[0]]
    assert by_store.json["data"][0]["failureReason"] == "Wrong bank"
    assert calls.count("Query") == 1 and len(calls) <= 3, calls  # session, store, one page
    # AND pages with limit and cursor
    first = api.get("/api/v1/payouts?limit=2", token=shop["owner"]).json
    assert [p["id"] for p in first["data"]] == [ids[2], ids[1]] and first["pagination"]["hasNext"] is True
    rest = api.get(f"/api/v1/payouts?limit=2&cursor={first['pagination']['nextCursor']}", token=shop["owner"]).json
    assert [p["id"] for p in rest["data"]] == [ids[0]]
    # AND another owner's store is 404
    assert_error(api.get(f"/api/v1/payouts?storeId={other['id']}", token=shop["owner"]), 404, "NOT_FOUND")
    # AND an admin sees everyone's, or one store's, or one status's
    everyone = api.get("/api/v1/payouts", token=shop["admin"]).json["data"]
    assert [p["id"] for p in everyone] == [other_id, *ids[::-1]]
    one_store = api.get(f"/api/v1/payouts?storeId={other['id']}", token=shop["admin"]).json["data"]
    assert [p["id"] for p in one_store] == [other_id]
    rejected = api.get("/api/v1/payouts?status=rejected", token=shop["admin"]).json["data"]
    assert [p["id"] for p in rejected] == [ids[0]]


def test_payout_list_validation_and_auth(api: ApiClient, shop: dict[str, Any]) -> None:
    assert_error(api.get("/api/v1/payouts"), 401, "UNAUTHORIZED")
    for role in ("customer", "courier"):
        assert_error(api.get("/api/v1/payouts", token=token_for(create_user(role))), 403, "FORBIDDEN")
    for query in ("status=sent", "limit=0", "limit=101", "cursor=garbled", f"storeId={'x' * 65}"):
        assert_error(api.get(f"/api/v1/payouts?{query}", token=shop["owner"]), 400, "VALIDATION_ERROR")
    assert_error(api.get("/api/v1/payouts?storeId=01NOSUCHSTORE", token=shop["admin"]), 404, "NOT_FOUND")


# ---------------------------------------------------------------- an admin's decision


def test_approving_queues_the_payout_once(api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str]) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    payout_id = request_payout(api, shop, 2_000).json["data"]["id"]
    response = decide(api, shop["admin"], payout_id, status="approved")
    assert response.status == 200 and response.json["data"]["status"] == "approved"
    assert [json.loads(m["Body"]) for m in _queued(aws_resources)] == [{"payoutId": payout_id}]
    # a second approval is 409 INVALID_STATE and queues nothing
    assert_error(decide(api, shop["admin"], payout_id, status="approved"), 409, "INVALID_STATE")
    assert balance(api, shop) == {"available": 3_000, "pending": 0, "inPayout": 2_000, "paidOut": 0}


@pytest.mark.parametrize("approve_first", [False, True])
def test_rejecting_returns_the_amount_with_the_reason(
    api: ApiClient, shop: dict[str, Any], approve_first: bool
) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    payout_id = request_payout(api, shop, 2_000).json["data"]["id"]
    if approve_first:
        assert decide(api, shop["admin"], payout_id, status="approved").status == 200
    response = decide(api, shop["admin"], payout_id, status="rejected", reason="Bank details do not match")
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["status"], data["failureReason"]) == ("rejected", "Bank details do not match")
    assert balance(api, shop) == {"available": 5_000, "pending": 0, "inPayout": 0, "paidOut": 0}
    assert entry_keys(shop["id"]) == sorted([f"PAYOUT#{payout_id}#REQUEST", f"PAYOUT#{payout_id}#RETURN"])
    assert reconcile(shop["id"]).matches
    # nothing moves a rejected payout again
    for status in ("approved", "rejected", "failed"):
        assert_error(decide(api, shop["admin"], payout_id, status=status), 409, "INVALID_STATE")
    assert balance(api, shop)["available"] == 5_000


def test_failed_only_from_approved_and_returns_the_amount(api: ApiClient, shop: dict[str, Any]) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    payout_id = request_payout(api, shop, 2_000).json["data"]["id"]
    assert_error(decide(api, shop["admin"], payout_id, status="failed"), 409, "INVALID_STATE")
    assert decide(api, shop["admin"], payout_id, status="approved").status == 200
    response = decide(api, shop["admin"], payout_id, status="failed")
    assert response.status == 200
    assert response.json["data"]["failureReason"] == "Marked failed by an administrator."
    assert balance(api, shop)["available"] == 5_000 and reconcile(shop["id"]).matches


def test_admin_payout_update_validation_and_auth(api: ApiClient, shop: dict[str, Any]) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    payout_id = request_payout(api, shop, 2_000).json["data"]["id"]
    path = f"/api/v1/admin/payouts/{payout_id}"
    for body in ({"status": "paid"}, {"status": "approved", "extra": 1}, {}, {"status": "rejected", "reason": " "}):
        assert_error(api.patch(path, json_body=body, token=shop["admin"]), 400, "VALIDATION_ERROR")
    assert_error(api.patch(path, json_body={"status": "approved"}), 401, "UNAUTHORIZED")
    for token in (shop["owner"], token_for(create_user("customer"))):
        assert_error(api.patch(path, json_body={"status": "approved"}, token=token), 403, "FORBIDDEN")
    assert_error(decide(api, shop["admin"], "01NOSUCHPAYOUT", status="approved"), 404, "NOT_FOUND")
    assert load_payout(payout_id).status == "requested"  # type: ignore[union-attr]


# ---------------------------------------------------------------- the worker, with Stripe Connect on localstripe


def test_the_worker_pays_an_approved_payout_once(
    api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str], stripe_fake: LocalStripe, worker: Worker
) -> None:
    # GIVEN an approved payout to an onboarded account
    credit(shop["id"], 5_000)
    account_id = onboarded_account(stripe_fake)
    set_account(shop["id"], stripe_account_id=account_id)
    payout_id = approved_payout(api, shop, 2_000)
    # WHEN the worker gets its message, then the same message again
    assert worker(payout_message(aws_resources, payout_id)) == {"batchItemFailures": []}
    assert worker(payout_message(aws_resources, payout_id)) == {"batchItemFailures": []}
    # THEN one transfer of the payout's group went to the account, and the payout is paid with its id
    transfers = stripe_client(stripe_fake).v1.transfers.list(params={"transfer_group": payout_id}).data
    assert len(transfers) == 1
    transfer = transfers[0]
    assert (transfer.amount, transfer.currency, transfer.destination) == (2_000, "usd", account_id)
    assert transfer.metadata.to_dict() == {"payoutId": payout_id, "storeId": shop["id"]}
    payout = load_payout(payout_id)
    assert payout is not None and (payout.status, payout.transfer_id, int(payout.attempts)) == ("paid", transfer.id, 1)
    listed = api.get(f"/api/v1/payouts?storeId={shop['id']}", token=shop["owner"]).json["data"][0]
    assert (listed["status"], listed["transferId"]) == ("paid", transfer.id) and listed["paidAt"]
    assert balance(api, shop) == {"available": 3_000, "pending": 0, "inPayout": 0, "paidOut": 2_000}
    assert entry_keys(shop["id"]) == sorted([f"PAYOUT#{payout_id}#REQUEST", f"PAYOUT#{payout_id}#PAID"])
    assert reconcile(shop["id"]).matches


def test_a_transfer_stripe_refuses_fails_the_payout_and_returns_the_amount(
    api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str], stripe_fake: LocalStripe, worker: Worker
) -> None:
    # GIVEN an approved payout whose account Stripe restricted (the webhook not delivered yet)
    credit(shop["id"], 5_000)
    account_id = onboarded_account(stripe_fake)
    set_account(shop["id"], stripe_account_id=account_id)
    payout_id = approved_payout(api, shop, 2_000)
    dev_hook(stripe_fake, f"/connect/accounts/{account_id}/restrict")
    # WHEN the worker runs it
    assert worker(payout_message(aws_resources, payout_id)) == {"batchItemFailures": []}
    # THEN the payout failed with Stripe's reason and the amount is available again
    payout = load_payout(payout_id)
    assert payout is not None and payout.status == "failed" and payout.transfer_id is None
    assert str(payout.failure_reason).startswith("Stripe refused the transfer")
    assert balance(api, shop) == {"available": 5_000, "pending": 0, "inPayout": 0, "paidOut": 0}
    assert stripe_client(stripe_fake).v1.transfers.list(params={"transfer_group": payout_id}).data == []
    assert reconcile(shop["id"]).matches


def test_an_account_not_active_holds_the_payout(
    api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str], stripe_fake: LocalStripe, worker: Worker
) -> None:
    # GIVEN an approved payout whose account turned restricted (account.updated applied)
    credit(shop["id"], 5_000)
    set_account(shop["id"], stripe_account_id=onboarded_account(stripe_fake))
    payout_id = approved_payout(api, shop, 2_000)
    set_account(shop["id"], "restricted", load_account_id(shop["id"]))
    sent = payout_message(aws_resources, payout_id)
    # WHEN the worker gets the message
    response = worker(sent)
    # THEN the record fails (SQS delivers it again later), the payout waits approved, nothing was sent
    assert response == {"batchItemFailures": [{"itemIdentifier": sent["Records"][0]["messageId"]}]}
    assert load_payout(payout_id).status == "approved"  # type: ignore[union-attr]
    assert stripe_client(stripe_fake).v1.transfers.list(params={"transfer_group": payout_id}).data == []
    assert balance(api, shop)["inPayout"] == 2_000


def load_account_id(store_id: str) -> str:
    account = account_store.load_account(store_id, consistent=True)
    assert account is not None
    return account.stripe_account_id


def test_messages_for_finished_or_unknown_payouts_are_acknowledged(
    api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str], worker: Worker
) -> None:
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    payout_id = request_payout(api, shop, 2_000).json["data"]["id"]
    assert decide(api, shop["admin"], payout_id, status="rejected").status == 200
    for target in (payout_id, "01NOSUCHPAYOUT"):
        assert worker(payout_message(aws_resources, target)) == {"batchItemFailures": []}
    assert load_payout(payout_id).status == "rejected"  # type: ignore[union-attr]
    assert balance(api, shop)["available"] == 5_000


# ---------------------------------------------------------------- transfer.reversed


def test_a_reversed_transfer_returns_the_money_once_and_fails_the_payout(
    api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str], stripe_fake: LocalStripe, worker: Worker
) -> None:
    # GIVEN a paid payout of 2000
    credit(shop["id"], 5_000)
    set_account(shop["id"], stripe_account_id=onboarded_account(stripe_fake))
    payout_id = approved_payout(api, shop, 2_000)
    assert worker(payout_message(aws_resources, payout_id)) == {"batchItemFailures": []}
    client = stripe_client(stripe_fake)
    transfer_id = str(load_payout(payout_id).transfer_id)  # type: ignore[union-attr]
    # WHEN Stripe reverses 500 of it, and the event arrives (twice: two deliveries, two event ids)
    client.v1.transfers.reversals.create(transfer_id, params={"amount": 500})
    partial = client.v1.transfers.retrieve(transfer_id).to_dict()
    for _ in range(2):
        assert deliver(api, "transfer.reversed", partial).status == 200
    # THEN 500 is back in available once, the payout still paid with the reason noted
    assert balance(api, shop) == {"available": 3_500, "pending": 0, "inPayout": 0, "paidOut": 1_500}
    payout = load_payout(payout_id)
    assert payout is not None and payout.status == "paid" and "5.00 USD" in str(payout.failure_reason)
    # WHEN Stripe takes the rest back (the transfer failed)
    dev_hook(stripe_fake, f"/connect/transfers/{transfer_id}/fail")
    full = client.v1.transfers.retrieve(transfer_id).to_dict()
    assert deliver(api, "transfer.reversed", full).status == 200
    assert deliver(api, "transfer.reversed", partial).status == 200  # the earlier event, late again
    # THEN everything is available again, the payout failed, one entry per reversal
    assert balance(api, shop) == {"available": 5_000, "pending": 0, "inPayout": 0, "paidOut": 0}
    payout = load_payout(payout_id)
    assert payout is not None and payout.status == "failed" and "in full" in str(payout.failure_reason)
    reversals = [r.id for r in client.v1.transfers.reversals.list(transfer_id).data]
    assert entry_keys(shop["id"]) == sorted([f"PAYOUT#{payout_id}#REQUEST", f"PAYOUT#{payout_id}#PAID",
                                             *(f"PAYOUT#{payout_id}#REVERSED#{r}" for r in reversals)])  # fmt: skip
    assert reconcile(shop["id"]).matches


def test_a_reversal_of_an_unknown_transfer_is_ignored(api: ApiClient, stripe_offline: None) -> None:
    obj = {"id": "tr_1unknown", "object": "transfer", "amount": 100, "currency": "usd", "amount_reversed": 100,
           "reversed": True, "transfer_group": "01NOSUCHPAYOUT", "metadata": {},
           "reversals": {"object": "list", "data": [{"id": "trr_1x", "amount": 100}]}}  # fmt: skip
    response = deliver(api, "transfer.reversed", obj)
    assert response.status == 200 and response.json["data"] == {"received": True, "duplicate": False}


def _entry_exists(store_id: str, key: str) -> bool:
    return LedgerEntry.count(store_finance(store_id), LedgerEntry.sk == entry_sort(key)) == 1


def test_a_reversal_before_the_payout_is_recorded_paid_is_retried_later(
    api: ApiClient, shop: dict[str, Any], stripe_offline: None
) -> None:
    # GIVEN a payout the worker moved to processing (its transfer made, not recorded yet)
    credit(shop["id"], 5_000)
    set_account(shop["id"])
    payout_id = request_payout(api, shop, 2_000).json["data"]["id"]
    Payout(pk=f"PAYOUT#{payout_id}", sk="PAYOUT").update(actions=[Payout.status.set("processing")])
    obj = {"id": "tr_1early", "object": "transfer", "amount": 2_000, "currency": "usd", "amount_reversed": 2_000,
           "reversed": True, "transfer_group": payout_id, "metadata": {"payoutId": payout_id},
           "reversals": {"object": "list", "data": [{"id": "trr_1early", "amount": 2_000}]}}  # fmt: skip
    # WHEN the reversal arrives first: 409, so that Stripe delivers it again; nothing booked
    assert_error(deliver(api, "transfer.reversed", obj), 409, "CONFLICT")
    assert not _entry_exists(shop["id"], f"PAYOUT#{payout_id}#REVERSED#trr_1early")
