"""Categories: the public tree, admin create / rename / move / delete, and the product counter."""

from __future__ import annotations

import pytest

from souk.audit import keys
from souk.audit.models import AuditRecord
from souk.catalog.service.categories import get_category
from souk.catalog.store.categories import adjust_product_count
from souk.errors import ValidationFailed
from tests.factories import create_user, token_for
from tests.functional.catalog_helpers import admin_token, count_dynamodb_calls, make_category
from tests.support import ApiClient, assert_error


def _tree(api: ApiClient) -> list[dict]:
    response = api.get("/api/v1/categories")
    assert response.status == 200, response.body
    return response.json["data"]


def _names(nodes: list[dict]) -> list[object]:
    """The tree as nested names: ``["Books", ("Food", ["Coffee"])]``."""
    return [(n["name"], _names(n["children"])) if n["children"] else n["name"] for n in nodes]


# --- GET /api/v1/categories
def test_tree_is_nested_sorted_and_cacheable(api: ApiClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a small tree
    admin = admin_token()
    food = make_category(api, admin, "Food")
    drinks = make_category(api, admin, "Drinks", food["id"])
    coffee = make_category(api, admin, "Coffee", drinks["id"])
    make_category(api, admin, "Bakery", food["id"])
    make_category(api, admin, "Books")
    # WHEN anyone reads it
    with count_dynamodb_calls(monkeypatch) as calls:
        response = api.get("/api/v1/categories")
    # THEN it comes nested, children by name, with paths root first, from one Query
    assert calls == {"Query": 1}
    tree = response.json["data"]
    assert _names(tree) == ["Books", ("Food", ["Bakery", ("Drinks", ["Coffee"])])]
    leaf = tree[1]["children"][1]["children"][0]
    assert leaf["path"] == [food["id"], drinks["id"], coffee["id"]] and leaf["parentId"] == drinks["id"]
    assert leaf["slug"] == "coffee" and leaf["productCount"] == 0
    # AND it is cacheable, with 304 for a current copy
    assert response.headers["Cache-Control"] == "public, max-age=60"
    again = api.get("/api/v1/categories", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status == 304 and again.body == b""


def test_empty_tree(api: ApiClient) -> None:
    assert _tree(api) == []


# --- POST /api/v1/categories
def test_create_category_generates_a_slug_unique_among_siblings(api: ApiClient) -> None:
    # GIVEN "Café & Bar" at the top level
    admin = admin_token()
    top = make_category(api, admin, "  Café  &  Bar ")
    assert top["slug"] == "cafe-bar" and top["name"] == "Café & Bar" and top["path"] == [top["id"]]
    # WHEN another top-level category slugs the same
    clash = api.post("/api/v1/categories", json_body={"name": "CAFE bar"}, token=admin)
    # THEN it is a duplicate, but the same name under a parent is fine
    assert_error(clash, 409, "DUPLICATE_ENTRY")
    child = make_category(api, admin, "Cafe Bar", top["id"])
    assert child["path"] == [top["id"], child["id"]]
    records = list(AuditRecord.gsi2.query(keys.audit_resource("category", child["id"])))
    assert [r.action for r in records] == ["category.create"]


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "!!!"}, "name"), ({"name": "x" * 61}, "name"),
     ({"name": "Shoes", "parentId": "01NOPARENT"}, "parentId"), ({}, "name")],
)  # fmt: skip
def test_create_category_validation(api: ApiClient, body: dict, field: str) -> None:
    payload = assert_error(api.post("/api/v1/categories", json_body=body, token=admin_token()), 400,
                           "VALIDATION_ERROR")  # fmt: skip
    assert field in {d["field"] for d in payload["error"]["details"]}


def test_create_category_too_deep_is_422(api: ApiClient) -> None:
    admin = admin_token()
    parent = None
    for level in range(5):
        parent = make_category(api, admin, f"Level {level}", parent["id"] if parent else None)
    assert parent is not None
    response = api.post("/api/v1/categories", json_body={"name": "Too deep", "parentId": parent["id"]}, token=admin)
    assert_error(response, 422, "UNPROCESSABLE_ENTITY")


def test_category_writes_need_an_admin(api: ApiClient) -> None:
    owner = token_for(create_user("store_owner"))
    category = make_category(api, admin_token(), "Garden")
    path = f"/api/v1/categories/{category['id']}"
    assert_error(api.post("/api/v1/categories", json_body={"name": "Tools"}, token=owner), 403, "FORBIDDEN")
    assert_error(api.post("/api/v1/categories", json_body={"name": "Tools"}), 401, "UNAUTHORIZED")
    assert_error(api.patch(path, json_body={"name": "Yard"}, token=owner), 403, "FORBIDDEN")
    assert_error(api.patch(path, json_body={"name": "Yard"}), 401, "UNAUTHORIZED")
    assert_error(api.delete(path, token=owner), 403, "FORBIDDEN")
    assert_error(api.delete(path), 401, "UNAUTHORIZED")


# --- PATCH a category
def test_rename_category_changes_slug_and_frees_the_old_one(api: ApiClient) -> None:
    # GIVEN Shoes and Hats at the top
    admin = admin_token()
    shoes = make_category(api, admin, "Shoes")
    make_category(api, admin, "Hats")
    # WHEN Shoes is renamed Footwear
    response = api.patch(f"/api/v1/categories/{shoes['id']}", json_body={"name": "Footwear"}, token=admin)
    # THEN its slug follows, the old slug is free again, and a clash with Hats is refused
    assert response.status == 200, response.body
    assert response.json["data"]["slug"] == "footwear"
    assert make_category(api, admin, "Shoes")["slug"] == "shoes"
    clash = api.patch(f"/api/v1/categories/{shoes['id']}", json_body={"name": "hats"}, token=admin)
    assert_error(clash, 409, "DUPLICATE_ENTRY")
    assert get_category(shoes["id"]).name == "Footwear"
    # AND an empty PATCH changes nothing and says so
    empty = assert_error(api.patch(f"/api/v1/categories/{shoes['id']}", json_body={}, token=admin), 400,
                         "VALIDATION_ERROR")  # fmt: skip
    assert [d["field"] for d in empty["error"]["details"]] == ["body"]


