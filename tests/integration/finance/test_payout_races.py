"""Payouts under races, on DynamoDB Local (and localstripe for the worker): never more than available,
one transfer per payout whatever the deliveries, crashes and forgotten idempotency keys."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from infra import handlers, template
from infra.local.events import LambdaContext, sqs_event
from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.admin_settings import service as admin_settings
from souk.caller import Principal
from souk.catalog.schemas.categories import CreateCategoryRequest
from souk.catalog.schemas.stores import CreateStoreRequest
from souk.catalog.service import categories, stores
from souk.db.transactions import WriteTransaction
from souk.errors import InsufficientFunds, SoukError
from souk.finance import ledger
from souk.finance.keys import store_finance
from souk.finance.models import LedgerEntry
from souk.finance.schemas import PayoutDecision, PayoutRequest
from souk.finance.service import payouts
from souk.finance.service.balance import reconcile
from souk.finance.store import accounts as account_store
from souk.finance.store import payouts as payout_store
from souk.finance.store.ledger import post
from souk.schema import PostalAddress

pytestmark = pytest.mark.integration

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)
Worker = Callable[[dict[str, Any]], dict[str, Any]]


def _owner() -> Principal:
    return Principal(user_id=f"it-owner-{uuid.uuid4().hex[:8]}", role="store_owner", session_id=None)


def _store(owner: Principal) -> str:
    category = categories.create_category(ADMIN, CreateCategoryRequest(name=f"Pantry {uuid.uuid4().hex[:6]}"))
    address = PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)
    made = stores.create_store(owner, CreateStoreRequest(name="Corner Shop", address=address,
                                                         category_ids=[category.category_id]))  # fmt: skip
    return made.store_id


def _credit(store_id: str, amount: int) -> None:
    order_id = f"o-{uuid.uuid4().hex[:10]}"
    for entry in (ledger.sale(store_id, order_id, "usd", gross=amount, commission=0),
                  ledger.release(store_id, order_id, "usd", net=amount)):  # fmt: skip
        with WriteTransaction() as tx:
            post(tx, entry)


def _activate(store_id: str, stripe_account_id: str) -> None:
    item = account_store.new_account(store_id, stripe_account_id)
    item.status = "active"
    item.save()


def _payout_keys(store_id: str) -> list[str]:
    found = LedgerEntry.query(store_finance(store_id), LedgerEntry.sk.startswith("ENTRY#PAYOUT#"), consistent_read=True)
    return sorted(item.business_key for item in found)


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    admin_settings.forget()  # the defaults: minimum payout 10.00 USD
    yield
    admin_settings.forget()


def test_ten_parallel_requests_against_enough_for_three_make_exactly_three(table: str) -> None:
    # GIVEN 3000 available and an active account
    owner = _owner()
    store_id = _store(owner)
    _credit(store_id, 3_000)
    _activate(store_id, "acct_1races")

    request = PayoutRequest.model_validate({"amount": {"amount": 1_000, "currency": "usd"}})

    def ask(_: int) -> str:
        try:
            return payouts.request_payout(owner, store_id, request).id
        except InsufficientFunds:
            return "INSUFFICIENT_FUNDS"
        except SoukError as error:  # anything else is a failure of the test
            return type(error).__name__

    # WHEN ten requests of 1000 race
    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(ask, range(10)))
    # THEN exactly three are requested, the other seven are refused for funds
    made = [o for o in outcomes if o != "INSUFFICIENT_FUNDS"]
    assert len(made) == 3 and outcomes.count("INSUFFICIENT_FUNDS") == 7, outcomes
    assert all(payout_store.load_payout(payout_id).status == "requested" for payout_id in made)  # type: ignore[union-attr]
    # AND the balance is the sum of its entries: nothing available, 3000 in payout, one entry each
    check = reconcile(store_id)
    assert check.matches, check
    assert check.stored["available"] == 0 and check.stored["in_payout"] == 3_000
    assert _payout_keys(store_id) == sorted(f"PAYOUT#{p}#REQUEST" for p in made)


# ---------------------------------------------------------------- the worker


def _dev_call(server: LocalStripe, method: str, path: str) -> Any:
    request = urllib.request.Request(server.url + path, method=method)
    request.add_header("Authorization", f"Bearer {TEST_SECRET_KEY}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"null")


def _onboarded(server: LocalStripe) -> str:
    from stripe import StripeClient

    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}, max_network_retries=0)
    account = client.v1.accounts.create(params={"type": "express", "capabilities": {"transfers": {"requested": True}}})
    link = client.v1.account_links.create(params={"account": account.id, "refresh_url": "http://localhost:3000/r",
                                                  "return_url": "http://localhost:3000/d",
                                                  "type": "account_onboarding"})  # fmt: skip

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as redirected:
        urllib.request.build_opener(NoRedirect).open(link.url, timeout=10)
    assert redirected.value.code == 302
    return str(account.id)


def _transfers(server: LocalStripe, payout_id: str) -> list[Any]:
    from stripe import StripeClient

    client = StripeClient(TEST_SECRET_KEY, base_addresses={"api": server.url}, max_network_retries=0)
    return list(client.v1.transfers.list(params={"transfer_group": payout_id}).data)


@pytest.fixture
def worker(table: str, stripe_fake: LocalStripe) -> Iterator[Worker]:
    function = next(f for f in template.functions() if f.logical_id == "PayoutsWorkerFunction")
    handler = getattr(handlers.load(function), function.handler_name)
    yield lambda sent: handler(sent, LambdaContext("souk-it-payouts-worker", timeout_seconds=30))
    handlers.unload(function)


def _message(payout_id: str) -> dict[str, Any]:
    """One SQS delivery of the payout's message (the same body every time, a new receipt)."""
    return sqs_event("arn:aws:sqs:us-east-1:000000000000:payouts", [{
        "MessageId": "m-" + payout_id, "ReceiptHandle": uuid.uuid4().hex, "Body": json.dumps({"payoutId": payout_id}),
        "Attributes": {"ApproximateReceiveCount": "1"}}])  # fmt: skip


