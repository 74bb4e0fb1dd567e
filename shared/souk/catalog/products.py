"""Products: create, update, soft delete and read, keeping the listing and search indexes in step.

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
   one product until :func:`reindex_product` (or its next update) repairs it. Batch
   writes also cost half the capacity of transactional ones.

The product records what it wrote (``listingFacets``, ``searchTerms``) so an update or a
delete removes exactly those entries, even if the rules that derive them change later.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field, field_validator

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.catalog import categories, listing, search, stores, text
from souk.catalog.listing import Rating
from souk.catalog.models import Product, SearchEntry, Store, Variant
from souk.db import keys
from souk.db.base import SoukItem, utc_now
from souk.db.paging import one_page
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, NotFound, UnprocessableEntity, ValidationFailed
from souk.ids import new_id
from souk.money import Money
from souk.observability import logger
from souk.schema import CamelModel, NonBlankText, OneLine, OneLineText, PatchModel
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.caller import Principal

MAX_VARIANTS = 50
MAX_TAGS = 10
MAX_IMAGES = 10
MAX_STOCK = 1_000_000
DEFAULT_LOW_STOCK = 5
StockStatus = Literal["in_stock", "low_stock", "out_of_stock"]


# ---------------------------------------------------------------- schemas


def _clean_tags(tags: list[str]) -> list[str]:
    cleaned = list(dict.fromkeys(text.tag_key(t) for t in tags))
    if "" in cleaned:
        raise ValueError("a tag needs at least one letter or digit")
    if any(len(t) > 30 for t in cleaned):
        raise ValueError("a tag is at most 30 characters")
    return cleaned


class VariantIn(CamelModel):
    sku: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    name: Annotated[NonBlankText, OneLine] = Field(min_length=1, max_length=100)
    attributes: dict[OneLineText, OneLineText] = Field(default_factory=dict, max_length=20,
                                       description="e.g. {\"size\": \"42\", \"color\": \"red\"}")  # fmt: skip
    price: Money | None = Field(None, description="Overrides the product price for this variant.")
    stock: int = Field(ge=0, le=MAX_STOCK, strict=True)
    low_stock_threshold: int = Field(DEFAULT_LOW_STOCK, ge=0, le=MAX_STOCK, strict=True)


class CreateProductRequest(CamelModel):
    store_id: str = Field(min_length=1, max_length=64)
    name: OneLineText = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    price: Money
    category_id: str = Field(min_length=1, max_length=64)
    tags: list[OneLineText] = Field(default_factory=list, max_length=MAX_TAGS)
    variants: list[VariantIn] = Field(min_length=1, max_length=MAX_VARIANTS)
    image_upload_ids: list[str] = Field(default_factory=list, max_length=MAX_IMAGES)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not text.normalize_words(value):
            raise ValueError("needs at least one letter or digit")
        return value.strip()

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _clean_tags(value)

    @field_validator("variants")
    @classmethod
    def _unique_skus(cls, value: list[VariantIn]) -> list[VariantIn]:
        skus = [v.sku for v in value]
        if len(set(skus)) != len(skus):
            raise ValueError("SKUs must be unique within a product")
        return value


class UpdateProductRequest(PatchModel):
    """Only the fields sent are changed."""

    name: OneLineText | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=5000)
    price: Money | None = None
    category_id: str | None = Field(None, min_length=1, max_length=64)
    tags: list[OneLineText] | None = Field(None, max_length=MAX_TAGS)
    image_upload_ids: list[str] | None = Field(None, max_length=MAX_IMAGES)
    status: Literal["active", "inactive"] | None = Field(None, description="inactive hides it from lists and search.")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is not None and not text.normalize_words(value):
            raise ValueError("needs at least one letter or digit")
        return value.strip() if value is not None else None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return _clean_tags(value) if value is not None else None


class VariantOut(CamelModel):
    sku: str
    name: str
    attributes: dict[str, str]
    price: Money
    stock_status: StockStatus
    stock: int | None = Field(None, description="Only for the owner and admins.")
    low_stock_threshold: int | None = Field(None, description="Only for the owner and admins.")


class ImageOut(CamelModel):
    upload_id: str


class ProductOut(CamelModel):
    id: str
    store_id: str
    name: str
    description: str
    price: Money
    category_id: str
    category_path: list[str]
    tags: list[str]
    status: Literal["active", "inactive", "deleted"]
    in_stock: bool
    rating: Rating
    images: list[ImageOut]
    variants: list[VariantOut]
    created_at: datetime
    updated_at: datetime


class DeletedProduct(CamelModel):
    id: str
    deleted: bool


# ---------------------------------------------------------------- shaping


def stock_status(stock: int, threshold: int) -> StockStatus:
    if stock <= 0:
        return "out_of_stock"
    if stock <= threshold:
        return "low_stock"
    return "in_stock"


def product_out(product: Product, variants: list[Variant], *, private: bool) -> ProductOut:
    """The product page; ``private`` (owner or admin) adds exact stock and thresholds."""
    return ProductOut(
        id=product.product_id, store_id=product.store_id, name=product.name, description=product.description or "",
        price=Money(amount=int(product.price_amount), currency=product.currency), category_id=product.category_id,
        category_path=list(product.category_path or []), tags=list(product.tags or []),
        status=product.status,  # type: ignore[arg-type]
        in_stock=bool(product.in_stock),
        rating=Rating(average=listing.rating_average(product.rating_sum, product.rating_count),
                      count=int(product.rating_count)),
        images=[ImageOut(upload_id=i) for i in product.image_upload_ids or []],
        variants=[_variant_out(product, v, private=private) for v in variants],
        created_at=product.created_at, updated_at=product.updated_at,
    )  # fmt: skip


def _variant_out(product: Product, variant: Variant, *, private: bool) -> VariantOut:
    amount = int(variant.price_amount if variant.price_amount is not None else product.price_amount)
    stock, threshold = int(variant.stock), int(variant.low_stock_threshold)
    return VariantOut(
        sku=variant.sku, name=variant.name, attributes=dict(variant.attributes or {}),
        price=Money(amount=amount, currency=product.currency), stock_status=stock_status(stock, threshold),
        stock=stock if private else None, low_stock_threshold=threshold if private else None,
    )  # fmt: skip


def snapshot(product: Product) -> dict[str, Any]:
    """What the audit log keeps of a product."""
    return {"name": product.name, "priceAmount": int(product.price_amount), "currency": product.currency,
            "categoryId": product.category_id, "tags": list(product.tags or []), "status": product.status,
            "imageUploadIds": list(product.image_upload_ids or [])}  # fmt: skip


# ---------------------------------------------------------------- reading


def load(product_id: str, *, consistent: bool = False) -> tuple[Product, list[Variant]]:
    """The product and its variants in one Query (``sk >= PRODUCT#<id>`` skips the movements); 404 if none."""
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
    if product is None:
        raise NotFound("No such product.")
    return product, variants


def load_owned(principal: Principal, product_id: str, *, consistent: bool = True) -> tuple[Product, list[Variant]]:
    """The caller's own product (admins: any) that is not deleted; 404 otherwise."""
    product, variants = load(product_id, consistent=consistent)
    ensure_owner(principal, product.owner_id)
    if product.status == "deleted":
        raise NotFound("No such product.")
    return product, variants


def _store(store_id: str) -> Store | None:
    try:
        return stores.get_store(store_id)
    except NotFound:
        return None


def get_product(product_id: str, principal: Principal | None) -> tuple[ProductOut, bool]:
    """The product page and whether it is public (cacheable) or the private owner/admin view.

    The public sees active products of approved stores only; the owner and admins also
    see inactive ones and products of a store not (or no longer) approved. Deleted
    products are gone for everyone. One Query and one GetItem (the store's status).
    """
    product, variants = load(product_id)
    if product.status == "deleted":
        raise NotFound("No such product.")
    private = principal is not None and (principal.is_admin or principal.user_id == product.owner_id)
    if not private:
        store = _store(product.store_id)
        if product.status != "active" or store is None or store.status != "approved":
            raise NotFound("No such product.")
    return product_out(product, sorted(variants, key=lambda v: v.sku), private=private), not private


# ---------------------------------------------------------------- the selling store


def selling_store(principal: Principal, store_id: str) -> Store:
    """The caller's own store, approved to sell: 404 if not theirs, 422 if not approved."""
    return stores.require_selling_store(store_id, principal)


# ---------------------------------------------------------------- index writes


def _set_index_state(product: Product, *, store_approved: bool) -> None:
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


def _sync_search(product: Product, *, old_terms: list[str], old_sort: str | None) -> None:
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


def reindex_product(product_id: str) -> None:
    """Rewrite a product's search entries from the product item (repair, or after a rating change)."""
    product, _ = load(product_id, consistent=True)
    write_search_entries(search.product_entries(product), [])


def set_rating(product_id: str, rating_sum: float, rating_count: int) -> None:
    """Store a product's rating (for the reviews feature) and move its index entries to the new order.

    Listing entries change in the product's transaction; search entries move right after
    (their sort key holds the rating, so each is deleted and written again).
    """
    product, _ = load(product_id, consistent=True)
    old_sort = listing.rating_key(product)
    product.rating_sum, product.rating_count = rating_sum, rating_count
    product.updated_at = utc_now()
    try:
        with WriteTransaction() as tx:
            tx.put(product, label="product")
            _listing_changes(tx, product, list(product.listing_facets or []))
    except TransactionCancelled:
        raise Conflict("The product changed meanwhile; retry.") from None
    _sync_search(product, old_terms=list(product.search_terms or []), old_sort=old_sort)


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
        _set_index_state(product, store_approved=listed)
        if list(product.listing_facets or []) == old_facets and list(product.search_terms or []) == old_terms:
            continue
        try:
            with WriteTransaction() as tx:
                tx.put(product, label="product")
                _listing_changes(tx, product, old_facets)
        except TransactionCancelled:
            raise Conflict("A product of the store changed meanwhile; run the page again.") from None
        _sync_search(product, old_terms=old_terms, old_sort=listing.rating_key(product))
    return next_cursor


def _listing_changes(tx: WriteTransaction, product: Product, old_facets: list[str]) -> None:
    """Delete the listing entries the product left, (re)write those it is in."""
    current = set(product.listing_facets or [])
    for facet in old_facets:
        if facet not in current:
            tx.delete(listing.stale_entry(facet, product.product_id), label=f"unlist:{facet}")
    for item in listing.entries(product) if current else []:
        if item.pk in current:
            tx.put(item, label=f"list:{item.pk}")


def _check_currency(store_currency: str, price: Money | None, field: str) -> None:
    if price is not None and price.currency != store_currency:
        detail = {"field": field, "message": f"The store sells in {store_currency}."}
        raise UnprocessableEntity("Prices must be in the store's currency.", details=[detail])


# ---------------------------------------------------------------- create


def _new_variant(product: Product, spec: VariantIn) -> Variant:
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


def create_product(principal: Principal, request: CreateProductRequest) -> ProductOut:
    """A new active product with its variants, listed and searchable when this returns.

    Raises
    ------
    NotFound
        The store is not the caller's.
    UnprocessableEntity
        The store is not approved, or a price is not in the store's currency.
    ValidationFailed
        Unknown category, unusable image uploads.
    """
    store = selling_store(principal, request.store_id)
    _check_currency(store.currency, request.price, "price.currency")
    for i, spec in enumerate(request.variants):
        _check_currency(store.currency, spec.price, f"variants.{i}.price.currency")
    category = categories.get_categories([request.category_id], field="categoryId")[request.category_id]
    images = claim_uploads(store.owner_id, request.image_upload_ids, {"product_image"}, field="imageUploadIds")
    product_id, now = new_id(), utc_now()
    product = Product(
        pk=keys.product(product_id), sk=keys.product(product_id),
        gsi1pk=keys.store_products(store.store_id), gsi1sk=keys.created_sort(now.isoformat(), product_id),
        product_id=product_id, store_id=store.store_id, owner_id=store.owner_id, name=request.name,
        description=request.description, price_amount=request.price.amount, currency=store.currency,
        category_id=category.category_id, category_path=list(category.path or [category.category_id]),
        tags=request.tags, image_upload_ids=[u.upload_id for u in images], status="active",
        in_stock=any(v.stock > 0 for v in request.variants), rating_sum=0, rating_count=0,
        created_at=now, updated_at=now,
    )  # fmt: skip
    _set_index_state(product, store_approved=True)
    variants = [_new_variant(product, spec) for spec in request.variants]
    try:
        with WriteTransaction() as tx:
            tx.put(product, Product.pk.does_not_exist(), label="product")
            for variant in variants:
                tx.put(variant, label=f"variant:{variant.sku}")
            categories.adjust_product_count(product.category_path, +1, tx=tx)
            audit.record(principal.actor, "product.create", "product", product_id, tx=tx, after=snapshot(product))
            _listing_changes(tx, product, [])
    except TransactionCancelled as cancelled:
        if any(label.startswith("category:") for label in cancelled.failed()):
            raise ValidationFailed.field("categoryId", "The category no longer exists.") from None
        raise
    _sync_search(product, old_terms=[], old_sort=None)
    return product_out(product, variants, private=True)


# ---------------------------------------------------------------- update


def update_product(principal: Principal, product_id: str, request: UpdateProductRequest) -> ProductOut:
    """Change the fields sent; listing entries follow in the same transaction, search right after.

    Raises
    ------
    NotFound
        Not the caller's product, or deleted.
    Conflict
        The product changed between our read and our write (optimistic lock): retry.
    """
    changes = request.model_fields_set  # at least one: PatchModel refuses an empty body
    product, variants = load_owned(principal, product_id)
    before = snapshot(product)
    old_facets, old_terms = list(product.listing_facets or []), list(product.search_terms or [])
    old_path, old_sort = list(product.category_path or []), listing.rating_key(product)
    if request.name is not None:
        product.name = request.name
    if "description" in changes:
        product.description = request.description or ""
    if request.price is not None:
        _check_currency(product.currency, request.price, "price.currency")
        product.price_amount = request.price.amount
    if request.category_id is not None and request.category_id != product.category_id:
        category = categories.get_categories([request.category_id], field="categoryId")[request.category_id]
        product.category_id, product.category_path = category.category_id, list(category.path or [category.category_id])
    if request.tags is not None:
        product.tags = request.tags
    if request.image_upload_ids is not None:
        images = claim_uploads(product.owner_id, request.image_upload_ids, {"product_image"}, field="imageUploadIds")
        product.image_upload_ids = [u.upload_id for u in images]
    if request.status is not None:
        product.status = request.status
    product.updated_at = utc_now()
    store = _store(product.store_id)
    _set_index_state(product, store_approved=store is not None and store.status == "approved")
    new_path = list(product.category_path or [])
    try:
        with WriteTransaction() as tx:
            tx.put(product, label="product")  # versioned: refused if it changed since we read it
            _listing_changes(tx, product, old_facets)
            categories.adjust_product_count([c for c in old_path if c not in new_path], -1, tx=tx)
            categories.adjust_product_count([c for c in new_path if c not in old_path], +1, tx=tx)
            audit.record(principal.actor, "product.update", "product", product_id, tx=tx, before=before,
                         after=snapshot(product))  # fmt: skip
    except TransactionCancelled as cancelled:
        if any(label.startswith("category:") for label in cancelled.failed()):
            raise ValidationFailed.field("categoryId", "The category no longer exists.") from None
        raise Conflict("The product changed meanwhile; reload it and retry.") from None
    _sync_search(product, old_terms=old_terms, old_sort=old_sort)
    return product_out(product, sorted(variants, key=lambda v: v.sku), private=True)


# ---------------------------------------------------------------- delete


def delete_product(principal: Principal, product_id: str) -> DeletedProduct:
    """Soft delete: status ``deleted``, out of every listing and search partition, off the low-stock list.

    The items stay (orders and the audit log refer to them); reads answer 404.
    """
    product, variants = load_owned(principal, product_id)
    before = snapshot(product)
    old_facets, old_terms, old_sort = list(product.listing_facets or []), list(product.search_terms or []), \
        listing.rating_key(product)  # fmt: skip
    product.status = "deleted"
    product.updated_at = utc_now()
    product.listing_facets, product.search_terms = [], []
    try:
        with WriteTransaction() as tx:
            tx.put(product, label="product")
            _listing_changes(tx, product, old_facets)
            for variant in variants:
                if variant.gsi2pk:
                    remove: list[Action] = [Variant.gsi2pk.remove(), Variant.gsi2sk.remove()]
                    tx.update(variant, remove, label=f"variant:{variant.sku}")
            categories.adjust_product_count(list(product.category_path or []), -1, tx=tx)
            audit.record(principal.actor, "product.delete", "product", product_id, tx=tx, before=before,
                         after={"status": "deleted"})  # fmt: skip
    except TransactionCancelled:
        raise Conflict("The product changed meanwhile; retry.") from None
    _sync_search(product, old_terms=old_terms, old_sort=old_sort)
    return DeletedProduct(id=product_id, deleted=True)
