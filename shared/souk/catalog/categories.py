"""The category tree: admin-managed, read whole by clients, used by stores and products.

Every category carries ``path``, its ancestors' ids root first and its own id last, and
sits in one partition (gsi1 ``CATEGORIES``) sorted by that path, so the whole tree is one
Query and a parent sorts right before its subtree. A product is indexed under every id of
its category's path, which is how "category includes sub-categories" costs one Query.

Two counters live on each category and are changed with atomic ADDs, never read-modify-
write: ``childCount`` (kept here) and ``productCount`` (products in the subtree, kept by
the products feature through :func:`adjust_product_count`). They make "only a leaf with
no products may go" a condition on the delete itself, safe against a concurrent insert.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator
from pynamodb.exceptions import DoesNotExist

from souk.audit import service as audit
from souk.catalog.models import Category, CategorySlug, Product
from souk.catalog.text import fold
from souk.db import keys
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, DuplicateEntry, NotFound, UnprocessableEntity, ValidationFailed
from souk.ids import new_id
from souk.schema import CamelModel, OneLineText, PatchModel

if TYPE_CHECKING:
    from pynamodb.expressions.condition import Condition
    from pynamodb.expressions.update import Action

    from souk.caller import Principal

MAX_DEPTH = 5  # deep enough for "Home > Kitchen > Cookware > Pans > Woks", shallow enough to browse
MAX_SLUG = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


# --- schemas
class CategoryOut(CamelModel):
    id: str
    name: str
    slug: str
    parent_id: str | None
    path: list[str] = Field(description="Ancestor ids, root first, this category last.")
    product_count: int = Field(description="Products in this category and its sub-categories.")
    created_at: datetime
    updated_at: datetime


class CategoryNode(CategoryOut):
    children: list[CategoryNode] = Field(default_factory=list)


def _clean_name(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ValueError("must not be blank")
    return cleaned


class CreateCategoryRequest(CamelModel):
    name: OneLineText = Field(min_length=1, max_length=60)
    parent_id: str | None = Field(None, max_length=40)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str | None:
        return _clean_name(value)


class UpdateCategoryRequest(PatchModel):
    """Send only what changes; ``parentId: null`` moves the category to the top level."""

    name: OneLineText | None = Field(None, min_length=1, max_length=60)
    parent_id: str | None = Field(None, max_length=40)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        return _clean_name(value)


class DeletedCategory(CamelModel):
    id: str
    deleted: bool


def category_out(category: Category) -> CategoryOut:
    return CategoryOut(**_fields(category))


def _fields(category: Category) -> dict[str, Any]:
    return {
        "id": category.category_id, "name": category.name, "slug": category.slug, "parent_id": category.parent_id,
        "path": _strings(category.path), "product_count": int(category.product_count or 0),
        "created_at": category.created_at, "updated_at": category.updated_at,
    }  # fmt: skip


def _strings(values: Any) -> list[str]:
    """A PynamoDB list of strings as a plain list (its type stubs say list of attributes)."""
    return [str(v) for v in values or []]


# --- helpers other features use
def slugify(name: str) -> str:
    """``"Café & Bar"`` → ``"cafe-bar"``."""
    return _NOT_SLUG.sub("-", fold(name)).strip("-")[:MAX_SLUG].strip("-")


def get_category(category_id: str) -> Category:
    """The category, or 404."""
    try:
        return Category.get(keys.category(category_id), keys.category(category_id))
    except DoesNotExist:
        raise NotFound("No such category.") from None


def get_categories(category_ids: Iterable[str], *, field: str = "categoryIds") -> dict[str, Category]:
    """The categories by id (one BatchGetItem); 400 naming ``field`` when one does not exist."""
    ids = list(dict.fromkeys(category_ids))
    if not ids:
        return {}
    found = {c.category_id: c for c in Category.batch_get([(keys.category(i), keys.category(i)) for i in ids])}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed.field(field, f"No such category: {', '.join(missing)}.")
    return found


def descendant_filter(category_id: str) -> Condition:
    """A FilterExpression keeping products in ``category_id`` or any of its sub-categories.

    For filtering a page read by another key; listing by category is better served by the
    ``PL#CAT#<id>`` partitions, which hold every product of the subtree already.
    """
    return Product.category_path.contains(category_id)


def adjust_product_count(category_path: list[str], delta: int, *, tx: WriteTransaction | None = None) -> None:
    """Add ``delta`` to the product count of every category in ``category_path``.

    Parameters
    ----------
    category_path
        A product's ``categoryPath`` (its category's ``path``: root first, the category last).
    delta
        +1 when a product joins the category, -1 when it leaves (deleted or moved).
    tx
        The product's own transaction, so the count moves with it atomically. Each item is
        labelled ``category:<id>`` and requires the category to exist: a cancellation with
        that label means the category was deleted meanwhile. Without ``tx`` the counts are
        written in a transaction of their own (400 ``categoryId`` if one is gone).
    """
    if not category_path or delta == 0:
        return

    def add(target: WriteTransaction) -> None:
        for category_id in dict.fromkeys(category_path):
            target.update(_key_only(category_id), [Category.product_count.add(delta)], Category.pk.exists(),
                          label=f"category:{category_id}")  # fmt: skip

    if tx is not None:
        add(tx)
        return
    try:
        with WriteTransaction() as own:
            add(own)
    except TransactionCancelled:
        raise ValidationFailed.field("categoryId", "The category no longer exists.") from None


def _key_only(category_id: str) -> Category:
    """An item with just the keys, for updates that must not overwrite other attributes."""
    return Category(keys.category(category_id), keys.category(category_id))


# --- services
def category_tree() -> list[CategoryNode]:
    """The whole tree, nested, children sorted by name.

    One Query on the ``CATEGORIES`` partition, following its pages: admins create every
    category, so the partition stays small (about 3,000 categories fit in one 1 MB page).
    """
    nodes: dict[str, CategoryNode] = {}
    order: list[CategoryNode] = []
    for category in Category.gsi1.query(keys.CATEGORIES):
        node = CategoryNode(**_fields(category))
        nodes[node.id] = node
        order.append(node)
    roots: list[CategoryNode] = []
    for node in order:
        parent = nodes.get(node.parent_id) if node.parent_id else None
        (parent.children if parent is not None else roots).append(node)
    for node in order:
        node.children.sort(key=lambda n: (n.name.casefold(), n.id))
    roots.sort(key=lambda n: (n.name.casefold(), n.id))
    return roots


def _slug_of(name: str) -> str:
    slug = slugify(name)
    if not slug:
        raise ValidationFailed.field("name", "The name needs at least one letter or digit.")
    return slug


def _parent(parent_id: str) -> Category:
    try:
        return get_category(parent_id)
    except NotFound:
        raise ValidationFailed.field("parentId", "No such parent category.") from None


def _check_depth(parent: Category | None) -> None:
    if parent is not None and len(parent.path or []) >= MAX_DEPTH:
        raise UnprocessableEntity(f"Categories nest at most {MAX_DEPTH} levels deep.")


def _guard(parent_id: str | None, slug: str, category_id: str) -> CategorySlug:
    key = keys.category_slug(parent_id, slug)
    return CategorySlug(pk=key, sk=key, category_id=category_id)


def create_category(principal: Principal, request: CreateCategoryRequest) -> Category:
    """A new category under ``parentId`` (or at the top); 409 DUPLICATE_ENTRY if a sibling has its slug."""
    slug = _slug_of(request.name)
    parent = _parent(request.parent_id) if request.parent_id else None
    _check_depth(parent)
    category_id = new_id()
    path = [*(_strings(parent.path) if parent is not None else []), category_id]
    now = utc_now()
    category = Category(
        pk=keys.category(category_id), sk=keys.category(category_id),
        gsi1pk=keys.CATEGORIES, gsi1sk=keys.category_tree_sort(path),
        category_id=category_id, name=request.name, slug=slug, parent_id=request.parent_id, path=path,
        child_count=0, product_count=0, created_at=now, updated_at=now,
    )  # fmt: skip
    try:
        with WriteTransaction() as tx:
            tx.put(_guard(request.parent_id, slug, category_id), CategorySlug.pk.does_not_exist(), label="slug")
            tx.put(category, Category.pk.does_not_exist(), label="category")
            if parent is not None:
                tx.update(_key_only(parent.category_id), [Category.child_count.add(1)], Category.pk.exists(),
                          label="parent")  # fmt: skip
            audit.record(principal.actor, "category.create", "category", category_id, tx=tx,
                         after={"name": request.name, "slug": slug, "parentId": request.parent_id})  # fmt: skip
    except TransactionCancelled as cancelled:
        raise _mapped(cancelled) from None
    return category


def update_category(principal: Principal, category_id: str, request: UpdateCategoryRequest) -> Category:
    """Rename and/or move a category.

    Moving is allowed only for a category with no sub-categories and no products (422
    otherwise): both are indexed under every ancestor id, which a move would leave stale.
    """
    category = get_category(category_id)
    name = request.name or category.name
    slug = _slug_of(name)
    moving = "parent_id" in request.model_fields_set and request.parent_id != category.parent_id
    parent_id = request.parent_id if moving else category.parent_id
    path = _strings(category.path) or [category_id]
    new_parent: Category | None = None
    if moving:
        if int(category.child_count or 0) > 0:
            raise UnprocessableEntity("Only a category without sub-categories can move.")
        if int(category.product_count or 0) > 0:
            raise UnprocessableEntity("Only a category without products can move.")
        if parent_id == category_id:
            raise UnprocessableEntity("A category cannot be its own parent.")
        new_parent = _parent(parent_id) if parent_id else None
        _check_depth(new_parent)
        path = [*(_strings(new_parent.path) if new_parent is not None else []), category_id]
    if name == category.name and not moving:
        return category
    before = {"name": category.name, "slug": category.slug, "parentId": category.parent_id}
    actions: list[Action] = [
        Category.name.set(name), Category.slug.set(slug), Category.path.set(path),  # type: ignore[arg-type]
        Category.gsi1sk.set(keys.category_tree_sort(path)), Category.updated_at.set(utc_now()),
        Category.parent_id.set(parent_id) if parent_id else Category.parent_id.remove(),
    ]  # fmt: skip
    condition = Category.pk.exists()
    if moving:  # a child or a product added since the read would make the move wrong
        condition &= (Category.child_count == 0) & (Category.product_count == 0)
    old_guard = keys.category_slug(category.parent_id, category.slug)
    new_guard = keys.category_slug(parent_id, slug)
    try:
        with WriteTransaction() as tx:
            tx.update(_key_only(category_id), actions, condition, label="category")
            if new_guard != old_guard:
                tx.delete(_guard(category.parent_id, category.slug, category_id), label="old-slug")
                tx.put(_guard(parent_id, slug, category_id), CategorySlug.pk.does_not_exist(), label="slug")
            if moving and category.parent_id:
                tx.update(_key_only(category.parent_id), [Category.child_count.add(-1)], label="old-parent")
            if moving and parent_id:
                tx.update(_key_only(parent_id), [Category.child_count.add(1)], Category.pk.exists(), label="parent")
            audit.record(principal.actor, "category.update", "category", category_id, tx=tx, before=before,
                         after={"name": name, "slug": slug, "parentId": parent_id})  # fmt: skip
    except TransactionCancelled as cancelled:
        if "category" in cancelled.failed() and moving:
            raise UnprocessableEntity("The category gained sub-categories or products meanwhile.") from None
        raise _mapped(cancelled) from None
    return get_category(category_id)


def delete_category(principal: Principal, category_id: str) -> Category:
    """Delete a leaf category holding no products; 409 CONFLICT otherwise."""
    category = get_category(category_id)
    if int(category.child_count or 0) > 0:
        raise Conflict("The category has sub-categories; delete or move them first.")
    if int(category.product_count or 0) > 0:
        raise Conflict("The category still has products; move or delete them first.")
    try:
        with WriteTransaction() as tx:
            # The counters are re-checked by the delete itself: a product added since the read wins.
            tx.delete(category, (Category.child_count == 0) & (Category.product_count == 0), label="category")
            tx.delete(_guard(category.parent_id, category.slug, category_id), label="slug")
            if category.parent_id:
                tx.update(_key_only(category.parent_id), [Category.child_count.add(-1)], label="parent")
            before = {"name": category.name, "slug": category.slug, "parentId": category.parent_id}
            audit.record(principal.actor, "category.delete", "category", category_id, tx=tx, before=before)
    except TransactionCancelled:
        raise Conflict("The category gained sub-categories or products meanwhile.") from None
    return category


def _mapped(cancelled: TransactionCancelled) -> Exception:
    failed = cancelled.failed()
    if "slug" in failed:
        return DuplicateEntry("A category with this name already exists at this level.")
    if "parent" in failed:
        return ValidationFailed.field("parentId", "No such parent category.")
    if "category" in failed:
        return NotFound("No such category.")
    return Conflict("The category changed at the same time; retry.")
