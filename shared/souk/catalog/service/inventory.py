"""Inventory: stock per variant, adjustments with a movement ledger, the low-stock list.

An adjustment reads the product, decides (enough stock? does it cross zero? is this the
fall that emails the owner?) and writes one transaction (:mod:`souk.catalog.store.inventory`);
a lost race re-reads and retries, a bounded number of times. Going below the threshold
sends the owner one email.

Checkout reserves and releases stock with :func:`reserve_stock` / :func:`release_stock`,
actions added to its own transaction, then calls :func:`refresh_stock_flags` per product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.catalog.models import Product, Variant
from souk.catalog.schemas.inventory import (
    AdjustmentOut,
    AdjustmentRequest,
    InventoryOut,
    InventoryQuery,
    LowStockItem,
    low_stock_item,
    movement_out,
    variant_stock,
)
from souk.catalog.schemas.products import MAX_STOCK
from souk.catalog.service import products, stores
from souk.catalog.store import inventory as store
from souk.catalog.store.products import refresh_search
from souk.db.transactions import WriteTransaction, retry_on_contention
from souk.errors import Conflict, InsufficientStock, NotFound, ValidationFailed
from souk.notifications.schemas import Message
from souk.notifications.service.notifications import notify
from souk.notify.exceptions import NotificationError
from souk.observability import logger

if TYPE_CHECKING:
    from souk.caller import Principal

MAX_ATTEMPTS = 25  # lost races retried; each loss means another adjustment of the same variant went through
_RETRYABLE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


# ---------------------------------------------------------------- rules


def find_variant(variants: list[Variant], sku: str) -> Variant:
    """The product's variant with this SKU; 400 ``variantSku`` when there is none."""
    for variant in variants:
        if variant.sku == sku:
            return variant
    raise ValidationFailed.field("variantSku", "The product has no variant with this SKU.")


def stock_after(old: int, delta: int) -> int:
    """The stock after adding ``delta``: 409 INSUFFICIENT_STOCK below zero, 400 ``delta`` above the maximum."""
    new = old + delta
    if new < 0:
        raise InsufficientStock(f"Only {old} in stock.", data={"available": old})
    if new > MAX_STOCK:
        raise ValidationFailed.field("delta", f"Stock would exceed {MAX_STOCK}.")
    return new


def low_stock_alert(variant: Variant, new_stock: int, *, falling: bool) -> bool:
    """Whether this change emails the owner: stock falling to or below the threshold, not told yet."""
    return new_stock <= int(variant.low_stock_threshold) and falling and not variant.low_stock_notified


def in_stock_on_crossing(variants: list[Variant], changed: Variant, new_stock: int) -> bool | None:
    """The product's ``inStock`` after ``changed`` moves to ``new_stock``, when that crosses zero; else None."""
    if (int(changed.stock) > 0) == (new_stock > 0):
        return None
    return new_stock > 0 or any(int(v.stock) > 0 for v in variants if v.sku != changed.sku)


def stale_flags(variants: list[Variant]) -> list[Variant]:
    """The variants whose place in the low-stock index disagrees with their stock."""
    return [v for v in variants if (int(v.stock) <= int(v.low_stock_threshold)) != bool(v.gsi2pk)]


# ---------------------------------------------------------------- reading


def get_inventory(principal: Principal, product_id: str, query: InventoryQuery) -> InventoryOut:
    """Stock per variant (one Query) and a page of movements, newest first (one Query)."""
    product, variants = products.load_owned(principal, product_id)
    movements, next_cursor = store.movements_page(product_id, limit=query.limit, cursor=query.cursor)
    return InventoryOut(
        product_id=product_id, in_stock=bool(product.in_stock),
        variants=[variant_stock(v) for v in sorted(variants, key=lambda v: v.sku)],
        movements=[movement_out(m) for m in movements], movements_next_cursor=next_cursor,
    )  # fmt: skip


def low_stock(principal: Principal, store_id: str, *, limit: int, cursor: str | None
              ) -> tuple[list[LowStockItem], str | None]:  # fmt: skip
    """Variants at or below their threshold in one of the caller's stores.

    GetItem (the store, for ownership), one Query on the sparse gsi2, one BatchGetItem
    for the product names of the page.
    """
    owned = stores.get_store(store_id)
    ensure_owner(principal, owned.owner_id)
    variants, names, next_cursor = store.low_stock_page(store_id, limit=limit, cursor=cursor)
    return [low_stock_item(v, names.get(v.product_id)) for v in variants], next_cursor


# ---------------------------------------------------------------- adjusting


