"""The category tree's API models and the converters from :class:`~souk.catalog.models.Category`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from souk.catalog.models import Category, strings
from souk.schema import CamelModel, OneLineText, PatchModel


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


def category_node(category: Category) -> CategoryNode:
    """The category as a tree node, without its children yet."""
    return CategoryNode(**_fields(category))


def _fields(category: Category) -> dict[str, Any]:
    return {
        "id": category.category_id, "name": category.name, "slug": category.slug, "parent_id": category.parent_id,
        "path": strings(category.path), "product_count": int(category.product_count or 0),
        "created_at": category.created_at, "updated_at": category.updated_at,
    }  # fmt: skip
