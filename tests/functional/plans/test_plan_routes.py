"""GET /api/v1/plans in-process: public, the contract's shape, cached with an ETag."""

from __future__ import annotations

from tests.support import ApiClient


def test_anyone_reads_the_plans_with_price_features_and_limits(api: ApiClient) -> None:
    response = api.get("/api/v1/plans")
    assert response.status == 200, response.body
    assert response.headers["Cache-Control"].startswith("public")
    free, pro, enterprise = response.json["data"]
    assert free == {"id": "free", "price": {"amount": 0, "currency": "usd"}, "interval": "month",
                    "features": ["storefront", "orders", "teams", "api_keys", "exports"],
                    "limits": {"teamMembers": 3, "apiKeys": 1, "exportsPerMonth": 2}}  # fmt: skip
    assert (pro["id"], pro["price"], pro["limits"]) == (
        "pro",
        {"amount": 2900, "currency": "usd"},
        {"teamMembers": 10, "apiKeys": 10, "exportsPerMonth": 50},
    )
    # a null limit is unlimited
    assert enterprise["limits"] == {"teamMembers": None, "apiKeys": None, "exportsPerMonth": None}
    # Pro adds analytics; Enterprise has Pro's features, its limits unlimited
    assert pro["features"] == [*free["features"], "analytics"] and enterprise["features"] == pro["features"]


def test_a_client_with_the_current_plans_gets_304(api: ApiClient) -> None:
    first = api.get("/api/v1/plans")
    again = api.get("/api/v1/plans", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status == 304 and not again.body
