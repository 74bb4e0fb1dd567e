"""Stripe Connect on localstripe (infra/local/localstripe_connect.py), driven by the real stripe SDK.

Express accounts and their onboarding links, transfers with idempotency keys, transfer groups,
reversals, the dev hooks (restrict an account, fail a transfer) and the signed events, the way
the payouts worker and the webhook route will meet them. Needs localstripe only (no DynamoDB Local).
"""

from __future__ import annotations

import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import stripe
from stripe import StripeClient

from infra.local.localstripe import TEST_SECRET_KEY, LocalStripe
from tests.stripe_support import WebhookReceiver, dev_hook

RETURN_URL = "http://127.0.0.1:3000/stores/s-1/payout-account?done=1"
REFRESH_URL = "http://127.0.0.1:3000/stores/s-1/payout-account?refresh=1"
WEBHOOK_SECRET = "whsec_connect_test"


@pytest.fixture
def client(stripe_fake: LocalStripe) -> StripeClient:
    return StripeClient(TEST_SECRET_KEY, base_addresses={"api": stripe_fake.url}, max_network_retries=0)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _visit(url: str) -> tuple[int, str]:
    """A browser opening ``url`` (no API key), stopping at the first redirect: (status, Location)."""
    try:
        with urllib.request.build_opener(_NoRedirect).open(url, timeout=10) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location", "")


def _express(client: StripeClient, store_id: str = "s-1") -> stripe.Account:
    return client.v1.accounts.create(params={
        "type": "express", "country": "US", "email": f"owner-{store_id}@example.com",
        "capabilities": {"transfers": {"requested": True}}, "metadata": {"storeId": store_id}})  # fmt: skip


def _onboarded(client: StripeClient) -> stripe.Account:
    account = _express(client)
    link = client.v1.account_links.create(params={"account": account.id, "refresh_url": REFRESH_URL,
                                                  "return_url": RETURN_URL, "type": "account_onboarding"})  # fmt: skip
    assert _visit(link.url) == (302, RETURN_URL)
    return client.v1.accounts.retrieve(account.id)


def _events(client: StripeClient, event_type: str, object_id: str) -> list[stripe.Event]:
    """The events recorded about ``object_id``, oldest first."""
    events = client.v1.events.list(params={"type": event_type, "limit": 100}).auto_paging_iter()
    return sorted((event for event in events if event.data.object["id"] == object_id), key=lambda e: e.created)


def _transfer(client: StripeClient, destination: str, amount: int = 1000, group: str | None = None,
              key: str | None = None) -> stripe.Transfer:  # fmt: skip
    params: dict[str, Any] = {
        "amount": amount,
        "currency": "usd",
        "destination": destination,
        "transfer_group": group or f"po-{uuid.uuid4().hex[:12]}",
        "metadata": {"payoutId": "p-1"},
    }
    options = {"idempotency_key": key} if key else {}
    return client.v1.transfers.create(params=params, options=options)  # type: ignore[arg-type]


@pytest.fixture
def receiver(stripe_fake: LocalStripe) -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver(stripe_fake, WEBHOOK_SECRET)
    try:
        yield receiver
    finally:
        receiver.close()


# ---------------------------------------------------------------- accounts and onboarding


def test_a_new_express_account_is_not_enabled_and_has_requirements_due(client: StripeClient) -> None:
    # WHEN a store asks for an Express account
    account = _express(client, "s-42")
    # THEN it exists with what was sent, and nothing enabled until onboarding
    assert account.id.startswith("acct_") and account.object == "account" and account.type == "express"
    assert (account.country, account.email, account.metadata["storeId"]) == ("US", "owner-s-42@example.com", "s-42")
    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (False, False, False)
    assert account.capabilities.transfers == "inactive"
    assert "external_account" in account.requirements.currently_due
    assert client.v1.accounts.retrieve(account.id).to_dict() == account.to_dict()


