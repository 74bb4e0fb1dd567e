"""Products: create, update, soft delete and read; the listing and search indexes follow every write.

How a write reaches the indexes (one transaction, then a search batch) is
:mod:`souk.catalog.store.products`; here, who may do what and what changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from souk.audit import service as audit
from souk.caller import ensure_owner
from souk.catalog.models import APPROVED, Product, Store, Variant
from souk.catalog.schemas.products import (
    CreateProductRequest,
    DeletedProduct,
    ProductOut,
    UpdateProductRequest,
    product_out,
)
from souk.catalog.service import categories, stores
from souk.catalog.store import listing, search
from souk.catalog.store import products as store
from souk.db.base import utc_now
from souk.errors import NotFound, UnprocessableEntity
from souk.ids import new_id
from souk.uploads.service import claim_uploads

if TYPE_CHECKING:
    from souk.caller import Principal
    from souk.money import Money


# ---------------------------------------------------------------- rules


def snapshot(product: Product) -> dict[str, Any]:
    """What the audit log keeps of a product."""
    return {"name": product.name, "priceAmount": int(product.price_amount), "currency": product.currency,
            "categoryId": product.category_id, "tags": list(product.tags or []), "status": product.status,
            "imageUploadIds": list(product.image_upload_ids or [])}  # fmt: skip


def check_currency(store_currency: str, price: Money | None, field: str) -> None:
    """422 naming ``field`` when a price is not in the store's currency."""
    if price is not None and price.currency != store_currency:
        detail = {"field": field, "message": f"The store sells in {store_currency}."}
        raise UnprocessableEntity("Prices must be in the store's currency.", details=[detail])


def is_private(product: Product, principal: Principal | None) -> bool:
    """The owner and admins see a product's private view (exact stock, inactive products)."""
    return principal is not None and (principal.is_admin or principal.user_id == product.owner_id)


def is_public(product: Product, store: Store | None) -> bool:
    """The public sees active products of approved stores only."""
    return product.status == "active" and store is not None and store.status == APPROVED


# ---------------------------------------------------------------- reading


def load(product_id: str, *, consistent: bool = False) -> tuple[Product, list[Variant]]:
    """The product and its variants in one Query; 404 if none."""
    product, variants = store.load(product_id, consistent=consistent)
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
    private = is_private(product, principal)
    if not private and not is_public(product, _store(product.store_id)):
        raise NotFound("No such product.")
    return product_out(product, sorted(variants, key=lambda v: v.sku), private=private), not private


# ---------------------------------------------------------------- index upkeep


def reindex_product(product_id: str) -> None:
    """Rewrite a product's search entries from the product item (repair, or after a rating change)."""
    product, _ = load(product_id, consistent=True)
    store.write_search_entries(search.product_entries(product), [])


def set_rating(product_id: str, rating_sum: float, rating_count: int) -> None:
    """Store a product's rating (for the reviews feature) and move its index entries to the new order.

    Listing entries change in the product's transaction; search entries move right after
    (their sort key holds the rating, so each is deleted and written again).
    """
    product, _ = load(product_id, consistent=True)
    old_sort = listing.rating_key(product)
    product.rating_sum, product.rating_count = rating_sum, rating_count
    product.updated_at = utc_now()
    store.save_relisted(product, list(product.listing_facets or []), conflict="The product changed meanwhile; retry.")
    store.sync_search(product, old_terms=list(product.search_terms or []), old_sort=old_sort)


# ---------------------------------------------------------------- writing


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
    selling = stores.require_selling_store(request.store_id, principal)
    check_currency(selling.currency, request.price, "price.currency")
    for i, spec in enumerate(request.variants):
        check_currency(selling.currency, spec.price, f"variants.{i}.price.currency")
    category = categories.get_categories([request.category_id], field="categoryId")[request.category_id]
    images = claim_uploads(selling.owner_id, request.image_upload_ids, {"product_image"}, field="imageUploadIds")
    product_id = new_id()
    product = store.new_product(
        product_id, selling.store_id, selling.owner_id, name=request.name, description=request.description,
        price_amount=request.price.amount, currency=selling.currency, category_id=category.category_id,
        category_path=list(category.path or [category.category_id]), tags=request.tags,
        image_upload_ids=[u.upload_id for u in images], in_stock=any(v.stock > 0 for v in request.variants),
    )  # fmt: skip
    store.set_index_state(product, store_approved=True)
    variants = [store.new_variant(product, spec) for spec in request.variants]
    record = audit.build_record(principal.actor, "product.create", "product", product_id, after=snapshot(product))
    store.insert(product, variants, record)
    store.sync_search(product, old_terms=[], old_sort=None)
    return product_out(product, variants, private=True)


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
        check_currency(product.currency, request.price, "price.currency")
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
    selling = _store(product.store_id)
    store.set_index_state(product, store_approved=selling is not None and selling.status == APPROVED)
    record = audit.build_record(principal.actor, "product.update", "product", product_id, before=before,
                                after=snapshot(product))  # fmt: skip
    store.update(product, old_facets=old_facets, old_path=old_path, record=record)
    store.sync_search(product, old_terms=old_terms, old_sort=old_sort)
    return product_out(product, sorted(variants, key=lambda v: v.sku), private=True)


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
    record = audit.build_record(principal.actor, "product.delete", "product", product_id, before=before,
                                after={"status": "deleted"})  # fmt: skip
    store.soft_delete(product, variants, old_facets=old_facets, record=record)
    store.sync_search(product, old_terms=old_terms, old_sort=old_sort)
    return DeletedProduct(id=product_id, deleted=True)