def test_move_a_childless_category_to_another_parent_and_to_the_top(api: ApiClient) -> None:
    # GIVEN Food > Tea and Drinks
    admin = admin_token()
    food = make_category(api, admin, "Food")
    drinks = make_category(api, admin, "Drinks")
    tea = make_category(api, admin, "Tea", food["id"])
    # WHEN Tea moves under Drinks
    moved = api.patch(f"/api/v1/categories/{tea['id']}", json_body={"parentId": drinks["id"]}, token=admin)
    # THEN its path and parent follow, and the tree shows it there
    assert moved.status == 200, moved.body
    assert moved.json["data"]["path"] == [drinks["id"], tea["id"]]
    assert _names(_tree(api)) == [("Drinks", ["Tea"]), "Food"]
    # AND Food, childless again, can now be deleted, and Tea can move to the top
    assert api.delete(f"/api/v1/categories/{food['id']}", token=admin).status == 200
    top = api.patch(f"/api/v1/categories/{tea['id']}", json_body={"parentId": None}, token=admin)
    assert top.json["data"]["parentId"] is None and top.json["data"]["path"] == [tea["id"]]


def test_moving_a_category_with_children_or_products_is_422(api: ApiClient) -> None:
    # GIVEN Food > Fruit, and Drinks holding a product
    admin = admin_token()
    food = make_category(api, admin, "Food")
    make_category(api, admin, "Fruit", food["id"])
    drinks = make_category(api, admin, "Drinks")
    target = make_category(api, admin, "Groceries")
    adjust_product_count(get_category(drinks["id"]).path, 1)
    # THEN neither can move, and a category cannot be its own parent
    for category in (food, drinks):
        response = api.patch(f"/api/v1/categories/{category['id']}", json_body={"parentId": target["id"]}, token=admin)
        assert_error(response, 422, "UNPROCESSABLE_ENTITY")
    itself = api.patch(f"/api/v1/categories/{target['id']}", json_body={"parentId": target["id"]}, token=admin)
    assert_error(itself, 422, "UNPROCESSABLE_ENTITY")


def test_update_category_validation_and_unknown(api: ApiClient) -> None:
    admin = admin_token()
    category = make_category(api, admin, "Toys")
    path = f"/api/v1/categories/{category['id']}"
    assert_error(api.patch(path, json_body={"name": " "}, token=admin), 400, "VALIDATION_ERROR")
    payload = assert_error(api.patch(path, json_body={"parentId": "01NOPE"}, token=admin), 400, "VALIDATION_ERROR")
    assert payload["error"]["details"][0]["field"] == "parentId"
    assert_error(api.patch("/api/v1/categories/01NOPE", json_body={"name": "X1"}, token=admin), 404, "NOT_FOUND")


# --- DELETE a category
def test_delete_only_a_leaf_without_products(api: ApiClient) -> None:
    # GIVEN Food > Fruit where Fruit holds one product
    admin = admin_token()
    food = make_category(api, admin, "Food")
    fruit = make_category(api, admin, "Fruit", food["id"])
    adjust_product_count(get_category(fruit["id"]).path, 1)
    # THEN Food (has a child) and Fruit (has a product) cannot go
    assert_error(api.delete(f"/api/v1/categories/{food['id']}", token=admin), 409, "CONFLICT")
    assert_error(api.delete(f"/api/v1/categories/{fruit['id']}", token=admin), 409, "CONFLICT")
    # WHEN the product leaves, Fruit can be deleted, and then Food
    adjust_product_count(get_category(fruit["id"]).path, -1)
    deleted = api.delete(f"/api/v1/categories/{fruit['id']}", token=admin)
    assert deleted.status == 200 and deleted.json["data"] == {"id": fruit["id"], "deleted": True}
    assert api.delete(f"/api/v1/categories/{food['id']}", token=admin).status == 200
    # AND both are gone, their slugs free again
    assert _tree(api) == []
    assert_error(api.delete(f"/api/v1/categories/{food['id']}", token=admin), 404, "NOT_FOUND")
    assert make_category(api, admin, "Food")["slug"] == "food"


# --- adjust_product_count (for the products feature)
def test_adjust_product_count_counts_the_whole_subtree(api: ApiClient) -> None:
    # GIVEN Food > Drinks > Coffee
    admin = admin_token()
    food = make_category(api, admin, "Food")
    drinks = make_category(api, admin, "Drinks", food["id"])
    coffee = make_category(api, admin, "Coffee", drinks["id"])
    # WHEN two products join Coffee and one joins Drinks
    path = get_category(coffee["id"]).path
    adjust_product_count(path, 1)
    adjust_product_count(path, 1)
    adjust_product_count(get_category(drinks["id"]).path, 1)
    # THEN every ancestor counts its subtree
    counts = {c: int(get_category(c).product_count) for c in (food["id"], drinks["id"], coffee["id"])}
    assert counts == {food["id"]: 3, drinks["id"]: 3, coffee["id"]: 2}
    # AND a path through a deleted category is refused as a whole
    with pytest.raises(ValidationFailed):
        adjust_product_count([food["id"], "01GONE"], 1)
    assert int(get_category(food["id"]).product_count) == 3
