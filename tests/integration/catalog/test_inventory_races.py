"""Stock under races, on DynamoDB Local: conditions and transactions as Amazon's engine applies them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from souk.catalog import keys
from souk.catalog.models import StockMovement
from souk.catalog.schemas.inventory import AdjustmentRequest
from souk.catalog.service import inventory, products
from souk.errors import InsufficientStock
from tests.integration.catalog_data import OWNER, product_with_stock

pytestmark = pytest.mark.integration


def _take_one(product_id: str) -> bool:
    request = AdjustmentRequest(variant_sku="OIL-1L", delta=-1, reason="sold")
    try:
        inventory.adjust_stock(OWNER, product_id, request)
    except InsufficientStock:
        return False
    return True


def test_parallel_adjustments_never_oversell(table: str) -> None:
    # GIVEN a variant with 10 in stock
    product_id = product_with_stock(10).product_id
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
