"""Stripe ``payout.failed`` from a connected account: the owner is told once; no Souk money moves.

Our transfer had succeeded, so the money sits in the store's Stripe balance: putting it
back into the Souk balance would count it twice.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from souk.audit import keys as audit_keys
from souk.audit.models import AuditRecord
from tests.factories import queued_jobs
from tests.finance_support import reconciled
from tests.functional.finance import test_payout_routes as payout_tests
from tests.functional.finance.test_payout_routes import credit, set_account
from tests.stripe_support import WEBHOOK_PATH, event, signed_request
from tests.support import ApiClient

pytestmark = pytest.mark.usefixtures("stripe_offline")  # signed events; no Stripe call is made
shop = payout_tests.shop  # a store and its owner (the fixture)


def _bank_payout(amount: int = 4_200) -> dict[str, Any]:
    return {"id": f"po_{uuid.uuid4().hex[:20]}", "object": "payout", "amount": amount, "currency": "usd",
            "status": "failed", "failure_code": "account_closed",
            "failure_message": "The bank account has been closed."}  # fmt: skip


def _deliver(api: ApiClient, account_id: str, obj: dict[str, Any], event_id: str) -> dict[str, Any]:
    payload = event("payout.failed", obj, event_id=event_id)
    payload["account"] = account_id
    body, headers = signed_request(payload)
    response = api.post(WEBHOOK_PATH, body=body, headers=headers)
    assert response.status == 200, response.body
    return response.json["data"]  # type: ignore[no-any-return]


def test_the_owner_is_told_once_and_the_balance_does_not_move(
    api: ApiClient, shop: dict[str, Any], aws_resources: dict[str, str]
) -> None:
    # GIVEN a store with an active payout account and money available
    account_id = f"acct_1{uuid.uuid4().hex[:15]}"
    set_account(shop["id"], "active", account_id)
    credit(shop["id"], 5_000)
    before = reconciled(shop["id"])
    queued_jobs(aws_resources["EmailQueue"])  # what earlier steps queued
    # WHEN Stripe reports that the store's bank refused a payout, twice (a redelivery)
    obj, event_id = _bank_payout(), f"evt_{uuid.uuid4().hex[:24]}"
    first = _deliver(api, account_id, obj, event_id)
    again = _deliver(api, account_id, obj, event_id)
    # THEN the owner gets one email naming the amount and the reason
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "bank_payout_failed"]
    assert len(jobs) == 1, jobs
    assert "42.00" in jobs[0]["variables"]["amount"]
    assert jobs[0]["variables"]["reason"] == "The bank account has been closed."
    # AND has it once in the app, as a payment notification
    shown = api.get("/api/v1/notifications", token=shop["owner"]).json["data"]
    assert [(n["type"], n["entityId"]) for n in shown if n["type"] == "payment"] == [("payment", obj["id"])]
    # AND the event is audited once on the store, and the second delivery changed nothing
    records = [r for r in AuditRecord.gsi2.query(audit_keys.audit_resource("store", shop["id"]))
               if r.action == "payout_account.bank_payout_failed"]  # fmt: skip
    assert len(records) == 1 and records[0].after["bankPayoutId"] == obj["id"]
    assert (first["duplicate"], again["duplicate"]) == (False, True)
    # AND no Souk money moved
    assert reconciled(shop["id"]) == before


def test_an_unknown_account_is_acknowledged_and_ignored(api: ApiClient, aws_resources: dict[str, str]) -> None:
    _deliver(api, "acct_1unknown000000", _bank_payout(), f"evt_{uuid.uuid4().hex[:24]}")
    assert not [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "bank_payout_failed"]
