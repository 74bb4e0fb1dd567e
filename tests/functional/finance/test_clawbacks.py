"""Claw-backs with localstripe: a refund after the payout reverses the store's share of the transfer.

Each store sells through a wallet checkout (commission frozen, 10% by default), is delivered,
released by the daily job and paid out by the payouts worker to its onboarded Express account
at localstripe. A refund (to the wallet, so Stripe is only asked for the reversal) then leaves
``available`` negative, and the claw-back asks localstripe for it back. After every scenario
each store's stored balance is recomputed from its entries (``reconcile(...).matches``).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from souk.errors import ServiceUnavailable
from souk.finance.models import LedgerEntry, StoreBalance
from souk.finance.service import clawbacks, daily
from souk.finance.service.balance import reconcile
from souk.finance.store import clawbacks as clawback_store
from souk.finance.store import ledger as ledger_store
from souk.finance.store.payouts import load_payout
from souk.payments import gateway
from tests.factories import create_user, token_for
from tests.finance_support import stored_commission
from tests.functional.finance.test_commission_hooks import (  # noqa: F401 - rates is a fixture
    PRICE,
    _cart_line,
    _checkout,
    _shopper,
    _walk_to_delivered,
    rates,
)
from tests.functional.finance.test_payout_routes import (  # noqa: F401 - worker is a fixture
    approved_payout,
    deliver,
    onboarded_account,
    payout_message,
    set_account,
    stripe_client,
    worker,
)
from tests.functional.product_support import Seller, make_seller
from tests.support import ApiClient

NET = PRICE - 600  # 10% of 5999, rounded half up
pytestmark = pytest.mark.usefixtures("rates")  # 10% by default, a 3-day hold


@dataclass
class PaidOut:
    seller: Seller
    store_id: str
    order_id: str
    payment_id: str
    payout_id: str
    transfer_id: str
    account_id: str


def _hook(server: LocalStripe, path: str, **data: str) -> Any:
    request = urllib.request.Request(server.url + path, data=urllib.parse.urlencode(data).encode(), method="POST")
    request.add_header("Authorization", f"Bearer {TEST_SECRET_KEY}")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def _paid_out(api: ApiClient, server: LocalStripe, refs: dict[str, str], pay: Any, *sellers: Seller) -> list[PaidOut]:
    """One wallet checkout buying one item of each seller; each order delivered, released and its whole net
    paid out by the worker to the store's onboarded account at localstripe."""
    products = [seller.create(api) for seller in sellers]
    data = _checkout(api, _shopper(funds=100_000), "wallet", *(_cart_line(p, 1) for p in products))
    orders = {o["storeId"]: o["id"] for o in data["orders"]}
    done = []
    for seller in sellers:
        store_id = seller.store.store_id
        _walk_to_delivered(api, seller, orders[store_id])
        daily.run(now=stored_commission(store_id, orders[store_id]).available_at + timedelta(hours=1))  # type: ignore[operator]
        account_id = onboarded_account(server)
        set_account(store_id, stripe_account_id=account_id)
        admin = token_for(create_user("admin"))
        payout_id = approved_payout(api, {"id": store_id, "owner": seller.token, "admin": admin}, NET)
        assert pay(payout_message(refs, payout_id)) == {"batchItemFailures": []}
        payout = load_payout(payout_id)
        assert payout is not None and payout.status == "paid"
        assert _buckets(store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": NET}
        done.append(PaidOut(seller, store_id, orders[store_id], data["payment"]["id"], payout_id,
                            str(payout.transfer_id), account_id))  # fmt: skip
    return done


def _refund(api: ApiClient, paid: PaidOut) -> None:
    body = {"reason": "damaged", "to": "wallet", "orderId": paid.order_id}
    response = api.post(f"/api/v1/payments/{paid.payment_id}/refund", token=token_for(create_user("admin")),
                        json_body=body)  # fmt: skip
    assert response.status == 201, response.body


def _buckets(store_id: str) -> dict[str, int]:
    check = reconcile(store_id)
    assert check.matches, (check.stored, check.recomputed)
    return check.stored


def _entry_keys(store_id: str, prefix: str) -> list[str]:
    return sorted(e.business_key for e in ledger_store.entries(store_id) if e.business_key.startswith(prefix))


def _negative(store_id: str) -> bool:
    return store_id in set(clawback_store.negative_stores())


def _transfer(server: LocalStripe, transfer_id: str) -> dict[str, Any]:
    return stripe_client(server).v1.transfers.retrieve(transfer_id).to_dict()


# ---------------------------------------------------------------- the account covers it


def test_a_refund_after_the_payout_reverses_the_net_once_at_stripe(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
) -> None:
    # GIVEN a store whose whole net was paid out
    [paid] = _paid_out(api, stripe_fake, aws_resources, worker, make_seller())
    # WHEN the order is refunded in full after the payout
    _refund(api, paid)
    # THEN one reversal of the net was made at Stripe, naming its claw-back
    transfer = _transfer(stripe_fake, paid.transfer_id)
    [reversal] = transfer["reversals"]["data"]
    assert (reversal["amount"], transfer["amount_reversed"], transfer["currency"]) == (NET, NET, "usd")
    [clawback] = list(clawback_store.clawbacks_of(paid.store_id))
    assert reversal["metadata"] == {"clawbackId": clawback.clawback_id, "storeId": paid.store_id,
                                    "payoutId": paid.payout_id}  # fmt: skip
    assert (clawback.status, clawback.reversal_id, int(clawback.reversed_amount), int(clawback.deficit)) == (
        "reversed", reversal["id"], NET, NET)  # fmt: skip
    # AND the store's available is back to 0, paid_out reduced by it, booked once under the claw-back key
    assert _buckets(paid.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}
    assert _entry_keys(paid.store_id, "CLAWBACK#") == [f"CLAWBACK#{paid.transfer_id}#{reversal['id']}"]
    # AND the payout stays paid (the money came back for a refund), the store out of the negative index
    assert load_payout(paid.payout_id).status == "paid"  # type: ignore[union-attr]
    assert not _negative(paid.store_id)
    assert StoreBalance.get(f"FINANCE#{paid.store_id}", "BALANCE").gsi1pk is None


def test_the_same_recovery_twice_and_the_webhook_of_our_reversal_book_it_once(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
) -> None:
    # GIVEN a refund after the payout, clawed back
    [paid] = _paid_out(api, stripe_fake, aws_resources, worker, make_seller())
    _refund(api, paid)
    transfer = _transfer(stripe_fake, paid.transfer_id)
    # WHEN the recovery runs again, the daily job runs, and Stripe's transfer.reversed for our reversal arrives twice
    again = clawbacks.recover(paid.store_id)
    report = daily.run(now=stored_commission(paid.store_id, paid.order_id).available_at + timedelta(days=1))  # type: ignore[operator]
    for _ in range(2):
        assert deliver(api, "transfer.reversed", transfer).status == 200
    # THEN nothing more was reversed at Stripe nor booked: one reversal, one entry, one claw-back
    assert (again.outcome, again.reversed) == ("not negative", 0)
    assert report["clawbacks"]["stores"] == 0
    assert len(_transfer(stripe_fake, paid.transfer_id)["reversals"]["data"]) == 1
    assert len(_entry_keys(paid.store_id, "CLAWBACK#")) == 1
    assert _entry_keys(paid.store_id, f"PAYOUT#{paid.payout_id}#REVERSED") == []
    assert len(list(clawback_store.clawbacks_of(paid.store_id))) == 1
    assert _buckets(paid.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}


def test_a_crash_after_the_reversal_is_resolved_by_its_metadata_and_the_webhook_first_books_it_once(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a paid-out store, and a claw-back run that dies right after Stripe made the reversal
    [paid] = _paid_out(api, stripe_fake, aws_resources, worker, make_seller())

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the Lambda died")

    monkeypatch.setattr(clawbacks, "_book", crash)
    _refund(api, paid)  # the refund stands: the claw-back's error is logged, not raised
    monkeypatch.undo()
    [open_one] = list(clawback_store.clawbacks_of(paid.store_id))
    assert open_one.status == "sending"
    assert _buckets(paid.store_id)["available"] == -NET
    # WHEN the webhook of that reversal arrives first, then a run right away (busy) and one later (stale)
    transfer = _transfer(stripe_fake, paid.transfer_id)
    assert deliver(api, "transfer.reversed", transfer).status == 200
    assert _buckets(paid.store_id)["available"] == 0  # booked by the webhook, under the claw-back's key
    assert clawbacks.recover(paid.store_id).outcome == "busy"
    later = clawbacks.recover(paid.store_id, now=open_one.created_at + clawbacks.STALE_AFTER + timedelta(seconds=1))
    # THEN the open claw-back is settled from the reversal Stripe holds for it, nothing sent again or booked twice
    [reversal] = _transfer(stripe_fake, paid.transfer_id)["reversals"]["data"]
    assert later.outcome == "recovered" and later.reversals == [reversal["id"]]
    [settled] = list(clawback_store.clawbacks_of(paid.store_id))
    assert (settled.status, settled.reversal_id) == ("reversed", reversal["id"])
    assert _entry_keys(paid.store_id, "CLAWBACK#") == [f"CLAWBACK#{paid.transfer_id}#{reversal['id']}"]
    assert _buckets(paid.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}


def test_an_unknown_outcome_with_no_reversal_at_stripe_is_abandoned_then_planned_again(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a refund after the payout whose reversal request never reached Stripe (a timeout)
    [paid] = _paid_out(api, stripe_fake, aws_resources, worker, make_seller())

    def timeout(*args: Any, **kwargs: Any) -> None:
        raise ServiceUnavailable("The payment provider is unavailable; retry shortly.")

    monkeypatch.setattr(gateway, "reverse_transfer", timeout)
    _refund(api, paid)
    monkeypatch.undo()
    [lost] = list(clawback_store.clawbacks_of(paid.store_id))
    assert lost.status == "sending" and _negative(paid.store_id)
    # WHEN the daily job runs later
    report = daily.run(now=lost.created_at + timedelta(days=1))
    # THEN Stripe held no reversal of it: abandoned, and a new claw-back reversed the net once
    assert report["clawbacks"] == {"stores": 1, "recovered": 1, "negative": 0, "busy": 0, "unresolved": 0,
                                   "amount": {"usd": NET}, "complete": True}  # fmt: skip
    newest, oldest = list(clawback_store.clawbacks_of(paid.store_id))
    assert (oldest.clawback_id, oldest.status) == (lost.clawback_id, "abandoned")
    assert newest.status == "reversed"
    [reversal] = _transfer(stripe_fake, paid.transfer_id)["reversals"]["data"]
    assert reversal["metadata"]["clawbackId"] == newest.clawback_id
    assert _buckets(paid.store_id)["available"] == 0 and not _negative(paid.store_id)


# ---------------------------------------------------------------- the account cannot cover it


def test_an_account_that_cannot_cover_it_leaves_available_negative_until_the_next_daily_run(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
) -> None:
    # GIVEN a paid-out store whose connected account has nothing left to give back
    [paid] = _paid_out(api, stripe_fake, aws_resources, worker, make_seller())
    _hook(stripe_fake, f"/connect/accounts/{paid.account_id}/balance", available="0")
    # WHEN the order is refunded after the payout
    _refund(api, paid)
    # THEN Stripe reversed nothing; available stays negative by the net and the store is in the negative index
    assert _transfer(stripe_fake, paid.transfer_id)["amount_reversed"] == 0
    assert _buckets(paid.store_id) == {"pending": 0, "available": -NET, "held": 0, "in_payout": 0, "paid_out": NET}
    assert _negative(paid.store_id)
    # AND the claw-back records why
    [refused] = list(clawback_store.clawbacks_of(paid.store_id))
    assert (refused.status, refused.stripe_code, int(refused.amount)) == ("refused", "balance_insufficient", NET)
    assert "Insufficient funds" in str(refused.failure_reason) and paid.transfer_id in str(refused.failure_reason)
    # WHEN another refund-path run comes before the daily job: the refused transfer is not tried again
    assert clawbacks.recover(paid.store_id).outcome == "negative"
    assert len(list(clawback_store.clawbacks_of(paid.store_id))) == 1
    # WHEN the account can cover it again and the daily job runs
    _hook(stripe_fake, f"/connect/accounts/{paid.account_id}/balance", available="")
    report = daily.run(now=refused.created_at + timedelta(days=1))
    # THEN it is tried again and recovered: available 0, the store out of the index
    assert (report["clawbacks"]["stores"], report["clawbacks"]["recovered"]) == (1, 1)
    assert _transfer(stripe_fake, paid.transfer_id)["amount_reversed"] == NET
    assert _buckets(paid.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}
    assert not _negative(paid.store_id)


def test_a_still_refused_claw_back_stays_negative_and_the_next_sale_nets_it_off(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
) -> None:
    # GIVEN a refund after the payout the account cannot cover, and a daily run that is refused again
    [paid] = _paid_out(api, stripe_fake, aws_resources, worker, make_seller())
    _hook(stripe_fake, f"/connect/accounts/{paid.account_id}/balance", available="0")
    _refund(api, paid)
    # (an hour after the release: a later `now` would move the release cursor past the next sale's day)
    report = daily.run(now=stored_commission(paid.store_id, paid.order_id).available_at + timedelta(hours=1))  # type: ignore[operator]
    assert (report["clawbacks"]["stores"], report["clawbacks"]["negative"]) == (1, 1)
    assert [c.status for c in clawback_store.clawbacks_of(paid.store_id)] == ["refused", "refused"]
    # WHEN the store sells again and that sale is released
    shoe = paid.seller.create(api, name="Another shoe")
    data = _checkout(api, _shopper(funds=100_000), "wallet", _cart_line(shoe, 1))
    order_id = data["orders"][0]["id"]
    _walk_to_delivered(api, paid.seller, order_id)
    daily.run(now=stored_commission(paid.store_id, order_id).available_at + timedelta(hours=1))  # type: ignore[operator]
    # THEN the new net paid off what was owed: available 0, and the daily run took the store out of the index
    assert _buckets(paid.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": NET}
    assert not _negative(paid.store_id)
    assert _transfer(stripe_fake, paid.transfer_id)["amount_reversed"] == 0


# ---------------------------------------------------------------- several stores


def test_a_multi_store_refund_reverses_only_the_affected_stores_transfer(
    api: ApiClient,
    stripe_fake: LocalStripe,
    aws_resources: dict[str, str],
    worker: Any,  # noqa: F811
) -> None:
    # GIVEN one checkout from two stores, both paid out
    first, second = _paid_out(api, stripe_fake, aws_resources, worker, make_seller(), make_seller())
    assert first.payment_id == second.payment_id
    # WHEN only the first store's order is refunded
    _refund(api, first)
    # THEN only the first store's transfer is reversed, by its net; the second store is untouched
    assert _transfer(stripe_fake, first.transfer_id)["amount_reversed"] == NET
    assert _transfer(stripe_fake, second.transfer_id)["amount_reversed"] == 0
    assert _buckets(first.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": 0}
    assert _buckets(second.store_id) == {"pending": 0, "available": 0, "held": 0, "in_payout": 0, "paid_out": NET}
    assert list(clawback_store.clawbacks_of(second.store_id)) == []
    assert LedgerEntry.count(f"FINANCE#{second.store_id}", LedgerEntry.sk.startswith("ENTRY#CLAWBACK#")) == 0