def test_onboarding_through_the_link_activates_the_account_and_sends_one_signed_account_updated(
    client: StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN an Express account and its onboarding link
    account = _express(client)
    link = client.v1.account_links.create(params={"account": account.id, "refresh_url": REFRESH_URL,
                                                  "return_url": RETURN_URL, "type": "account_onboarding"})  # fmt: skip
    assert link.object == "account_link" and link.expires_at > link.created
    # WHEN the seller opens it in a browser (no API key)
    status, location = _visit(link.url)
    # THEN they are sent back to our return_url, and the account is active with nothing due
    assert (status, location) == (302, RETURN_URL)
    active = client.v1.accounts.retrieve(account.id)
    assert (active.details_submitted, active.charges_enabled, active.payouts_enabled) == (True, True, True)
    assert active.capabilities.transfers == "active"
    assert (active.requirements.currently_due, active.requirements.disabled_reason) == ([], None)
    # AND one account.updated was recorded and delivered, signed so that the SDK verifies it
    (recorded,) = _events(client, "account.updated", account.id)
    body, signature = receiver.wait_for("account.updated", account.id)
    delivered = stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET)
    assert (delivered.id, delivered.type, delivered.account) == (recorded.id, "account.updated", account.id)
    assert delivered.data.object["payouts_enabled"] is True
    assert delivered.data.previous_attributes["payouts_enabled"] is False
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.Webhook.construct_event(body, signature, "whsec_someone_else")
    # AND the link is single-use: a second visit goes to refresh_url and changes nothing
    assert _visit(link.url) == (302, REFRESH_URL)
    assert len(_events(client, "account.updated", account.id)) == 1


def test_an_account_link_for_an_unknown_account_or_without_urls_is_refused(client: StripeClient) -> None:
    # WHEN links are asked for an account that does not exist, or without a return_url
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        client.v1.account_links.create(params={"account": "acct_1nope", "refresh_url": REFRESH_URL,
                                               "return_url": RETURN_URL, "type": "account_onboarding"})  # fmt: skip
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.account_links.create(params={"account": _express(client).id, "refresh_url": REFRESH_URL,
                                               "type": "account_onboarding"})  # type: ignore[typeddict-item]  # fmt: skip
    # THEN Stripe's 400s name the parameter
    assert (unknown.value.http_status, unknown.value.code, unknown.value.param) == (400, "resource_missing", "account")
    assert (missing.value.http_status, missing.value.code, missing.value.param) == (400, "parameter_missing",
                                                                                    "return_url")  # fmt: skip


def test_a_restricted_account_is_refused_transfers_and_says_why(
    client: StripeClient, stripe_fake: LocalStripe, receiver: WebhookReceiver
) -> None:
    # GIVEN an active account
    account = _onboarded(client)
    # WHEN Stripe restricts it (the dev hook)
    dev_hook(stripe_fake, f"/connect/accounts/{account.id}/restrict", reason="requirements.past_due")
    # THEN payouts stop, the reason and what is due are visible, and an account.updated says so
    restricted = client.v1.accounts.retrieve(account.id)
    assert (restricted.payouts_enabled, restricted.capabilities.transfers) == (False, "inactive")
    assert restricted.requirements.disabled_reason == "requirements.past_due"
    assert restricted.requirements.currently_due == ["external_account"]
    updates = _events(client, "account.updated", account.id)
    assert [event.data.object["payouts_enabled"] for event in updates] == [True, False]
    body, signature = receiver.wait_for("account.updated", account.id)
    assert stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET).account == account.id
    # AND a transfer to it fails like Stripe's
    with pytest.raises(stripe.InvalidRequestError) as refused:
        _transfer(client, account.id)
    assert (refused.value.http_status, refused.value.param) == (400, "destination")


def test_account_metadata_updates_merge_and_an_empty_value_removes_a_key(client: StripeClient) -> None:
    # GIVEN an account with metadata storeId
    account = _express(client, "s-7")
    # WHEN a key is added and storeId is emptied
    updated = client.v1.accounts.update(account.id, params={"metadata": {"payoutAccountId": "pa-1", "storeId": ""}})
    # THEN only the new key is left, and the change is an account.updated
    assert updated.metadata.to_dict() == {"payoutAccountId": "pa-1"}
    assert client.v1.accounts.retrieve(account.id).metadata.to_dict() == {"payoutAccountId": "pa-1"}
    (event,) = _events(client, "account.updated", account.id)
    assert event.data.previous_attributes["metadata"].to_dict() == {"storeId": "s-7", "payoutAccountId": None}
    # AND an unknown account is Stripe's 404
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.accounts.retrieve("acct_1missing")
    assert (missing.value.http_status, missing.value.code) == (404, "resource_missing")


# ---------------------------------------------------------------- transfers


