"""System routes and the envelope, through the template's routing."""

from __future__ import annotations

import json

import boto3

from tests.support import ApiClient, assert_error


def test_health_reports_every_dependency_reachable(api: ApiClient) -> None:
    # WHEN
    response = api.get("/api/health")
    # THEN
    assert response.status == 200, response.body
    payload = response.json
    assert payload["success"] is True
    checks = payload["data"]["checks"]
    assert set(checks) == {"table", "uploadsBucket", "exportsBucket", "emailQueue", "payoutsQueue", "exportsQueue"}
    assert all(check["ok"] for check in checks.values())
    assert payload["meta"]["requestId"] == response.headers["X-Request-Id"]


def test_health_is_503_when_a_bucket_is_gone(api: ApiClient, aws_resources: dict[str, str]) -> None:
    # GIVEN the uploads bucket no longer exists
    boto3.client("s3").delete_bucket(Bucket=aws_resources["UploadsBucket"])
    # WHEN
    response = api.get("/api/health")
    # THEN
    payload = assert_error(response, 503, "SERVICE_UNAVAILABLE")
    assert payload["data"]["checks"]["uploadsBucket"]["ok"] is False
    assert payload["data"]["checks"]["table"]["ok"] is True


def test_version_reports_build_metadata(api: ApiClient) -> None:
    response = api.get("/api/version")
    assert response.status == 200
    data = response.json["data"]
    assert set(data) == {"version", "gitSha", "buildTime", "stage"}
    assert data["stage"] == "test"


def test_openapi_document_lists_the_system_routes(api: ApiClient) -> None:
    response = api.get("/api/openapi.json")
    assert response.status == 200
    document = json.loads(response.body)
    assert document["openapi"].startswith("3.")
    assert {"/api/health", "/api/version"} <= set(document["paths"])


def test_docs_page_inlines_swagger_assets(api: ApiClient) -> None:
    response = api.get("/api/docs")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/html")
    page = response.body.decode()
    assert "SwaggerUIBundle" in page
    # Works offline: no asset is fetched from another host.
    assert "cdn.jsdelivr" not in page and "unpkg.com" not in page


def test_unknown_route_is_404_in_the_envelope(api: ApiClient) -> None:
    assert_error(api.get("/api/v1/nothing-here"), 404, "NOT_FOUND")


def test_known_path_with_unknown_method_is_404(api: ApiClient) -> None:
    assert_error(api.delete("/api/health"), 404, "NOT_FOUND")


def test_body_over_the_gateway_limit_is_413(api: ApiClient) -> None:
    assert_error(api.post("/api/health", body=b"x" * (10 * 1024 * 1024 + 1)), 413, "PAYLOAD_TOO_LARGE")


def test_preflight_is_answered_with_cors_headers(api: ApiClient) -> None:
    response = api.request("OPTIONS", "/api/health", headers={"Access-Control-Request-Method": "GET"})
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_every_response_has_a_request_id(api: ApiClient) -> None:
    for response in (api.get("/api/version"), api.get("/nope"), api.request("OPTIONS", "/api/version")):
        assert response.headers.get("X-Request-Id")
