"""API calls made with a key are counted in the owner's usage of the billing period, per key."""

from __future__ import annotations

import pytest

from souk.plans.service import usage
from tests.factories import create_user, token_for
from tests.plans_support import on_plan
from tests.support import ApiClient


def test_calls_with_api_keys_show_on_the_subscription_per_key(api: ApiClient) -> None:
    user = create_user()
    on_plan("user", user.user_id, "pro")
    token = token_for(user)
    keys = [api.post("/api/v1/api-keys", json_body={"name": n}, token=token).json["data"] for n in ("ci", "bot")]
    for key, times in zip(keys, (2, 1), strict=True):
        for _ in range(times):
            assert api.get("/api/v1/auth/me", headers={"X-Api-Key": key["key"]}).status == 200
    read = api.get("/api/v1/subscriptions", headers={"X-Api-Key": keys[1]["key"]})  # counted too
    assert read.status == 200, read.body
    found = read.json["data"]["usage"]
    assert found["apiCalls"] == 4
    assert found["apiCallsByKey"] == {keys[0]["id"]: 2, keys[1]["id"]: 2}
    # a session's calls are not API calls
    assert api.get("/api/v1/subscriptions", token=token).json["data"]["usage"]["apiCalls"] == 4


def test_a_count_that_cannot_be_written_does_not_fail_the_request(api: ApiClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    from souk.db.transactions import TransactionCancelled

    user = create_user()
    key = api.post("/api/v1/api-keys", json_body={"name": "ci"}, token=token_for(user)).json["data"]["key"]

    def broken(*_: object, **__: object) -> bool:
        raise TransactionCancelled({"*": "ProvisionedThroughputExceeded"})

    monkeypatch.setattr(usage, "count_api_call", broken)
    assert api.get("/api/v1/auth/me", headers={"X-Api-Key": key}).status == 200
