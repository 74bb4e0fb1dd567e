"""Products: create, read, update and soft delete through the template's routes."""

from __future__ import annotations

from typing import Any

import pytest

from souk.catalog import keys
from souk.catalog.models import ListingEntry, SearchEntry
from souk.catalog.schemas.stores import StoreStatusRequest
from souk.catalog.service import review
from souk.catalog.store import products
from tests.factories import create_user, token_for
from tests.functional.product_support import (
    ADMIN,
    Seller,
    make_category,
    make_image,
    make_seller,
    make_store,
    product_body,
)
from tests.support import ApiClient, assert_error


def _listing_ids(api: ApiClient, query: str = "") -> list[str]:
    response = api.get(f"/api/v1/products?{query}")
    assert response.status == 200, response.body
    return [p["id"] for p in response.json["data"]]


def _search_ids(api: ApiClient, q: str) -> list[str]:
    response = api.get(f"/api/v1/search?q={q}")
    assert response.status == 200, response.body
    return [h["id"] for h in response.json["data"]]


# --- POST: create a product


def test_create_product_lists_and_indexes_it_at_once(api: ApiClient) -> None:
    # GIVEN an owner of an approved store, with an uploaded product image
    seller = make_seller()
    image = make_image(seller.user)
    # WHEN they add a product
    response = api.post("/api/v1/products", token=seller.token,
                        json_body=product_body(seller.store, seller.category, imageUploadIds=[image],
                                               tags=["Running", "Trail Shoes"]))  # fmt: skip
    # THEN it is created with its variants, in the store's currency, tags normalized
    assert response.status == 201, response.body
    product = response.json["data"]
    assert product["status"] == "active" and product["inStock"] is True
    assert product["price"] == {"amount": 5999, "currency": "usd"}
    assert product["tags"] == ["running", "trail-shoes"]
    assert product["images"] == [{"uploadId": image}]
    assert [(v["sku"], v["stock"], v["price"]["amount"]) for v in product["variants"]] == [
        ("TRS-42", 10, 5999), ("TRS-43", 3, 6499)]  # fmt: skip
    # AND it is in every listing partition (all, store, category, each tag) and in search
    expected = [keys.LISTING_ALL, keys.listing_store(seller.store.store_id),
                keys.listing_category(seller.category.category_id), keys.listing_tag("running"),
                keys.listing_tag("trail-shoes")]  # fmt: skip
    for facet in expected:
        assert ListingEntry.get(facet, keys.product(product["id"])).name == "Trail Running Shoes"
    assert product["id"] in _listing_ids(api)
    assert product["id"] in _listing_ids(api, f"store={seller.store.store_id}")
    assert product["id"] in _listing_ids(api, f"category={seller.category.category_id}")
    assert product["id"] in _listing_ids(api, "tag=trail%20shoes")
    assert product["id"] in _search_ids(api, "trail")


def test_create_product_needs_a_token(api: ApiClient) -> None:
    seller = make_seller()
    response = api.post("/api/v1/products", json_body=product_body(seller.store, seller.category))
    assert_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize("role", ["customer", "courier"])
def test_create_product_is_for_store_owners(api: ApiClient, role: str) -> None:
    seller = make_seller()
    other = create_user(role)
    response = api.post("/api/v1/products", json_body=product_body(seller.store, seller.category),
                        token=token_for(other))  # fmt: skip
    assert_error(response, 403, "FORBIDDEN")


def test_create_product_in_another_owners_store_is_404(api: ApiClient) -> None:
    # GIVEN two store owners
    seller, intruder = make_seller(), make_seller()
    # WHEN one adds a product to the other's store
    response = api.post("/api/v1/products", json_body=product_body(seller.store, seller.category),
                        token=intruder.token)  # fmt: skip
    # THEN the store does not exist, as far as they can tell
    assert_error(response, 404, "NOT_FOUND")


def test_an_unapproved_store_cannot_sell(api: ApiClient) -> None:
    # GIVEN a store still pending review
    seller = make_seller(approved=False)
    # WHEN its owner adds a product
    response = api.post("/api/v1/products", json_body=product_body(seller.store, seller.category),
                        token=seller.token)  # fmt: skip
    # THEN it is refused as a business rule, and nothing is listed
    assert_error(response, 422, "UNPROCESSABLE_ENTITY")
    assert _listing_ids(api, f"store={seller.store.store_id}") == []