def test_a_transfer_sent_twice_with_one_idempotency_key_is_one_transfer(
    client: StripeClient, receiver: WebhookReceiver
) -> None:
    # GIVEN an active account and a payout's id used as key and transfer group
    account = _onboarded(client)
    payout_id = f"po-{uuid.uuid4().hex[:12]}"
    # WHEN the worker sends the transfer twice (a retry after a crash)
    first = _transfer(client, account.id, 2500, group=payout_id, key=payout_id)
    second = _transfer(client, account.id, 2500, group=payout_id, key=payout_id)
    # THEN Stripe made one transfer, the one both calls returned
    assert second.id == first.id and second.to_dict() == first.to_dict()
    assert second.last_response is not None and second.last_response.headers["Idempotent-Replayed"] == "true"
    listed = client.v1.transfers.list(params={"transfer_group": payout_id})
    assert [transfer.id for transfer in listed.data] == [first.id]
    assert (first.amount, first.currency, first.destination, first.transfer_group) == (2500, "usd", account.id,
                                                                                        payout_id)  # fmt: skip
    assert (first.amount_reversed, first.reversed, first.metadata["payoutId"]) == (0, False, "p-1")
    assert len(_events(client, "transfer.created", first.id)) == 1
    body, signature = receiver.wait_for("transfer.created", first.id)
    assert stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET).data.object["amount"] == 2500
    # AND the same key with other parameters is Stripe's idempotency error, and makes nothing
    with pytest.raises(stripe.IdempotencyError) as reused:
        _transfer(client, account.id, 9999, group=payout_id, key=payout_id)
    assert reused.value.http_status == 400
    assert len(client.v1.transfers.list(params={"transfer_group": payout_id}).data) == 1


def test_idempotency_keys_forgotten_after_24_hours_no_longer_protect(
    client: StripeClient, stripe_fake: LocalStripe
) -> None:
    # GIVEN a transfer sent with a key
    account = _onboarded(client)
    group = f"po-{uuid.uuid4().hex[:12]}"
    first = _transfer(client, account.id, 700, group=group, key=group)
    # WHEN a day passes (the dev hook forgets every key) and the same call is sent again
    assert dev_hook(stripe_fake, "/connect/idempotency_keys", method="DELETE")["deleted"] >= 1
    again = _transfer(client, account.id, 700, group=group, key=group)
    # THEN Stripe makes a second transfer: only the lookup by transfer_group can tell
    assert again.id != first.id
    listed = client.v1.transfers.list(params={"transfer_group": group}).data
    assert [transfer.id for transfer in listed] == [again.id, first.id]


def test_transfers_are_listed_newest_first_by_group_and_destination_in_pages(client: StripeClient) -> None:
    # GIVEN three transfers of one group and one of another, to two accounts
    alice, bob = _onboarded(client), _onboarded(client)
    group, other = f"po-{uuid.uuid4().hex[:12]}", f"po-{uuid.uuid4().hex[:12]}"
    made = [_transfer(client, alice.id, 100, group=group), _transfer(client, bob.id, 200, group=group),
            _transfer(client, alice.id, 300, group=group), _transfer(client, alice.id, 400, group=other)]  # fmt: skip
    # WHEN the group is listed two at a time
    page = client.v1.transfers.list(params={"transfer_group": group, "limit": 2})
    rest = client.v1.transfers.list(params={"transfer_group": group, "limit": 2, "starting_after": page.data[-1].id})
    # THEN the three come newest first, in Stripe's list shape
    assert page.object == "list" and page.url == "/v1/transfers" and page.has_more is True
    assert [t.id for t in page.data] + [t.id for t in rest.data] == [made[2].id, made[1].id, made[0].id]
    assert rest.has_more is False
    paged = client.v1.transfers.list(params={"transfer_group": group, "limit": 1}).auto_paging_iter()
    assert [t.amount for t in paged] == [300, 200, 100]
    # AND destination filters, alone or with the group
    to_bob = client.v1.transfers.list(params={"destination": bob.id}).data
    assert [t.id for t in to_bob] == [made[1].id]
    alice_in_group = client.v1.transfers.list(params={"destination": alice.id, "transfer_group": group}).data
    assert [t.amount for t in alice_in_group] == [300, 100]


