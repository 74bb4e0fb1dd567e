"""Helpers shared by the suites: an HTTP-like client over the template's routes, tokens."""

from __future__ import annotations

import json
from typing import Any

import botocore.client
import pytest

from infra.local.routing import HttpResponse, Router


class ApiClient:
    """Calls routes through the same routing and events as the local runner."""

    def __init__(self, router: Router) -> None:
        self.router = router

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> HttpResponse:
        path, _, query = path.partition("?")
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.router.handle(method, path, query=query, headers=headers, body=body)

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResponse:
        return self.request("DELETE", path, **kwargs)


def assert_error(response: HttpResponse, status: int, code: str) -> dict[str, Any]:
    """The response is the contract's error envelope with this status and code."""
    assert response.status == status, (response.status, response.body[:500])
    payload = response.json
    assert payload["success"] is False
    assert payload["error"]["code"] == code, payload
    assert payload["meta"]["requestId"] == response.headers["X-Request-Id"]
    return payload


def record_dynamodb_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every DynamoDB operation sent from now on, in order (to check a route's calls stay constant)."""
    calls: list[str] = []
    original = botocore.client.BaseClient._make_api_call

    def counting(self: botocore.client.BaseClient, operation_name: str, api_params: dict) -> dict:
        if self.meta.service_model.service_name == "dynamodb":
            calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)
    return calls
