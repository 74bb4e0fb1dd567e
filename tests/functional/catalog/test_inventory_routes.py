"""Inventory: stock and movements, adjustments, the low-stock list and its one email."""

from __future__ import annotations

from typing import Any

import pytest

from souk.catalog import keys
from souk.catalog.models import ListingEntry, Variant
from souk.catalog.service import inventory, products
from souk.db.transactions import TransactionCancelled, WriteTransaction
from tests.factories import create_user, queued_jobs, token_for
from tests.functional.product_support import Seller, make_seller
from tests.support import ApiClient, assert_error


def _adjust(api: ApiClient, seller: Seller, product_id: str, sku: str, delta: int, reason: str = "count") -> Any:
    return api.post(f"/api/v1/products/{product_id}/inventory/adjustments", token=seller.token,
                    json_body={"variantSku": sku, "delta": delta, "reason": reason})  # fmt: skip


def _one_variant(seller: Seller, api: ApiClient, stock: int, threshold: int = 5) -> str:
    product = seller.create(api, variants=[{"sku": "SKU-1", "name": "One", "stock": stock,
                                            "lowStockThreshold": threshold}])  # fmt: skip
    return str(product["id"])


# --- POST adjustments


def test_adjustment_changes_stock_and_records_a_movement(api: ApiClient) -> None:
    # GIVEN a variant with 10 in stock
    seller = make_seller()
    product_id = _one_variant(seller, api, 10)
    # WHEN 4 are removed
    response = _adjust(api, seller, product_id, "SKU-1", -4, "damaged in transit")
    # THEN stock is 6 and the movement says so
    assert response.status == 201, response.body
    data = response.json["data"]
    assert data["variant"]["stock"] == 6 and data["variant"]["stockStatus"] == "in_stock"
    assert (data["movement"]["delta"], data["movement"]["stockAfter"], data["movement"]["reason"]) == (
        -4, 6, "damaged in transit")  # fmt: skip
    assert data["movement"]["actorId"] == seller.user.user_id


def test_adjustment_never_goes_below_zero(api: ApiClient) -> None:
    seller = make_seller()
    product_id = _one_variant(seller, api, 3)
    payload = assert_error(_adjust(api, seller, product_id, "SKU-1", -4), 409, "INSUFFICIENT_STOCK")
    assert payload["data"] == {"available": 3}
    inventory_now = api.get(f"/api/v1/products/{product_id}/inventory", token=seller.token).json["data"]
    assert inventory_now["variants"][0]["stock"] == 3 and inventory_now["movements"] == []


def test_crossing_zero_flips_in_stock_on_the_product_and_its_listing(api: ApiClient) -> None:
    # GIVEN a product with one variant in stock
    seller = make_seller()
    product_id = _one_variant(seller, api, 2)
    # WHEN it sells out
    assert _adjust(api, seller, product_id, "SKU-1", -2).status == 201
    # THEN the product and every listing entry say out of stock
    product, _ = products.load(product_id)
    assert product.in_stock is False
    assert {e.in_stock for e in (ListingEntry.get(f, keys.product(product_id)) for f in product.listing_facets)} == {
        False}  # fmt: skip
    assert api.get(f"/api/v1/products/{product_id}").json["data"]["inStock"] is False
    # AND back in stock after a restock
    assert _adjust(api, seller, product_id, "SKU-1", 1).status == 201
    assert api.get(f"/api/v1/products/{product_id}").json["data"]["inStock"] is True


def test_a_product_stays_in_stock_while_another_variant_has_some(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)  # TRS-42: 10, TRS-43: 3
    assert _adjust(api, seller, product["id"], "TRS-43", -3).status == 201
    assert api.get(f"/api/v1/products/{product['id']}").json["data"]["inStock"] is True


def _inbox(api: ApiClient, token: str, kind: str) -> list[tuple[str, str]]:
    """(entityId, title) of the caller's in-app notifications of one type (GET /notifications)."""
    response = api.get("/api/v1/notifications", token=token)
    assert response.status == 200, response.body
    return [(n["entityId"], n["title"]) for n in response.json["data"] if n["type"] == kind]


