"""The category tree in the table: reads, the slug guards, the counters and the writes.

Every category carries ``path``, its ancestors' ids root first and its own id last, and
sits in one partition (gsi1 ``CATEGORIES``) sorted by that path, so the whole tree is one
Query and a parent sorts right before its subtree.

Two counters live on each category and are changed with atomic ADDs, never read-modify-
write: ``childCount`` (kept here) and ``productCount`` (products in the subtree, kept by
the products feature through :func:`adjust_product_count`). They make "only a leaf with
no products may go" a condition on the delete itself, safe against a concurrent insert.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from pynamodb.exceptions import DoesNotExist

from souk.catalog import keys
from souk.catalog.models import Category, CategorySlug
from souk.db.base import utc_now
from souk.db.transactions import TransactionCancelled, WriteTransaction
from souk.errors import Conflict, DuplicateEntry, NotFound, UnprocessableEntity, ValidationFailed

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

    from souk.audit.models import AuditRecord


def get_category(category_id: str) -> Category | None:
    try:
        return Category.get(keys.category(category_id), keys.category(category_id))
    except DoesNotExist:
        return None


def get_categories(category_ids: list[str]) -> dict[str, Category]:
    """The categories that exist among ``category_ids``, by id (one BatchGetItem)."""
    if not category_ids:
        return {}
    return {c.category_id: c for c in Category.batch_get([(keys.category(i), keys.category(i)) for i in category_ids])}


def all_categories() -> Iterator[Category]:
    """Every category, parents before their subtrees.

    One Query on the ``CATEGORIES`` partition, following its pages: admins create every
    category, so the partition stays small (about 3,000 categories fit in one 1 MB page).
    """
    return iter(Category.gsi1.query(keys.CATEGORIES))


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


def _guard(parent_id: str | None, slug: str, category_id: str) -> CategorySlug:
    key = keys.category_slug(parent_id, slug)
    return CategorySlug(pk=key, sk=key, category_id=category_id)


def new_category(category_id: str, name: str, slug: str, parent_id: str | None, path: list[str]) -> Category:
    now = utc_now()
    return Category(
        pk=keys.category(category_id), sk=keys.category(category_id),
        gsi1pk=keys.CATEGORIES, gsi1sk=keys.category_tree_sort(path),
        category_id=category_id, name=name, slug=slug, parent_id=parent_id, path=path,
        child_count=0, product_count=0, created_at=now, updated_at=now,
    )  # fmt: skip


def insert(category: Category, record: AuditRecord) -> None:
    """Save a new category with its slug guard and its parent's child count; 409 DUPLICATE_ENTRY
    if a sibling has its slug, 400 ``parentId`` if the parent went meanwhile."""
    try:
        with WriteTransaction() as tx:
            tx.put(_guard(category.parent_id, category.slug, category.category_id), CategorySlug.pk.does_not_exist(),
                   label="slug")  # fmt: skip
            tx.put(category, Category.pk.does_not_exist(), label="category")
            if category.parent_id:
                tx.update(_key_only(category.parent_id), [Category.child_count.add(1)], Category.pk.exists(),
                          label="parent")  # fmt: skip
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled as cancelled:
        raise _mapped(cancelled) from None


def rename_or_move(category: Category, name: str, slug: str, parent_id: str | None, path: list[str], *,
                   moving: bool, record: AuditRecord) -> None:  # fmt: skip
    """Save a category's new name, slug and place, moving its slug guard and the parents' child counts."""
    category_id = category.category_id
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
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled as cancelled:
        if "category" in cancelled.failed() and moving:
            raise UnprocessableEntity("The category gained sub-categories or products meanwhile.") from None
        raise _mapped(cancelled) from None


def delete(category: Category, record: AuditRecord) -> None:
    """Delete a category with its slug guard; 409 CONFLICT if it gained children or products meanwhile."""
    try:
        with WriteTransaction() as tx:
            # The counters are re-checked by the delete itself: a product added since the read wins.
            tx.delete(category, (Category.child_count == 0) & (Category.product_count == 0), label="category")
            tx.delete(_guard(category.parent_id, category.slug, category.category_id), label="slug")
            if category.parent_id:
                tx.update(_key_only(category.parent_id), [Category.child_count.add(-1)], label="parent")
            tx.put(record, label=f"audit:{record.action}")
    except TransactionCancelled:
        raise Conflict("The category gained sub-categories or products meanwhile.") from None


def _mapped(cancelled: TransactionCancelled) -> Exception:
    failed = cancelled.failed()
    if "slug" in failed:
        return DuplicateEntry("A category with this name already exists at this level.")
    if "parent" in failed:
        return ValidationFailed.field("parentId", "No such parent category.")
    if "category" in failed:
        return NotFound("No such category.")
    return Conflict("The category changed at the same time; retry.")
