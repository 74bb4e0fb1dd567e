"""POST /api/v1/stores/{storeId}/payout-account (Stripe Connect Express on localstripe) and ``account.updated``."""

from __future__ import annotations

import time
from typing import Any

from infra.local.localstripe import LocalStripe
from souk.finance.store import accounts as account_store
from souk.settings import get_settings
from tests.factories import create_user, token_for
from tests.functional.finance.test_payout_routes import deliver, set_account, shop, stripe_client, visit
from tests.support import ApiClient, assert_error

__all__ = ["shop"]  # the fixture, shared with the payout tests


def _url(store_id: str) -> str:
    return f"/api/v1/stores/{store_id}/payout-account"


def _status(api: ApiClient, shop: dict[str, Any]) -> str:
    data = api.get(f"/api/v1/stores/{shop['id']}/balance", token=shop["owner"]).json["data"]
    return str(data["payoutAccount"]["status"])


def _account_object(stripe_id: str, **state: Any) -> dict[str, Any]:
    """An account.updated object: an Express account in the state given."""
    return {"id": stripe_id, "object": "account", "type": "express", "details_submitted": True,
            "charges_enabled": True, "payouts_enabled": True,
            "requirements": {"currently_due": [], "disabled_reason": None}, **state}  # fmt: skip


def test_onboarding_creates_the_account_once_and_account_updated_activates_it(
    api: ApiClient, shop: dict[str, Any], stripe_fake: LocalStripe
) -> None:
    # WHEN the owner starts onboarding
    first = api.post(_url(shop["id"]), token=shop["owner"])
    # THEN an onboarding link of Stripe's, and the account pending
    assert first.status == 200, first.body
    assert first.json["data"]["status"] == "pending"
    assert first.json["data"]["onboardingUrl"].startswith(f"{stripe_fake.url}/connect/onboarding/acct_")
    stored = account_store.load_account(shop["id"], consistent=True)
    assert stored is not None and stored.status == "pending"
    at_stripe = stripe_client(stripe_fake).v1.accounts.retrieve(stored.stripe_account_id)
    assert (at_stripe.type, at_stripe.metadata["storeId"]) == ("express", shop["id"])
    assert _status(api, shop) == "pending"
    # WHEN they ask again: the same account, a new link
    again = api.post(_url(shop["id"]), token=shop["owner"])
    assert again.status == 200
    assert again.json["data"]["onboardingUrl"] != first.json["data"]["onboardingUrl"]
    assert account_store.load_account(shop["id"], consistent=True).stripe_account_id == stored.stripe_account_id  # type: ignore[union-attr]
    # WHEN they finish Stripe's form (the link's page), they come back to the app's return URL
    status, location = visit(again.json["data"]["onboardingUrl"])
    assert status == 302
    assert location == f"{get_settings().app_url}/stores/{shop['id']}/payout-account?done=1"
    # AND Stripe's account.updated makes the account active
    account = stripe_client(stripe_fake).v1.accounts.retrieve(stored.stripe_account_id).to_dict()
    assert deliver(api, "account.updated", account).status == 200
    assert _status(api, shop) == "active"
    assert api.post(_url(shop["id"]), token=shop["owner"]).json["data"]["status"] == "active"


def test_a_lost_account_item_still_gets_the_same_stripe_account(
    api: ApiClient, shop: dict[str, Any], stripe_fake: LocalStripe
) -> None:
    # GIVEN an account made, whose item is then lost (as if the put had failed after Stripe's answer)
    assert api.post(_url(shop["id"]), token=shop["owner"]).status == 200
    stored = account_store.load_account(shop["id"], consistent=True)
    assert stored is not None
    stored.delete()
    # WHEN onboarding starts again (within Stripe's 24 hours)
    assert api.post(_url(shop["id"]), token=shop["owner"]).status == 200
    # THEN the idempotency key derived from the store gave back the same account: Stripe made one
    again = account_store.load_account(shop["id"], consistent=True)
    assert again is not None and again.stripe_account_id == stored.stripe_account_id
    listed = stripe_client(stripe_fake).v1.accounts.list(params={"limit": 100}).auto_paging_iter()
    mine = [a.id for a in listed if a.to_dict().get("metadata", {}).get("storeId") == shop["id"]]
    assert mine == [stored.stripe_account_id]


def test_account_updated_events_apply_newest_first_whatever_their_order(
    api: ApiClient, shop: dict[str, Any], stripe_offline: None
) -> None:
    # GIVEN a pending payout account
    set_account(shop["id"], "pending", "acct_1ordering")
    now = int(time.time())
    restricted = _account_object("acct_1ordering", payouts_enabled=False,
                                 requirements={"currently_due": ["external_account"],
                                               "disabled_reason": "requirements.past_due"})  # fmt: skip
    # WHEN the newer event (restricted) arrives before the older one (active)
    assert deliver(api, "account.updated", restricted, created=now + 10).status == 200
    assert _status(api, shop) == "restricted"
    assert deliver(api, "account.updated", _account_object("acct_1ordering"), created=now).status == 200
    # THEN the older one changed nothing
    assert _status(api, shop) == "restricted"
    item = account_store.load_account(shop["id"], consistent=True)
    assert item is not None and int(item.event_created) == now + 10
    # AND an event of the same second is not newer either; a later one is applied
    assert deliver(api, "account.updated", _account_object("acct_1ordering"), created=now + 10).status == 200
    assert _status(api, shop) == "restricted"
    assert deliver(api, "account.updated", _account_object("acct_1ordering"), created=now + 20).status == 200
    assert _status(api, shop) == "active"


def test_a_new_account_not_onboarded_stays_pending_and_an_unknown_account_is_ignored(
    api: ApiClient, shop: dict[str, Any], stripe_offline: None
) -> None:
    set_account(shop["id"], "pending", "acct_1fresh")
    fresh = _account_object("acct_1fresh", details_submitted=False, charges_enabled=False, payouts_enabled=False,
                            requirements={"currently_due": ["external_account"],
                                          "disabled_reason": "requirements.past_due"})  # fmt: skip
    assert deliver(api, "account.updated", fresh).status == 200
    assert _status(api, shop) == "pending"
    unknown = deliver(api, "account.updated", _account_object("acct_1nobody"))
    assert unknown.status == 200 and unknown.json["data"] == {"received": True, "duplicate": False}


def test_payout_account_auth(api: ApiClient, shop: dict[str, Any], stripe_offline: None) -> None:
    assert_error(api.post(_url(shop["id"])), 401, "UNAUTHORIZED")
    for token in (token_for(create_user("customer")), token_for(create_user("courier")), shop["admin"]):
        assert_error(api.post(_url(shop["id"]), token=token), 403, "FORBIDDEN")
    stranger = token_for(create_user("store_owner"))
    assert_error(api.post(_url(shop["id"]), token=stranger), 404, "NOT_FOUND")
    assert_error(api.post(_url("01NOSUCHSTORE"), token=shop["owner"]), 404, "NOT_FOUND")
    assert_error(api.post(_url("x" * 65), token=shop["owner"]), 400, "VALIDATION_ERROR")
    assert account_store.load_account(shop["id"], consistent=True) is None  # Stripe was never called