def test_falling_below_the_threshold_lists_the_variant_and_emails_the_owner_once(
    api: ApiClient, aws_resources: dict
) -> None:
    # GIVEN a variant with 8 in stock, threshold 5
    seller = make_seller()
    product_id = _one_variant(seller, api, 8, threshold=5)
    queued_jobs(aws_resources["EmailQueue"])  # the store approval email
    low_path = f"/api/v1/stores/{seller.store.store_id}/inventory/low-stock"
    assert api.get(low_path, token=seller.token).json["data"] == []
    # WHEN stock falls to 5, then 4
    _adjust(api, seller, product_id, "SKU-1", -3)
    _adjust(api, seller, product_id, "SKU-1", -1)
    # THEN it is on the low-stock list, and ONE low_stock email went to the owner
    low = api.get(low_path, token=seller.token).json["data"]
    assert [(i["variantSku"], i["stock"], i["productName"]) for i in low] == [("SKU-1", 4, "Trail Running Shoes")]
    jobs = [j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "low_stock"]
    assert len(jobs) == 1 and jobs[0]["to"] == seller.user.email
    assert jobs[0]["variables"]["stock"] == 5 and jobs[0]["variables"]["variant_sku"] == "SKU-1"
    assert _inbox(api, seller.token, "order") == [(f"{product_id}:SKU-1", "Low stock: Trail Running Shoes (SKU-1)")]
    # WHEN it is restocked above the threshold, then falls again
    _adjust(api, seller, product_id, "SKU-1", 10)
    assert api.get(low_path, token=seller.token).json["data"] == []
    _adjust(api, seller, product_id, "SKU-1", -12)
    # THEN it is listed again and a second email goes out (the flag was reset)
    assert len(api.get(low_path, token=seller.token).json["data"]) == 1
    assert len([j for j in queued_jobs(aws_resources["EmailQueue"]) if j["template"] == "low_stock"]) == 1
    assert len(_inbox(api, seller.token, "order")) == 2  # one per movement that crossed the threshold


def test_adjust_another_owners_product_is_404(api: ApiClient) -> None:
    seller, intruder = make_seller(), make_seller()
    product_id = _one_variant(seller, api, 5)
    assert_error(_adjust(api, intruder, product_id, "SKU-1", -1), 404, "NOT_FOUND")
    assert products.load(product_id)[1][0].stock == 5


def test_adjust_auth(api: ApiClient) -> None:
    seller = make_seller()
    product_id = _one_variant(seller, api, 5)
    path = f"/api/v1/products/{product_id}/inventory/adjustments"
    body = {"variantSku": "SKU-1", "delta": 1, "reason": "x"}
    assert_error(api.post(path, json_body=body), 401, "UNAUTHORIZED")
    assert_error(api.post(path, json_body=body, token=token_for(create_user("customer"))), 403, "FORBIDDEN")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"variantSku": "SKU-1", "delta": 0, "reason": "x"}, "delta"),
        ({"variantSku": "SKU-1", "delta": 1.5, "reason": "x"}, "delta"),
        ({"variantSku": "SKU-1", "delta": 1, "reason": "  "}, "reason"),
        ({"variantSku": "SKU-1", "delta": 1}, "reason"),
        ({"variantSku": "NOPE", "delta": 1, "reason": "x"}, "variantSku"),
        ({"variantSku": "SKU-1", "delta": 1_000_000, "reason": "x"}, "delta"),
    ],
)
def test_adjust_validation_errors(api: ApiClient, body: dict, field: str) -> None:
    seller = make_seller()
    product_id = _one_variant(seller, api, 5)
    response = api.post(f"/api/v1/products/{product_id}/inventory/adjustments", json_body=body, token=seller.token)
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload


# --- GET inventory


def test_inventory_shows_stock_and_newest_movements_first_with_paging(api: ApiClient) -> None:
    # GIVEN three adjustments
    seller = make_seller()
    product_id = _one_variant(seller, api, 5)
    for delta in (1, 2, -3):
        assert _adjust(api, seller, product_id, "SKU-1", delta).status == 201
    # WHEN the owner reads the inventory two movements at a time
    first = api.get(f"/api/v1/products/{product_id}/inventory?limit=2", token=seller.token)
    # THEN stock per variant and the newest movements come first
    assert first.status == 200, first.body
    data = first.json["data"]
    assert [(v["sku"], v["stock"], v["stockStatus"]) for v in data["variants"]] == [("SKU-1", 5, "low_stock")]
    assert [m["delta"] for m in data["movements"]] == [-3, 2]
    older = api.get(f"/api/v1/products/{product_id}/inventory?limit=2&cursor={data['movementsNextCursor']}",
                    token=seller.token).json["data"]  # fmt: skip
    assert [m["delta"] for m in older["movements"]] == [1]


