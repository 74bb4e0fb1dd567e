"""The products export: admins every product, store owners their own stores' only (catalog's queries)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from souk.catalog import exporting
from souk.catalog.schemas.products import CreateProductRequest, UpdateProductRequest
from souk.catalog.schemas.stores import StoreStatusRequest
from souk.catalog.service import products, review
from souk.exports.rules import PAGE_SIZE
from souk.exports.store import exports as jobs
from souk.registry import ExportScope
from tests.factories import create_user, token_for
from tests.functional.exports.conftest import Queue, Worker, read_file
from tests.functional.product_support import ADMIN, Seller, make_seller, make_store, principal_of, product_body
from tests.plans_support import on_plan
from tests.support import ApiClient, assert_error

EXPORTS = "/api/v1/exports"


def _product(seller: Seller, store_id: str | None = None, **overrides: Any) -> str:
    body = product_body(seller.store, seller.category, **overrides)
    body["storeId"] = store_id or seller.store.store_id
    return products.create_product(principal_of(seller.user), CreateProductRequest.model_validate(body)).id


def _export(api: ApiClient, token: str, body: dict[str, Any], aws: dict[str, str], worker: Worker) -> list[str]:
    """The export run to its end; the file's lines."""
    response = api.post(EXPORTS, json_body=body, token=token)
    assert response.status == 202, response.body
    Queue(aws["ExportsQueue"]).drain(worker)
    done = api.get(f"{EXPORTS}/{response.json['data']['id']}", token=token).json["data"]
    assert done["status"] == "completed", done
    saved = jobs.load(done["id"])
    assert saved is not None
    lines = read_file(aws["ExportsBucket"], saved.object_key).decode().splitlines()
    assert done["rowCount"] == len(lines) - (1 if body.get("format", "csv") == "csv" else 0)
    return lines


def test_a_store_owner_exports_only_their_own_stores_products(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker
) -> None:
    seller = make_seller()
    on_plan("user", seller.user.user_id, "pro")  # more exports than Free's 2 a month
    second = make_store(seller.user, seller.category)
    mine = [_product(seller), _product(seller, name="Boots"), _product(seller, second.store_id)]
    other = make_seller()
    _product(other)
    lines = _export(api, seller.token, {"type": "products", "format": "json"}, aws_resources, worker)
    rows = [json.loads(line) for line in lines]
    assert sorted(r["id"] for r in rows) == sorted(mine)
    assert {r["storeId"] for r in rows} == {seller.store.store_id, second.store_id}
    assert rows[0]["priceAmount"] == 5999 and rows[0]["currency"] == "usd" and rows[0]["tags"] == "running outdoor"
    # one of their stores only
    only = _export(api, seller.token, {"type": "products", "format": "json", "filters": {"storeId": second.store_id}},
                   aws_resources, worker)  # fmt: skip
    assert [json.loads(x)["id"] for x in only] == [mine[2]]
    # another owner's store named as the filter: nothing (as for orders), never their products
    assert _export(api, seller.token, {"type": "products", "filters": {"storeId": other.store.store_id}},
                   aws_resources, worker) == [",".join(exporting.COLUMNS)]  # fmt: skip


def test_an_admin_exports_every_product_csv_neutralised(
    api: ApiClient, aws_resources: dict[str, str], worker: Worker
) -> None:
    first, second = make_seller(), make_seller()
    tricky = _product(first, name="=HYPERLINK(1)")
    plain = _product(second)
    hidden = _product(second, name="Hidden")
    products.update_product(
        principal_of(second.user), hidden, UpdateProductRequest.model_validate({"status": "inactive"})
    )
    gone = _product(first, name="Gone")
    products.delete_product(principal_of(first.user), gone)
    admin = token_for(create_user("admin"))
    lines = _export(api, admin, {"type": "products", "format": "csv"}, aws_resources, worker)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO("\n".join(lines)))}
    assert set(rows) == {tricky, plain, hidden}  # deleted ones only when asked for
    assert rows[tricky]["name"] == "'=HYPERLINK(1)" and rows[hidden]["status"] == "inactive"
    deleted = _export(api, admin, {"type": "products", "format": "json", "filters": {"status": "deleted"}},
                      aws_resources, worker)  # fmt: skip
    assert [json.loads(x)["id"] for x in deleted] == [gone]
    # an admin may name any store
    named = _export(api, admin, {"type": "products", "format": "json", "filters": {"storeId": second.store.store_id}},
                    aws_resources, worker)  # fmt: skip
    assert sorted(json.loads(x)["id"] for x in named) == sorted([plain, hidden])


def test_the_walk_pages_through_every_store_of_every_status_once(aws_resources: dict[str, str]) -> None:
    # GIVEN products in stores of several statuses, some with more products than a page
    a, b = make_seller(), make_seller()
    c = make_store(a.user, a.category)
    made = [_product(a) for _ in range(3)] + [_product(b) for _ in range(2)] + [_product(a, c.store_id)]
    review.set_store_status(ADMIN, b.store.store_id, StoreStatusRequest(status="suspended", reason="checks"))
    make_store(b.user, b.category, approved=False)  # pending review, no products: an empty store
    # WHEN the admin's and an owner's walks go 2 rows a page, each page a fresh call with the saved cursor
    for scope, expected in ((ExportScope("admin-1", "admin"), made),
                            (ExportScope(a.user.user_id, "store_owner"), made[:3] + made[5:])):  # fmt: skip
        seen: list[str] = []
        cursor: str | None = None
        for _ in range(50):
            rows, cursor = exporting.page(scope, {}, cursor, 2)
            assert len(rows) <= 2
            seen += [r["id"] for r in rows]
            if cursor is None:
                break
        # THEN every product of the scope comes once
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen))
    assert PAGE_SIZE >= 2


def test_who_may_export_products(api: ApiClient, aws_resources: dict[str, str]) -> None:
    body = {"type": "products"}
    assert_error(api.post(EXPORTS, json_body=body), 401, "UNAUTHORIZED")
    for role in ("customer", "courier"):
        assert_error(api.post(EXPORTS, json_body=body, token=token_for(create_user(role))), 403, "FORBIDDEN")
    bad = {"type": "products", "filters": {"status": "sold"}}
    assert_error(api.post(EXPORTS, json_body=bad, token=token_for(create_user("store_owner"))), 400,
                 "VALIDATION_ERROR")  # fmt: skip
    assert Queue(aws_resources["ExportsQueue"]).receive() == []
