"""Stock under races, on DynamoDB Local: conditions and transactions as Amazon's engine applies them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from souk.auth.principal import Principal
from souk.catalog import categories, inventory, products, stores
from souk.catalog.models import StockMovement
from souk.db import keys
from souk.http.errors import InsufficientStock

pytestmark = pytest.mark.integration

ADMIN = Principal(user_id="it-admin", role="admin", session_id=None)
OWNER = Principal(user_id="it-owner", role="store_owner", session_id=None)


def _product_with_stock(stock: int) -> str:
    category = categories.create_category(ADMIN, categories.CreateCategoryRequest(name="Pantry"))
    address = stores.AddressIn(line1="1 Main St", city="Springfield", country="US", lat=40.0, lng=-73.0)
    store = stores.create_store(OWNER, stores.CreateStoreRequest(name="Corner Shop", address=address,
                                                                 category_ids=[category.category_id]))  # fmt: skip
    stores.set_store_status(ADMIN, store.store_id, stores.StoreStatusRequest(status="approved"))
    request = products.CreateProductRequest(
        store_id=store.store_id, name="Olive Oil", price={"amount": 899, "currency": "usd"},
        category_id=category.category_id,
        variants=[{"sku": "OIL-1L", "name": "1 litre", "stock": stock, "low_stock_threshold": 0}],
    )  # fmt: skip
    return products.create_product(OWNER, request).id


def _take_one(product_id: str) -> bool:
    request = inventory.AdjustmentRequest(variant_sku="OIL-1L", delta=-1, reason="sold")
    try:
        inventory.adjust_stock(OWNER, product_id, request)
    except InsufficientStock:
        return False
    return True


def test_parallel_adjustments_never_oversell(table: str) -> None:
    # GIVEN a variant with 10 in stock
    product_id = _product_with_stock(10)
    # WHEN 20 adjustments of -1 race each other
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(pool.map(_take_one, [product_id] * 20))
    # THEN exactly 10 succeed, the rest are INSUFFICIENT_STOCK, stock is 0
    assert outcomes.count(True) == 10 and outcomes.count(False) == 10
    product, variants = products.load(product_id, consistent=True)
    assert variants[0].stock == 0
    # AND exactly 10 movements were recorded, each with the true stock after it (10 → 0, no gap, no repeat)
    movements = list(StockMovement.query(keys.product(product_id), StockMovement.sk.startswith(keys.MOVEMENT_PREFIX)))
    assert len(movements) == 10
    assert sorted(int(m.stock_after) for m in movements) == list(range(10))
    # AND the product went out of stock exactly when the last unit left
    assert product.in_stock is False