def test_prices_must_be_in_the_store_currency(api: ApiClient) -> None:
    seller = make_seller()
    body = product_body(seller.store, seller.category, price={"amount": 100, "currency": "eur"})
    payload = assert_error(api.post("/api/v1/products", json_body=body, token=seller.token), 422,
                           "UNPROCESSABLE_ENTITY")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "price.currency"
    variants = [{"sku": "A", "name": "A", "stock": 1, "price": {"amount": 100, "currency": "eur"}}]
    body = product_body(seller.store, seller.category, variants=variants)
    payload = assert_error(api.post("/api/v1/products", json_body=body, token=seller.token), 422,
                           "UNPROCESSABLE_ENTITY")  # fmt: skip
    assert payload["error"]["details"][0]["field"] == "variants.0.price.currency"


def _variant(sku: str, **extra: Any) -> dict[str, Any]:
    return {"sku": sku, "name": sku, "stock": 1, **extra}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"price": {"amount": 19.99, "currency": "usd"}}, "price.amount"),
        ({"price": {"amount": -1, "currency": "usd"}}, "price.amount"),
        ({"price": {"amount": 100, "currency": "dollars"}}, "price.currency"),
        ({"variants": []}, "variants"),
        ({"variants": [_variant(f"S{i}") for i in range(51)]}, "variants"),
        ({"variants": [_variant("SAME"), _variant("SAME")]}, "variants"),
        ({"variants": [_variant("BAD SKU")]}, "variants.0.sku"),
        ({"variants": [_variant("A", stock=-1)]}, "variants.0.stock"),
        ({"tags": ["ok", "!!!"]}, "tags"),
        ({"tags": [f"t{i}" for i in range(11)]}, "tags"),
        ({"imageUploadIds": ["01NOSUCHUPLOAD0000000000000"]}, "imageUploadIds"),
        ({"categoryId": "01NOSUCHCATEGORY00000000000"}, "categoryId"),
    ],
)
def test_create_product_validation_errors_name_the_field(api: ApiClient, overrides: dict, field: str) -> None:
    seller = make_seller()
    body = product_body(seller.store, seller.category, **overrides)
    payload = assert_error(api.post("/api/v1/products", json_body=body, token=seller.token), 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload


def test_create_product_refuses_another_users_image(api: ApiClient) -> None:
    seller = make_seller()
    someone = create_user("store_owner")
    body = product_body(seller.store, seller.category, imageUploadIds=[make_image(someone)])
    payload = assert_error(api.post("/api/v1/products", json_body=body, token=seller.token), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "imageUploadIds"


# --- GET one product


def test_get_product_public_view_hides_exact_stock_and_is_cacheable(api: ApiClient) -> None:
    # GIVEN a product with a low variant (3 left, threshold 2 → in stock; then 2 → low)
    seller = make_seller()
    product = seller.create(api, variants=[_variant("A", stock=0), _variant("B", stock=2, lowStockThreshold=2),
                                           _variant("C", stock=9)])  # fmt: skip
    # WHEN anyone reads it
    response = api.get(f"/api/v1/products/{product['id']}")
    # THEN variants show a stock status, not a count, and the answer is cacheable
    assert response.status == 200, response.body
    variants = response.json["data"]["variants"]
    assert [(v["sku"], v["stockStatus"], v["stock"]) for v in variants] == [
        ("A", "out_of_stock", None), ("B", "low_stock", None), ("C", "in_stock", None)]  # fmt: skip
    assert response.json["data"]["rating"] == {"average": 0.0, "count": 0}
    assert response.headers["Cache-Control"] == "public, max-age=60"
    etag = response.headers["ETag"]
    # AND asking again with the ETag gets 304 and no body
    again = api.get(f"/api/v1/products/{product['id']}", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""


def test_get_product_owner_sees_exact_stock_privately(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    response = api.get(f"/api/v1/products/{product['id']}", token=seller.token)
    assert response.status == 200
    assert [v["stock"] for v in response.json["data"]["variants"]] == [10, 3]
    assert response.headers["Cache-Control"] == "private, no-store" and "ETag" not in response.headers


def test_get_product_inactive_is_404_for_the_public_but_not_the_owner(api: ApiClient) -> None:
    # GIVEN a product its owner has hidden
    seller = make_seller()
    product = seller.create(api)
    hidden = api.patch(f"/api/v1/products/{product['id']}", json_body={"status": "inactive"}, token=seller.token)
    assert hidden.status == 200
    # THEN the public (and other users) get 404, the owner and an admin still see it
    assert_error(api.get(f"/api/v1/products/{product['id']}"), 404, "NOT_FOUND")
    assert_error(api.get(f"/api/v1/products/{product['id']}", token=make_seller().token), 404, "NOT_FOUND")
    assert api.get(f"/api/v1/products/{product['id']}", token=seller.token).json["data"]["status"] == "inactive"
    admin = token_for(create_user("admin"))
    assert api.get(f"/api/v1/products/{product['id']}", token=admin).status == 200


def test_get_product_of_a_suspended_store_is_404_for_the_public(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    review.set_store_status(ADMIN, seller.store.store_id, StoreStatusRequest(status="suspended", reason="x"))
    assert_error(api.get(f"/api/v1/products/{product['id']}"), 404, "NOT_FOUND")
    assert api.get(f"/api/v1/products/{product['id']}", token=seller.token).status == 200


def test_get_unknown_product_is_404(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/products/01NOSUCHPRODUCT000000000000"), 404, "NOT_FOUND")


def test_get_product_with_a_bad_token_is_401(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    assert_error(api.get(f"/api/v1/products/{product['id']}", token="not-a-jwt"), 401, "INVALID_TOKEN")


# --- PATCH one product


def test_update_product_moves_it_between_listing_partitions_and_search(api: ApiClient) -> None:
    # GIVEN a product in category "Shoes", tagged running, named "Trail Running Shoes"
    seller = make_seller()
    product = seller.create(api)
    boots = make_category("Boots")
    # WHEN its owner renames, re-tags, re-prices and re-categorizes it
    response = api.patch(f"/api/v1/products/{product['id']}", token=seller.token, json_body={
        "name": "Mountain Boots", "tags": ["hiking"], "price": {"amount": 8999, "currency": "usd"},
        "categoryId": boots.category_id, "description": "Warm."})  # fmt: skip
    # THEN the product changed
    assert response.status == 200, response.body
    data = response.json["data"]
    assert (data["name"], data["tags"], data["price"]["amount"], data["categoryId"]) == (
        "Mountain Boots", ["hiking"], 8999, boots.category_id)  # fmt: skip
    # AND the old listing and search entries are gone, the new ones are there
    assert product["id"] not in _listing_ids(api, "tag=running")
    assert product["id"] not in _listing_ids(api, f"category={seller.category.category_id}")
    assert product["id"] in _listing_ids(api, "tag=hiking")
    assert product["id"] in _listing_ids(api, f"category={boots.category_id}")
    assert product["id"] not in _search_ids(api, "trail")
    assert product["id"] in _search_ids(api, "mountain")
    listed = api.get(f"/api/v1/products?store={seller.store.store_id}").json["data"][0]
    assert (listed["name"], listed["price"]["amount"]) == ("Mountain Boots", 8999)
    # AND no stale search entry is left behind for the old name
    assert list(SearchEntry.query(keys.product_search("trail"))) == []


def test_update_product_status_inactive_hides_it_and_active_restores_it(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    api.patch(f"/api/v1/products/{product['id']}", json_body={"status": "inactive"}, token=seller.token)
    assert product["id"] not in _listing_ids(api) and product["id"] not in _search_ids(api, "trail")
    api.patch(f"/api/v1/products/{product['id']}", json_body={"status": "active"}, token=seller.token)
    assert product["id"] in _listing_ids(api) and product["id"] in _search_ids(api, "trail")


def test_update_another_owners_product_is_404(api: ApiClient) -> None:
    seller, intruder = make_seller(), make_seller()
    product = seller.create(api)
    response = api.patch(f"/api/v1/products/{product['id']}", json_body={"name": "Mine now"}, token=intruder.token)
    assert_error(response, 404, "NOT_FOUND")
    assert api.get(f"/api/v1/products/{product['id']}").json["data"]["name"] == "Trail Running Shoes"


def test_update_product_auth(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    path = f"/api/v1/products/{product['id']}"
    assert_error(api.patch(path, json_body={"name": "X y"}), 401, "UNAUTHORIZED")
    customer = token_for(create_user("customer"))
    assert_error(api.patch(path, json_body={"name": "X y"}, token=customer), 403, "FORBIDDEN")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"name": "  "}, "name"),
        ({"status": "deleted"}, "status"),
        ({"price": {"amount": 1.5, "currency": "usd"}}, "price.amount"),
        ({"tags": ["???"]}, "tags"),
        ({"categoryId": "01NOSUCHCATEGORY00000000000"}, "categoryId"),
        ({"imageUploadIds": ["01NOSUCHUPLOAD0000000000000"]}, "imageUploadIds"),
    ],
)
def test_update_product_validation_errors(api: ApiClient, body: dict, field: str) -> None:
    seller = make_seller()
    product = seller.create(api)
    response = api.patch(f"/api/v1/products/{product['id']}", json_body=body, token=seller.token)
    payload = assert_error(response, 400, "VALIDATION_ERROR")
    assert field in {d["field"] for d in payload["error"]["details"]}, payload


def test_update_product_price_in_another_currency_is_422(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    response = api.patch(f"/api/v1/products/{product['id']}", json_body={"price": {"amount": 5, "currency": "eur"}},
                         token=seller.token)  # fmt: skip
    assert_error(response, 422, "UNPROCESSABLE_ENTITY")


# --- DELETE one product


def test_delete_product_removes_it_from_every_listing_and_search(api: ApiClient) -> None:
    # GIVEN a listed, searchable product with a low-stock variant
    seller = make_seller()
    product = seller.create(api, variants=[_variant("LOW", stock=1)])
    assert product["id"] in _search_ids(api, "shoes")
    # WHEN its owner deletes it
    response = api.delete(f"/api/v1/products/{product['id']}", token=seller.token)
    # THEN it is soft deleted: gone from the product page, every listing, search and the low-stock list
    assert response.status == 200 and response.json["data"] == {"id": product["id"], "deleted": True}
    assert_error(api.get(f"/api/v1/products/{product['id']}"), 404, "NOT_FOUND")
    for query in ("", f"store={seller.store.store_id}", f"category={seller.category.category_id}", "tag=running",
                  "search=trail"):  # fmt: skip
        assert product["id"] not in _listing_ids(api, query), query
    assert _search_ids(api, "trail%20shoes") == []
    low = api.get(f"/api/v1/stores/{seller.store.store_id}/inventory/low-stock", token=seller.token)
    assert low.json["data"] == []
    # AND deleting again is 404
    assert_error(api.delete(f"/api/v1/products/{product['id']}", token=seller.token), 404, "NOT_FOUND")


def test_delete_another_owners_product_is_404(api: ApiClient) -> None:
    seller, intruder = make_seller(), make_seller()
    product = seller.create(api)
    assert_error(api.delete(f"/api/v1/products/{product['id']}", token=intruder.token), 404, "NOT_FOUND")
    assert api.get(f"/api/v1/products/{product['id']}").status == 200


def test_delete_product_auth(api: ApiClient) -> None:
    seller = make_seller()
    product = seller.create(api)
    assert_error(api.delete(f"/api/v1/products/{product['id']}"), 401, "UNAUTHORIZED")
    courier = token_for(create_user("courier"))
    assert_error(api.delete(f"/api/v1/products/{product['id']}", token=courier), 403, "FORBIDDEN")


def test_admin_may_delete_any_product(api: ApiClient) -> None:
    seller: Seller = make_seller()
    product = seller.create(api)
    admin = token_for(create_user("admin"))
    assert api.delete(f"/api/v1/products/{product['id']}", token=admin).status == 200
    assert_error(api.get(f"/api/v1/products/{product['id']}"), 404, "NOT_FOUND")


def test_store_currency_is_the_products_currency(api: ApiClient) -> None:
    # GIVEN a store selling in euros
    owner = create_user("store_owner")
    category = make_category("Bread")
    store = make_store(owner, category, currency="eur")
    # WHEN a product priced in euros is added
    body = product_body(store, category, variants=[_variant("BAGUETTE")])
    response = api.post("/api/v1/products", json_body=body, token=token_for(owner))
    # THEN it sells in euros
    assert response.status == 201, response.body
    assert response.json["data"]["price"]["currency"] == "eur"


def test_relisting_a_suspended_store_hides_and_restores_its_products(api: ApiClient) -> None:
    def relist(store_id: str, *, listed: bool) -> None:
        cursor = products.relist_store_products(store_id, listed=listed, page_size=1)
        while cursor is not None:
            cursor = products.relist_store_products(store_id, listed=listed, cursor=cursor, page_size=1)

    # GIVEN a store with two listed products
    seller = make_seller()
    ids = [seller.create(api)["id"], seller.create(api, name="Trail Socks")["id"]]
    # WHEN an admin suspends it and the job relists its products page by page
    review.set_store_status(ADMIN, seller.store.store_id, StoreStatusRequest(status="suspended", reason="x"))
    relist(seller.store.store_id, listed=False)
    # THEN they are in no listing and no search
    assert not set(ids) & set(_listing_ids(api)) and _search_ids(api, "trail") == []
    # WHEN it is approved again and relisted
    review.set_store_status(ADMIN, seller.store.store_id, StoreStatusRequest(status="approved"))
    relist(seller.store.store_id, listed=True)
    # THEN both are back
    assert set(ids) <= set(_listing_ids(api)) and set(_search_ids(api, "trail")) == set(ids)
