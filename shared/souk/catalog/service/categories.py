"""The category tree: admin-managed, read whole by clients, used by stores and products.

A product is indexed under every id of its category's path (see
:mod:`souk.catalog.store.categories`), which is how "category includes sub-categories"
costs one Query; it is also why only a category without sub-categories and products may
move (both would be left indexed under the old ancestors).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from souk.audit import service as audit
from souk.catalog import text
from souk.catalog.models import Category, strings
from souk.catalog.schemas.categories import CategoryNode, CreateCategoryRequest, UpdateCategoryRequest, category_node
from souk.catalog.store import categories as store
from souk.errors import Conflict, NotFound, UnprocessableEntity, ValidationFailed
from souk.ids import new_id

if TYPE_CHECKING:
    from souk.caller import Principal

MAX_DEPTH = 5  # deep enough for "Home > Kitchen > Cookware > Pans > Woks", shallow enough to browse
MAX_SLUG = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


# --- rules
def slugify(name: str) -> str:
    """``"Café & Bar"`` → ``"cafe-bar"``."""
    return _NOT_SLUG.sub("-", text.fold(name)).strip("-")[:MAX_SLUG].strip("-")


def slug_of(name: str) -> str:
    """The name's slug; 400 ``name`` when nothing of it is left."""
    slug = slugify(name)
    if not slug:
        raise ValidationFailed.field("name", "The name needs at least one letter or digit.")
    return slug


def check_depth(parent: Category | None) -> None:
    """422 when a child of ``parent`` would nest deeper than :data:`MAX_DEPTH`."""
    if parent is not None and len(parent.path or []) >= MAX_DEPTH:
        raise UnprocessableEntity(f"Categories nest at most {MAX_DEPTH} levels deep.")


def check_move(category: Category, parent_id: str | None) -> None:
    """A category moves only while it has no sub-categories and no products, and never under itself (422)."""
    if int(category.child_count or 0) > 0:
        raise UnprocessableEntity("Only a category without sub-categories can move.")
    if int(category.product_count or 0) > 0:
        raise UnprocessableEntity("Only a category without products can move.")
    if parent_id == category.category_id:
        raise UnprocessableEntity("A category cannot be its own parent.")


def check_deletable(category: Category) -> None:
    """Only a leaf holding no products may go (409)."""
    if int(category.child_count or 0) > 0:
        raise Conflict("The category has sub-categories; delete or move them first.")
    if int(category.product_count or 0) > 0:
        raise Conflict("The category still has products; move or delete them first.")


def nest(categories: Iterable[Category]) -> list[CategoryNode]:
    """The categories as a tree: roots and every node's children sorted by name, then id."""
    nodes: dict[str, CategoryNode] = {}
    order: list[CategoryNode] = []
    for category in categories:
        node = category_node(category)
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


# --- reading (also for stores and products)
def get_category(category_id: str) -> Category:
    """The category, or 404."""
    category = store.get_category(category_id)
    if category is None:
        raise NotFound("No such category.")
    return category


def get_categories(category_ids: Iterable[str], *, field: str = "categoryIds") -> dict[str, Category]:
    """The categories by id (one BatchGetItem); 400 naming ``field`` when one does not exist."""
    ids = list(dict.fromkeys(category_ids))
    found = store.get_categories(ids)
    missing = [i for i in ids if i not in found]
    if missing:
        raise ValidationFailed.field(field, f"No such category: {', '.join(missing)}.")
    return found


def category_tree() -> list[CategoryNode]:
    """The whole tree, nested, children sorted by name (one Query)."""
    return nest(store.all_categories())


def _parent(parent_id: str) -> Category:
    try:
        return get_category(parent_id)
    except NotFound:
        raise ValidationFailed.field("parentId", "No such parent category.") from None


# --- writing
def create_category(principal: Principal, request: CreateCategoryRequest) -> Category:
    """A new category under ``parentId`` (or at the top); 409 DUPLICATE_ENTRY if a sibling has its slug."""
    slug = slug_of(request.name)
    parent = _parent(request.parent_id) if request.parent_id else None
    check_depth(parent)
    category_id = new_id()
    path = [*(strings(parent.path) if parent is not None else []), category_id]
    category = store.new_category(category_id, request.name, slug, request.parent_id, path)
    record = audit.build_record(principal.actor, "category.create", "category", category_id,
                                after={"name": request.name, "slug": slug, "parentId": request.parent_id})  # fmt: skip
    store.insert(category, record)
    return category


def update_category(principal: Principal, category_id: str, request: UpdateCategoryRequest) -> Category:
    """Rename and/or move a category.

    Moving is allowed only for a category with no sub-categories and no products (422
    otherwise): both are indexed under every ancestor id, which a move would leave stale.
    """
    category = get_category(category_id)
    name = request.name or category.name
    slug = slug_of(name)
    moving = "parent_id" in request.model_fields_set and request.parent_id != category.parent_id
    parent_id = request.parent_id if moving else category.parent_id
    path = strings(category.path) or [category_id]
    if moving:
        check_move(category, parent_id)
        new_parent = _parent(parent_id) if parent_id else None
        check_depth(new_parent)
        path = [*(strings(new_parent.path) if new_parent is not None else []), category_id]
    if name == category.name and not moving:
        return category
    before = {"name": category.name, "slug": category.slug, "parentId": category.parent_id}
    record = audit.build_record(principal.actor, "category.update", "category", category_id, before=before,
                                after={"name": name, "slug": slug, "parentId": parent_id})  # fmt: skip
    store.rename_or_move(category, name, slug, parent_id, path, moving=moving, record=record)
    return get_category(category_id)


def delete_category(principal: Principal, category_id: str) -> Category:
    """Delete a leaf category holding no products; 409 CONFLICT otherwise."""
    category = get_category(category_id)
    check_deletable(category)
    before = {"name": category.name, "slug": category.slug, "parentId": category.parent_id}
    store.delete(category, audit.build_record(principal.actor, "category.delete", "category", category_id,
                                              before=before))  # fmt: skip
    return category