def test_a_transfer_to_an_account_not_onboarded_is_an_invalid_request(client: StripeClient) -> None:
    # GIVEN an Express account whose owner never finished onboarding
    account = _express(client)
    group = f"po-{uuid.uuid4().hex[:12]}"
    # WHEN a transfer is sent to it, or to an account that does not exist
    with pytest.raises(stripe.InvalidRequestError) as not_onboarded:
        _transfer(client, account.id, group=group)
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        _transfer(client, "acct_1doesnotexist", group=group)
    # THEN both are Stripe's 400 invalid_request_error on destination, and no transfer exists
    error = not_onboarded.value
    assert (error.http_status, error.param) == (400, "destination")
    assert error.code == "insufficient_capabilities_for_transfer"
    assert error.json_body is not None and error.json_body["error"]["type"] == "invalid_request_error"
    assert (unknown.value.http_status, unknown.value.code) == (400, "resource_missing")
    assert client.v1.transfers.list(params={"transfer_group": group}).data == []


def test_a_transfer_with_a_bad_amount_is_refused(client: StripeClient) -> None:
    account = _onboarded(client)
    for amount in (0, -5):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            _transfer(client, account.id, amount)
        assert (refused.value.http_status, refused.value.param) == (400, "amount")


# ---------------------------------------------------------------- reversals


def test_a_partial_then_a_full_reversal_update_the_transfer(client: StripeClient, receiver: WebhookReceiver) -> None:
    # GIVEN a transfer of 1000
    transfer = _transfer(client, _onboarded(client).id, 1000)
    # WHEN 300 is reversed (a refund's claw-back)
    partial = client.v1.transfers.reversals.create(transfer.id, params={"amount": 300,
                                                                        "metadata": {"refundId": "r-1"}})  # fmt: skip
    # THEN the transfer shows 300 reversed, not reversed yet
    assert (partial.object, partial.amount, partial.currency, partial.transfer) == ("transfer_reversal", 300, "usd",
                                                                                    transfer.id)  # fmt: skip
    assert partial.metadata["refundId"] == "r-1"
    after_partial = client.v1.transfers.retrieve(transfer.id)
    assert (after_partial.amount_reversed, after_partial.reversed) == (300, False)
    # WHEN the rest is reversed without an amount
    rest = client.v1.transfers.reversals.create(transfer.id)
    # THEN it takes the 700 left, and the transfer is reversed in full
    assert rest.amount == 700
    done = client.v1.transfers.retrieve(transfer.id)
    assert (done.amount_reversed, done.reversed) == (1000, True)
    assert sorted(r.amount for r in done.reversals.data) == [300, 700]
    listed = client.v1.transfers.reversals.list(transfer.id)
    assert [r.id for r in listed.data] == [rest.id, partial.id]
    assert client.v1.transfers.reversals.retrieve(transfer.id, partial.id).amount == 300
    # AND each reversal was a transfer.reversed event, the last one with the transfer fully reversed
    events = _events(client, "transfer.reversed", transfer.id)
    assert [event.data.object["amount_reversed"] for event in events] == [300, 1000]
    body, signature = receiver.wait_for("transfer.reversed", transfer.id)
    assert stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET).type == "transfer.reversed"
    # AND nothing more can be reversed
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})
    assert (over.value.http_status, over.value.param) == (400, "amount")


def test_a_reversal_above_what_is_left_is_refused(client: StripeClient) -> None:
    transfer = _transfer(client, _onboarded(client).id, 500)
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 200})
    with pytest.raises(stripe.InvalidRequestError) as over:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 301})
    assert (over.value.http_status, over.value.param) == (400, "amount")
    assert client.v1.transfers.retrieve(transfer.id).amount_reversed == 200


def test_a_failed_transfer_is_fully_reversed_with_a_transfer_reversed_event(
    client: StripeClient, stripe_fake: LocalStripe, receiver: WebhookReceiver
) -> None:
    # GIVEN a transfer of 1200, 200 of it already reversed
    transfer = _transfer(client, _onboarded(client).id, 1200)
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 200})
    # WHEN Stripe takes it back (the dev hook)
    failed = dev_hook(stripe_fake, f"/connect/transfers/{transfer.id}/fail")
    # THEN the rest is reversed and the platform hears it as transfer.reversed, signed
    assert (failed["amount_reversed"], failed["reversed"]) == (1200, True)
    assert client.v1.transfers.retrieve(transfer.id).reversed is True
    assert [e.data.object["amount_reversed"] for e in _events(client, "transfer.reversed", transfer.id)] == [200, 1200]
    body, signature = receiver.wait_for("transfer.reversed", transfer.id)
    assert stripe.Webhook.construct_event(body, signature, WEBHOOK_SECRET).data.object["id"] == transfer.id
