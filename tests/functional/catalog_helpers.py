"""Helpers for the catalog route tests: DynamoDB call counting, categories and stores via the API."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import botocore.client
import pytest

from tests.factories import create_user, token_for
from tests.support import ApiClient


@contextmanager
def count_dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Every DynamoDB operation made inside the block, by name (retries excluded)."""
    calls: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counting(self: botocore.client.BaseClient, operation_name: str, api_params: dict) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            calls[operation_name] += 1
        return original(self, operation_name, api_params)

    with monkeypatch.context() as patch:
        patch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
        yield calls


def admin_token() -> str:
    return token_for(create_user("admin"))


def make_category(api: ApiClient, token: str, name: str, parent_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name}
    if parent_id:
        body["parentId"] = parent_id
    response = api.post("/api/v1/categories", json_body=body, token=token)
    assert response.status == 201, response.body
    return response.json["data"]


def store_body(category_ids: list[str], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Blue Bottle Coffee",
        "description": "Small-batch roasts.",
        "categoryIds": category_ids,
        "address": {"line1": "1 Main St", "city": "Oakland", "country": "us", "lat": 37.8044, "lng": -122.2712},
    }
    body.update(overrides)
    return body


def make_store(api: ApiClient, token: str, category_ids: list[str], **overrides: Any) -> dict[str, Any]:
    response = api.post("/api/v1/stores", json_body=store_body(category_ids, **overrides), token=token)
    assert response.status == 201, response.body
    return response.json["data"]


def set_status(api: ApiClient, admin: str, store_id: str, status: str, reason: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status}
    if reason:
        body["reason"] = reason
    response = api.patch(f"/api/v1/admin/stores/{store_id}", json_body=body, token=admin)
    assert response.status == 200, response.body
    return response.json["data"]
