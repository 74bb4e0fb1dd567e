"""On DynamoDB Local: the products and audit_logs sources page through Amazon's engine (its LastEvaluatedKey at a
Limit, a FilterExpression's short pages) from the saved cursor alone, every row once.

The worker around them, crashing and resuming with S3 on a moto server, is in
tests/integration/exports/test_resume.py.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from souk.audit import exporting as audit_exporting
from souk.audit import store as audit_store
from souk.caller import Actor, Principal
from souk.catalog import exporting as catalog_exporting
from souk.catalog.schemas.categories import CreateCategoryRequest
from souk.catalog.schemas.products import CreateProductRequest, UpdateProductRequest
from souk.catalog.schemas.stores import CreateStoreRequest, StoreStatusRequest
from souk.catalog.service import categories, products, review, stores
from souk.registry import ExportScope
from souk.schema import PostalAddress
from tests.integration.catalog_data import ADMIN

ADDRESS = PostalAddress(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)


def _walk(page: Any, scope: ExportScope, filters: dict[str, Any], size: int) -> list[str]:
    """Every row's id, one call per page with only the cursor the previous call returned (as a job saves it)."""
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(200):
        rows, cursor = page(scope, filters, cursor, size)
        assert len(rows) <= size
        seen += [row["id"] for row in rows]
        if cursor is None:
            return seen
    raise AssertionError("the walk did not end")


def _store(owner: Principal, category_id: str, *, approved: bool = True) -> str:
    store = stores.create_store(owner, CreateStoreRequest(name=f"Shop {uuid.uuid4().hex[:6]}", address=ADDRESS,
                                                          category_ids=[category_id]))  # fmt: skip
    if approved:
        review.set_store_status(ADMIN, store.store_id, StoreStatusRequest(status="approved"))
    return store.store_id


def _product(owner: Principal, store_id: str, category_id: str) -> str:
    variants = [{"sku": "OIL-1L", "name": "1 litre", "stock": 3}]
    request = CreateProductRequest(store_id=store_id, name="Olive Oil", price={"amount": 899, "currency": "usd"},
                                   category_id=category_id, variants=variants)  # fmt: skip
    return products.create_product(owner, request).id


def test_the_products_walk_reads_every_store_and_product_once(table: str) -> None:
    # GIVEN two owners; stores approved, suspended and pending review; more products than a page; one inactive
    a = Principal(user_id="it-owner-a", role="store_owner", session_id=None)
    b = Principal(user_id="it-owner-b", role="store_owner", session_id=None)
    category = categories.create_category(ADMIN, CreateCategoryRequest(name="Pantry")).category_id
    a1, a2, b1 = _store(a, category), _store(a, category), _store(b, category)
    _store(b, category, approved=False)  # pending review, no products
    made_a = [_product(a, a1, category) for _ in range(5)] + [_product(a, a2, category)]
    made_b = [_product(b, b1, category) for _ in range(3)]
    products.update_product(b, made_b[0], UpdateProductRequest.model_validate({"status": "inactive"}))
    review.set_store_status(ADMIN, a2, StoreStatusRequest(status="suspended", reason="checks"))
    # WHEN an admin's and each owner's walks go 2 rows a page THEN each reads its products once
    for scope, expected in ((ExportScope("it-admin", "admin"), made_a + made_b),
                            (ExportScope(a.user_id, "store_owner"), made_a),
                            (ExportScope(b.user_id, "store_owner"), made_b)):  # fmt: skip
        seen = _walk(catalog_exporting.page, scope, {}, 2)
        assert sorted(seen) == sorted(expected) and len(seen) == len(set(seen)), scope
    # AND the status filter (a FilterExpression: short pages) and another owner's store
    assert _walk(catalog_exporting.page, ExportScope("it-admin", "admin"), {"status": "inactive"}, 2) == [made_b[0]]
    assert _walk(catalog_exporting.page, ExportScope(a.user_id, "store_owner"), {"storeId": b1}, 2) == []


def test_the_audit_day_walk_reads_every_record_once(table: str) -> None:
    # GIVEN records over three days (the middle one empty) and one the day before the range
    day = datetime(2026, 3, 10, tzinfo=UTC)
    made = []
    for n, at in enumerate([day + timedelta(minutes=m) for m in range(5)] + [day + timedelta(days=2, hours=1)]):
        item = audit_store.new_record(Actor(user_id=f"U{n % 2}", role="admin"), "team.update", "team", f"T{n}",
                                      before=None, after={"n": n})  # fmt: skip
        item.pk = f"AUDIT#{at.date().isoformat()}"
        item.sk = item.gsi1sk = item.gsi2sk = item.gsi3sk = f"{at.isoformat(timespec='milliseconds')}#{item.audit_id}"
        audit_store.write(item, None)
        made.append(item.audit_id)
    window = {"from": day.isoformat(), "to": (day + timedelta(days=3)).isoformat()}
    admin = ExportScope("it-admin", "admin")
    # WHEN the days are walked 2 records a page THEN every record once, newest first
    assert _walk(audit_exporting.page, admin, window, 2) == list(reversed(made))
    # AND through an index (actor: a FilterExpression-free gsi1 Query) the same
    assert _walk(audit_exporting.page, admin, {"actor": "U0"}, 2) == list(reversed(made[0::2]))
