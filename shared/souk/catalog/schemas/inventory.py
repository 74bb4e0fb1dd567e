"""Inventory's API models and the converters from a variant and a stock movement."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from souk.catalog.models import StockMovement, Variant
from souk.catalog.schemas.products import MAX_STOCK, StockStatus, stock_status
from souk.schema import DEFAULT_LIMIT, MAX_LIMIT, CamelModel, NonBlankText, OneLineText


class AdjustmentRequest(CamelModel):
    variant_sku: OneLineText = Field(min_length=1, max_length=64)
    delta: int = Field(ge=-MAX_STOCK, le=MAX_STOCK, strict=True, description="Units added (>0) or removed (<0).")
    reason: NonBlankText = Field(min_length=1, max_length=200, examples=["restock", "damaged", "stocktake"])

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value


class MovementOut(CamelModel):
    id: str
    variant_sku: str
    delta: int
    reason: str
    stock_after: int
    actor_id: str
    created_at: datetime


class VariantStock(CamelModel):
    sku: str
    name: str
    stock: int
    low_stock_threshold: int
    stock_status: StockStatus


class InventoryOut(CamelModel):
    product_id: str
    in_stock: bool
    variants: list[VariantStock]
    movements: list[MovementOut] = Field(description="Newest first.")
    movements_next_cursor: str | None = Field(description="Send as `cursor` for older movements.")


class AdjustmentOut(CamelModel):
    product_id: str
    variant: VariantStock
    movement: MovementOut


class LowStockItem(CamelModel):
    product_id: str
    product_name: str | None
    variant_sku: str
    variant_name: str
    stock: int
    low_stock_threshold: int


class InventoryQuery(CamelModel):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Movements per page.")
    cursor: str | None = Field(None, max_length=2048)


def variant_stock(variant: Variant) -> VariantStock:
    stock, threshold = int(variant.stock), int(variant.low_stock_threshold)
    return VariantStock(sku=variant.sku, name=variant.name, stock=stock, low_stock_threshold=threshold,
                        stock_status=stock_status(stock, threshold))  # fmt: skip


def movement_out(movement: StockMovement) -> MovementOut:
    return MovementOut(id=movement.movement_id, variant_sku=movement.sku, delta=int(movement.delta),
                       reason=movement.reason, stock_after=int(movement.stock_after), actor_id=movement.actor_id,
                       created_at=movement.created_at)  # fmt: skip


def low_stock_item(variant: Variant, product_name: str | None) -> LowStockItem:
    return LowStockItem(product_id=variant.product_id, product_name=product_name, variant_sku=variant.sku,
                        variant_name=variant.name, stock=int(variant.stock),
                        low_stock_threshold=int(variant.low_stock_threshold))  # fmt: skip
