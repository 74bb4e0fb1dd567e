"""The product listing (GET /api/v1/products) and search (GET /api/v1/search) on a fixture catalog."""

from __future__ import annotations

from typing import Any

import pytest

from tests.functional.product_support import Seller, make_category, make_seller
from tests.support import ApiClient, assert_error


def _v(sku: str, stock: int = 5) -> list[dict[str, Any]]:
    return [{"sku": sku, "name": sku, "stock": stock}]


def _names(response: Any) -> list[str]:
    assert response.status == 200, response.body
    return [item["name"] for item in response.json["data"]]


def _rate(product_id: str, average: float, count: int) -> None:
    """Give a product a rating the way the reviews feature will."""
    from souk.catalog.service import products

    products.set_rating(product_id, average * count, count)


@pytest.fixture
def catalog(api: ApiClient) -> dict[str, Any]:
    """Two stores; categories Footwear > Shoes; products with distinct prices, tags and ratings."""
    footwear = make_category("Footwear")
    shoes = make_category("Shoes", parent=footwear)
    hats = make_category("Hats")
    north, south = make_seller(footwear), make_seller(hats)
    made = {
        "Red Running Shoes": north.create(api, name="Red Running Shoes", categoryId=shoes.category_id,
                                          price={"amount": 5000, "currency": "usd"}, tags=["running"],
                                          variants=_v("RRS")),
        "Blue Shoes": north.create(api, name="Blue Shoes", categoryId=shoes.category_id,
                                   price={"amount": 3000, "currency": "usd"}, tags=["casual"], variants=_v("BS")),
        "Running Socks": north.create(api, name="Running Socks", categoryId=footwear.category_id,
                                      price={"amount": 900, "currency": "usd"}, tags=["running"], variants=_v("RS")),
        "Sun Hat": south.create(api, name="Sun Hat", categoryId=hats.category_id,
                                price={"amount": 2000, "currency": "usd"}, tags=["summer"], variants=_v("SH")),
    }  # fmt: skip
    ids = {name: p["id"] for name, p in made.items()}
    for name, (average, count) in {"Red Running Shoes": (4.0, 2), "Blue Shoes": (4.8, 5),
                                   "Running Socks": (3.0, 1), "Sun Hat": (4.5, 3)}.items():  # fmt: skip
        _rate(ids[name], average, count)
    return {"ids": ids, "north": north, "south": south, "footwear": footwear, "shoes": shoes, "hats": hats}


# ---------------------------------------------------------------- listing