def adjust_stock(principal: Principal, product_id: str, request: AdjustmentRequest) -> AdjustmentOut:
    """Add or remove stock; 409 INSUFFICIENT_STOCK rather than going below zero.

    Raises
    ------
    NotFound
        Not the caller's product, or deleted.
    ValidationFailed
        Unknown SKU, or stock would exceed the maximum.
    InsufficientStock
        Fewer units in stock than ``-delta`` (``data.available`` says how many).
    Conflict
        The variant kept changing under us for :data:`MAX_ATTEMPTS` tries.
    """

    def attempt() -> AdjustmentOut:
        product, variants = products.load_owned(principal, product_id, consistent=True)
        variant = find_variant(variants, request.variant_sku)
        old = int(variant.stock)
        new = stock_after(old, request.delta)
        movement = store.new_movement(product_id, variant.sku, delta=request.delta, reason=request.reason,
                                      stock_after=new, actor_id=principal.user_id)  # fmt: skip
        notify = low_stock_alert(variant, new, falling=request.delta < 0)
        in_stock = in_stock_on_crossing(variants, variant, new)
        flipped = in_stock if in_stock is not None and in_stock != bool(product.in_stock) else None
        record = audit.build_record(principal.actor, "inventory.adjust", "product", product_id,
                                    before={"sku": variant.sku, "stock": old},
                                    after={"sku": variant.sku, "stock": new, "delta": request.delta,
                                           "reason": request.reason})  # fmt: skip
        store.save_adjustment(product, variant, movement, old_stock=old, notify=notify, in_stock=in_stock,
                              record=record)  # fmt: skip
        variant.stock, variant.updated_at = new, movement.created_at
        if flipped is not None:
            product.in_stock = flipped
            refresh_search(product)  # search entries carry ``inStock`` too
        if notify:
            _email_low_stock(product, variant, movement.movement_id)
        return AdjustmentOut(product_id=product_id, variant=variant_stock(variant), movement=movement_out(movement))

    return retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        retry_on=_RETRYABLE,
        exhausted=lambda: Conflict("The stock of this variant is changing too fast; retry."),
    )


def _email_low_stock(product: Product, variant: Variant, movement_id: str) -> None:
    """Best effort after the commit: the adjustment stands even if it cannot be notified.

    An ``order`` notification to the store owner (stock is what orders draw on), once per stock
    movement that crossed the threshold: the movement id names it."""
    try:
        selling = stores.get_store(product.store_id)
        variables: dict[str, str | int | float] = {"product_name": product.name, "variant_sku": variant.sku,
                                                   "store_name": selling.name, "stock": int(variant.stock),
                                                   "threshold": int(variant.low_stock_threshold)}  # fmt: skip
        notify(product.owner_id, "order", f"{product.product_id}:{variant.sku}", movement_id,
               title=f"Low stock: {product.name} ({variant.sku})",
               body=f"{int(variant.stock)} left, at or below your threshold of {int(variant.low_stock_threshold)}.",
               data={"productId": product.product_id, "sku": variant.sku},
               email=Message("low_stock", variables))  # fmt: skip
    except (NotFound, NotificationError) as exc:
        logger.warning("low stock email not queued", extra={"product_id": product.product_id,
                                                             "error_type": type(exc).__name__})  # fmt: skip


# ---------------------------------------------------------------- building blocks for checkout


def stock_label(product_id: str, sku: str) -> str:
    """The transaction label of a reservation: a ``ConditionalCheckFailed`` on it means not enough stock."""
    return f"stock:{product_id}:{sku}"


def reserve_stock(tx: WriteTransaction, product_id: str, sku: str, quantity: int) -> str:
    """Add "take ``quantity`` units" to ``tx``: refused (not partially applied) below zero.

    The condition is ``stock >= quantity`` rather than a value we read, so concurrent
    checkouts never conflict with each other unless the stock really runs out. Map a
    cancellation whose :func:`stock_label` failed to 409 INSUFFICIENT_STOCK. Returns the label.
    """
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    label = stock_label(product_id, sku)
    store.take_stock(tx, product_id, sku, quantity, label=label)
    return label


def release_stock(tx: WriteTransaction, product_id: str, sku: str, quantity: int) -> str:
    """Add "give back ``quantity`` units" to ``tx`` (order cancelled, reservation expired)."""
    if quantity <= 0:
        raise ValueError("quantity must be positive")
    label = stock_label(product_id, sku)
    store.give_back_stock(tx, product_id, sku, quantity, label=label)
    return label


def refresh_stock_flags(product_id: str) -> None:
    """After reservations or releases: bring ``inStock``, listing entries and the low-stock index in line.

    Idempotent; each variant's change is conditioned on the stock we read, so a concurrent
    reservation makes it retry rather than write a stale flag. No email here: checkout
    stock-outs are reported by the low-stock list, not one email per order.
    """

    def attempt() -> None:
        product, variants = products.load(product_id, consistent=True)
        if product.status == "deleted":
            return
        in_stock = any(int(v.stock) > 0 for v in variants)
        store.save_stock_flags(product, stale_flags(variants), in_stock)
        if in_stock != bool(product.in_stock):
            product.in_stock = in_stock
            refresh_search(product)

    retry_on_contention(
        attempt,
        attempts=MAX_ATTEMPTS,
        retry_on=_RETRYABLE,
        exhausted=lambda: Conflict("The stock of this product is changing too fast; retry."),
    )


def refresh_after_commit(product_ids: list[str]) -> None:
    """Best effort after a checkout, cancel or expiry committed: listings catch up with the stock.

    The write that moved the stock stands whatever happens here; a failure is logged and the
    next change of that product's stock brings its flags in line again.
    """
    for product_id in dict.fromkeys(product_ids):
        try:
            refresh_stock_flags(product_id)
        except Exception:
            logger.exception("stock flags not refreshed", extra={"product_id": product_id})