def _approved_payout(server: LocalStripe, monkeypatch: pytest.MonkeyPatch, amount: int = 2_000) -> tuple[str, str]:
    owner = _owner()
    store_id = _store(owner)
    _credit(store_id, 5_000)
    _activate(store_id, _onboarded(server))
    request = PayoutRequest.model_validate({"amount": {"amount": amount, "currency": "usd"}})
    payout_id = payouts.request_payout(owner, store_id, request).id
    queued: list[str] = []
    monkeypatch.setattr(payout_store, "enqueue", queued.append)
    assert payouts.decide(ADMIN, payout_id, PayoutDecision(status="approved")).status == "approved"
    assert queued == [payout_id]
    return store_id, payout_id


def _crash_once_after_the_transfer(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The first recording of a paid payout raises (a crash right after Stripe's answer); the rest proceed."""
    original, crashed, lock = payouts.record_paid, [], threading.Lock()

    def record(item: Any, transfer: dict[str, Any]) -> str:
        with lock:
            first = not crashed
            if first:
                crashed.append(str(transfer["id"]))
        if first:
            raise RuntimeError("the worker died after the transfer was made")
        return original(item, transfer)

    monkeypatch.setattr(payouts, "record_paid", record)
    return crashed


def _assert_paid_once(server: LocalStripe, store_id: str, payout_id: str) -> None:
    transfers = _transfers(server, payout_id)
    assert len(transfers) == 1, [t.id for t in transfers]
    payout = payout_store.load_payout(payout_id)
    assert payout is not None and (payout.status, payout.transfer_id) == ("paid", transfers[0].id)
    assert _payout_keys(store_id) == sorted([f"PAYOUT#{payout_id}#REQUEST", f"PAYOUT#{payout_id}#PAID"])
    check = reconcile(store_id)
    assert check.matches and check.stored["paid_out"] == 2_000 and check.stored["in_payout"] == 0, check


def test_five_deliveries_in_a_row_with_a_crash_after_the_transfer_make_one_transfer(
    worker: Worker, stripe_fake: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an approved payout, and a worker that dies right after its first transfer
    store_id, payout_id = _approved_payout(stripe_fake, monkeypatch)
    crashed = _crash_once_after_the_transfer(monkeypatch)
    # WHEN the message arrives: the first delivery crashes (SQS will deliver it again)
    first = worker(_message(payout_id))
    assert first["batchItemFailures"] == [{"itemIdentifier": "m-" + payout_id}]
    assert payout_store.load_payout(payout_id).status == "processing"  # type: ignore[union-attr]
    assert [t.id for t in _transfers(stripe_fake, payout_id)] == crashed
    # AND more than a day passes (Stripe forgets the idempotency key) before the next deliveries
    _dev_call(stripe_fake, "DELETE", "/connect/idempotency_keys")
    for _ in range(4):
        assert worker(_message(payout_id)) == {"batchItemFailures": []}
    # THEN the lookup by transfer group found the first transfer: one transfer, one PAID entry
    _assert_paid_once(stripe_fake, store_id, payout_id)
    assert payout_store.load_payout(payout_id).transfer_id == crashed[0]  # type: ignore[union-attr]


def test_five_parallel_deliveries_with_a_crash_make_one_transfer(
    worker: Worker, stripe_fake: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN an approved payout, and a worker that dies right after the first transfer it gets back
    store_id, payout_id = _approved_payout(stripe_fake, monkeypatch)
    crashed = _crash_once_after_the_transfer(monkeypatch)
    # WHEN five deliveries of its message run at once
    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(lambda _: worker(_message(payout_id)), range(5)))
    failed = sum(len(r["batchItemFailures"]) for r in results)
    assert crashed and failed >= 1, results
    # AND SQS delivers the failed ones again, once each
    for _ in range(failed):
        assert worker(_message(payout_id)) == {"batchItemFailures": []}
    # THEN one transfer at Stripe, one PAID entry, the payout paid with that transfer
    _assert_paid_once(stripe_fake, store_id, payout_id)


def test_the_daily_reconciliation_resolves_a_payout_stuck_in_processing(
    worker: Worker, stripe_fake: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a payout whose worker crashed after the transfer, and whose message was lost
    store_id, payout_id = _approved_payout(stripe_fake, monkeypatch)
    crashed = _crash_once_after_the_transfer(monkeypatch)
    assert worker(_message(payout_id))["batchItemFailures"]
    # WHEN the daily job runs: not yet stale after a minute, resolved after eleven
    payout = payout_store.load_payout(payout_id)
    assert payout is not None and payout.processing_at is not None
    early = payouts.reconcile_processing_payouts(payout.processing_at + payouts.STALE_AFTER / 10)
    assert payout_id not in early.resolved
    report = payouts.reconcile_processing_payouts(payout.processing_at + payouts.STALE_AFTER * 1.1)
    # THEN it found the transfer and recorded it: paid once
    assert report.resolved[payout_id] == f"paid: {crashed[0]}"
    _assert_paid_once(stripe_fake, store_id, payout_id)