def test_list_products_newest_first_by_default_with_cache_headers(api: ApiClient, catalog: dict) -> None:
    response = api.get("/api/v1/products")
    assert _names(response) == ["Sun Hat", "Running Socks", "Blue Shoes", "Red Running Shoes"]
    assert response.json["pagination"] == {"limit": 20, "nextCursor": None, "hasNext": False, "total": None}
    assert response.headers["Cache-Control"] == "public, max-age=60"
    again = api.get("/api/v1/products", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304


def test_category_filter_includes_sub_categories(api: ApiClient, catalog: dict) -> None:
    # WHEN listing the parent category "Footwear"
    names = _names(api.get(f"/api/v1/products?category={catalog['footwear'].category_id}&sort=name"))
    # THEN products of its sub-category "Shoes" are included
    assert names == ["Blue Shoes", "Red Running Shoes", "Running Socks"]
    assert _names(api.get(f"/api/v1/products?category={catalog['shoes'].category_id}&sort=name")) == [
        "Blue Shoes", "Red Running Shoes"]  # fmt: skip


@pytest.mark.parametrize(("order", "expected"), [("asc", ["Sun Hat", "Blue Shoes", "Red Running Shoes"]),
                                                 ("desc", ["Red Running Shoes", "Blue Shoes", "Sun Hat"])])  # fmt: skip
def test_price_range_sorted_by_price(api: ApiClient, catalog: dict, order: str, expected: list[str]) -> None:
    response = api.get(f"/api/v1/products?sort=price&order={order}&minPrice=2000&maxPrice=5000")
    assert _names(response) == expected
    assert [p["price"]["amount"] for p in response.json["data"]] == sorted(
        [2000, 3000, 5000], reverse=order == "desc")  # fmt: skip


def test_price_range_with_another_sort_is_a_filter(api: ApiClient, catalog: dict) -> None:
    assert _names(api.get("/api/v1/products?sort=rating&maxPrice=3000")) == ["Blue Shoes", "Sun Hat", "Running Socks"]


def test_store_and_tag_filters_combine_with_category(api: ApiClient, catalog: dict) -> None:
    north = catalog["north"].store.store_id
    assert _names(api.get(f"/api/v1/products?store={north}&sort=name")) == [
        "Blue Shoes", "Red Running Shoes", "Running Socks"]  # fmt: skip
    assert _names(api.get("/api/v1/products?tag=Running&sort=name")) == ["Red Running Shoes", "Running Socks"]
    shoes = catalog["shoes"].category_id
    assert _names(api.get(f"/api/v1/products?tag=running&category={shoes}")) == ["Red Running Shoes"]
    assert _names(api.get(f"/api/v1/products?store={north}&tag=casual")) == ["Blue Shoes"]


def test_in_stock_filter_after_an_adjustment_to_zero(api: ApiClient, catalog: dict) -> None:
    # GIVEN the socks sold out through an inventory adjustment
    north: Seller = catalog["north"]
    socks = catalog["ids"]["Running Socks"]
    response = api.post(f"/api/v1/products/{socks}/inventory/adjustments", token=north.token,
                        json_body={"variantSku": "RS", "delta": -5, "reason": "sold at the fair"})  # fmt: skip
    assert response.status == 201, response.body
    # THEN inStock=true leaves them out, inStock=false finds only them, on every facet and in search
    assert "Running Socks" not in _names(api.get("/api/v1/products?inStock=true"))
    assert _names(api.get("/api/v1/products?inStock=false")) == ["Running Socks"]
    assert _names(api.get("/api/v1/products?tag=running&inStock=true")) == ["Red Running Shoes"]
    assert _names(api.get("/api/v1/products?search=running&inStock=true")) == ["Red Running Shoes"]
    # AND restocking brings them back
    api.post(f"/api/v1/products/{socks}/inventory/adjustments", token=north.token,
             json_body={"variantSku": "RS", "delta": 2, "reason": "restock"})  # fmt: skip
    assert "Running Socks" in _names(api.get("/api/v1/products?inStock=true"))


def test_sort_by_rating_and_name(api: ApiClient, catalog: dict) -> None:
    assert _names(api.get("/api/v1/products?sort=rating")) == [
        "Blue Shoes", "Sun Hat", "Red Running Shoes", "Running Socks"]  # fmt: skip
    assert _names(api.get("/api/v1/products?sort=name&order=desc")) == [
        "Sun Hat", "Running Socks", "Red Running Shoes", "Blue Shoes"]  # fmt: skip


def test_cursor_pages_through_everything_once(api: ApiClient, catalog: dict) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "sort=price&limit=3" + (f"&cursor={cursor}" if cursor else "")
        response = api.get(f"/api/v1/products?{query}")
        seen += _names(response)
        pages += 1
        cursor = response.json["pagination"]["nextCursor"]
        assert response.json["pagination"]["hasNext"] is (cursor is not None)
        if cursor is None:
            break
    # THEN two pages, the second short, and hasNext is false on the last one
    assert pages == 2
    assert seen == ["Running Socks", "Sun Hat", "Blue Shoes", "Red Running Shoes"]


def test_a_cursor_is_refused_by_another_query(api: ApiClient, catalog: dict) -> None:
    cursor = api.get("/api/v1/products?limit=1").json["pagination"]["nextCursor"]
    payload = assert_error(api.get(f"/api/v1/products?limit=1&sort=price&cursor={cursor}"), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "cursor"


@pytest.mark.parametrize(
    ("query", "field"),
    [("sort=popularity", "sort"), ("order=up", "order"), ("limit=0", "limit"), ("limit=101", "limit"),
     ("minPrice=-1", "minPrice"), ("minPrice=abc", "minPrice"), ("inStock=maybe", "inStock"),
     ("cursor=garbage", "cursor"), ("search=%21%21", "search")],
)  # fmt: skip
def test_list_products_validation_errors(api: ApiClient, query: str, field: str) -> None:
    payload = assert_error(api.get(f"/api/v1/products?{query}"), 400, "VALIDATION_ERROR")
    assert any(field in d["field"] for d in payload["error"]["details"]), payload


def test_min_price_above_max_price_is_400(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/products?minPrice=500&maxPrice=100"), 400, "VALIDATION_ERROR")


def test_listing_with_search_filters_and_ranks(api: ApiClient, catalog: dict) -> None:
    assert _names(api.get("/api/v1/products?search=running%20shoes")) == [
        "Red Running Shoes", "Blue Shoes", "Running Socks"]  # fmt: skip
    assert _names(api.get("/api/v1/products?search=shoes&sort=price")) == ["Blue Shoes", "Red Running Shoes"]
    south = catalog["south"].store.store_id
    assert _names(api.get(f"/api/v1/products?search=hat&store={south}")) == ["Sun Hat"]


# ---------------------------------------------------------------- search


def _search(api: ApiClient, query: str) -> list[tuple[str, int]]:
    response = api.get(f"/api/v1/search?{query}")
    assert response.status == 200, response.body
    return [(h["name"], h["matchedWords"]) for h in response.json["data"]]


def test_search_ranks_by_words_matched_then_rating(api: ApiClient, catalog: dict) -> None:
    # WHEN searching two words
    hits = _search(api, "q=running%20shoes")
    # THEN the product matching both ranks first; among one-word matches the better rated comes first
    assert hits == [("Red Running Shoes", 2), ("Blue Shoes", 1), ("Running Socks", 1)]


def test_search_matches_prefixes_and_is_case_and_accent_insensitive(api: ApiClient, catalog: dict) -> None:
    assert _search(api, "q=sho") == [("Blue Shoes", 1), ("Red Running Shoes", 1)]
    assert _search(api, "q=SH%C3%94") == [("Blue Shoes", 1), ("Red Running Shoes", 1)]
    assert _search(api, "q=summ") == [("Sun Hat", 1)]  # tags are searchable too


def test_search_stores_and_all(api: ApiClient, catalog: dict) -> None:
    # GIVEN the stores feature indexes approved stores by name
    name = catalog["south"].store.name
    word = name.split()[0].lower()
    # WHEN searching stores only, and everything
    stores_only = api.get(f"/api/v1/search?q={word}&type=stores").json["data"]
    assert {h["type"] for h in stores_only} == {"store"}
    assert catalog["south"].store.store_id in {h["id"] for h in stores_only}
    everything = api.get(f"/api/v1/search?q={word}%20hat&type=all").json["data"]
    assert {h["type"] for h in everything} == {"store", "product"}


def test_search_pages_with_an_offset_cursor(api: ApiClient, catalog: dict) -> None:
    first = api.get("/api/v1/search?q=running%20shoes&limit=2")
    assert [h["name"] for h in first.json["data"]] == ["Red Running Shoes", "Blue Shoes"]
    cursor = first.json["pagination"]["nextCursor"]
    second = api.get(f"/api/v1/search?q=running%20shoes&limit=2&cursor={cursor}")
    assert [h["name"] for h in second.json["data"]] == ["Running Socks"]
    assert second.json["pagination"]["hasNext"] is False
    # AND a cursor made for other words is refused
    assert_error(api.get(f"/api/v1/search?q=hat&limit=2&cursor={cursor}"), 400, "VALIDATION_ERROR")


def test_search_sends_cache_headers(api: ApiClient, catalog: dict) -> None:
    response = api.get("/api/v1/search?q=hat")
    assert response.headers["Cache-Control"] == "public, max-age=60"
    assert api.get("/api/v1/search?q=hat", headers={"If-None-Match": response.headers["ETag"]}).status == 304


def test_soft_deleted_products_vanish_from_listing_and_search(api: ApiClient, catalog: dict) -> None:
    # GIVEN the blue shoes deleted
    blue = catalog["ids"]["Blue Shoes"]
    assert api.delete(f"/api/v1/products/{blue}", token=catalog["north"].token).status == 200
    # THEN no listing or search shows them
    assert "Blue Shoes" not in _names(api.get("/api/v1/products"))
    assert "Blue Shoes" not in _names(api.get(f"/api/v1/products?category={catalog['footwear'].category_id}"))
    assert "Blue Shoes" not in _names(api.get("/api/v1/products?sort=rating&search=shoes"))
    assert _search(api, "q=shoes") == [("Red Running Shoes", 1)]


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "q"), ("q=%20%21", "q"), ("q=a", "q"), ("q=shoe&type=people", "type"), ("q=shoe&limit=500", "limit")],
)
def test_search_validation_errors(api: ApiClient, query: str, field: str) -> None:
    payload = assert_error(api.get(f"/api/v1/search?{query}"), 400, "VALIDATION_ERROR")
    assert any(field in d["field"] for d in payload["error"]["details"]), payload


def test_a_suspended_stores_products_leave_listing_and_search_until_it_is_approved_again(
    api: ApiClient, catalog: dict
) -> None:
    from tests.factories import create_user, token_for

    # GIVEN the north store suspended by an admin
    admin = token_for(create_user("admin"))
    store_id = catalog["north"].store.store_id
    suspended = api.patch(f"/api/v1/admin/stores/{store_id}", json_body={"status": "suspended", "reason": "audit"},
                          token=admin)  # fmt: skip
    assert suspended.status == 200, suspended.body
    # THEN none of its products is listed or found any more; the other store's still are
    assert _names(api.get("/api/v1/products")) == ["Sun Hat"]
    assert _search(api, "q=shoes") == []
    # WHEN it is approved again THEN its products come back
    assert api.patch(f"/api/v1/admin/stores/{store_id}", json_body={"status": "approved"}, token=admin).status == 200
    assert set(_names(api.get("/api/v1/products"))) == {"Sun Hat", "Red Running Shoes", "Blue Shoes", "Running Socks"}
    assert {name for name, _ in _search(api, "q=shoes")} == {"Red Running Shoes", "Blue Shoes"}
