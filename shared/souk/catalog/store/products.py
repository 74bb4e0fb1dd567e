"""Products in the table: a product's partition, its writes, and the listing and search indexes kept in step.

A product lives in its own partition: ``PRODUCT#<id>`` holds the product item, its
variants (``VARIANT#<sku>``) and its stock movements (``MOVE#<ulid>``). Sort keys put
movements before the product and variants after it, so ``sk >= PRODUCT#<id>`` reads the
product with all its variants in one Query and never touches the movements.

Writes go in two steps, and why:

1. One WriteTransaction holds the product, its variants, its listing entries, the
   category counters and the audit record. Limits keep it under DynamoDB's 100 items:
   1 product + 50 variants + 17 listing entries (all, store, 5 categories, 10 tags) +
   5 category counters + 1 audit record = 74. Everything a list page or a product page
   reads is therefore consistent with the product the moment the call returns.
2. The search entries (one per word prefix of name and tags: up to a few hundred) are
   written right after with BatchWriteItem. They cannot share the transaction (too many
   items), they are derived data rebuilt from the product item alone, and a put or
   delete of one is idempotent; so a crash between the two steps leaves search stale for
   one product until :func:`souk.catalog.service.products.reindex_product` (or its next
   update) repairs it. Batch writes also cost half the capacity of transactional ones.

The product records what it wrote (``listingFacets``, ``searchTerms``) so an update or a
delete removes exactly those entries, even if the rules that derive them change later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.catalog import keys
from souk.catalog.models import Product, SearchEntry, Variant
from souk.catalog.schemas.products import MAX_VARIANTS, VariantIn
from souk.catalog.store import categories, listing, search
from souk.db import keys as db_keys
from souk.db.base import SoukItem, utc_now
from souk.db.paging import one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, ValidationFailed
from souk.observability import logger

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord


# ---------------------------------------------------------------- reading


def load(product_id: str, *, consistent: bool = False) -> tuple[Product | None, list[Variant]]:
    """The product (None if none) and its variants in one Query (``sk >= PRODUCT#<id>`` skips the movements)."""
    # 52 > the 51 items a product partition holds from PRODUCT# on: one call, never a second page.
    result = SoukItem.query(keys.product(product_id), SoukItem.sk >= keys.product(product_id),
                            consistent_read=consistent, page_size=MAX_VARIANTS + 2)  # fmt: skip
    items, _ = one_page(SoukItem, result)
    product: Product | None = None
    variants: list[Variant] = []
    for item in items:
        if isinstance(item, Product):
            product = item
        elif isinstance(item, Variant):
            variants.append(item)
    return product, variants


# ---------------------------------------------------------------- building


def store_page(store_id: str, *, status: str | None, limit: int, last_key: dict[str, Any] | None
               ) -> tuple[list[Product], dict[str, Any] | None]:  # fmt: skip
    """One page of a store's products, oldest first: one Query on gsi1 ``STORE#<id>#PRODUCTS`` (products
    only; variants carry no gsi1 keys), ``status`` a filter; without one, deleted products are left out."""
    condition = Product.status == status if status else Product.status != "deleted"
    result = Product.gsi1.query(keys.store_products(store_id), filter_condition=condition, page_size=limit,
                                last_evaluated_key=last_key)  # fmt: skip
    found, next_key = one_page(Product, result)
    return [p for p in found if isinstance(p, Product)], next_key


def new_product(product_id: str, store_id: str, owner_id: str, *, name: str, description: str, price_amount: int,
                currency: str, category_id: str, category_path: list[str], tags: list[str],
                image_upload_ids: list[str], in_stock: bool) -> Product:  # fmt: skip
    """A new active, unrated product."""
    now = utc_now()
    return Product(
        pk=keys.product(product_id), sk=keys.product(product_id),
        gsi1pk=keys.store_products(store_id), gsi1sk=db_keys.created_sort(now.isoformat(), product_id),
        product_id=product_id, store_id=store_id, owner_id=owner_id, name=name,
        description=description, price_amount=price_amount, currency=currency,
        category_id=category_id, category_path=category_path,
        tags=tags, image_upload_ids=image_upload_ids, status="active",
        in_stock=in_stock, rating_sum=0, rating_count=0,
        created_at=now, updated_at=now,
    )  # fmt: skip


def new_variant(product: Product, spec: VariantIn) -> Variant:
    variant = Variant(
        pk=keys.product(product.product_id), sk=keys.variant(spec.sku), product_id=product.product_id,
        store_id=product.store_id, sku=spec.sku, name=spec.name, attributes=dict(spec.attributes),
        price_amount=spec.price.amount if spec.price else None, stock=spec.stock,
        low_stock_threshold=spec.low_stock_threshold, low_stock_notified=False,
        created_at=product.created_at, updated_at=product.updated_at,
    )  # fmt: skip
    if spec.stock <= spec.low_stock_threshold:  # the sparse low-stock index holds it from the start
        variant.gsi2pk = keys.low_stock(product.store_id)
        variant.gsi2sk = keys.low_stock_sort(product.product_id, spec.sku)
    return variant


# ---------------------------------------------------------------- index writes


def set_index_state(product: Product, *, store_approved: bool) -> None:
    """Record on the product which listing partitions and search prefixes it belongs in now."""
    if store_approved:
        product.listing_facets = listing.facets(product)
        product.search_terms = search.terms(product)
    else:
        product.listing_facets, product.search_terms = [], []


def write_search_entries(puts: list[SearchEntry], deletes: list[SearchEntry]) -> None:
    """Step 2 of a product write: BatchWriteItem (25 a call, unprocessed items retried)."""
    put_keys = {(e.pk, e.sk) for e in puts}
    with SoukItem.batch_write() as batch:
        for stale in deletes:
            if (stale.pk, stale.sk) not in put_keys:  # one batch cannot put and delete the same key
                batch.delete(stale)
        for entry in puts:
            batch.save(entry)


def refresh_search(product: Product) -> None:
    """Rewrite the product's search entries as they are (they carry ``inStock`` and the rating too).

    Failures are logged, not raised: the write that changed the product stands.
    """
    try:
        write_search_entries(search.product_entries(product), [])
    except Exception:
        logger.exception("search index not updated; run reindex_product", extra={"product_id": product.product_id})


def sync_search(product: Product, *, old_terms: list[str], old_sort: str | None) -> None:
    """Make the product's search entries match ``product.search_terms``; failures are logged, not raised.

    The product is already committed when this runs: failing the request would invite a
    retry that creates a second product. The log line names the product to reindex.
    """
    new_sort = listing.rating_key(product)
    current = set(product.search_terms or [])
    moved = old_sort != new_sort  # a new rating moves every entry to a new sort key
    stale = [search.stale_entry(t, old_sort) for t in old_terms if old_sort and (moved or t not in current)]
    try:
        write_search_entries(search.product_entries(product), stale)
    except Exception:
        logger.exception("search index not updated; run reindex_product", extra={"product_id": product.product_id})


def _listing_changes(tx: WriteTransaction, product: Product, old_facets: list[str]) -> None:
    """Delete the listing entries the product left, (re)write those it is in."""
    current = set(product.listing_facets or [])
    for facet in old_facets:
        if facet not in current:
            tx.delete(listing.stale_entry(facet, product.product_id), label=f"unlist:{facet}")
    for item in listing.entries(product) if current else []:
        if item.pk in current:
            tx.put(item, label=f"list:{item.pk}")


def _category_gone(cancelled: TransactionCancelled) -> bool:
    return any(label.startswith("category:") for label in cancelled.failed())


# ---------------------------------------------------------------- writing


def insert(product: Product, variants: list[Variant], record: AuditRecord) -> None:
    """Step 1 of a new product: the product, its variants, its listing entries, the category counts
    and the audit record in one transaction (400 ``categoryId`` if the category went meanwhile)."""
    try:
        with WriteTransaction() as tx:
            tx.put(product, Product.pk.does_not_exist(), label="product")
            for variant in variants:
                tx.put(variant, label=f"variant:{variant.sku}")
            categories.adjust_product_count(product.category_path, +1, tx=tx)
            tx.put(record, label=f"audit:{record.action}")
            _listing_changes(tx, product, [])
    except TransactionCancelled as cancelled:
        if _category_gone(cancelled):
            raise ValidationFailed.field("categoryId", "The category no longer exists.") from None
        raise


def update(product: Product, *, old_facets: list[str], old_path: list[str], record: AuditRecord) -> None:
    """Step 1 of a change: the product (versioned: refused if it changed since it was read), its
    listing entries and the category counts of the categories it left or joined."""
    new_path = list(product.category_path or [])
    try:
        with WriteTransaction() as tx:
            tx.put(product, label="product")  # versioned: refused if it changed since we read it
            _listing_changes(tx, product, old_facets)
            categories.adjust_product_count([c for c in old_path if c not in new_path], -1, tx=tx)
            categories.adjust_product_count([c for c in new_path if c not in old_path], +1, tx=tx)
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled as cancelled:
        if _category_gone(cancelled):
            raise ValidationFailed.field("categoryId", "The category no longer exists.") from None
        raise Conflict("The product changed meanwhile; reload it and retry.") from None


def soft_delete(product: Product, variants: list[Variant], *, old_facets: list[str], record: AuditRecord) -> None:
    """Step 1 of a delete: the product (already marked deleted), out of its listings, its variants
    off the low-stock list, its categories' counts down."""
    try:
        with WriteTransaction() as tx:
            tx.put(product, label="product")
            _listing_changes(tx, product, old_facets)
            for variant in variants:
                if variant.gsi2pk:
                    remove: list[Action] = [Variant.gsi2pk.remove(), Variant.gsi2sk.remove()]
                    tx.update(variant, remove, label=f"variant:{variant.sku}")
            categories.adjust_product_count(list(product.category_path or []), -1, tx=tx)
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled:
        raise Conflict("The product changed meanwhile; retry.") from None


def save_relisted(product: Product, old_facets: list[str], *, conflict: str) -> None:
    """The product with a new rating or index state, and its listing entries, in one transaction."""
    try:
        with WriteTransaction() as tx:
            tx.put(product, label="product")
            _listing_changes(tx, product, old_facets)
    except TransactionCancelled:
        raise Conflict(conflict) from None


RATED_LABEL = "product"


def put_rated(tx: WriteTransaction, product: Product) -> None:
    """A product whose rating changed (versioned: refused if it changed since it was read, on
    :data:`RATED_LABEL`) and its listing entries, which carry the rating, inside the caller's transaction."""
    tx.put(product, label=RATED_LABEL)
    facets = list(product.listing_facets or [])
    _listing_changes(tx, product, facets)


def relist_store_products(store_id: str, *, listed: bool, cursor: dict[str, Any] | None = None,
                          page_size: int = 25) -> dict[str, Any] | None:  # fmt: skip
    """Put one page of a store's products in (approved) or out of (suspended, rejected) the indexes.

    For the stores feature: a store's status change cannot rewrite an unbounded number of
    products in one request, so a job calls this page by page (one Query on gsi1
    ``STORE#<id>#PRODUCTS``, then per product whose index state changes: one transaction
    and its search batch) and stores the returned cursor until it is None. Idempotent.
    """
    result = Product.gsi1.query(keys.store_products(store_id), page_size=page_size, last_evaluated_key=cursor)
    found, next_cursor = one_page(Product, result)
    for product in found:
        if not isinstance(product, Product) or product.status == "deleted":
            continue
        old_facets, old_terms = list(product.listing_facets or []), list(product.search_terms or [])
        set_index_state(product, store_approved=listed)
        if list(product.listing_facets or []) == old_facets and list(product.search_terms or []) == old_terms:
            continue
        save_relisted(product, old_facets, conflict="A product of the store changed meanwhile; run the page again.")
        sync_search(product, old_terms=old_terms, old_sort=listing.rating_key(product))
    return next_cursor