def test_inventory_of_another_owners_product_is_404(api: ApiClient) -> None:
    seller, intruder = make_seller(), make_seller()
    product_id = _one_variant(seller, api, 5)
    assert_error(api.get(f"/api/v1/products/{product_id}/inventory", token=intruder.token), 404, "NOT_FOUND")
    admin = token_for(create_user("admin"))
    assert api.get(f"/api/v1/products/{product_id}/inventory", token=admin).status == 200


def test_inventory_auth_and_validation(api: ApiClient) -> None:
    seller = make_seller()
    product_id = _one_variant(seller, api, 5)
    path = f"/api/v1/products/{product_id}/inventory"
    assert_error(api.get(path), 401, "UNAUTHORIZED")
    assert_error(api.get(path, token=token_for(create_user("courier"))), 403, "FORBIDDEN")
    assert_error(api.get(f"{path}?limit=0", token=seller.token), 400, "VALIDATION_ERROR")
    assert_error(api.get(f"{path}?cursor=forged", token=seller.token), 400, "VALIDATION_ERROR")


# --- GET low-stock


def test_low_stock_of_another_owners_store_is_404(api: ApiClient) -> None:
    seller, intruder = make_seller(), make_seller()
    _one_variant(seller, api, 1)
    path = f"/api/v1/stores/{seller.store.store_id}/inventory/low-stock"
    assert_error(api.get(path, token=intruder.token), 404, "NOT_FOUND")
    assert len(api.get(path, token=seller.token).json["data"]) == 1


def test_low_stock_auth_and_paging(api: ApiClient) -> None:
    seller = make_seller()
    seller.create(api, variants=[{"sku": f"L{i}", "name": f"L{i}", "stock": i} for i in range(3)])
    path = f"/api/v1/stores/{seller.store.store_id}/inventory/low-stock"
    assert_error(api.get(path), 401, "UNAUTHORIZED")
    assert_error(api.get(path, token=token_for(create_user("customer"))), 403, "FORBIDDEN")
    assert_error(api.get(f"{path}?limit=1000", token=seller.token), 400, "VALIDATION_ERROR")
    first = api.get(f"{path}?limit=2", token=seller.token).json
    second = api.get(f"{path}?limit=2&cursor={first['pagination']['nextCursor']}", token=seller.token).json
    assert [i["variantSku"] for i in first["data"] + second["data"]] == ["L0", "L1", "L2"]


def test_low_stock_of_unknown_store_is_404(api: ApiClient) -> None:
    seller = make_seller()
    assert_error(api.get("/api/v1/stores/01NOSUCHSTORE00000000000000/inventory/low-stock", token=seller.token), 404,
                 "NOT_FOUND")  # fmt: skip


# --- building blocks for checkout


def test_reserve_and_release_stock_in_a_transaction(api: ApiClient) -> None:
    # GIVEN a variant with 2 in stock
    seller = make_seller()
    product_id = _one_variant(seller, api, 2)
    # WHEN checkout reserves 3: refused with the reservation's label
    with pytest.raises(TransactionCancelled) as cancelled, WriteTransaction() as tx:
        label = inventory.reserve_stock(tx, product_id, "SKU-1", 3)
    assert cancelled.value.failed() == [label]
    # WHEN it reserves 2, then refreshes the flags: sold out everywhere
    with WriteTransaction() as tx:
        inventory.reserve_stock(tx, product_id, "SKU-1", 2)
    inventory.refresh_stock_flags(product_id)
    variant = Variant.get(keys.product(product_id), keys.variant("SKU-1"))
    assert variant.stock == 0 and variant.gsi2pk == keys.low_stock(seller.store.store_id)
    assert api.get(f"/api/v1/products/{product_id}").json["data"]["inStock"] is False
    # AND a release gives it back
    with WriteTransaction() as tx:
        inventory.release_stock(tx, product_id, "SKU-1", 2)
    inventory.refresh_stock_flags(product_id)
    assert api.get(f"/api/v1/products/{product_id}").json["data"]["inStock"] is True
